package org.copyoffload.server.scsi;

import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;

/** Responses that need no I/O, complete at once on the caller's thread. */
final class Responses {
    static final CompletableFuture<ScsiResponse> GOOD = CompletableFuture.completedFuture(ScsiResponse.GOOD);

    private Responses() {
    }

    /**
     * GOOD with parameter data cut to the ALLOCATION LENGTH (SPC-5 4.2.5.6: the device server ends the transfer at
     * the allocation length or the data's end, whichever comes first, and that is not an error). The buffer wraps
     * the array; the receiver owns and releases it.
     */
    static CompletableFuture<ScsiResponse> dataIn(byte[] data, long allocationLength) {
        int length = (int) Math.min(data.length, allocationLength);
        return CompletableFuture.completedFuture(length == 0 ? ScsiResponse.GOOD
                : ScsiResponse.good(Unpooled.wrappedBuffer(data, 0, length)));
    }
}
