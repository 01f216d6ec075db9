package org.copyoffload.protocol.nvme.log;

import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * The fields of Get Log Page (NVMe Base 2.1, 5.1.12, Figures 197-200): log page id, LSP, RAE, the number of
 * dwords (NUMDU:NUMDL, 0's based), LSI, the byte offset (LPOU:LPOL), UUID index and CSI.
 */
public record GetLogPageCommand(int lid, int lsp, boolean rae, long numberOfDwords, int lsi, long offset,
                                int uuidIndex, boolean offsetIsIndex, int csi) {

    public static GetLogPageCommand from(SubmissionQueueEntry sqe) {
        int cdw10 = sqe.cdw10();
        int cdw11 = sqe.cdw11();
        long numd = ((cdw10 >>> 16) | ((long) (cdw11 & 0xFFFF) << 16)) + 1;
        long offset = Integer.toUnsignedLong(sqe.cdw12()) | ((long) sqe.cdw13() << 32);
        int cdw14 = sqe.cdw14();
        return new GetLogPageCommand(cdw10 & 0xFF, (cdw10 >>> 8) & 0x7F, (cdw10 & 0x8000) != 0, numd,
                cdw11 >>> 16, offset, cdw14 & 0x7F, (cdw14 & 0x800000) != 0, cdw14 >>> 24);
    }

    public long lengthBytes() {
        return numberOfDwords * 4;
    }

    public static SubmissionQueueEntry toSqe(int cid, int nsid, int lid, int lsp, long offset, int lengthBytes, int csi) {
        long numd = lengthBytes / 4 - 1;
        return SubmissionQueueEntry.builder(org.copyoffload.protocol.nvme.AdminOpcode.GET_LOG_PAGE.code())
                .cid(cid)
                .nsid(nsid)
                .sgl(org.copyoffload.protocol.nvme.SglDescriptor.transport(lengthBytes))
                .cdw10(lid | (lsp << 8) | (int) ((numd & 0xFFFF) << 16))
                .cdw11((int) (numd >>> 16) & 0xFFFF)
                .cdw12((int) offset)
                .cdw13((int) (offset >>> 32))
                .cdw14(csi << 24)
                .build();
    }
}
