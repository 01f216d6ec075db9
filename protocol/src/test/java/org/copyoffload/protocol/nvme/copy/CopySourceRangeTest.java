package org.copyoffload.protocol.nvme.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat.FORMAT_0;
import static org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat.FORMAT_1;
import static org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat.FORMAT_2;
import static org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat.FORMAT_3;

import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.List;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Source Range entries of all four descriptor formats against hand-placed bytes: SNSID 3:0 (2h/3h), SLBA 15:8,
 * NLB 17:16, CETYPE 18 bits 3:0, CEV 21:20, SOPT 23:22 (2h/3h); ELBT 27:24, ELBAT 29:28, ELBATM 31:30 (0h/2h);
 * ELBT 35:26 (80 bits), ELBAT 37:36, ELBATM 39:38 (1h/3h).
 */
class CopySourceRangeTest {

    @Test
    void format0FromHandPlacedBytes() {
        byte[] image = new Le(32)
                .u64(8, 0x0102030405060708L)  // SLBA
                .u16(16, 0x1234)              // NLB
                .u8(18, 0x07)                 // CETYPE
                .u16(20, 0xCE01)              // CEV
                .u32(24, 0xA1A2A3A4L)         // ELBT
                .u16(28, 0xB1B2)              // ELBAT
                .u16(30, 0xC1C2)              // ELBATM
                .array();
        CopySourceRange r = Entries.decodeOne(image, FORMAT_0);
        assertThat(r.format()).isEqualTo(FORMAT_0);
        assertThat(r.snsid()).isZero();
        assertThat(r.slba()).isEqualTo(0x0102030405060708L);
        assertThat(r.nlb()).isEqualTo(0x1234);
        assertThat(r.blockCount()).isEqualTo(0x1235);
        assertThat(r.cetype()).isEqualTo(7);
        assertThat(r.cev()).isEqualTo(0xCE01);
        assertThat(r.sopt()).isZero();
        assertThat(r.elbtUpper()).isZero();
        assertThat(r.elbt()).as("QEMU: le32_to_cpu(reftag)").isEqualTo(0xA1A2A3A4L);
        assertThat(r.elbat()).isEqualTo(0xB1B2);
        assertThat(r.elbatm()).isEqualTo(0xC1C2);
        assertThat(r.hasReservedBitsSet()).isFalse();
        assertThat(r.firstReservedByteSet()).isEmpty();
        assertThat(Entries.encode(List.of(r))).isEqualTo(image);
    }

    @Test
    void format1FromHandPlacedBytes() {
        Le le = new Le(40)
                .u64(8, 0x1122334455667788L)
                .u16(16, 0xFFFE)
                .u8(18, 0x0A)
                .u16(20, 0x0102)
                .u16(36, 0xD1D2)              // ELBAT
                .u16(38, 0xE1E2);             // ELBATM
        for (int i = 0; i < 10; i++) {
            le.u8(26 + i, 0x10 + i);          // ELBT, bytes 26..35 = 10h..19h, byte 26 most significant
        }
        byte[] image = le.array();
        CopySourceRange r = Entries.decodeOne(image, FORMAT_1);
        assertThat(r.slba()).isEqualTo(0x1122334455667788L);
        assertThat(r.nlb()).isEqualTo(0xFFFE);
        assertThat(r.cetype()).isEqualTo(0xA);
        assertThat(r.cev()).isEqualTo(0x0102);
        assertThat(r.elbtUpper()).isEqualTo(0x1011);
        assertThat(r.elbt()).isEqualTo(0x1213141516171819L);
        long qemuReftag = 0;
        for (int i = 30; i < 36; i++) {
            qemuReftag = qemuReftag << 8 | (image[i] & 0xFF); // sr[4] << 40 | ... | sr[9]
        }
        assertThat(r.elbt() & 0xFFFF_FFFF_FFFFL).as("QEMU's 48-bit reference tag").isEqualTo(qemuReftag);
        assertThat(r.elbat()).isEqualTo(0xD1D2);
        assertThat(r.elbatm()).isEqualTo(0xE1E2);
        assertThat(r.hasReservedBitsSet()).isFalse();
        assertThat(Entries.encode(List.of(r))).isEqualTo(image);
    }

