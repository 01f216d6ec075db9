package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.copyoffload.backends.store.MemoryBlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportLunsCdb;
import org.copyoffload.protocol.scsi.RequestSenseCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.volume.Volume;
import org.copyoffload.server.volume.ZonedVolume;
import org.junit.jupiter.api.Test;

/** Construction, dispatch, LUNs with no logical unit, and what every command shares. */
class ScsiTargetTest extends ScsiTestBase {
    @Test
    void nameAndLunsInOrder() {
        assertThat(target.name()).isEqualTo(TARGET);
        assertThat(target.luns()).containsExactly(0L, 1L);
        assertThatThrownBy(() -> target.luns().add(5L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void refusesAZonedVolumeWithAZoneCapacityBelowItsZoneSizeNamingIt() throws Exception {
        ServerConfig.Volume config = ConfigLoader.parse("""
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: zns-vol, size: 4MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 768KiB}}
                subsystems:
                  - nqn: nqn.2026-01.org.copyoffload:unused
                    namespaces:
                      - {nsid: 1, volume: zns-vol}
                """.formatted(dir), "test").volumes().getFirst();
        try (MemoryBlockStore memory = new MemoryBlockStore(config.size());
             ZonedVolume zones = ZonedVolume.open(config, memory)) {
            Volume zoned = new Volume("zns-vol", memory, 4096, zones);
            assertThatThrownBy(() -> newTarget(Map.of(3L, zoned)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("zns-vol").hasMessageContaining("LUN 3")
                    .hasMessageContaining("zone capacity below its zone size");
        }
    }

    @Test
    void refusesLunsAndBlockSizesItCannotServe() {
        Volume v = new Volume("v", new MemoryBlockStore(1 << 20), 4096);
        assertThatThrownBy(() -> newTarget(Map.of(16384L, v))).hasMessageContaining("LUN 16384");
        assertThatThrownBy(() -> newTarget(Map.of(0L, new Volume("odd", new MemoryBlockStore(1 << 20), 520))))
                .hasMessageContaining("odd").hasMessageContaining("block size 520");
        assertThatThrownBy(() -> new ScsiTarget(" ", Map.of(), executor)).hasMessageContaining("name");
    }

    @Test
    void unknownOperationCodeIsInvalidCommandOperationCode() {
        byte[] cdb = new byte[10];
        cdb[0] = (byte) 0xC0; // vendor specific, not implemented
        SenseData s = run(LUN_4K, cdb).check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        assertThat(s.fieldPointer()).isEmpty();
        // SANITIZE is not implemented either.
        cdb[0] = (byte) 0x48;
        run(LUN_4K, cdb).check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
    }

    @Test
    void unknownServiceActionPointsAtTheServiceActionField() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) 0x9E;
        cdb[1] = 0x13; // GET PHYSICAL ELEMENT STATUS? not here
        run(LUN_4K, cdb).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        byte[] mi = new byte[12];
        mi[0] = (byte) 0xA3;
        mi[1] = 0x05; // REPORT IDENTIFYING INFORMATION
        run(LUN_4K, mi).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        // PERSISTENT RESERVE IN has service actions 00h-03h (libiscsi's PrinServiceactionRange tries the others).
        byte[] prin = new byte[10];
        prin[0] = (byte) 0x5E;
        prin[1] = 0x04;
        run(LUN_4K, prin).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        byte[] prout = new byte[10];
        prout[0] = (byte) 0x5F;
        prout[1] = 0x08; // REPLACE LOST RESERVATION (SPC-5): not here
        run(LUN_4K, prout).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
    }

    @Test
    void nacaIsRefusedPointingAtTheControlByte() {
        byte[] read10 = new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode();
        read10[9] = 0x04;
        run(LUN_4K, read10).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(9, 2));
        byte[] tur = tur();
        tur[5] = 0x04;
        run(LUN_4K, tur).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(5, 2));
    }

    @Test
    void aLunWithNoLogicalUnit() {
        // INQUIRY: PERIPHERAL QUALIFIER 011b, type 1Fh.
        byte[] inquiry = run(7, new InquiryCdb(false, 0, 255).encode()).good().data();
        assertThat(inquiry[0] & 0xFF).isEqualTo(0x7F);
        // REPORT LUNS answers at any LUN.
        byte[] luns = run(7, new ReportLunsCdb(0, 1024).encode()).good().data();
        assertThat(luns).hasSize(8 + 16);
        // REQUEST SENSE: GOOD with LOGICAL UNIT NOT SUPPORTED as its data.
        byte[] sense = run(7, new RequestSenseCdb(false, 252).encode()).good().data();
        assertThat(SenseData.decode(sense).additionalSense()).contains(AdditionalSense.LOGICAL_UNIT_NOT_SUPPORTED);
        // Anything else: CHECK CONDITION, LOGICAL UNIT NOT SUPPORTED, in fixed format.
        Result tur = run(7, tur());
        tur.check(AdditionalSense.LOGICAL_UNIT_NOT_SUPPORTED);
        assertThat(tur.senseBytes()[0] & 0x7F).isEqualTo(0x70);
        run(7, new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode())
                .check(AdditionalSense.LOGICAL_UNIT_NOT_SUPPORTED);
    }

    @Test
    void storeIoNeverRunsOnTheCallersThread() {
        write16(LUN_4K, 0, random(1, 8192));
        read16(LUN_4K, 0, 2);
        run(LUN_4K, new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}).good(); // SYNCHRONIZE CACHE (10)
        assertThat(store4k.ioThreads).isNotEmpty().doesNotContain(Thread.currentThread());
        assertThat(store4k.ioThreads).allMatch(Thread::isVirtual);
    }

    @Test
    void cheapCommandsCompleteAtOnce() {
        ByteBuf[] owned = new ByteBuf[1];
        CompletableFuture<ScsiResponse> f = submit(A, LUN_4K, new InquiryCdb(false, 0, 96).encode(), null, 96, true,
                false, owned);
        assertThat(f).isDone();
        collect(f).good();
    }

    @Test
    void aRefusingExecutorGivesBusyNotAnExceptionAndNoLeak() {
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        ScsiTarget t = new ScsiTarget(TARGET, Map.of(0L, new Volume("m", store4k, 4096)), dead);
        ByteBuf[] owned = new ByteBuf[1];
        ScsiTarget saved = target;
        target = t;
        try {
            // A write: it always needs the executor (a cached read may be answered without it).
            Result r = collect(submit(A, 0, new ReadWriteCdb(OperationCode.WRITE_10, 0, 4, 0, false, false).encode(),
                    new byte[16384], 16384, false, true, owned));
            assertThat(r.status()).isEqualTo(ScsiStatus.BUSY);
        } finally {
            target = saved;
            owned[0].release();
        }
    }

    @Test
    void storeErrorsAreMediumErrors() {
        store4k.failReads = true;
        run(LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode())
                .check(AdditionalSense.UNRECOVERED_READ_ERROR);
        store4k.failReads = false;
        store4k.failWrites = true;
        write(LUN_4K, new ReadWriteCdb(OperationCode.WRITE_10, 0, 1, 0, false, false).encode(), new byte[4096])
                .check(AdditionalSense.WRITE_ERROR);
        run(LUN_4K, new byte[] {0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0}).check(AdditionalSense.WRITE_ERROR);
        store4k.failWrites = false;
        assertThat(target.unit(LUN_4K).mediaErrors.sum()).isEqualTo(3);
    }
}
