package org.copyoffload.protocol.nvme.identify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Identify Namespace for the NVM command set (NVM Command Set 1.1, Figure 114), LBA formats (Figure 116) and
 * Namespace Identification Descriptors (NVMe Base 2.1, Figures 315/316), against hand-placed bytes.
 */
class IdentifyNamespaceTest {
    static final byte[] NGUID = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static final byte[] EUI64 = {(byte) 0xA1, (byte) 0xA2, (byte) 0xA3, (byte) 0xA4, (byte) 0xA5, (byte) 0xA6,
            (byte) 0xA7, (byte) 0xA8};

    static IdentifyNamespace sample() {
        return new IdentifyNamespace(0x0000_0123_4567_89ABL, 0x0000_0123_4567_0000L, 0x42L,
                IdentifyNamespace.NSFEAT_THIN_PROVISIONING | IdentifyNamespace.NSFEAT_OPTIMAL_PERFORMANCE,
                0x01, 0x02, 0x03, 0x04, 0x01, 0x80, IdentifyNamespace.DLFEAT_READ_ZEROES | IdentifyNamespace.DLFEAT_WRITE_ZEROES_DEALLOCATES,
                0x00FF, 0x007F, 0x0100, 7, 7, 255, 7, 15, 0xFFFF, 0xFFFF_FFFFL, 0xFF, 0x01020304, 0x01, 0x0203,
                NGUID, EUI64,
                List.of(new LbaFormat(0, 9, 2), new LbaFormat(8, 12, 0), new LbaFormat(0xFFFF, 0xFF, 3)));
    }

    static byte[] sampleBytes() {
        return new Le(4096)
                .u64(0, 0x0000_0123_4567_89ABL).u64(8, 0x0000_0123_4567_0000L).u64(16, 0x42)
                .u8(24, 0x11).u8(25, 2).u8(26, 0x01).u8(27, 0x02).u8(28, 0x03).u8(29, 0x04).u8(30, 0x01)
                .u8(32, 0x80).u8(33, 0x09).u16(34, 0x00FF).u16(36, 0x007F).u16(46, 0x0100)
                .u16(64, 7).u16(66, 7).u16(68, 255).u16(70, 7).u16(72, 15).u16(74, 0xFFFF).u32(76, 0xFFFF_FFFFL)
                .u8(80, 0xFF).u32(92, 0x01020304).u8(99, 0x01).u16(102, 0x0203)
                .bytes(104, NGUID).bytes(120, EUI64)
                // LBAF: MS 15:0, LBADS 23:16, RP 25:24
                .u32(128, 2 << 24 | 9 << 16).u32(132, 12 << 16 | 8).u32(136, 3 << 24 | 0xFF << 16 | 0xFFFF)
                .array();
    }

    @Test
    void encodesEveryByte() {
        ByteBuf b = sample().encode();
        try {
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(sampleBytes());
        } finally {
            b.release();
        }
    }

    @Test
    void decodesHandPlacedBytes() {
        ByteBuf b = NvmeSamples.buf(Le.concat(new byte[1], sampleBytes()));
        try {
            b.skipBytes(1);
            IdentifyNamespace decoded = IdentifyNamespace.decode(b);
            // the record's arrays compare by content here
            assertThat(decoded).usingRecursiveComparison().isEqualTo(sample());
            assertThat(decoded.nguid()).isEqualTo(NGUID);
            assertThat(decoded.eui64()).isEqualTo(EUI64);
            assertThat(decoded.mcl()).as("MCL is unsigned").isEqualTo(0xFFFF_FFFFL);
            assertThat(decoded.currentFormat()).isEqualTo(new LbaFormat(8, 12, 0));
            assertThat(decoded.currentFormat().blockSize()).isEqualTo(4096);
        } finally {
            b.release();
        }
    }

