package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.BLOCK;
import static org.copyoffload.server.zns.ZnsFixture.CLOSE;
import static org.copyoffload.server.zns.ZnsFixture.NS;
import static org.copyoffload.server.zns.ZnsFixture.OPEN;
import static org.copyoffload.server.zns.ZnsFixture.RESET;
import static org.copyoffload.server.zns.ZnsFixture.sendOk;
import static org.copyoffload.server.zns.ZnsFixture.zone;
import static org.copyoffload.server.zns.ZnsFixture.zslba;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.Random;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.ScsiResult;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb.ReportingOption;
import org.copyoffload.protocol.scsi.ReportZonesData;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.ZbcOutCdb;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * One zoned volume exported at once as NSID 1 (ZNS) and as iSCSI LUN 0 (host managed ZBC), driven through both
 * transports by the Java hosts: a write through one moves the write pointer the other reports and checks, zone
 * actions of one show in the other's report, both draw on one set of open and active resources, and each keeps the
 * Close rule of its own command set.
 */
@ExtendWith(LeakDetectionExtension.class)
class ZonedVolumeBothWaysTest {
    static final String IQN = "iqn.2026-01.org.copyoffload:zoned-both-ways";
    static final long ZONE = 256; // 1 MiB of 4 KiB blocks

    @TempDir
    Path dir;
    TestServer server;
    NvmeTcpHost host;
    IscsiSession iscsi;

    @BeforeEach
    void start() {
        server = TestServer.start(dir, """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: zns, size: 64MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 1MiB, max-active: 4, max-open: 3}}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: zns}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: zns}]
                """.formatted(dir, TestServer.NQN, IQN));
        host = server.connect(1);
        iscsi = IscsiSession.login(IscsiOptions.of(server.server().iscsiAddresses().getFirst(), IQN)
                .withTimeouts(TestServer.TIMEOUT, TestServer.TIMEOUT));
        iscsi.testUnitReady(0); // takes the unit attention of the new nexus
    }

    @AfterEach
    void stop() {
        if (iscsi != null) {
            iscsi.close();
        }
        if (host != null) {
            host.close();
        }
        server.close();
    }

    static byte[] data(long seed, int blocks) {
        byte[] b = new byte[blocks * BLOCK];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The SCSI status and sense of a command (GOOD: null). */
    AdditionalSense scsi(byte[] cdb, byte[] dataOut, int dataIn) {
        try (ScsiResult r = iscsi.execute(0, cdb, dataOut == null ? null : Unpooled.wrappedBuffer(dataOut), dataIn)
                .join()) {
            if (r.isGood()) {
                return null;
            }
            SenseData s = r.senseData().orElseThrow();
            return s.additionalSense().orElseThrow();
        }
    }

    AdditionalSense scsiWrite(long lba, byte[] data) {
        return scsi(new ReadWriteCdb(OperationCode.WRITE_16, lba, data.length / BLOCK, 0, false, false).encode(), data,
                0);
    }

    ZoneDescriptor scsiZone(int z) {
        try (ScsiResult r = iscsi.execute(0, new ReportZonesCdb(z * ZONE, 128, true, ReportingOption.ALL).encode(),
                null, 128).join()) {
            assertThat(r.isGood()).isTrue();
            return ReportZonesData.decode(ByteBufUtil.getBytes(r.data())).zones().getFirst();
        }
    }

    StatusCode nvmeWrite(long slba, byte[] data) {
        try (Completion c = Nvme.io(host, Nvme.write(NS, slba, data.length / BLOCK, false), TestServer.buffer(data), 0)) {
            return StatusCode.lookup(c.status().sct(), c.status().sc()).orElseThrow();
        }
    }

    @Test
    void aWriteThroughEitherMovesTheWritePointerTheOtherSees() {
        byte[] a = data(1, 4);
        byte[] b = data(2, 2);
        assertThat(nvmeWrite(zslba(2), a)).isEqualTo(StatusCode.SUCCESS);
        assertThat(scsiZone(2)).isEqualTo(new ZoneDescriptor(ReportZonesData.ZoneType.SEQUENTIAL_WRITE_REQUIRED,
                ZoneCondition.IMPLICITLY_OPENED, false, false, ZONE, 2 * ZONE, 2 * ZONE + 4));
        assertThat(scsiWrite(2 * ZONE + 4, b)).isNull();
        assertThat(zone(host, 2).writePointer()).isEqualTo(zslba(2) + 6);
        // each transport now refuses the old write pointer with its own error
        assertThat(nvmeWrite(zslba(2) + 4, b)).isEqualTo(StatusCode.ZONE_INVALID_WRITE);
        assertThat(scsiWrite(2 * ZONE + 4, b)).isEqualTo(AdditionalSense.UNALIGNED_WRITE_COMMAND);
        // and both read what both wrote
        byte[] both = new byte[6 * BLOCK];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertThat(Nvme.read(host, NS, zslba(2), 6)).isEqualTo(both);
        assertThat(TestServer.bytesOf(iscsi.read16(0, 2 * ZONE, 6, BLOCK).join())).isEqualTo(both);
        // a reset through NVMe empties the zone SCSI reports; a finish through SCSI fills the one NVMe reports
        sendOk(host, zslba(2), RESET, false);
        assertThat(scsiZone(2).condition()).isEqualTo(ZoneCondition.EMPTY);
        assertThat(scsi(new ZbcOutCdb(ZbcOut.FINISH_ZONE, 3 * ZONE, 0, false).encode(), null, 0)).isNull();
        assertThat(zone(host, 3).state()).isEqualTo(0xE); // ZNS Full
        assertThat(nvmeWrite(zslba(3), b)).isEqualTo(StatusCode.ZONE_IS_FULL);
    }

    @Test
    void bothTransportsDrawOnOneSetOfZoneResources() {
        sendOk(host, zslba(0), OPEN, false);
        sendOk(host, zslba(1), OPEN, false);
        assertThat(scsi(new ZbcOutCdb(ZbcOut.OPEN_ZONE, 2 * ZONE, 0, false).encode(), null, 0)).isNull();
        assertThat(zone(host, 2).state()).isEqualTo(0x3); // Explicitly Opened
        // three explicitly opened zones hold every open resource, whoever opened them
        assertThat(scsiWrite(5 * ZONE, data(3, 1))).isEqualTo(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES);
        assertThat(nvmeWrite(zslba(5), data(3, 1))).isEqualTo(StatusCode.TOO_MANY_OPEN_ZONES);
        // each command set keeps its Close rule: ZNS leaves an unwritten zone Closed, ZBC makes it Empty
        sendOk(host, zslba(0), CLOSE, false);
        assertThat(scsiZone(0).condition()).isEqualTo(ZoneCondition.CLOSED);
        assertThat(scsi(new ZbcOutCdb(ZbcOut.CLOSE_ZONE, ZONE, 0, false).encode(), null, 0)).isNull();
        assertThat(zone(host, 1).state()).isEqualTo(0x1); // ZNS Empty
    }
}
