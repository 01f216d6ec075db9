package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.copyoffload.it.iscsi.LibiscsiSuite.Outcome;
import org.copyoffload.it.iscsi.LibiscsiSuite.Result;
import org.copyoffload.it.iscsi.LibiscsiSuite.TestResult;
import org.junit.jupiter.api.Test;

class SuiteTableTest {

    private static Result result(String url, TestResult... tests) {
        LibiscsiSuite.Options o = LibiscsiSuite.Options.of(IscsiUrl.parse(url))
                .withTests("SCSI.ExtendedCopy", "SCSI.ReceiveCopyResults").withDataloss(true);
        return new Result("r", o, List.of(tests), List.of(), List.of(), Path.of("r.log"), Duration.ofMillis(1500));
    }

    private static TestResult t(String name, Outcome o, String... lines) {
        return o == Outcome.FAILED ? new TestResult(name, o, List.of(lines), List.of())
                : new TestResult(name, o, List.of(), List.of(lines));
    }

    /** The cells after the first of the table row whose first cell is {@code first}, trimmed (escaped pipes kept). */
    private static List<String> row(String md, String first) {
        for (String line : md.split("\n")) {
            String[] cells = line.split("(?<!\\\\)\\|", -1);
            if (cells.length > 2 && cells[1].strip().equals(first)) {
                return java.util.Arrays.stream(cells, 2, cells.length - 1).map(String::strip).toList();
            }
        }
        throw new AssertionError("no row " + first + " in\n" + md);
    }

    @Test
    void sideBySideTotalsPerSuiteAndMarksDifferences() {
        Result ours = result("iscsi://127.0.0.1:3260/iqn.2026-01.org.copyoffload:x/0",
                t("SCSI.ExtendedCopy.Simple", Outcome.PASSED),
                t("SCSI.ExtendedCopy.ParamHdr", Outcome.FAILED, "test_extendedcopy_param.c:80  - CU_ASSERT_EQUAL(a|b,0)"),
                t("SCSI.ReceiveCopyResults.CopyStatus", Outcome.TIMED_OUT),
                t("SCSI.ReceiveCopyResults.OpParams", Outcome.PASSED));
        Result tgt = result("iscsi://127.0.0.1:3261/iqn.2026-01.org.copyoffload:tgt/1",
                t("SCSI.ExtendedCopy.Simple", Outcome.SKIPPED, "    [SKIPPED] EXTENDEDCOPY is not implemented."),
                t("SCSI.ExtendedCopy.ParamHdr", Outcome.SKIPPED, "    [SKIPPED] EXTENDEDCOPY is not implemented."),
                t("SCSI.ReceiveCopyResults.CopyStatus", Outcome.SKIPPED, "    [SKIPPED] no 8Fh"),
                t("SCSI.ReceiveCopyResults.OpParams", Outcome.PASSED));

        String md = SuiteTable.markdown("xcopy", List.of(new SuiteTable.Column("ours", ours),
                new SuiteTable.Column("tgt", tgt)));

        assertThat(row(md, "SCSI.ExtendedCopy")).containsExactly("2", "P 1 / F 1 / S 0", "P 0 / F 0 / S 2");
        assertThat(row(md, "SCSI.ReceiveCopyResults")).containsExactly("2", "P 1 / F 0 / S 0 / U 1", "P 1 / F 0 / S 1");
        assertThat(row(md, "**all**")).containsExactly("4", "**P 2 / F 1 / S 0 / U 1**", "**P 1 / F 0 / S 3**");
        assertThat(row(md, "**SCSI.ExtendedCopy.Simple**"))
                .containsExactly("PASSED", "SKIPPED: EXTENDEDCOPY is not implemented.");
        // A pipe inside a cell is escaped so the row keeps its columns.
        assertThat(row(md, "**SCSI.ExtendedCopy.ParamHdr**")).containsExactly(
                "FAILED: test_extendedcopy_param.c:80  - CU_ASSERT_EQUAL(a\\|b,0)",
                "SKIPPED: EXTENDEDCOPY is not implemented.");
        assertThat(row(md, "**SCSI.ReceiveCopyResults.CopyStatus**")).containsExactly("TIMED_OUT", "SKIPPED: no 8Fh");
        // Same outcome on both sides: not bold.
        assertThat(row(md, "SCSI.ReceiveCopyResults.OpParams")).containsExactly("PASSED", "PASSED");
        assertThat(md).contains("--dataloss");
    }

    @Test
    void aTestOnlyOneSideRanShowsADash() {
        Result a = result("iscsi://127.0.0.1:3260/iqn.x:a/0", t("SCSI.Read10.Simple", Outcome.PASSED));
        Result b = result("iscsi://127.0.0.1:3261/iqn.x:b/1", t("SCSI.Read16.Simple", Outcome.PASSED));
        String md = SuiteTable.markdown("t", List.of(new SuiteTable.Column("a", a), new SuiteTable.Column("b", b)));
        assertThat(row(md, "**SCSI.Read10.Simple**")).containsExactly("PASSED", "-");
        assertThat(row(md, "SCSI.Read16")).containsExactly("1", "-", "P 1 / F 0 / S 0");
    }
}
