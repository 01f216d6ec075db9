package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi 1.20's copy families against our target: Debian 13's {@code iscsi-test-cu} inside the kernel 6.12 guest
 * runs SCSI.ExtendedCopy (7 tests: 1.20 adds Large, a 0Ah segment of MAXIMUM SEGMENT LENGTH) and
 * SCSI.ReceiveCopyResults (2) on a 4 KiB and a 512-byte LU; every test must run and pass, none skip. (The host's
 * libiscsi 1.19 has 6 + 2 of them: {@link LibiscsiAgainstOursTest#copyFamiliesPassWithoutSkips}.)
 */
class LibiscsiCopyInGuestTest {
    private static final String IQN = "iqn.2026-01.org.copyoffload:libiscsi-guest";
    private static final List<String> TESTS = List.of("ExtendedCopy.Simple", "ExtendedCopy.ParamHdr",
            "ExtendedCopy.DescrLimits", "ExtendedCopy.DescrType", "ExtendedCopy.ValidTgtDescr",
            "ExtendedCopy.ValidSegDescr", "ExtendedCopy.Large", "ReceiveCopyResults.CopyStatus",
            "ReceiveCopyResults.OpParams");

    @TempDir
    Path dataDir;

    @Test
    void copyFamiliesOfLibiscsi120RunAndPassOnBothBlockSizes() throws Exception {
        GuestVm.ensureAvailable();
        // 128 MiB at 512 bytes is the smallest LU on which Large copies a whole 64 MiB segment.
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: four, size: 256MiB, block-size: 4096}
                  - {name: five, size: 128MiB, block-size: 512}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0, advertise-address: %s}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: four}, {lun: 1, volume: five}]
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, IQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.iscsiAddresses().getFirst().getPort();
            String script = """
                    export URL=iscsi://%s:%d/%s
                    step version 'dpkg-query -W libiscsi-bin'
                    STEP_TIMEOUT=240 step lun0 'iscsi-test-cu --dataloss --test=SCSI.ExtendedCopy,SCSI.ReceiveCopyResults \
                      -i iqn.2026-01.org.copyoffload:guest-a -I iqn.2026-01.org.copyoffload:guest-b $URL/0'
                    STEP_TIMEOUT=240 step lun1 'iscsi-test-cu --dataloss --test=SCSI.ExtendedCopy,SCSI.ReceiveCopyResults \
                      -i iqn.2026-01.org.copyoffload:guest-a -I iqn.2026-01.org.copyoffload:guest-b $URL/1'
                    """.formatted(GuestVm.HOST_ADDRESS, port, IQN);
            GuestRun run = GuestVm.run(GuestVm.Dist.TRIXIE, script, Duration.ofMinutes(8)).requireDone();
            String log = run.describe();
            assertThat(run.ok("version").output()).as(log).contains("1.20");
            for (String lun : List.of("lun0", "lun1")) {
                CunitOutput.Parsed p = CunitOutput.parse(run.step(lun).output());
                assertThat(p.completed()).as(lun + "\n" + log).isTrue();
                assertThat(p.inconsistencies()).as(lun).isEmpty();
                assertThat(p.tests()).as(lun + "\n" + log)
                        .extracting(t -> t.suite() + "." + t.test() + " " + t.verdict())
                        .containsExactlyInAnyOrderElementsOf(TESTS.stream().map(t -> t + " PASSED").toList());
                System.out.printf("libiscsi 1.20 in the 6.12 guest, %s: %d tests, all passed%n", lun,
                        p.tests().size());
            }
        }
    }
}
