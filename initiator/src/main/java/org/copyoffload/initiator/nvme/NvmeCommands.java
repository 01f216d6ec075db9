package org.copyoffload.initiator.nvme;

import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.copyoffload.protocol.nvme.fabrics.PropertyCommand;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;

/**
 * Submission queue entries for the commands this host sends. CID and SGL are left to the queue, which
 * assigns both when it submits.
 */
public final class NvmeCommands {
    /** Feature identifiers (NVMe Base 2.1, Figure 385). */
    public static final int FID_NUMBER_OF_QUEUES = 0x07;
    public static final int FID_KEEP_ALIVE_TIMER = 0x0F;
    /** Get Features SEL (CDW10 bits 10:8): current, default, saved, supported capabilities. */
    public static final int SEL_CURRENT = 0;
    public static final int SEL_DEFAULT = 1;
    public static final int SEL_SAVED = 2;
    public static final int SEL_SUPPORTED_CAPABILITIES = 3;
    /** Read/Write CDW12 bit 30: Force Unit Access. */
    public static final int FUA = 1 << 30;

    private NvmeCommands() {
    }

    public static SubmissionQueueEntry propertyGet(int offset, int sizeBytes) {
        return new PropertyCommand(false, sizeBytes, offset, 0).toSqe(0);
    }

    public static SubmissionQueueEntry propertySet(int offset, int sizeBytes, long value) {
        return new PropertyCommand(true, sizeBytes, offset, value).toSqe(0);
    }

    /** Fabrics Disconnect (NVMe-oF 1.1, 3.7): deletes the I/O queue it is sent on. RECFMT 0. */
    public static SubmissionQueueEntry disconnect() {
        return SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                .nsid(FabricsCommandType.DISCONNECT.code())
                .build();
    }

    /** Identify (NVMe Base 2.1, 5.1.13): CNS in CDW10 7:0, CNTID in 31:16, CSI in CDW11 31:24. */
    public static SubmissionQueueEntry identify(int cns, int nsid, int cntid, int csi) {
        return SubmissionQueueEntry.builder(AdminOpcode.IDENTIFY.code())
                .nsid(nsid)
                .cdw10((cns & 0xFF) | (cntid << 16))
                .cdw11(csi << 24)
                .build();
    }

    public static SubmissionQueueEntry getLogPage(int nsid, int lid, int lsp, long offset, int lengthBytes) {
        if (lengthBytes < 4 || lengthBytes % 4 != 0 || offset % 4 != 0) {
            throw new IllegalArgumentException("log pages move whole dwords: offset " + offset + ", length " + lengthBytes);
        }
        return GetLogPageCommand.toSqe(0, nsid, lid, lsp, offset, lengthBytes, 0);
    }

    /** Set Features: FID in CDW10 7:0, SV in bit 31, the value in CDW11. */
    public static SubmissionQueueEntry setFeatures(int nsid, int fid, boolean save, int cdw11) {
        return SubmissionQueueEntry.builder(AdminOpcode.SET_FEATURES.code())
                .nsid(nsid)
                .cdw10((fid & 0xFF) | (save ? 1 << 31 : 0))
                .cdw11(cdw11)
                .build();
    }

    /** Get Features: FID in CDW10 7:0, SEL in 10:8. */
    public static SubmissionQueueEntry getFeatures(int nsid, int fid, int select, int cdw11) {
        return SubmissionQueueEntry.builder(AdminOpcode.GET_FEATURES.code())
                .nsid(nsid)
                .cdw10((fid & 0xFF) | ((select & 0x7) << 8))
                .cdw11(cdw11)
                .build();
    }

    /** Number of Queues: NSQR in 15:0 and NCQR in 31:16, both 0's based. */
    public static SubmissionQueueEntry setNumberOfQueues(int queues) {
        int zeroBased = queues - 1;
        return setFeatures(0, FID_NUMBER_OF_QUEUES, false, (zeroBased << 16) | (zeroBased & 0xFFFF));
    }

    public static SubmissionQueueEntry keepAlive() {
        return SubmissionQueueEntry.builder(AdminOpcode.KEEP_ALIVE.code()).build();
    }

    /** Read (NVM Command Set 1.1, 3.2.4): SLBA in CDW11:10, NLB 0's based in CDW12 15:0. */
    public static SubmissionQueueEntry read(int nsid, long slba, int blocks) {
        return rw(NvmOpcode.READ, nsid, slba, blocks, 0);
    }

    public static SubmissionQueueEntry write(int nsid, long slba, int blocks, boolean fua) {
        return rw(NvmOpcode.WRITE, nsid, slba, blocks, fua ? FUA : 0);
    }

    /** Zone Append (ZNS Command Set 1.1, 4.5): ZSLBA in CDW11:10, NLB 0's based in CDW12 15:0, FUA bit 30. */
    public static SubmissionQueueEntry zoneAppend(int nsid, long zslba, int blocks, boolean fua) {
        return rw(NvmOpcode.ZONE_APPEND, nsid, zslba, blocks, fua ? FUA : 0);
    }

    public static SubmissionQueueEntry flush(int nsid) {
        return SubmissionQueueEntry.builder(NvmOpcode.FLUSH.code()).nsid(nsid).build();
    }

    private static SubmissionQueueEntry rw(NvmOpcode opcode, int nsid, long slba, int blocks, int cdw12Flags) {
        if (blocks < 1 || blocks > 0x10000) {
            throw new IllegalArgumentException("1 to 65536 blocks per command, got " + blocks);
        }
        return SubmissionQueueEntry.builder(opcode.code())
                .nsid(nsid)
                .cdw10((int) slba)
                .cdw11((int) (slba >>> 32))
                .cdw12(((blocks - 1) & 0xFFFF) | cdw12Flags)
                .build();
    }
}
