package org.copyoffload.server.scsi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb.ReportingOption;
import org.copyoffload.protocol.scsi.ReportZonesData;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.ZbcOutCdb;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.volume.Volume;
import org.copyoffload.server.volume.ZonedVolume;
import org.junit.jupiter.api.AfterEach;

/**
 * A target with a host managed zoned logical unit (LUN 2: 16 zones of 64 blocks of 4 KiB, at most 3 open and 4
 * active zones) beside {@link ScsiTestBase}'s two conventional ones, and helpers for its zone commands.
 */
abstract class ZonedScsiTestBase extends ScsiTestBase {
    static final long ZBC = 2;
    static final long ZONE = 64;
    static final int ZONES = 16;
    static final int BS = 4096;

    CountingStore zoneStore;
    ZonedVolume zones;

    @Override
    ScsiTarget newTarget(Map<Long, Volume> luns) {
        try {
            ServerConfig.Volume config = new ServerConfig.Volume("zbc", dir.resolve("zbc.img"), ZONE * ZONES * BS, BS,
                    new ServerConfig.Zoned(ZONE, ZONE, 4, 3));
            zoneStore = new CountingStore(FileBlockStore.open(config.file(), config.size(), true));
            zones = ZonedVolume.open(config, zoneStore);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<Long, Volume> all = new LinkedHashMap<>(luns);
        all.put(ZBC, new Volume("zbc", zoneStore, BS, zones));
        return super.newTarget(all);
    }

    @AfterEach
    void closeZones() throws IOException {
        zones.close();
        zoneStore.close();
    }

    Result writeAt(long lba, int blocks) {
        return write(ZBC, new ReadWriteCdb(OperationCode.WRITE_16, lba, blocks, 0, false, false).encode(),
                random(lba, blocks * BS));
    }

    Result zbcOut(ZbcOut action, long zoneId, boolean all) {
        return run(ZBC, new ZbcOutCdb(action, zoneId, 0, all).encode());
    }

    ReportZonesData report(long lba, ReportingOption option, boolean partial, long allocation) {
        return ReportZonesData.decode(run(ZBC, new ReportZonesCdb(lba, allocation, partial, option).encode()).good()
                .data());
    }

    ZoneDescriptor zone(int i) {
        return report(i * ZONE, ReportingOption.ALL, true, 128).zones().getFirst();
    }

}
