package org.copyoffload.protocol.nvme.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.copyoffload.protocol.nvme.StatusCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Descriptor formats (NVM Command Set 1.1 Copy, TP4130): 0h/2h 32-byte entries, 1h/3h 40-byte entries; 2h/3h
 * name a source namespace. OCFS bit n and HBS CDFE bit n enable format n (QEMU: {@code ocfs & (1 << format)},
 * {@code hbs.cdfe & (1 << format)} for 2h/3h only).
 */
class CopyDescriptorFormatTest {

    @ParameterizedTest(name = "format {0}h: {1} bytes, SNSID {2}, wide tags {3}, OCFS {4}, CDFE {5}")
    @CsvSource({
            "0, 32, false, false, 0x1, 0x0",
            "1, 40, false, true,  0x2, 0x0",
            "2, 32, true,  false, 0x4, 0x4",
            "3, 40, true,  true,  0x8, 0x8"})
    void eachFormatsShape(int code, int size, boolean snsid, boolean wide, String ocfs, String cdfe) {
        CopyDescriptorFormat f = CopyDescriptorFormat.fromCode(code);
        assertThat(f.code()).isEqualTo(code);
        assertThat(f.entrySize()).isEqualTo(size);
        assertThat(f.namesSourceNamespace()).isEqualTo(snsid);
        assertThat(f.requiresHostEnable()).isEqualTo(snsid);
        assertThat(f.hasWideTags()).isEqualTo(wide);
        assertThat(f.ocfsBit()).isEqualTo(Integer.decode(ocfs));
        assertThat(f.cdfeBit()).isEqualTo(Integer.decode(cdfe));
        assertThat(CopyDescriptorFormat.lookup(code)).contains(f);
    }

    @ParameterizedTest(name = "DESFMT {0}h is reserved")
    @ValueSource(ints = {4, 5, 7, 8, 0xE, 0xF, -1, 16})
    void reservedFormatsAreInvalidField(int code) {
        assertThat(CopyDescriptorFormat.lookup(code)).isEmpty();
        assertThatThrownBy(() -> CopyDescriptorFormat.fromCode(code))
                .isInstanceOfSatisfying(CopyFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("DESFMT");
                    assertThat(e.value()).isEqualTo(code);
                    assertThat(e.status().is(StatusCode.INVALID_FIELD_IN_COMMAND)).isTrue();
                    assertThat(e.status().dnr()).isTrue();
                });
    }

    @Test
    void enablingNeedsOcfsAndForCrossNamespaceFormatsCdfe() {
        int ocfs = CopyDescriptorFormat.ocfsOf(CopyDescriptorFormat.values());
        assertThat(ocfs).isEqualTo(0xF);
        assertThat(CopyDescriptorFormat.FORMAT_0.isEnabled(ocfs, 0)).isTrue();
        assertThat(CopyDescriptorFormat.FORMAT_1.isEnabled(ocfs, 0)).isTrue();
        assertThat(CopyDescriptorFormat.FORMAT_2.isEnabled(ocfs, 0)).as("2h needs CDFE bit 2").isFalse();
        assertThat(CopyDescriptorFormat.FORMAT_2.isEnabled(ocfs, 0x4)).isTrue();
        assertThat(CopyDescriptorFormat.FORMAT_3.isEnabled(ocfs, 0x4)).as("3h needs CDFE bit 3").isFalse();
        assertThat(CopyDescriptorFormat.FORMAT_3.isEnabled(ocfs, 0x8)).isTrue();
        assertThat(CopyDescriptorFormat.FORMAT_2.isEnabled(0x1, 0xC)).as("CDFE without OCFS").isFalse();
        assertThat(CopyDescriptorFormat.FORMAT_0.isEnabled(0x2, 0)).isFalse();
        assertThat(CopyDescriptorFormat.ocfsOf(CopyDescriptorFormat.FORMAT_0, CopyDescriptorFormat.FORMAT_2))
                .isEqualTo(0x5);
        assertThat(CopyDescriptorFormat.IDENTIFY_CONTROLLER_OCFS_OFFSET).isEqualTo(534);
        assertThat(CopyDescriptorFormat.HOST_BEHAVIOR_CDFE_OFFSET).isEqualTo(4);
    }

    @Test
    void narrowFormatsSuit16bGuardOrNoPiAndWideFormats32bOr64bGuard() {
        for (CopyDescriptorFormat f : CopyDescriptorFormat.values()) {
            assertThat(f.suitsGuardFormat(0)).as("%s with 16b Guard or no PI", f).isEqualTo(!f.hasWideTags());
            assertThat(f.suitsGuardFormat(1)).as("%s with 32b Guard", f).isEqualTo(f.hasWideTags());
            assertThat(f.suitsGuardFormat(2)).as("%s with 64b Guard", f).isEqualTo(f.hasWideTags());
            assertThat(f.suitsGuardFormat(3)).as("%s with a reserved PIF", f).isFalse();
        }
    }
}
