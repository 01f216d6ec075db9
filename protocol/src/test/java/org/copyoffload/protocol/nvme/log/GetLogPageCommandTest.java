package org.copyoffload.protocol.nvme.log;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Get Log Page (NVMe Base 2.1, Figures 197-200): CDW10 LID 7:0, LSP 14:8, RAE 15, NUMDL 31:16; CDW11 NUMDU
 * 15:0, LSI 31:16; CDW12/13 LPOL/LPOU; CDW14 UUID index 6:0, OT 23, CSI 31:24.
 */
class GetLogPageCommandTest {

    static SubmissionQueueEntry sqe(int lid, int lsp, boolean rae, int numdl, int numdu, int lsi, long offset,
                                    int uuid, boolean ot, int csi) {
        byte[] bytes = new Le(64).u8(0, 0x02).u8(1, 0x40).u32(4, 0xFFFFFFFFL)
                .u8(40, lid).u8(41, lsp | (rae ? 0x80 : 0)).u16(42, numdl)
                .u16(44, numdu).u16(46, lsi)
                .u64(48, offset)
                .u8(56, uuid).u8(58, ot ? 0x80 : 0).u8(59, csi)
                .array();
        ByteBuf b = NvmeSamples.buf(bytes);
        try {
            return SubmissionQueueEntry.decode(b, 0);
        } finally {
            b.release();
        }
    }

    @Test
    void everyFieldFromHandPlacedBytes() {
        GetLogPageCommand c = GetLogPageCommand.from(sqe(0x70, 0x7F, true, 0xFFFF, 0x0001, 0xBEEF, 0x123456789AL,
                0x7F, true, 0x02));
        assertThat(c.lid()).isEqualTo(0x70);
        assertThat(c.lsp()).isEqualTo(0x7F);
        assertThat(c.rae()).isTrue();
        assertThat(c.numberOfDwords()).as("NUMDU:NUMDL 0001FFFFh, 0's based").isEqualTo(0x20000);
        assertThat(c.lengthBytes()).isEqualTo(0x80000);
        assertThat(c.lsi()).isEqualTo(0xBEEF);
        assertThat(c.offset()).as("offset above 4 GiB").isEqualTo(0x123456789AL);
        assertThat(c.uuidIndex()).isEqualTo(0x7F);
        assertThat(c.offsetIsIndex()).isTrue();
        assertThat(c.csi()).isEqualTo(0x02);
    }

    @ParameterizedTest(name = "NUMDL {0}, NUMDU {1} -> {2} dwords")
    @CsvSource({
            "0x0000, 0x0000, 1",
            "0x03FF, 0x0000, 1024",
            "0xFFFF, 0x0000, 65536",
            "0x0000, 0x0001, 65537",
            "0xFFFF, 0xFFFF, 4294967296"})
    void numdlAndNumduMakeOneZeroBasedCount(String numdl, String numdu, long dwords) {
        GetLogPageCommand c = GetLogPageCommand.from(sqe(2, 0, false, Integer.decode(numdl), Integer.decode(numdu), 0,
                0, 0, false, 0));
        assertThat(c.numberOfDwords()).isEqualTo(dwords);
        assertThat(c.lengthBytes()).isEqualTo(dwords * 4);
        assertThat(c.rae()).isFalse();
        assertThat(c.lsp()).isZero();
    }

    @Test
    void fieldsDoNotBleedIntoEachOther() {
        GetLogPageCommand c = GetLogPageCommand.from(sqe(0xFF, 0, false, 0, 0, 0, 0xFFFFFFFFFFFFFFFFL, 0, false, 0));
        assertThat(c.lid()).isEqualTo(0xFF);
        assertThat(c.lsp()).isZero();
        assertThat(c.offset()).isEqualTo(-1L);
        GetLogPageCommand rae = GetLogPageCommand.from(sqe(0, 0, true, 0, 0, 0, 0, 0, false, 0));
        assertThat(rae.lsp()).as("RAE is bit 15, not part of LSP").isZero();
        assertThat(rae.rae()).isTrue();
    }

    @Test
    void toSqeMatchesTheLayout() {
        long offset = 0x1_0000_0200L;
        int length = 0x40000 + 8; // 65538 dwords: NUMDL 0001h, NUMDU 0001h
        SubmissionQueueEntry sqe = GetLogPageCommand.toSqe(0x55, 0xFFFFFFFF, 0x70, 0x01, offset, length, 0x02);
        ByteBuf b = NvmeSamples.buf(new byte[64]);
        try {
            sqe.encode(b, 0);
            byte[] bytes = ByteBufUtil.getBytes(b);
            assertThat(bytes[0]).isEqualTo((byte) 0x02);
            assertThat(Le.readU16(bytes, 2)).isEqualTo(0x55);
            assertThat(Le.readU32(bytes, 4)).isEqualTo(0xFFFFFFFFL);
            assertThat(bytes[40]).as("LID").isEqualTo((byte) 0x70);
            assertThat(bytes[41]).as("LSP").isEqualTo((byte) 0x01);
            assertThat(Le.readU16(bytes, 42)).as("NUMDL").isEqualTo(0x0001);
            assertThat(Le.readU16(bytes, 44)).as("NUMDU").isEqualTo(0x0001);
            assertThat(Le.readU32(bytes, 48)).as("LPOL").isEqualTo(0x200);
            assertThat(Le.readU32(bytes, 52)).as("LPOU").isEqualTo(1);
            assertThat(bytes[59]).as("CSI").isEqualTo((byte) 0x02);
        } finally {
            b.release();
        }
        assertThat(sqe.sgl()).isEqualTo(SglDescriptor.transport(length));
        GetLogPageCommand c = GetLogPageCommand.from(sqe);
        assertThat(c.lengthBytes()).isEqualTo(length);
        assertThat(c.offset()).isEqualTo(offset);
        assertThat(c.lid()).isEqualTo(0x70);
        assertThat(c.lsp()).isEqualTo(1);
        assertThat(c.csi()).isEqualTo(2);
    }

    @Test
    void logPageIds() {
        assertThat(LogPageId.SUPPORTED_LOG_PAGES).isEqualTo(0x00);
        assertThat(LogPageId.ERROR_INFORMATION).isEqualTo(0x01);
        assertThat(LogPageId.SMART_HEALTH).isEqualTo(0x02);
        assertThat(LogPageId.FIRMWARE_SLOT).isEqualTo(0x03);
        assertThat(LogPageId.CHANGED_NAMESPACE_LIST).isEqualTo(0x04);
        assertThat(LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS).isEqualTo(0x05);
        assertThat(LogPageId.DISCOVERY).isEqualTo(0x70);
    }
}
