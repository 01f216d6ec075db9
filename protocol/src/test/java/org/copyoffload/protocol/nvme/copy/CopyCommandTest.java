package org.copyoffload.protocol.nvme.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * Copy command dwords. The expected positions are written out here from the field tables (NVM Command Set 1.1
 * Copy CDW12: NR 7:0, DESFMT 11:8, PRINFOR 15:12, CETYPE 19:16, DTYPE 23:20, STCW 24, STCR 25, PRINFOW 29:26,
 * FUA 30, LR 31; CDW13 CEV 15:0, DSPEC 31:16; CDW14 LBTL; CDW15 LBAT 15:0, LBATM 31:16; CDW3 LBTU; SDLBA in
 * CDW11:CDW10), not taken from the code under test.
 */
class CopyCommandTest {
    static final SglDescriptor SGL = SglDescriptor.transport(0x1400);

    static SubmissionQueueEntry decode(byte[] bytes) {
        ByteBuf b = NvmeSamples.buf(bytes);
        try {
            return SubmissionQueueEntry.decode(b, 0);
        } finally {
            b.release();
        }
    }

    static byte[] encode(SubmissionQueueEntry sqe) {
        ByteBuf b = NvmeSamples.buf(new byte[64]);
        try {
            sqe.encode(b, 0);
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** Opcode 19h, PSDT SGL, the CID and a transport SGL of 1400h bytes; every command field zero. */
    static Le base(int cid) {
        return new Le(64).u8(0, 0x19).u8(1, 0x40).u16(2, cid).u32(32, 0x1400).u8(39, 0x5A);
    }

    @Test
    void everyFieldFromHandPlacedBytes() {
        byte[] image = base(0xBEEF)
                .u32(4, 0x00000007)            // NSID
                .u32(8, 0x0BADF00DL)           // CDW2, reserved for Copy
                .u32(12, 0x11223344L)          // CDW3 LBTU
                .u64(40, 0x0123456789ABCDEFL)  // SDLBA
                .u8(48, 0x7F)                  // NR: 128 ranges
                .u8(49, 0xA3)                  // DESFMT 3h, PRINFOR Ah
                .u8(50, 0x25)                  // CETYPE 5h, DTYPE 2h
                .u8(51, 0x01 | 0x9 << 2 | 0x40 | 0x80) // STCW, STCR clear, PRINFOW 9h, FUA, LR
                .u16(52, 0xBEEF)               // CEV
                .u16(54, 0x1234)               // DSPEC
                .u32(56, 0xCAFEBABEL)          // LBTL
                .u16(60, 0x5555)               // LBAT
                .u16(62, 0xAAAA)               // LBATM
                .array();
        CopyCommand c = CopyCommand.from(decode(image));
        assertThat(c.nsid()).isEqualTo(7);
        assertThat(c.cdw2()).isEqualTo(0x0BADF00D);
        assertThat(c.lbtu()).isEqualTo(0x11223344);
        assertThat(c.sdlba()).isEqualTo(0x0123456789ABCDEFL);
        assertThat(c.nr()).isEqualTo(0x7F);
        assertThat(c.numberOfRanges()).isEqualTo(128);
        assertThat(c.desfmt()).isEqualTo(3);
        assertThat(c.descriptorFormat()).contains(CopyDescriptorFormat.FORMAT_3);
        assertThat(c.sourceRangeDataLength()).hasValue(128 * 40);
        assertThat(c.prinfor()).isEqualTo(0xA);
        assertThat(c.cetype()).isEqualTo(5);
        assertThat(c.dtype()).isEqualTo(2);
        assertThat(c.stcw()).isTrue();
        assertThat(c.stcr()).isFalse();
        assertThat(c.prinfow()).isEqualTo(9);
        assertThat(c.fua()).isTrue();
        assertThat(c.lr()).isTrue();
        assertThat(c.cev()).isEqualTo(0xBEEF);
        assertThat(c.dspec()).isEqualTo(0x1234);
        assertThat(c.lbtl()).isEqualTo(0xCAFEBABE);
        assertThat(c.logicalBlockTags()).isEqualTo(0x11223344CAFEBABEL);
        assertThat(c.lbat()).isEqualTo(0x5555);
        assertThat(c.lbatm()).isEqualTo(0xAAAA);
        assertThat(encode(c.toSqe(0xBEEF, SGL))).isEqualTo(image);
        assertThat(c.toSqe(0xBEEF).sgl()).as("default SGL: transport, NR+1 entries of 40 bytes")
                .isEqualTo(SglDescriptor.transport(5120));
    }

    /** Each field alone at its largest value, then at 1: only its own bits are set, at the spec's positions. */
    @ParameterizedTest(name = "{0} at byte {1} bit {2}, {3} bits")
    @CsvSource({
            "NSID,     4, 0, 32",
            "CDW2,     8, 0, 32",
            "LBTU,    12, 0, 32",
            "SDLBA,   40, 0, 64",
            "NR,      48, 0, 8",
            "DESFMT,  49, 0, 4",
            "PRINFOR, 49, 4, 4",
            "CETYPE,  50, 0, 4",
            "DTYPE,   50, 4, 4",
            "STCW,    51, 0, 1",
            "STCR,    51, 1, 1",
            "PRINFOW, 51, 2, 4",
            "FUA,     51, 6, 1",
            "LR,      51, 7, 1",
            "CEV,     52, 0, 16",
            "DSPEC,   54, 0, 16",
            "LBTL,    56, 0, 32",
            "LBAT,    60, 0, 16",
            "LBATM,   62, 0, 16"})
    void eachFieldAloneLandsAtItsBit(String name, int byteOffset, int bit, int width) {
        long max = width == 64 ? -1L : (1L << width) - 1;
        for (long value : new long[] {max, 1}) {
            CopyCommand c = with(CopyCommand.builder(), name, value).build();
            byte[] expected = base(0x0102).array();
            int from = byteOffset * 8 + bit;
            int bits = value == 1 ? 1 : width;
            for (int i = 0; i < bits; i++) {
                expected[(from + i) / 8] |= (byte) (1 << ((from + i) % 8));
            }
            byte[] actual = encode(c.toSqe(0x0102, SGL));
            assertThat(actual).as("%s = %x", name, value).isEqualTo(expected);
            assertThat(CopyCommand.from(decode(actual))).as("%s = %x decodes back", name, value).isEqualTo(c);
        }
        CopyCommand.Field field = CopyCommand.Field.valueOf(name);
        assertThat(field.byteOffset()).isEqualTo(byteOffset);
        assertThat(field.bitInByte()).isEqualTo(bit);
        assertThat(field.width()).isEqualTo(width);
        assertThat(field.parameterErrorLocation()).as("byte in 7:0, bit in 10:8").isEqualTo(byteOffset | bit << 8);
    }

    static CopyCommand.Builder with(CopyCommand.Builder b, String field, long v) {
        int i = (int) v;
        return switch (field) {
            case "NSID" -> b.nsid(i);
            case "CDW2" -> b.cdw2(i);
            case "LBTU" -> b.lbtu(i);
            case "SDLBA" -> b.sdlba(v);
            case "NR" -> b.nr(i);
            case "DESFMT" -> b.desfmt(i);
            case "PRINFOR" -> b.prinfor(i);
            case "CETYPE" -> b.cetype(i);
            case "DTYPE" -> b.dtype(i);
            case "STCW" -> b.stcw(v != 0);
            case "STCR" -> b.stcr(v != 0);
            case "PRINFOW" -> b.prinfow(i);
            case "FUA" -> b.fua(v != 0);
            case "LR" -> b.lr(v != 0);
            case "CEV" -> b.cev(i);
            case "DSPEC" -> b.dspec(i);
            case "LBTL" -> b.lbtl(i);
            case "LBAT" -> b.lbat(i);
            case "LBATM" -> b.lbatm(i);
            default -> throw new IllegalArgumentException(field);
        };
    }

    @Test
    void boundaryValues() {
        CopyCommand c = CopyCommand.builder().nsid(0xFFFFFFFF).sdlba(-1L).ranges(256)
                .descriptorFormat(CopyDescriptorFormat.FORMAT_1).logicalBlockTags(-1L).build();
        byte[] bytes = encode(c.toSqe(0xFFFF));
        assertThat(Le.readU32(bytes, 4)).isEqualTo(0xFFFFFFFFL);
        assertThat(Le.readU32(bytes, 40)).as("SDLBA low").isEqualTo(0xFFFFFFFFL);
        assertThat(Le.readU32(bytes, 44)).as("SDLBA high").isEqualTo(0xFFFFFFFFL);
        assertThat(bytes[48]).as("NR FFh = 256 ranges").isEqualTo((byte) 0xFF);
        assertThat(bytes[49]).isEqualTo((byte) 0x01);
        assertThat(Le.readU32(bytes, 32)).as("SGL length 256 x 40").isEqualTo(10240);
        assertThat(Le.readU32(bytes, 12)).as("LBTU").isEqualTo(0xFFFFFFFFL);
        assertThat(Le.readU32(bytes, 56)).as("LBTL").isEqualTo(0xFFFFFFFFL);
        CopyCommand back = CopyCommand.from(decode(bytes));
        assertThat(back).isEqualTo(c);
        assertThat(back.sdlbaUnsigned()).isEqualTo("18446744073709551615");
        assertThat(back.numberOfRanges()).isEqualTo(256);

        CopyCommand one = CopyCommand.builder().build();
        assertThat(one.nr()).isZero();
        assertThat(one.numberOfRanges()).isEqualTo(1);
        assertThat(one.descriptorFormat()).contains(CopyDescriptorFormat.FORMAT_0);
        assertThat(one.toSqe(1).sgl()).isEqualTo(SglDescriptor.transport(32));
    }

    @Test
    void reservedDescriptorFormatsDecodeAndSurvive() {
        for (int desfmt = 4; desfmt <= 0xF; desfmt++) {
            CopyCommand c = CopyCommand.builder().desfmt(desfmt).ranges(3).build();
            assertThat(c.descriptorFormat()).as("DESFMT %xh", desfmt).isEmpty();
            assertThat(c.sourceRangeDataLength()).isEmpty();
            SubmissionQueueEntry sqe = c.toSqe(9);
            assertThat(sqe.sgl()).isEqualTo(SglDescriptor.transport(0));
            assertThat(CopyCommand.from(decode(encode(sqe))).desfmt()).isEqualTo(desfmt);
        }
    }

    @Test
    void reservedCdw2AndTheNewerFieldsAreKept() {
        byte[] image = base(3).u32(8, 0x80000001L).u8(50, 0x0F).u8(51, 0x02).u16(52, 0x0001).array();
        CopyCommand c = CopyCommand.from(decode(image));
        assertThat(c.cdw2()).as("CDW2 is not a Copy field: kept for a checker").isEqualTo(0x80000001);
        assertThat(c.cetype()).isEqualTo(0xF);
        assertThat(c.stcr()).isTrue();
        assertThat(c.cev()).isEqualTo(1);
        assertThat(encode(c.toSqe(3, SGL))).isEqualTo(image);
    }

    @Test
    void prinfoBits() {
        assertThat(CopyCommand.PRINFO_PRACT).isEqualTo(0b1000);
        assertThat(CopyCommand.PRINFO_PRCHK_GUARD).isEqualTo(0b0100);
        assertThat(CopyCommand.PRINFO_PRCHK_APPLICATION_TAG).isEqualTo(0b0010);
        assertThat(CopyCommand.PRINFO_PRCHK_REFERENCE_TAG).isEqualTo(0b0001);
    }

    @Test
    void refusesOtherOpcodesAndOutOfRangeValues() {
        SubmissionQueueEntry write = SubmissionQueueEntry.builder(0x01).build();
        assertThatThrownBy(() -> CopyCommand.from(write)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().ranges(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().ranges(257)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().nr(256).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().desfmt(16).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().prinfow(16).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().dspec(0x10000).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopyCommand.builder().lbatm(-1).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toBuilderCopiesEverything() {
        CopyCommand c = CopyCommand.builder().nsid(1).cdw2(2).lbtu(3).sdlba(4).nr(5).desfmt(6).prinfor(7).cetype(8)
                .dtype(9).stcw(true).stcr(true).prinfow(10).fua(true).lr(true).cev(11).dspec(12).lbtl(13).lbat(14)
                .lbatm(15).build();
        assertThat(c.toBuilder().build()).isEqualTo(c);
    }
}
