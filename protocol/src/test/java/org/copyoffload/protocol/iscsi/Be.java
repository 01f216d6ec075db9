package org.copyoffload.protocol.iscsi;

import java.util.Arrays;

/**
 * A byte array filled in by hand at RFC offsets, big-endian (network order, RFC 7143 11.1). Tests build
 * expected wire images with it straight from the RFC's figures, independently of the code under test.
 */
final class Be {
    private final byte[] b;

    Be(int size) {
        b = new byte[size];
    }

    Be u8(int offset, int value) {
        b[offset] = (byte) value;
        return this;
    }

    Be u16(int offset, int value) {
        return u8(offset, value >>> 8).u8(offset + 1, value);
    }

    Be u24(int offset, int value) {
        return u8(offset, value >>> 16).u16(offset + 1, value);
    }

    Be u32(int offset, long value) {
        return u16(offset, (int) (value >>> 16)).u16(offset + 2, (int) value);
    }

    Be u48(int offset, long value) {
        return u16(offset, (int) (value >>> 32)).u32(offset + 2, value);
    }

    Be u64(int offset, long value) {
        return u32(offset, value >>> 32).u32(offset + 4, value);
    }

    Be bytes(int offset, byte[] value) {
        System.arraycopy(value, 0, b, offset, value.length);
        return this;
    }

    byte[] array() {
        return b.clone();
    }

    int size() {
        return b.length;
    }

    static byte[] hex(String text) {
        return java.util.HexFormat.of().parseHex(text.replaceAll("\\s", ""));
    }

    static byte[] concat(byte[]... parts) {
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

    static byte[] range(byte[] bytes, int from, int to) {
        return Arrays.copyOfRange(bytes, from, to);
    }
}
