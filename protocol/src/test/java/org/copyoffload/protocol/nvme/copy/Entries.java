package org.copyoffload.protocol.nvme.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Le;

/**
 * Source Range entries written byte by byte at the offsets of the NVM Command Set field tables, independently of
 * {@link CopySourceRange}'s codec. Tag byte order as QEMU 10 reads it: the 32-bit ELBT, ELBAT and ELBATM
 * little-endian, the 80-bit ELBT of formats 1h/3h big-endian from byte 26.
 */
final class Entries {
    private Entries() {
    }

    /** {@code bytes} bytes of {@code value}, most significant first. */
    static Le be(Le le, int offset, long value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            le.u8(offset + i, (int) (value >>> (8 * (bytes - 1 - i))));
        }
        return le;
    }

    /** The entry image of {@code r}, reserved bits included. */
    static byte[] image(CopySourceRange r) {
        int code = r.format().code();
        boolean crossNamespace = code == 2 || code == 3;
        boolean wide = code == 1 || code == 3;
        Le le = new Le(wide ? 40 : 32);
        le.u64(0, r.reserved0());
        if (crossNamespace) {
            le.u32(0, Integer.toUnsignedLong(r.snsid()));
        }
        le.u64(8, r.slba()).u16(16, r.nlb());
        le.u64(18, r.reserved18());
        le.u8(18, (int) (r.reserved18() & 0xF0) | r.cetype());
        le.u16(20, r.cev());
        if (crossNamespace) {
            le.u16(22, r.sopt());
        }
        if (wide) {
            be(le, 26, r.elbtUpper(), 2);
            be(le, 28, r.elbt(), 8);
            le.u16(36, r.elbat()).u16(38, r.elbatm());
        } else {
            le.u32(24, r.elbt()).u16(28, r.elbat()).u16(30, r.elbatm());
        }
        return le.array();
    }

    static byte[] images(List<CopySourceRange> ranges) {
        return Le.concat(ranges.stream().map(Entries::image).toArray(byte[][]::new));
    }

    /** Encodes with the codec into a leak-tracked direct buffer and returns the bytes. */
    static byte[] encode(List<CopySourceRange> ranges) {
        return encode(ranges, Unpooled.directBuffer(8));
    }

    static byte[] encodeUntracked(List<CopySourceRange> ranges) {
        return encode(ranges, Unpooled.buffer(8));
    }

    private static byte[] encode(List<CopySourceRange> ranges, ByteBuf out) {
        try {
            CopySourceRange.encodeList(ranges, out);
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    static List<CopySourceRange> decode(byte[] bytes, CopyDescriptorFormat format, int count) {
        return decode(NvmeSamples.buf(bytes), format, count);
    }

    /**
     * Decodes from an untracked heap buffer: the seeded properties touch many thousands of bytes, and paranoid
     * leak detection records a stack trace on every access to a tracked buffer.
     */
    static List<CopySourceRange> decodeUntracked(byte[] bytes, CopyDescriptorFormat format, int count) {
        return decode(Unpooled.wrappedBuffer(bytes), format, count);
    }

    private static List<CopySourceRange> decode(ByteBuf in, CopyDescriptorFormat format, int count) {
        try {
            return CopySourceRange.decodeList(in, format, count);
        } finally {
            in.release();
        }
    }

    static CopySourceRange decodeOne(byte[] bytes, CopyDescriptorFormat format) {
        return decode(bytes, format, 1).getFirst();
    }
}
