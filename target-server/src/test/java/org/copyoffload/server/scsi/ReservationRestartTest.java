package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.scsi.PersistentReservationType.EXCLUSIVE_ACCESS;
import static org.copyoffload.protocol.scsi.PersistentReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigException;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.volume.Volume;
import org.junit.jupiter.api.Test;

/**
 * Persistent reservations through a restart: with APTPL set the registrations, the reservation and PRgeneration
 * come back in a new target over the same state directory; with APTPL cleared nothing does; a corrupt state file stops
 * start-up with a message naming it.
 */
class ReservationRestartTest extends ReservationTestSupport {
    private Map<Long, Volume> volumes;

    @Override
    ScsiTarget newTarget(Map<Long, Volume> luns) {
        volumes = new LinkedHashMap<>(luns);
        return restart();
    }

    private ScsiTarget restart() {
        return new ScsiTarget(TARGET, volumes, executor, new CopyEngine(NvmeTarget.scratchStores(dir)), dir);
    }

    private List<Path> stateFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".pr")).toList();
        }
    }

    @Test
    void registrationsAndReservationSurviveARestartWithAptpl() throws IOException {
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0, 0xA, true).good();
        prOut(B, LUN_4K, ServiceAction.REGISTER, null, 0, 0xB, true).good();
        reserve(A, 0xA, EXCLUSIVE_ACCESS).good();
        assertThat(stateFiles()).hasSize(1);
        assertThat(stateFiles().getFirst().getFileName().toString())
                .isEqualTo("vol-4k." + target.unit(LUN_4K).serial() + ".pr");
        PersistentReserveInData.ReadKeys keys = readKeys(C);
        PersistentReserveInData.ReadReservation reservation = readReservation(C);

        target = restart();
        assertThat(readKeys(C)).isEqualTo(keys);
        assertThat(readReservation(C)).isEqualTo(reservation);
        assertThat(reservation.reservation()).contains(new PersistentReserveInData.Reservation(0xA, EXCLUSIVE_ACCESS));
        // The reservation is enforced again: B may not read, A may.
        assertThat(run(B, LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode()).status())
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        run(A, LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 0, 1, 0, false, false).encode()).good();
        // PTPL_C and PTPL_A.
        byte[] caps = prIn(A, LUN_4K, PersistentReserveInCdb.ServiceAction.REPORT_CAPABILITIES);
        assertThat(PersistentReserveInData.ReportCapabilities.decode(caps).persistThroughPowerLossCapable()).isTrue();
        assertThat(PersistentReserveInData.ReportCapabilities.decode(caps).persistThroughPowerLossActivated()).isTrue();
        // Changes after the restart persist too.
        prOut(A, ServiceAction.RELEASE, EXCLUSIVE_ACCESS, 0xA, 0).good();
        reserve(B, 0xB, WRITE_EXCLUSIVE_REGISTRANTS_ONLY).good();
        target = restart();
        assertThat(readReservation(C).reservation())
                .contains(new PersistentReserveInData.Reservation(0xB, WRITE_EXCLUSIVE_REGISTRANTS_ONLY));
        // The other logical unit has its own state: none.
        assertThat(PersistentReserveInData.ReadKeys.decode(prIn(C, LUN_512,
                PersistentReserveInCdb.ServiceAction.READ_KEYS)).keys()).isEmpty();
    }

    @Test
    void withoutAptplNothingSurvives() throws IOException {
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0, 0xA, false).good();
        reserve(A, 0xA, EXCLUSIVE_ACCESS).good();
        assertThat(stateFiles()).isEmpty();
        // APTPL on, then off again: the last REGISTER decides, and the file goes.
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0xA, 0xA1, true).good();
        assertThat(stateFiles()).hasSize(1);
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0xA1, 0xA2, false).good();
        assertThat(stateFiles()).isEmpty();
        target = restart();
        assertThat(readKeys(C)).isEqualTo(new PersistentReserveInData.ReadKeys(0, List.of()));
        assertThat(readReservation(C).reservation()).isEmpty();
    }

    @Test
    void corruptStateFileStopsStartUpNamingIt() throws IOException {
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0, 0xA, true).good();
        Path file = stateFiles().getFirst();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x40;
        Files.write(file, bytes);
        assertThatThrownBy(this::restart).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("corrupt");
        // A file of the right framing that names another target is refused as well.
        Files.delete(file);
        new ReservationFile(file, "iqn.2026-01.org.example:other").save(new ReservationState(1,
                Map.of(new ItNexus("iqn.x", 1, "iqn.2026-01.org.example:other", 1, 1), 5L), null, true));
        assertThatThrownBy(this::restart).hasMessageContaining(file.toString()).hasMessageContaining("not " + TARGET);
    }

    @Test
    void serverStartUpRefusesACorruptStateFile() throws IOException {
        Path data = dir.resolve("server");
        Files.createDirectories(data);
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: v, size: 1MiB, block-size: 512}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets:
                    - name: iqn.2026-01.org.copyoffload:restart
                      luns: [{lun: 0, volume: v}]
                """.formatted(data);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            assertThat(server.iscsiAddresses()).hasSize(1);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        // The state file of that LU, written as a host with APTPL would leave it, then damaged.
        Volume v = new Volume("v", new org.copyoffload.backends.store.MemoryBlockStore(1 << 20), 512);
        LogicalUnit unit = new LogicalUnit(0, v, "iqn.2026-01.org.copyoffload:restart", Limits.DEFAULT, executor, data);
        unit.reservations().register(A, 0, 0xA, false, true);
        Path file;
        try (Stream<Path> files = Files.list(data)) {
            file = files.filter(p -> p.toString().endsWith(".pr")).findFirst().orElseThrow();
        }
        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> CopyoffloadServer.start(ConfigLoader.parse(yaml, "test")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(file.toString())
                .hasMessageContaining("iscsi.targets.iqn.2026-01.org.copyoffload:restart");
    }
}
