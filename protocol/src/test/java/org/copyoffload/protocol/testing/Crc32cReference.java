package org.copyoffload.protocol.testing;

/** Bit-at-a-time CRC32C (Castagnoli, reflected polynomial 0x82F63B78): a reference independent of the code under test. */
public final class Crc32cReference {
    private Crc32cReference() {
    }

    public static int of(byte[] bytes, int offset, int length) {
        int crc = 0xFFFFFFFF;
        for (int i = offset; i < offset + length; i++) {
            crc ^= bytes[i] & 0xFF;
            for (int bit = 0; bit < 8; bit++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    public static int of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }
}
