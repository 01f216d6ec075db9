package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * One command from submission to completion: what to send, what has arrived, and the caller's future.
 * Owns {@code dataOut} until it goes out in-capsule or the command ends, and {@code dataIn} until it is
 * handed to the caller. Touched only on the queue's event loop after submission.
 */
final class PendingCommand {
    final SubmissionQueueEntry sqe;
    final int dataOutLength;
    final int dataInLength;
    final CompletableFuture<Completion> future = new CompletableFuture<>();
    ByteBuf dataOut;
    int cid = -1;
    ByteBuf dataIn;
    int received;
    boolean dataDigestError;

    PendingCommand(SubmissionQueueEntry sqe, ByteBuf dataOut, int dataInLength) {
        this.sqe = sqe;
        this.dataOut = dataOut;
        this.dataOutLength = dataOut == null ? 0 : dataOut.readableBytes();
        this.dataInLength = dataInLength;
    }

    /** Data still to be sent on R2T: present for writes that did not fit in the capsule. */
    boolean awaitsR2t() {
        return dataOut != null;
    }

    void releaseBuffers() {
        if (dataOut != null) {
            dataOut.release();
            dataOut = null;
        }
        if (dataIn != null) {
            dataIn.release();
            dataIn = null;
        }
    }

    void fail(Throwable cause) {
        releaseBuffers();
        future.completeExceptionally(cause);
    }
}
