package org.copyoffload.protocol.nvme.fabrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Property Get/Set (NVMe-oF 1.1, 3.4/3.5): ATTRIB in CDW10, OFST in CDW11, VALUE in CDW12-13. */
class PropertyCommandTest {

    static SubmissionQueueEntry sqe(int fctype, int attrib, int ofst, long value) {
        ByteBuf b = NvmeSamples.buf(new Le(64).u8(0, 0x7F).u8(4, fctype).u8(40, attrib).u32(44, ofst).u64(48, value)
                .array());
        try {
            return SubmissionQueueEntry.decode(b, 0);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "ATTRIB {0} -> {1} bytes")
    @CsvSource({"0x00, 4", "0x01, 8", "0x02, -1", "0x07, -1", "0xF8, 4", "0xF9, 8"})
    void sizeFromAttrib(String attrib, int size) {
        assertThat(PropertyCommand.from(sqe(0x04, Integer.decode(attrib), 0x14, 0), false).sizeBytes()).isEqualTo(size);
    }

    @Test
    void setCarriesA64BitValue() {
        PropertyCommand c = PropertyCommand.from(sqe(0x00, 1, ControllerRegisters.CC, 0xFEDCBA9880000001L), true);
        assertThat(c).isEqualTo(new PropertyCommand(true, 8, 0x14, 0xFEDCBA9880000001L));
    }

    @Test
    void toSqeMatchesTheLayout() {
        SubmissionQueueEntry set = new PropertyCommand(true, 8, 0x1C, 0x8000000000000001L).toSqe(9);
        SubmissionQueueEntry get = new PropertyCommand(false, 4, 0x08, 0).toSqe(10);
        ByteBuf b = NvmeSamples.buf(new byte[64]);
        try {
            set.encode(b, 0);
            byte[] bytes = ByteBufUtil.getBytes(b);
            assertThat(bytes[0] & 0xFF).isEqualTo(0x7F);
            assertThat(Le.readU16(bytes, 2)).isEqualTo(9);
            assertThat(bytes[4]).as("FCTYPE Property Set").isEqualTo((byte) 0x00);
            assertThat(bytes[40]).as("ATTRIB 8 bytes").isEqualTo((byte) 1);
            assertThat(Le.readU32(bytes, 44)).isEqualTo(0x1C);
            assertThat(Le.readU32(bytes, 48)).isEqualTo(1);
            assertThat(Le.readU32(bytes, 52)).isEqualTo(0x80000000L);
            get.encode(b, 0);
            bytes = ByteBufUtil.getBytes(b);
            assertThat(bytes[4]).as("FCTYPE Property Get").isEqualTo((byte) 0x04);
            assertThat(bytes[40]).isZero();
        } finally {
            b.release();
        }
        assertThat(PropertyCommand.from(set, true)).isEqualTo(new PropertyCommand(true, 8, 0x1C, 0x8000000000000001L));
        assertThat(PropertyCommand.from(get, false)).isEqualTo(new PropertyCommand(false, 4, 0x08, 0));
        assertThat(PropertyCommand.OFFSET_ATTRIB).isEqualTo(40);
        assertThat(PropertyCommand.OFFSET_OFST).isEqualTo(44);
    }
}
