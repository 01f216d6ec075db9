package org.copyoffload.protocol.nvme.tcp;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** CRC32C header and data digests (NVMe/TCP Transport 1.1, 3.6.2.2), stored little-endian on the wire. */
public final class Crc32cDigest {
    public static final int LENGTH = 4;

    private Crc32cDigest() {
    }

    public static int of(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        if (buf.nioBufferCount() == 1) {
            crc.update(buf.nioBuffer(index, length));
        } else {
            for (ByteBuffer part : buf.nioBuffers(index, length)) {
                crc.update(part);
            }
        }
        return (int) crc.getValue();
    }
}
