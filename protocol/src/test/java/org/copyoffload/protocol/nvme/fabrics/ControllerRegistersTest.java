package org.copyoffload.protocol.nvme.fabrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** CAP, VS, CC and CSTS bit fields (NVMe Base 2.1, Figures 36-41) and the property offsets (Figure 33). */
class ControllerRegistersTest {

    @Test
    void offsets() {
        assertThat(ControllerRegisters.CAP).isEqualTo(0x00);
        assertThat(ControllerRegisters.VS).isEqualTo(0x08);
        assertThat(ControllerRegisters.CC).isEqualTo(0x14);
        assertThat(ControllerRegisters.CSTS).isEqualTo(0x1C);
        assertThat(ControllerRegisters.NSSR).isEqualTo(0x20);
    }

    @Test
    void capabilitiesBitByBit() {
        long cap = ControllerRegisters.capabilities(0x7F, 0x1E, true, false, false);
        assertThat(cap & 0xFFFF).as("MQES 15:0").isEqualTo(0x7F);
        assertThat(cap >>> 16 & 1).as("CQR bit 16").isEqualTo(1);
        assertThat(cap >>> 17 & 3).as("AMS 18:17").isZero();
        assertThat(cap >>> 24 & 0xFF).as("TO 31:24").isEqualTo(0x1E);
        assertThat(cap >>> 32 & 0xF).as("DSTRD").isZero();
        assertThat(cap >>> 37 & 0xFF).as("CSS 44:37: NVM command set").isEqualTo(0x01);
        assertThat(cap >>> 48 & 0xF).as("MPSMIN 4 KiB").isZero();
        assertThat(cap >>> 52 & 0xF).as("MPSMAX 4 KiB").isZero();
        assertThat(cap).isEqualTo(0x7FL | 1L << 16 | 0x1EL << 24 | 1L << 37);
        assertThat(ControllerRegisters.mqes(cap)).isEqualTo(0x7F);
        assertThat(ControllerRegisters.capCss(cap)).isEqualTo(0x01);

        long ioSets = ControllerRegisters.capabilities(0xFFFF, 0xFF, true, true, false);
        assertThat(ioSets >>> 37 & 0xFF).as("CSS bit 6: I/O command sets").isEqualTo(0x41);
        assertThat(ioSets >>> 43 & 1).isEqualTo(1);
        assertThat(ControllerRegisters.mqes(ioSets)).isEqualTo(0xFFFF);
        assertThat(ioSets >>> 24 & 0xFF).isEqualTo(0xFF);

        long discovery = ControllerRegisters.capabilities(31, 1, false, false, true);
        assertThat(ControllerRegisters.capCss(discovery)).as("CSS bit 7: no I/O command set").isEqualTo(0x80);
        assertThat(discovery >>> 44 & 1).isEqualTo(1);
        assertThat(discovery >>> 45).as("nothing above CSS").isZero();
    }

    @Test
    void capabilitiesMaskOversizedArguments() {
        long cap = ControllerRegisters.capabilities(0x1FFFF, 0x1FF, false, false, false);
        assertThat(ControllerRegisters.mqes(cap)).isEqualTo(0xFFFF);
        assertThat(cap >>> 16 & 1).as("CQR not disturbed").isEqualTo(1);
        assertThat(cap >>> 17 & 0x7F).as("bits 23:17 not disturbed").isZero();
        assertThat(cap >>> 24 & 0xFF).isEqualTo(0xFF);
        assertThat(cap >>> 32).isZero();
    }

    @Test
    void version() {
        assertThat(ControllerRegisters.version(2, 1, 0)).isEqualTo(0x00020100);
        assertThat(ControllerRegisters.version(1, 4, 3)).isEqualTo(0x00010403);
    }

    @ParameterizedTest(name = "CC 0x{0}")
    @CsvSource({
            // cc, EN, CSS, MPS, SHN, IOSQES, IOCQES
            "00460001, true,  0, 0,  0, 6, 4",
            "00460061, true,  6, 0,  0, 6, 4",
            "00464071, true,  7, 0,  1, 6, 4",
            "00008000, false, 0, 0,  2, 0, 0",
            "00000780, false, 0, 15, 0, 0, 0",
            "00F0C070, false, 7, 0,  3, 0, 15",
            "000F0000, false, 0, 0,  0, 15, 0"})
    void ccFields(String hex, boolean en, int css, int mps, int shn, int iosqes, int iocqes) {
        int cc = Integer.parseUnsignedInt(hex, 16);
        assertThat(ControllerRegisters.ccEnable(cc)).isEqualTo(en);
        assertThat(ControllerRegisters.ccCss(cc)).isEqualTo(css);
        assertThat(ControllerRegisters.ccMps(cc)).isEqualTo(mps);
        assertThat(ControllerRegisters.ccShn(cc)).isEqualTo(shn);
        assertThat(ControllerRegisters.ccIosqes(cc)).isEqualTo(iosqes);
        assertThat(ControllerRegisters.ccIocqes(cc)).isEqualTo(iocqes);
    }

    @Test
    void ccBuilder() {
        int cc = ControllerRegisters.cc(true, ControllerRegisters.CC_CSS_ALL_IO_COMMAND_SETS, 6, 4);
        assertThat(cc).isEqualTo(0x00460061);
        assertThat(ControllerRegisters.cc(false, ControllerRegisters.CC_CSS_ADMIN_ONLY, 0, 0)).isEqualTo(0x70);
        assertThat(ControllerRegisters.cc(true, ControllerRegisters.CC_CSS_NVM, 6, 4)).isEqualTo(0x00460001);
    }

    @Test
    void cstsBits() {
        assertThat(ControllerRegisters.CSTS_RDY).isEqualTo(1);
        assertThat(ControllerRegisters.CSTS_CFS).isEqualTo(2);
        assertThat(ControllerRegisters.CSTS_SHST_OCCURRING).as("SHST 01b in bits 3:2").isEqualTo(0x4);
        assertThat(ControllerRegisters.CSTS_SHST_COMPLETE).as("SHST 10b in bits 3:2").isEqualTo(0x8);
    }
}
