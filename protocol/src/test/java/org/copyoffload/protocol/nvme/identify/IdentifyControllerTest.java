package org.copyoffload.protocol.nvme.identify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Identify Controller (NVMe Base 2.1, Figure 313) against all 4096 bytes placed by hand. */
class IdentifyControllerTest {
    static final String SUBNQN = "nqn.2025-01.org.copyoffload:subsystem";

    static IdentifyController sample() {
        return new IdentifyController(
                0x1B36, 0x1AF4, "SN-0001", "copyoffload virtual controller", "0.1",
                6, 0x123456, 0x0B, 5, 0x0102, 0x00020100, 0x00000900, 0x00000001, IdentifyController.CNTRLTYPE_IO,
                0x0004, 3, 4, 0x03, 0x07, 63, 1, 0x0157, 0x0173, 10,
                0x66, 0x44, 128, 1024, 0x019D, 1, 0x04, 0x07, 0x00FF, 0x000F,
                0x0003, 0x00100005, 1024, SUBNQN, 260, 1, 0x0203, 0x01, 1, 0x0001);
    }

    /** Every field at its spec offset; every other byte zero. */
    static byte[] sampleBytes() {
        return new Le(4096)
                .u16(0, 0x1B36).u16(2, 0x1AF4)
                .padded(4, 20, "SN-0001", ' ').padded(24, 40, "copyoffload virtual controller", ' ')
                .padded(64, 8, "0.1", ' ')
                .u8(72, 6).u24(73, 0x123456).u8(76, 0x0B).u8(77, 5).u16(78, 0x0102).u32(80, 0x00020100)
                .u32(92, 0x00000900).u32(96, 1).u8(111, 1)
                .u16(256, 0x0004).u8(258, 3).u8(259, 4).u8(260, 0x03).u8(261, 0x07).u8(262, 63).u8(263, 1)
                .u16(266, 0x0157).u16(268, 0x0173).u16(320, 10)
                .u8(512, 0x66).u8(513, 0x44).u16(514, 128).u32(516, 1024).u16(520, 0x019D).u16(522, 1)
                .u8(524, 0x04).u8(525, 0x07).u16(526, 0x00FF).u16(528, 0x000F).u16(534, 0x0003)
                .u32(536, 0x00100005).u32(540, 1024)
                .padded(768, 256, SUBNQN, '\0')
                .u32(1792, 260).u32(1796, 1).u16(1800, 0x0203).u8(1802, 0x01).u8(1803, 1).u16(1804, 0x0001)
                .array();
    }

    @Test
    void encodesEveryByte() {
        ByteBuf b = sample().encode();
        try {
            assertThat(b.readableBytes()).isEqualTo(4096);
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(sampleBytes());
        } finally {
            b.release();
        }
    }

    @Test
    void encodesAtTheWriterIndex() {
        ByteBuf b = NvmeSamples.buf(new byte[] {1, 2, 3});
        try {
            sample().encode(b);
            byte[] all = ByteBufUtil.getBytes(b);
            assertThat(all).hasSize(3 + 4096);
            assertThat(Arrays.copyOf(all, 3)).containsExactly(1, 2, 3);
            assertThat(Arrays.copyOfRange(all, 3, all.length)).isEqualTo(sampleBytes());
        } finally {
            b.release();
        }
    }

    @Test
    void decodesHandPlacedBytes() {
        ByteBuf b = NvmeSamples.buf(Le.concat(new byte[10], sampleBytes()));
        try {
            b.skipBytes(10);
            assertThat(IdentifyController.decode(b)).isEqualTo(sample());
        } finally {
            b.release();
        }
    }

