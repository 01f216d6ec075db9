package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Selection as iscsi-test-cu 1.19 does it, on its own --list output. */
class LibiscsiCatalogueTest {

    private final LibiscsiCatalogue cat = LibiscsiCatalogue.parse(CunitOutputTest.resource("list-1.19.txt"));

    @Test
    void readsTheList() {
        assertThat(cat.all()).hasSize(615);
        assertThat(cat.families()).containsExactly("ALL", "SCSI", "iSCSI", "LINUX");
        assertThat(cat.contains("SCSI.ExtendedCopy.Simple")).isTrue();
        assertThat(cat.contains("SCSI.ExtendedCopy")).isFalse();
    }

    @Test
    void allIsEverySCSIAndiSCSITestOnceNamedByItsOwnFamily() {
        var all = cat.expand("ALL");
        assertThat(all).hasSize(230).doesNotHaveDuplicates().noneMatch(n -> n.startsWith("ALL."));
        assertThat(all.stream().filter(n -> n.startsWith("iSCSI."))).hasSize(15);
        assertThat(all).contains("SCSI.ExtendedCopy.Simple", "SCSI.ReceiveCopyResults.CopyStatus",
                "iSCSI.iSCSITMF.LUNResetSimpleAsync");
        assertThat(cat.canonical("ALL.Read10.Simple")).isEqualTo("SCSI.Read10.Simple");
        assertThat(cat.canonical("LINUX.Read10.Simple")).isEqualTo("LINUX.Read10.Simple");
    }

    @Test
    void familySuiteTestAndGlobs() {
        assertThat(cat.expand("SCSI.ExtendedCopy")).hasSize(6).allMatch(n -> n.startsWith("SCSI.ExtendedCopy."));
        assertThat(cat.expand("SCSI.ReceiveCopyResults")).containsExactly(
                "SCSI.ReceiveCopyResults.CopyStatus", "SCSI.ReceiveCopyResults.OpParams");
        assertThat(cat.expand("SCSI.TestUnitReady.Simple")).containsExactly("SCSI.TestUnitReady.Simple");
        assertThat(cat.expand("SCSI.Read1?")).allMatch(n -> n.matches("SCSI\\.Read1[0-6]\\..*"))
                .anyMatch(n -> n.startsWith("SCSI.Read10.")).anyMatch(n -> n.startsWith("SCSI.Read16."));
        assertThat(cat.expand("SCSI.Read1[!06]")).allMatch(n -> n.startsWith("SCSI.Read12."));
        assertThat(cat.expand("NoSuchFamily")).isEmpty();
    }

    @Test
    void aCommaListIsRegisteredFromTheEnd() {
        assertThat(cat.expand("SCSI.TestUnitReady,SCSI.ReceiveCopyResults.OpParams")).containsExactly(
                "SCSI.ReceiveCopyResults.OpParams", "SCSI.TestUnitReady.Simple");
        // Two selectors matching the same test: the tool runs it twice.
        assertThat(cat.expand("SCSI.TestUnitReady,ALL.TestUnitReady")).containsExactly(
                "SCSI.TestUnitReady.Simple", "SCSI.TestUnitReady.Simple");
    }

    @Test
    void selectorParts() {
        assertThat(LibiscsiCatalogue.selectorParts("SCSI")).containsExactly("SCSI", "*", "*");
        assertThat(LibiscsiCatalogue.selectorParts("SCSI.Read10")).containsExactly("SCSI", "Read10", "*");
        assertThat(LibiscsiCatalogue.selectorParts("SCSI.Read10.Simple")).containsExactly("SCSI", "Read10", "Simple");
        assertThatThrownBy(() -> LibiscsiCatalogue.parse("ALL\nSCSI\n")).isInstanceOf(IllegalArgumentException.class);
    }
}
