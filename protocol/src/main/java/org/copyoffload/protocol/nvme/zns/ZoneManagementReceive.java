package org.copyoffload.protocol.nvme.zns;

import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * The command dwords of Zone Management Receive (I/O opcode 7Ah, NVMe ZNS Command Set 1.1, 4.4).
 *
 * <pre>
 * CDW10-11          SLBA   the lowest LBA whose zone may be reported
 * CDW12             NUMD   Number of Dwords, 0's based: the data buffer is (NUMD + 1) * 4 bytes
 * CDW13 bits 7:0    ZRA    Zone Receive Action: 0h Report Zones, 1h Extended Report Zones
 * CDW13 bits 15:8   ZRASF  Zone Receive Action Specific Field: for the report actions, the Reporting Options
 *                          ({@link #ALL_ZONES}, {@link #EMPTY} ... {@link #OFFLINE})
 * CDW13 bit 16      PARTIAL  Number of Zones counts only the descriptors returned
 * </pre>
 */
public record ZoneManagementReceive(int nsid, long slba, int numd, int action, int reportingOptions, boolean partial) {
    public static final int OPCODE = NvmOpcode.ZONE_MANAGEMENT_RECEIVE.code();

    public static final int REPORT_ZONES = 0x0;
    public static final int EXTENDED_REPORT_ZONES = 0x1;

    /** Reporting Options (ZNS 1.1, Figure 43): which zones a report lists. */
    public static final int ALL_ZONES = 0x0;
    public static final int EMPTY = 0x1;
    public static final int IMPLICITLY_OPENED = 0x2;
    public static final int EXPLICITLY_OPENED = 0x3;
    public static final int CLOSED = 0x4;
    public static final int FULL = 0x5;
    public static final int READ_ONLY = 0x6;
    public static final int OFFLINE = 0x7;

    public ZoneManagementReceive {
        if (action < 0 || action > 0xFF) {
            throw new IllegalArgumentException("zone receive action " + action + " does not fit 8 bits");
        }
        if (reportingOptions < 0 || reportingOptions > 0xFF) {
            throw new IllegalArgumentException("reporting options " + reportingOptions + " do not fit 8 bits");
        }
    }

    /** A Report Zones of a {@code bytes}-byte buffer (a multiple of 4, at least 4). */
    public static ZoneManagementReceive reportZones(int nsid, long slba, int bytes, int reportingOptions, boolean partial) {
        if (bytes < 4 || bytes % 4 != 0) {
            throw new IllegalArgumentException("report buffer of " + bytes + " bytes is not a positive multiple of 4");
        }
        return new ZoneManagementReceive(nsid, slba, bytes / 4 - 1, REPORT_ZONES, reportingOptions, partial);
    }

    public static ZoneManagementReceive from(SubmissionQueueEntry sqe) {
        int cdw13 = sqe.cdw13();
        return new ZoneManagementReceive(sqe.nsid(), sqe.cdw10And11(), sqe.cdw12(), cdw13 & 0xFF,
                (cdw13 >>> 8) & 0xFF, (cdw13 & 0x1_0000) != 0);
    }

    /** The size of the data buffer in bytes: (NUMD + 1) * 4, up to 16 GiB. */
    public long bufferBytes() {
        return (Integer.toUnsignedLong(numd) + 1) * 4;
    }

    public SubmissionQueueEntry toSqe(int cid) {
        return SubmissionQueueEntry.builder(OPCODE).cid(cid).nsid(nsid)
                .cdw10((int) slba).cdw11((int) (slba >>> 32)).cdw12(numd)
                .cdw13(action | reportingOptions << 8 | (partial ? 0x1_0000 : 0)).build();
    }
}
