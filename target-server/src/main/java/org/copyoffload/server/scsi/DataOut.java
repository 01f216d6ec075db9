package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;

/** Moving data-out to the store and comparing it with what the store holds. */
final class DataOut {
    private DataOut() {
    }

    /**
     * Writes {@code length} bytes of {@code data} from its reader index (which does not move) at {@code offset}; a
     * buffer of several components goes to the store as one gathering write.
     */
    static void write(BlockStore store, long offset, ByteBuf data, int from, int length, boolean durable)
            throws IOException {
        if (data.nioBufferCount() == 1) {
            store.write(offset, data.nioBuffer(from, length), durable);
        } else {
            store.write(offset, data.nioBuffers(from, length), durable);
        }
    }

    /**
     * The index of the first byte where {@code actual} (all its remaining bytes) differs from {@code length} bytes
     * of {@code expected} at {@code from}; -1 if they are equal.
     */
    static long mismatch(ByteBuf expected, int from, ByteBuffer actual, int length) {
        int done = 0;
        for (ByteBuffer part : expected.nioBuffers(from, length)) {
            int n = part.remaining();
            int m = part.mismatch(actual.slice(actual.position() + done, n));
            if (m >= 0) {
                return done + m;
            }
            done += n;
        }
        return -1;
    }

    /** INVALID FIELD IN COMMAND INFORMATION UNIT: the data-out delivered does not fit the command. */
    static CheckCondition lengthMismatch(String command, long needed, int received) {
        return new CheckCondition(AdditionalSense.INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT,
                command + " needs " + needed + " bytes of data-out, received " + received);
    }
}
