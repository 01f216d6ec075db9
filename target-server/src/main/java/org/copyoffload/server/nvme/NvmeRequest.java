package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * A command as the controller executes it: the SQE, the queue it came on, the data the host sent (null
 * when none; owned by the transport, valid until the command completes), the length of the host's
 * data buffer described by the SGL, and whether the transport can send read data straight from a file
 * ({@link FileData}; not when it must compute a data digest over it).
 */
public record NvmeRequest(SubmissionQueueEntry sqe, int qid, ByteBuf data, long transferLength, boolean fileDataAllowed) {

    public NvmeRequest(SubmissionQueueEntry sqe, int qid, ByteBuf data, long transferLength) {
        this(sqe, qid, data, transferLength, false);
    }

    /** Checks that the host's buffer is exactly as long as the command moves (as nvmet does). */
    public void requireTransferLength(long expected) {
        if (transferLength != expected) {
            throw new NvmeCommandException(StatusCode.DATA_SGL_LENGTH_INVALID,
                    "SGL describes " + transferLength + " bytes, the command moves " + expected);
        }
    }

    public int nsid() {
        return sqe.nsid();
    }
}