    @Test
    void format2FromHandPlacedBytes() {
        byte[] image = new Le(32)
                .u32(0, 0x00000009)           // SNSID
                .u64(8, 0x00000000DEADBEEFL)
                .u16(16, 0x0000)
                .u8(18, 0x01)
                .u16(20, 0x7777)
                .u16(22, 0x8000)              // SOPT: Fast Copy Only
                .u32(24, 0x01020304L)
                .u16(28, 0x0A0B)
                .u16(30, 0x0C0D)
                .array();
        CopySourceRange r = Entries.decodeOne(image, FORMAT_2);
        assertThat(r.snsid()).isEqualTo(9);
        assertThat(r.slba()).isEqualTo(0xDEADBEEFL);
        assertThat(r.blockCount()).isEqualTo(1);
        assertThat(r.cetype()).isEqualTo(1);
        assertThat(r.cev()).isEqualTo(0x7777);
        assertThat(r.sopt()).isEqualTo(0x8000);
        assertThat(r.fastCopyOnly()).isTrue();
        assertThat(r.elbt()).isEqualTo(0x01020304L);
        assertThat(r.elbat()).isEqualTo(0x0A0B);
        assertThat(r.elbatm()).isEqualTo(0x0C0D);
        assertThat(Entries.encode(List.of(r))).isEqualTo(image);
    }

