package org.copyoffload.protocol.nvme.fabrics;

/**
 * Controller properties reachable by Property Get/Set (NVMe Base 2.1, 3.1.4, Figure 33) and the bit fields
 * of CAP, CC and CSTS.
 */
public final class ControllerRegisters {
    public static final int CAP = 0x00;
    public static final int VS = 0x08;
    public static final int CC = 0x14;
    public static final int CSTS = 0x1C;
    public static final int NSSR = 0x20;

    /** CC.CSS values (3 bits at 6:4). */
    public static final int CC_CSS_NVM = 0;
    public static final int CC_CSS_ALL_IO_COMMAND_SETS = 6;
    public static final int CC_CSS_ADMIN_ONLY = 7;

    public static final int CSTS_RDY = 0x1;
    public static final int CSTS_CFS = 0x2;
    public static final int CSTS_SHST_OCCURRING = 0x1 << 2;
    public static final int CSTS_SHST_COMPLETE = 0x2 << 2;

    private ControllerRegisters() {
    }

    /**
     * CAP (Figure 36): MQES 0's based, CQR set (fabrics require contiguous queues), TO in 500 ms units,
     * CSS bits for the NVM command set, I/O command sets, or admin only (discovery), MPSMIN/MPSMAX 4 KiB.
     */
    public static long capabilities(int mqes, int timeout500ms, boolean nvmCommandSet, boolean ioCommandSets,
                                    boolean noIoCommandSet) {
        long css = (nvmCommandSet ? 1L : 0) | (ioCommandSets ? 1L << 6 : 0) | (noIoCommandSet ? 1L << 7 : 0);
        return (mqes & 0xFFFFL) | (1L << 16) | ((long) (timeout500ms & 0xFF) << 24) | (css << 37);
    }

    public static int mqes(long cap) {
        return (int) (cap & 0xFFFF);
    }

    public static int capCss(long cap) {
        return (int) ((cap >>> 37) & 0xFF);
    }

    /** VS (Figure 37): major in 31:16, minor in 15:8, tertiary in 7:0. */
    public static int version(int major, int minor, int tertiary) {
        return (major << 16) | (minor << 8) | tertiary;
    }

    public static boolean ccEnable(int cc) {
        return (cc & 1) != 0;
    }

    public static int ccCss(int cc) {
        return (cc >>> 4) & 0x7;
    }

    /** Memory page size as 2^(12 + MPS). */
    public static int ccMps(int cc) {
        return (cc >>> 7) & 0xF;
    }

    /** SHN: 01b normal shutdown, 10b abrupt shutdown. */
    public static int ccShn(int cc) {
        return (cc >>> 14) & 0x3;
    }

    public static int ccIosqes(int cc) {
        return (cc >>> 16) & 0xF;
    }

    public static int ccIocqes(int cc) {
        return (cc >>> 20) & 0xF;
    }

    public static int cc(boolean enable, int css, int iosqes, int iocqes) {
        return (enable ? 1 : 0) | (css << 4) | (iosqes << 16) | (iocqes << 20);
    }
}