    @Test
    void textFieldsAreSpacePaddedAsciiAndLengthChecked() {
        IdentifyController full = withText("S".repeat(20), "M".repeat(40), "F".repeat(8));
        ByteBuf b = full.encode();
        try {
            assertThat(IdentifyController.decode(b)).isEqualTo(full);
        } finally {
            b.release();
        }
        assertThatThrownBy(() -> withText("S".repeat(21), "m", "f").encode()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SN");
        assertThatThrownBy(() -> withText("s", "M".repeat(41), "f").encode()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MN");
        assertThatThrownBy(() -> withText("s", "m", "F".repeat(9)).encode()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("FR");
    }

    @Test
    void subnqnIsNulPaddedAndLeavesRoomForTheTerminator() {
        IdentifyController longest = withSubnqn("q".repeat(255));
        ByteBuf b = longest.encode();
        try {
            assertThat(b.getByte(768 + 255)).isZero();
            assertThat(IdentifyController.decode(b).subnqn()).isEqualTo("q".repeat(255));
        } finally {
            b.release();
        }
        assertThatThrownBy(() -> withSubnqn("q".repeat(256)).encode()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aShortBufferIsRefused() {
        ByteBuf b = NvmeSamples.buf(new byte[4095]);
        try {
            assertThatThrownBy(() -> IdentifyController.decode(b)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "MDTS {0} -> {1} bytes")
    @CsvSource({"0, 0", "1, 8192", "5, 131072", "8, 1048576", "20, 4294967296"})
    void maxTransferBytes(int mdts, long bytes) {
        assertThat(withMdtsAndIoccsz(mdts, 4).maxTransferBytes()).isEqualTo(bytes);
    }

    @ParameterizedTest(name = "IOCCSZ {0} -> {1} in-capsule bytes")
    @CsvSource({"0, 0", "3, 0", "4, 0", "5, 16", "68, 1024", "260, 4096"})
    void inCapsuleDataBytes(int ioccsz, int bytes) {
        assertThat(withMdtsAndIoccsz(0, ioccsz).inCapsuleDataBytes()).isEqualTo(bytes);
    }

    @Test
    void constants() {
        assertThat(IdentifyController.CNTRLTYPE_IO).isEqualTo(1);
        assertThat(IdentifyController.CNTRLTYPE_DISCOVERY).isEqualTo(2);
        assertThat(IdentifyController.ONCS_COMPARE).isEqualTo(1);
        assertThat(IdentifyController.ONCS_DATASET_MANAGEMENT).isEqualTo(4);
        assertThat(IdentifyController.ONCS_WRITE_ZEROES).isEqualTo(8);
        assertThat(IdentifyController.ONCS_SAVE_FIELD).isEqualTo(16);
        assertThat(IdentifyController.ONCS_VERIFY).isEqualTo(0x80);
        assertThat(IdentifyController.ONCS_COPY).isEqualTo(0x100);
        assertThat(IdentifyController.LPA_SMART_PER_NAMESPACE).isEqualTo(1);
        assertThat(IdentifyController.LPA_COMMANDS_SUPPORTED_AND_EFFECTS).isEqualTo(2);
        assertThat(IdentifyController.LPA_EXTENDED_DATA).isEqualTo(4);
        assertThat(Cns.STRUCTURE_SIZE).isEqualTo(4096);
        assertThat(new int[] {Cns.NAMESPACE, Cns.CONTROLLER, Cns.ACTIVE_NAMESPACE_LIST, Cns.NAMESPACE_ID_DESCRIPTORS,
                Cns.IO_COMMAND_SET_NAMESPACE, Cns.IO_COMMAND_SET_CONTROLLER, Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST,
                Cns.IO_COMMAND_SET_INDEPENDENT_NAMESPACE, Cns.IO_COMMAND_SET_DATA_STRUCTURE})
                .containsExactly(0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08, 0x1C);
        assertThat(Cns.CSI_NVM).isZero();
        assertThat(Cns.CSI_ZONED).isEqualTo(2);
    }

    private static IdentifyController withText(String sn, String mn, String fr) {
        IdentifyController s = sample();
        return new IdentifyController(s.vid(), s.ssvid(), sn, mn, fr, s.rab(), s.ieeeOui(), s.cmic(), s.mdts(),
                s.cntlid(), s.version(), s.oaes(), s.ctratt(), s.cntrltype(), s.oacs(), s.acl(), s.aerl(), s.frmw(),
                s.lpa(), s.elpe(), s.npss(), s.wctemp(), s.cctemp(), s.kas(), s.sqes(), s.cqes(), s.maxcmd(), s.nn(),
                s.oncs(), s.fuses(), s.fna(), s.vwc(), s.awun(), s.awupf(), s.ocfs(), s.sgls(), s.mnan(), s.subnqn(),
                s.ioccsz(), s.iorcsz(), s.icdoff(), s.fcatt(), s.msdbd(), s.ofcs());
    }

    private static IdentifyController withSubnqn(String subnqn) {
        IdentifyController s = sample();
        return new IdentifyController(s.vid(), s.ssvid(), s.serialNumber(), s.modelNumber(), s.firmwareRevision(),
                s.rab(), s.ieeeOui(), s.cmic(), s.mdts(), s.cntlid(), s.version(), s.oaes(), s.ctratt(), s.cntrltype(),
                s.oacs(), s.acl(), s.aerl(), s.frmw(), s.lpa(), s.elpe(), s.npss(), s.wctemp(), s.cctemp(), s.kas(),
                s.sqes(), s.cqes(), s.maxcmd(), s.nn(), s.oncs(), s.fuses(), s.fna(), s.vwc(), s.awun(), s.awupf(),
                s.ocfs(), s.sgls(), s.mnan(), subnqn, s.ioccsz(), s.iorcsz(), s.icdoff(), s.fcatt(), s.msdbd(),
                s.ofcs());
    }

    private static IdentifyController withMdtsAndIoccsz(int mdts, int ioccsz) {
        IdentifyController s = sample();
        return new IdentifyController(s.vid(), s.ssvid(), s.serialNumber(), s.modelNumber(), s.firmwareRevision(),
                s.rab(), s.ieeeOui(), s.cmic(), mdts, s.cntlid(), s.version(), s.oaes(), s.ctratt(), s.cntrltype(),
                s.oacs(), s.acl(), s.aerl(), s.frmw(), s.lpa(), s.elpe(), s.npss(), s.wctemp(), s.cctemp(), s.kas(),
                s.sqes(), s.cqes(), s.maxcmd(), s.nn(), s.oncs(), s.fuses(), s.fna(), s.vwc(), s.awun(), s.awupf(),
                s.ocfs(), s.sgls(), s.mnan(), s.subnqn(), ioccsz, s.iorcsz(), s.icdoff(), s.fcatt(), s.msdbd(),
                s.ofcs());
    }
}
