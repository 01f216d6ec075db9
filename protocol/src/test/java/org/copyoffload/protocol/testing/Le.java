package org.copyoffload.protocol.testing;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A byte array filled in by hand at spec offsets, little-endian. Tests build expected wire images with it
 * straight from the specification's field tables, independently of the code under test.
 */
public final class Le {
    private final byte[] b;

    public Le(int size) {
        b = new byte[size];
    }

    public Le u8(int offset, int value) {
        b[offset] = (byte) value;
        return this;
    }

    public Le u16(int offset, int value) {
        return u8(offset, value).u8(offset + 1, value >>> 8);
    }

    public Le u24(int offset, int value) {
        return u16(offset, value).u8(offset + 2, value >>> 16);
    }

    public Le u32(int offset, long value) {
        for (int i = 0; i < 4; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    public Le u64(int offset, long value) {
        for (int i = 0; i < 8; i++) {
            b[offset + i] = (byte) (value >>> (8 * i));
        }
        return this;
    }

    public Le bytes(int offset, byte[] value) {
        System.arraycopy(value, 0, b, offset, value.length);
        return this;
    }

    public Le ascii(int offset, String value) {
        return bytes(offset, value.getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code width} bytes at {@code offset}: the text, then {@code pad} to the end of the field. */
    public Le padded(int offset, int width, String value, char pad) {
        Arrays.fill(b, offset, offset + width, (byte) pad);
        return bytes(offset, value.getBytes(StandardCharsets.UTF_8));
    }

    public Le fill(int offset, int length, int value) {
        Arrays.fill(b, offset, offset + length, (byte) value);
        return this;
    }

    public byte[] array() {
        return b.clone();
    }

    public int size() {
        return b.length;
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    public static byte[] le32(int value) {
        return new Le(4).u32(0, value).array();
    }

    public static long readU32(byte[] bytes, int offset) {
        long v = 0;
        for (int i = 3; i >= 0; i--) {
            v = (v << 8) | (bytes[offset + i] & 0xFF);
        }
        return v;
    }

    public static int readU16(byte[] bytes, int offset) {
        return (bytes[offset] & 0xFF) | (bytes[offset + 1] & 0xFF) << 8;
    }
}