    @Test
    void format3FromHandPlacedBytes() {
        Le le = new Le(40)
                .u32(0, 0x80000001L)
                .u64(8, 0x7FFFFFFFFFFFFFFFL)
                .u16(16, 0x00FF)
                .u8(18, 0x0F)
                .u16(20, 0xFFFF)
                .u16(22, 0x0001)              // SOPT without FCO
                .u16(36, 0x4242)
                .u16(38, 0x2424);
        for (int i = 0; i < 10; i++) {
            le.u8(26 + i, 0xF0 - i);
        }
        byte[] image = le.array();
        CopySourceRange r = Entries.decodeOne(image, FORMAT_3);
        assertThat(r.snsid()).isEqualTo(0x80000001);
        assertThat(r.slba()).isEqualTo(Long.MAX_VALUE);
        assertThat(r.blockCount()).isEqualTo(256);
        assertThat(r.cetype()).isEqualTo(0xF);
        assertThat(r.cev()).isEqualTo(0xFFFF);
        assertThat(r.sopt()).isEqualTo(1);
        assertThat(r.fastCopyOnly()).isFalse();
        assertThat(r.elbtUpper()).isEqualTo(0xF0EF);
        assertThat(r.elbt()).isEqualTo(0xEEEDECEBEAE9E8E7L);
        assertThat(r.elbat()).isEqualTo(0x4242);
        assertThat(r.elbatm()).isEqualTo(0x2424);
        assertThat(Entries.encode(List.of(r))).isEqualTo(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CopyDescriptorFormat.class)
    void boundaryValues(CopyDescriptorFormat f) {
        boolean wide = f == FORMAT_1 || f == FORMAT_3;
        boolean cross = f == FORMAT_2 || f == FORMAT_3;
        CopySourceRange smallest = CopySourceRange.of(f, 0, 1);
        byte[] zeros = new byte[f.entrySize()];
        assertThat(Entries.encode(List.of(smallest))).as("NLB 0 = one block, all zero").isEqualTo(zeros);
        assertThat(Entries.decodeOne(zeros, f)).isEqualTo(smallest);
        assertThat(smallest.nlb()).isZero();

        CopySourceRange largest = (cross ? CopySourceRange.of(f, 0xFFFFFFFF, -1L, 65536) : CopySourceRange.of(f, -1L, 65536))
                .withExpectedTags(wide ? 0xFFFF : 0, wide ? -1L : 0xFFFFFFFFL, 0xFFFF, 0xFFFF)
                .withCommandExtension(0xF, 0xFFFF)
                .withSourceOptions(cross ? 0xFFFF : 0);
        assertThat(largest.nlb()).isEqualTo(0xFFFF);
        assertThat(largest.blockCount()).isEqualTo(65536);
        Le le = new Le(f.entrySize())
                .u64(8, -1L).u16(16, 0xFFFF).u8(18, 0x0F).u16(20, 0xFFFF);
        if (cross) {
            le.u32(0, 0xFFFFFFFFL).u16(22, 0xFFFF);
        }
        if (wide) {
            le.fill(26, 14, 0xFF);
        } else {
            le.fill(24, 8, 0xFF);
        }
        byte[] image = le.array();
        assertThat(Entries.encode(List.of(largest))).isEqualTo(image);
        CopySourceRange back = Entries.decodeOne(image, f);
        assertThat(back).isEqualTo(largest);
        assertThat(back.slba()).as("SLBA 2^64-1").isEqualTo(-1L);
        assertThat(Long.toUnsignedString(back.slba())).isEqualTo("18446744073709551615");
        if (cross) {
            assertThat(Integer.toUnsignedLong(back.snsid())).as("SNSID FFFFFFFFh").isEqualTo(0xFFFFFFFFL);
        }
        assertThat(back.hasReservedBitsSet()).isFalse();
    }

    /** Every reserved bit set: all of them come back, none is rejected, and they re-encode in place. */
    @ParameterizedTest(name = "{0}: reserved0 {1}, reserved18 {2}, first reserved byte {3}")
    @CsvSource({
            "FORMAT_0, 0xFFFFFFFFFFFFFFFF, 0x0000FFFF0000FFF0, 0",
            "FORMAT_1, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF0000FFF0, 0",
            "FORMAT_2, 0xFFFFFFFF00000000, 0x000000000000FFF0, 4",
            "FORMAT_3, 0xFFFFFFFF00000000, 0xFFFF00000000FFF0, 4"})
    void allOnesKeepsEveryReservedBit(CopyDescriptorFormat f, String reserved0, String reserved18, int first) {
        byte[] ones = new Le(f.entrySize()).fill(0, f.entrySize(), 0xFF).array();
        CopySourceRange r = Entries.decodeOne(ones, f);
        assertThat(r.reserved0()).isEqualTo(Long.parseUnsignedLong(reserved0.substring(2), 16));
        assertThat(r.reserved18()).isEqualTo(Long.parseUnsignedLong(reserved18.substring(2), 16));
        assertThat(r.hasReservedBitsSet()).isTrue();
        assertThat(r.firstReservedByteSet()).hasValue(first);
        assertThat(r.cetype()).as("byte 18 bits 3:0 only").isEqualTo(0xF);
        assertThat(Entries.encode(List.of(r))).isEqualTo(ones);
    }

    /** One reserved byte set alone is found at its offset, and the fields around it stay clean. */
    @ParameterizedTest(name = "{0} byte {1} = {2}")
    @CsvSource({
            "FORMAT_0, 0, 0x01",   // where 2h has SNSID
            "FORMAT_0, 3, 0x80",
            "FORMAT_0, 7, 0x01",
            "FORMAT_0, 18, 0x10",  // byte 18 bits 7:4
            "FORMAT_0, 19, 0x01",
            "FORMAT_0, 22, 0x01",  // where 2h has SOPT
            "FORMAT_0, 23, 0x80",
            "FORMAT_1, 3, 0x01",
            "FORMAT_1, 22, 0x01",
            "FORMAT_1, 24, 0x01",  // before the 80-bit ELBT
            "FORMAT_1, 25, 0x80",
            "FORMAT_2, 4, 0x01",
            "FORMAT_2, 18, 0x80",
            "FORMAT_2, 19, 0x40",
            "FORMAT_3, 6, 0x01",
            "FORMAT_3, 24, 0x01",
            "FORMAT_3, 25, 0x02"})
    void aLoneReservedByteIsKeptAndLocated(CopyDescriptorFormat f, int offset, String value) {
        byte[] image = new Le(f.entrySize()).u8(offset, Integer.decode(value)).array();
        CopySourceRange r = Entries.decodeOne(image, f);
        assertThat(r.firstReservedByteSet()).hasValue(offset);
        assertThat(r.snsid()).isZero();
        assertThat(r.sopt()).isZero();
        assertThat(r.cetype()).isZero();
        assertThat(r.elbt()).isZero();
        assertThat(r.elbtUpper()).isZero();
        assertThat(Entries.encode(List.of(r))).isEqualTo(image);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CopyDescriptorFormat.class)
    void shortDataIsDataSglLengthInvalid(CopyDescriptorFormat f) {
        for (int length : new int[] {0, 1, f.entrySize() - 1, 3 * f.entrySize() - 1}) {
            ByteBuf in = NvmeSamples.buf(new byte[length]);
            try {
                assertThatThrownBy(() -> CopySourceRange.decodeList(in, f, 3))
                        .as("%d bytes for 3 entries of %s", length, f)
                        .isInstanceOfSatisfying(CopyFieldException.class, e -> {
                            assertThat(e.value()).isEqualTo(length);
                            assertThat(e.status().is(StatusCode.DATA_SGL_LENGTH_INVALID)).isTrue();
                            assertThat(e.status().dnr()).isTrue();
                        });
            } finally {
                in.release();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(CopyDescriptorFormat.class)
    void longerDataIsReadFromTheReaderIndexAndTheRestIgnored(CopyDescriptorFormat f) {
        List<CopySourceRange> ranges = List.of(CopySourceRange.of(f, 10, 1), CopySourceRange.of(f, 20, 2),
                CopySourceRange.of(f, 30, 3));
        byte[] junkBefore = NvmeSamples.pattern(5, 1);
        byte[] junkAfter = NvmeSamples.pattern(f.entrySize() + 7, 2);
        ByteBuf in = NvmeSamples.buf(Le.concat(junkBefore, Entries.images(ranges), junkAfter));
        try {
            in.skipBytes(5);
            int reader = in.readerIndex();
            assertThat(CopySourceRange.decodeList(in, f, 3)).isEqualTo(ranges);
            assertThat(in.readerIndex()).as("indices left alone").isEqualTo(reader);
            assertThat(CopySourceRange.decodeList(in, f, 1)).containsExactly(ranges.getFirst());
        } finally {
            in.release();
        }
    }

    @Test
    void countsOutsideOneTo256AreRefused() {
        ByteBuf in = NvmeSamples.buf(new byte[40 * 257]);
        try {
            assertThatThrownBy(() -> CopySourceRange.decodeList(in, FORMAT_1, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CopySourceRange.decodeList(in, FORMAT_1, 257))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(CopySourceRange.decodeList(in, FORMAT_1, 256)).hasSize(256);
        } finally {
            in.release();
        }
        assertThatThrownBy(() -> CopySourceRange.encodeList(List.of())).isInstanceOf(IllegalArgumentException.class);
        List<CopySourceRange> tooMany = Collections.nCopies(257, CopySourceRange.of(0, 1));
        assertThatThrownBy(() -> CopySourceRange.encodeList(tooMany)).isInstanceOf(IllegalArgumentException.class);
        assertThat(CopySourceRange.listLength(FORMAT_3, 256)).isEqualTo(10240);
    }

    @Test
    void oneListHasOneFormat() {
        List<CopySourceRange> mixed = List.of(CopySourceRange.of(FORMAT_0, 0, 1), CopySourceRange.of(FORMAT_2, 1, 0, 1));
        assertThatThrownBy(() -> CopySourceRange.encodeList(mixed)).isInstanceOf(IllegalArgumentException.class);
        ByteBuf out = CopySourceRange.encodeList(List.of(CopySourceRange.of(FORMAT_1, 0, 1), CopySourceRange.of(FORMAT_1, 9, 9)));
        try {
            assertThat(out.readableBytes()).isEqualTo(80);
        } finally {
            out.release();
        }
    }

    @Test
    void constructorRefusesFieldsTheFormatLacks() {
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withSourceNamespace(1))
                .as("SNSID in 0h").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_1, 0, 1).withSourceOptions(0x8000))
                .as("SOPT in 1h").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_2, 1, 0, 1).withExpectedTags(1, 0, 0, 0))
                .as("80-bit tag in 2h").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withExpectedTags(0, 0x1_0000_0000L, 0, 0))
                .as("33-bit tag in 0h").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_2, 1, 0, 1).withReserved(0xFFL, 0))
                .as("reserved over SNSID").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withReserved(0, 0x0FL))
                .as("reserved over CETYPE").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withReserved(0, 0xFFFF0000L))
                .as("reserved over CEV").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_2, 1, 0, 1).withReserved(0, 0xFFFF_0000_0000L))
                .as("reserved over SOPT").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withReserved(0, 0xFFFF_0000_0000_0000L))
                .as("reserved over ELBT").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(0, 65537)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CopySourceRange.of(FORMAT_0, 0, 1).withCommandExtension(16, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0}: 0h {1}+{2}, 1h {3}+{4}, 2h {5}+{6}, 3h {7}+{8}")
    @CsvSource({
            "SNSID,  -1, 0,  -1, 0,  0, 4,  0, 4",
            "SLBA,    8, 8,   8, 8,  8, 8,  8, 8",
            "NLB,    16, 2,  16, 2, 16, 2, 16, 2",
            "CETYPE, 18, 1,  18, 1, 18, 1, 18, 1",
            "CEV,    20, 2,  20, 2, 20, 2, 20, 2",
            "SOPT,   -1, 0,  -1, 0, 22, 2, 22, 2",
            "ELBT,   24, 4,  26, 10, 24, 4, 26, 10",
            "ELBAT,  28, 2,  36, 2, 28, 2, 36, 2",
            "ELBATM, 30, 2,  38, 2, 30, 2, 38, 2"})
    void fieldOffsetsPerFormat(String name, int o0, int l0, int o1, int l1, int o2, int l2, int o3, int l3) {
        CopySourceRange.Field field = CopySourceRange.Field.valueOf(name);
        int[][] expected = {{o0, l0}, {o1, l1}, {o2, l2}, {o3, l3}};
        for (CopyDescriptorFormat f : CopyDescriptorFormat.values()) {
            int[] e = expected[f.code()];
            if (e[0] < 0) {
                assertThat(field.offset(f)).as("%s in %s", name, f).isEmpty();
            } else {
                assertThat(field.offset(f)).as("%s in %s", name, f).hasValue(e[0]);
            }
            assertThat(field.length(f)).as("%s length in %s", name, f).isEqualTo(e[1]);
        }
    }

    @Test
    void totalBlocksSumsCounts() {
        assertThat(CopySourceRange.totalBlocks(Collections.nCopies(256, CopySourceRange.of(0, 65536))))
                .isEqualTo(256L * 65536);
        assertThat(CopySourceRange.totalBlocks(List.of(CopySourceRange.of(0, 1), CopySourceRange.of(5, 7))))
                .isEqualTo(8);
    }
}
