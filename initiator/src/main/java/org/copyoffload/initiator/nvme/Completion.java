package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;

/**
 * The outcome of one command: its completion queue entry and the data the controller sent (an empty
 * buffer when none, or when the command failed). The receiver owns {@code data}: release it, or close
 * the completion.
 */
public record Completion(CompletionQueueEntry cqe, ByteBuf data) implements AutoCloseable {

    public NvmeStatus status() {
        return cqe.status();
    }

    public boolean isSuccess() {
        return cqe.status().isSuccess();
    }

    public int dw0() {
        return cqe.dw0();
    }

    public int dw1() {
        return cqe.dw1();
    }

    /** SQHD: how far the controller has consumed the submission queue. */
    public int sqHead() {
        return cqe.sqHead();
    }

    public int cid() {
        return cqe.cid();
    }

    /** Releases the data. */
    @Override
    public void close() {
        if (data.refCnt() > 0) {
            data.release();
        }
    }
}
