package org.copyoffload.protocol.nvme.zns;

import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * The command dwords of Zone Management Send (I/O opcode 79h, NVMe ZNS Command Set 1.1, 4.3). The action is kept
 * as its raw code so that a reserved one decodes and can be answered with Invalid Field.
 *
 * <pre>
 * CDW10-11          SLBA        Starting LBA (a zone's ZSLBA; ignored with Select All)
 * CDW13 bits 7:0    ZSA         Zone Send Action ({@link ZoneSendAction})
 * CDW13 bit 8       SELECT ALL  apply to every zone in a state the action accepts
 * CDW13 bit 9       ZSASO       Zone Send Action Specific Option (ZNS 1.1; reserved here)
 * </pre>
 */
public record ZoneManagementSend(int nsid, long slba, int action, boolean selectAll, boolean zsaso) {
    public static final int OPCODE = NvmOpcode.ZONE_MANAGEMENT_SEND.code();

    public ZoneManagementSend {
        if (action < 0 || action > 0xFF) {
            throw new IllegalArgumentException("zone send action " + action + " does not fit 8 bits");
        }
    }

    public static ZoneManagementSend of(int nsid, long slba, ZoneSendAction action, boolean selectAll) {
        return new ZoneManagementSend(nsid, slba, action.code(), selectAll, false);
    }

    public static ZoneManagementSend from(SubmissionQueueEntry sqe) {
        int cdw13 = sqe.cdw13();
        return new ZoneManagementSend(sqe.nsid(), sqe.cdw10And11(), cdw13 & 0xFF, (cdw13 & 0x100) != 0,
                (cdw13 & 0x200) != 0);
    }

    public SubmissionQueueEntry toSqe(int cid) {
        return SubmissionQueueEntry.builder(OPCODE).cid(cid).nsid(nsid)
                .cdw10((int) slba).cdw11((int) (slba >>> 32))
                .cdw13(action | (selectAll ? 0x100 : 0) | (zsaso ? 0x200 : 0)).build();
    }
}
