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

    /**
     * Checks that the host's buffer holds at least what the command needs; more is allowed and ignored (as nvmet's
     * {@code nvmet_check_data_len_lte}): Linux sends every Dataset Management with a buffer for 256 ranges, whatever NR.
     */
    public void requireTransferLengthAtLeast(long needed) {
        if (transferLength < needed) {
            throw new NvmeCommandException(StatusCode.DATA_SGL_LENGTH_INVALID,
                    "SGL describes " + transferLength + " bytes, the command needs " + needed);
        }
    }

    public int nsid() {
        return sqe.nsid();
    }
}
