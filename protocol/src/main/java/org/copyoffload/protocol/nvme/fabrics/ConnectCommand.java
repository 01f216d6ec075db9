package org.copyoffload.protocol.nvme.fabrics;

import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * The fields of a Fabrics Connect command (NVMe over Fabrics 1.1, 3.3, Figure 20): record format, queue
 * id, SQSIZE (0's based), connect attributes and the keep alive timeout in milliseconds.
 */
public record ConnectCommand(int recfmt, int qid, int sqsize, int cattr, int kato) {
    /** CATTR bit 2: the host disables SQ flow control, so SQHD is not reported. */
    public static final int CATTR_DISABLE_SQ_FLOW_CONTROL = 0x04;
    /** Byte offsets of the fields in the SQE, for Connect Invalid Parameters (IATTR 0, IPO). */
    public static final int OFFSET_RECFMT = 40;
    public static final int OFFSET_QID = 42;
    public static final int OFFSET_SQSIZE = 44;
    public static final int OFFSET_CATTR = 46;
    public static final int OFFSET_KATO = 48;

    public static ConnectCommand from(SubmissionQueueEntry sqe) {
        return new ConnectCommand(sqe.cdw10() & 0xFFFF, sqe.cdw10() >>> 16, sqe.cdw11() & 0xFFFF,
                (sqe.cdw11() >>> 16) & 0xFF, sqe.cdw12());
    }

    public boolean sqFlowControlDisabled() {
        return (cattr & CATTR_DISABLE_SQ_FLOW_CONTROL) != 0;
    }

    public SubmissionQueueEntry toSqe(int cid) {
        return SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                .cid(cid)
                .nsid(FabricsCommandType.CONNECT.code())
                .sgl(SglDescriptor.inCapsule(ConnectData.SIZE))
                .cdw10((qid << 16) | recfmt)
                .cdw11((cattr << 16) | sqsize)
                .cdw12(kato)
                .build();
    }
}