    @Test
    void sixteenFormatsAtMostAndNlbafIsZeroBased() {
        List<LbaFormat> sixteen = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sixteen.add(new LbaFormat(i, 9 + i % 4, i % 4));
        }
        IdentifyNamespace ns = withFormats(sixteen, 0x0F);
        ByteBuf b = ns.encode();
        try {
            assertThat((int) b.getUnsignedByte(25)).isEqualTo(15);
            assertThat(b.getIntLE(128 + 60)).isEqualTo(3 << 24 | 12 << 16 | 15);
            IdentifyNamespace decoded = IdentifyNamespace.decode(b);
            assertThat(decoded.lbaFormats()).isEqualTo(sixteen);
            assertThat(decoded.currentFormat()).isEqualTo(sixteen.get(15));
            b.setByte(25, 63); // NLBAF beyond 16 (extended formats): the first 16 are read
            assertThat(IdentifyNamespace.decode(b).lbaFormats()).hasSize(16);
        } finally {
            b.release();
        }
        List<LbaFormat> seventeen = new ArrayList<>(sixteen);
        seventeen.add(LbaFormat.ofBlockSize(512));
        assertThatThrownBy(() -> withFormats(seventeen, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> withFormats(List.of(), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void identifiersAreCheckedAndCopied() {
        IdentifyNamespace s = sample();
        assertThatThrownBy(() -> new IdentifyNamespace(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, new byte[15], EUI64, s.lbaFormats())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IdentifyNamespace(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, NGUID, new byte[16], s.lbaFormats())).isInstanceOf(IllegalArgumentException.class);
        byte[] nguid = NGUID.clone();
        IdentifyNamespace ns = new IdentifyNamespace(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, nguid, EUI64, s.lbaFormats());
        nguid[0] = 99;
        assertThat(ns.nguid()[0]).isEqualTo((byte) 1);
        assertThatThrownBy(() -> ns.lbaFormats().add(LbaFormat.ofBlockSize(512)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aShortBufferIsRefused() {
        ByteBuf b = NvmeSamples.buf(new byte[100]);
        try {
            assertThatThrownBy(() -> IdentifyNamespace.decode(b)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "{0} bytes -> LBADS {1}")
    @CsvSource({"512, 9", "1024, 10", "4096, 12", "65536, 16"})
    void lbaFormatOfBlockSize(int size, int lbads) {
        LbaFormat f = LbaFormat.ofBlockSize(size);
        assertThat(f).isEqualTo(new LbaFormat(0, lbads, 0));
        assertThat(f.blockSize()).isEqualTo(size);
    }

    @Test
    void lbaFormatRejectsOddSizes() {
        for (int size : new int[] {0, 256, 511, 513, 1000, 4095, -4096}) {
            assertThatThrownBy(() -> LbaFormat.ofBlockSize(size)).as("%d", size)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    // ---- Namespace Identification Descriptor list (CNS 03h) ----

    @Test
    void descriptorListLayout() {
        byte[] uuid = new byte[16];
        for (int i = 0; i < 16; i++) {
            uuid[i] = (byte) (0xC0 + i);
        }
        List<NamespaceIdDescriptor> list = List.of(
                new NamespaceIdDescriptor(NamespaceIdDescriptor.EUI64, EUI64),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.NGUID, NGUID),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.UUID, uuid),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.CSI, new byte[] {2}));
        // NIDT(1) NIDL(1) reserved(2) NID(NIDL)
        byte[] expected = new Le(4096)
                .u8(0, 1).u8(1, 8).bytes(4, EUI64)
                .u8(12, 2).u8(13, 16).bytes(16, NGUID)
                .u8(32, 3).u8(33, 16).bytes(36, uuid)
                .u8(52, 4).u8(53, 1).u8(56, 2)
                .array();
        ByteBuf b = NamespaceIdDescriptor.encodeList(list);
        try {
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(expected);
        } finally {
            b.release();
        }
        ByteBuf in = NvmeSamples.buf(expected);
        try {
            assertThat(NamespaceIdDescriptor.decodeList(in)).isEqualTo(list);
        } finally {
            in.release();
        }
    }

    /** Found by NvmeStructuresFuzzTest#hostStructures: a descriptor running past the buffer was read out of bounds. */
    @Test
    void aDescriptorRunningPastTheEndIsRefused() {
        ByteBuf cut = NvmeSamples.buf(new Le(12).u8(0, 1).u8(1, 8).bytes(4, EUI64).array());
        ByteBuf past = NvmeSamples.buf(new Le(24).u8(0, 1).u8(1, 8).bytes(4, EUI64).u8(12, 2).u8(13, 16).array());
        try {
            assertThatThrownBy(() -> NamespaceIdDescriptor.decodeList(cut.slice(0, 10)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Namespace Identification Descriptor at byte 0: NIDL 8 runs past byte 10");
            assertThatThrownBy(() -> NamespaceIdDescriptor.decodeList(past))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Namespace Identification Descriptor at byte 12: NIDL 16 runs past byte 24");
        } finally {
            cut.release();
            past.release();
        }
    }

    @Test
    void descriptorListEndsAtAZeroLengthOrTheBufferEnd() {
        ByteBuf empty = NvmeSamples.buf(new byte[4096]);
        ByteBuf shortList = NvmeSamples.buf(new Le(12).u8(0, 1).u8(1, 8).bytes(4, EUI64).array());
        try {
            assertThat(NamespaceIdDescriptor.decodeList(empty)).isEmpty();
            assertThat(NamespaceIdDescriptor.decodeList(shortList))
                    .containsExactly(new NamespaceIdDescriptor(NamespaceIdDescriptor.EUI64, EUI64));
        } finally {
            empty.release();
            shortList.release();
        }
    }

    @Test
    void descriptorLengthsFollowTheType() {
        assertThatThrownBy(() -> new NamespaceIdDescriptor(1, new byte[16])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NamespaceIdDescriptor(2, new byte[8])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NamespaceIdDescriptor(3, new byte[8])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NamespaceIdDescriptor(4, new byte[2])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NamespaceIdDescriptor(5, new byte[1])).isInstanceOf(IllegalArgumentException.class);
        byte[] id = EUI64.clone();
        NamespaceIdDescriptor d = new NamespaceIdDescriptor(1, id);
        id[0] = 0;
        d.id()[1] = 0;
        assertThat(d.id()).isEqualTo(EUI64);
        assertThat(d).isEqualTo(new NamespaceIdDescriptor(1, EUI64.clone()));
        assertThat(d.hashCode()).isEqualTo(new NamespaceIdDescriptor(1, EUI64.clone()).hashCode());
    }

    private static IdentifyNamespace withFormats(List<LbaFormat> formats, int flbas) {
        return new IdentifyNamespace(1, 1, 1, 0, flbas, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                NGUID, EUI64, formats);
    }
}
