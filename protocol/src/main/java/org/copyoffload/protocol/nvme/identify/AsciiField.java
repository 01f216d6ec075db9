package org.copyoffload.protocol.nvme.identify;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Fixed-width text fields of identify structures: ASCII padded with spaces (SN, MN, FR) or UTF-8 padded with NULs (NQNs). */
final class AsciiField {
    private AsciiField() {
    }

    static void writeSpacePadded(ByteBuf out, int index, int width, String value, String field) {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length > width) {
            throw new IllegalArgumentException(field + " is at most " + width + " characters: " + value);
        }
        for (int i = 0; i < width; i++) {
            out.setByte(index + i, i < bytes.length ? bytes[i] : ' ');
        }
    }

    static String readSpacePadded(ByteBuf in, int index, int width) {
        return in.toString(index, width, StandardCharsets.US_ASCII).stripTrailing();
    }

    static void writeNulPadded(ByteBuf out, int index, int width, String value, String field) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length >= width) {
            throw new IllegalArgumentException(field + " is at most " + (width - 1) + " bytes: " + value);
        }
        out.setBytes(index, bytes);
        out.setZero(index + bytes.length, width - bytes.length);
    }

    static String readNulPadded(ByteBuf in, int index, int width) {
        int end = index;
        while (end < index + width && in.getByte(end) != 0) {
            end++;
        }
        return in.toString(index, end - index, StandardCharsets.UTF_8);
    }
}
