package org.copyoffload.protocol.scsi;

/** Big-endian fields of byte arrays (SCSI's byte order, SPC-5 3.5.3). */
final class Be {
    private Be() {
    }

    static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }

    static int getShort(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    static int getInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | b[at + 3] & 0xFF;
    }

    static long getLong(byte[] b, int at) {
        return (long) getInt(b, at) << 32 | getInt(b, at + 4) & 0xFFFF_FFFFL;
    }

    /** {@code text} in {@code width} bytes of printable ASCII, left-aligned and padded with spaces (SPC-5 4.3.1). */
    static void putAscii(byte[] b, int at, int width, String text) {
        for (int i = 0; i < width; i++) {
            char c = i < text.length() ? text.charAt(i) : ' ';
            b[at + i] = (byte) (c >= 0x20 && c <= 0x7E ? c : '?');
        }
    }
}
