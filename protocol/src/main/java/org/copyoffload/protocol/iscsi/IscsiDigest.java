package org.copyoffload.protocol.iscsi;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C header and data digests (RFC 7143 13.1). The 32-bit CRC value goes on the wire least significant
 * byte first, as the examples of RFC 3720 B.4 show: 32 zero bytes have CRC 0x8A9136AA, sent "aa 36 91 8a".
 * Linux does the same (the crc32c transform's output is little-endian).
 */
public final class IscsiDigest {
    public static final int LENGTH = 4;
    private static final byte[] ZEROS = new byte[3];

    private IscsiDigest() {
    }

    /** CRC32C of {@code length} bytes at {@code index}, whatever the buffer's reader index. */
    public static int crc32c(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, buf, index, length);
        return (int) crc.getValue();
    }

    /**
     * The data digest of a data segment: RFC 7143 13.1 includes the padding bytes, which are zero as this
     * codec sends them; the decoder digests the padding it received instead (see {@link #crc32c}).
     */
    public static int dataDigest(ByteBuf data, int index, int length) {
        CRC32C crc = new CRC32C();
        update(crc, data, index, length);
        crc.update(ZEROS, 0, padding(length));
        return (int) crc.getValue();
    }

    /** Bytes of padding after a data segment of {@code length} bytes, to a 4-byte boundary (RFC 7143 11.2.3). */
    public static int padding(int length) {
        return -length & 3;
    }

    private static void update(CRC32C crc, ByteBuf buf, int index, int length) {
        if (length == 0) {
            return;
        }
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        }
    }
}
