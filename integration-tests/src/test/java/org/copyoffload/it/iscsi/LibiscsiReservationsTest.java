package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.copyoffload.it.iscsi.LibiscsiSuite.Outcome;
import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.copyoffload.it.iscsi.LibiscsiSuite.TestResult;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi's reservation families against our target: PrinReadKeys, PrinServiceactionRange, PrinReportCapabilities,
 * ProutRegister, ProutReserve, ProutClear, ProutPreempt and Reserve6 (27 tests; two initiator names, a second session
 * for the second I_T nexus), on a 4 KiB and on a 512-byte LU: all run, none skips, all pass on the 512-byte LU and
 * all but libiscsi's own half-block writes on the 4 KiB one. (The Sanitize.*Reserved tests need SANITIZE, which the
 * target does not have.)
 */
class LibiscsiReservationsTest {
    private static final String IQN = "iqn.2026-01.org.copyoffload:libiscsi-pr";
    private static final String INITIATOR_1 = "iqn.2026-01.org.copyoffload:libiscsi-pr-1";
    private static final String INITIATOR_2 = "iqn.2026-01.org.copyoffload:libiscsi-pr-2";
    private static final String[] FAMILIES = {"SCSI.PrinReadKeys", "SCSI.PrinServiceactionRange",
            "SCSI.PrinReportCapabilities", "SCSI.ProutRegister", "SCSI.ProutReserve", "SCSI.ProutClear",
            "SCSI.ProutPreempt", "SCSI.Reserve6"};

    @TempDir
    static Path dataDir;
    static CopyoffloadServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        IscsiTools.ensureInstalled();
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: four, size: 64MiB, block-size: 4096}
                  - {name: five, size: 64MiB, block-size: 512}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: four}, {lun: 1, volume: five}]
                """.formatted(dataDir, IQN);
        server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"));
        port = server.iscsiAddresses().getFirst().getPort();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * libiscsi 1.19's ProutReserve.Access* tests check that a nexus may write by sending WRITE (10) of one block with
     * 512 bytes of data-out (its verify_write_works hard-codes a 512-byte block): on a 4 KiB LU that command asks for
     * 4096 bytes and brings 512, which the target refuses with INVALID FIELD IN COMMAND INFORMATION UNIT (0Eh/03h), as
     * LIO refuses a write whose data-out does not match its CDB. Such a test failed for that alone when every
     * {@code [FAILED]} line it printed is that refusal: the reservation checks in it (reads and writes that must
     * conflict, READ RESERVATION) passed.
     */
    static boolean failedOnlyForAHalfBlockWrite(TestResult t) {
        List<String> failed = t.output().stream().filter(l -> l.contains("[FAILED]")).toList();
        return t.outcome() == Outcome.FAILED && t.name().startsWith("SCSI.ProutReserve.Access") && !failed.isEmpty()
                && failed.stream().allMatch(l -> l.contains("WRITE10 command: failed with sense")
                        && l.contains("(0x0e03)"));
    }

    @Test
    void reservationFamiliesPassWithoutSkipsOnBothBlockSizes() {
        for (int lun : new int[] {0, 1}) {
            IscsiUrl url = new IscsiUrl("127.0.0.1", port, IQN, lun);
            Result r = LibiscsiSuite.run(LibiscsiSuite.Options.of(url).withTests(FAMILIES).withDataloss(true)
                    .withMultipathUrl(url).withInitiatorNames(INITIATOR_1, INITIATOR_2)
                    .withTimeouts(Duration.ofMinutes(5), Duration.ofSeconds(60)).withName("ours-reservations-lun" + lun));
            System.out.printf("libiscsi reservation families, LUN %d: %s %s%n", lun, r.totals(), r.bySuite());
            assertThat(r.problems()).as(r.describe()).isEmpty();
            assertThat(r.tests()).as(r.describe()).hasSize(27);
            assertThat(r.tests()).as("skipped: " + r.describe()).noneMatch(t -> t.outcome() == Outcome.SKIPPED);
            if (lun == 1) {
                assertThat(r.totals()).as(r.describe()).isEqualTo(new LibiscsiSuite.Totals(27, 0, 0, 0, 0, 0));
            } else {
                // The 4 KiB LU: all pass but the six Access tests' 512-byte writes (see above).
                assertThat(r.tests()).as(r.describe()).filteredOn(t -> t.outcome() != Outcome.PASSED)
                        .allMatch(LibiscsiReservationsTest::failedOnlyForAHalfBlockWrite)
                        .hasSizeLessThanOrEqualTo(6);
            }
        }
    }
}
