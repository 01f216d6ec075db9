package org.copyoffload.protocol.scsi;

/**
 * A mode page in page_0 format (SPC-5 7.5.7): byte 0 holds PS (7), SPF (6, zero here) and PAGE CODE (5:0), byte 1
 * the PAGE LENGTH of the bytes after it.
 */
public interface ModePage {
    int READ_WRITE_ERROR_RECOVERY = 0x01;
    int CACHING = 0x08;
    int CONTROL = 0x0A;
    int INFORMATIONAL_EXCEPTIONS_CONTROL = 0x1C;

    int pageCode();

    /** The whole page, PS zero (no saved values). */
    byte[] encode();

    /**
     * Caching mode page (SBC-4 6.5.5), 20 bytes: only WCE and RCD are set here, the retention, prefetch and segment
     * fields stay zero (not reported).
     *
     * @param wce write cache enable: writes may complete before they reach the medium
     * @param rcd read cache disable
     */
    record Caching(boolean wce, boolean rcd) implements ModePage {
        public static final int LENGTH = 20;
        public static final int WCE_BYTE = 2;
        public static final int WCE_BIT = 2;

        @Override
        public int pageCode() {
            return CACHING;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LENGTH];
            b[0] = CACHING;
            b[1] = LENGTH - 2;
            b[2] = (byte) ((wce ? 1 << WCE_BIT : 0) | (rcd ? 1 : 0));
            return b;
        }

        public static Caching decode(byte[] page) {
            return new Caching((page[WCE_BYTE] & 1 << WCE_BIT) != 0, (page[2] & 1) != 0);
        }
    }

    /**
     * Control mode page (SPC-5 7.5.10), 12 bytes.
     *
     * @param tst                    TST: 000b one task set shared by every I_T nexus
     * @param dSense                 D_SENSE: report sense data in descriptor format
     * @param queueAlgorithmModifier QUEUE ALGORITHM MODIFIER: 1h unrestricted reordering of SIMPLE commands
     * @param qerr                   QERR
     * @param swp                    SWP: software write protect
     * @param tas                    TAS: aborted commands end with TASK ABORTED instead of vanishing
     * @param busyTimeoutPeriod      BUSY TIMEOUT PERIOD in 100 ms units (FFFFh: unlimited)
     */
    record Control(int tst, boolean dSense, int queueAlgorithmModifier, int qerr, boolean swp, boolean tas,
                   int busyTimeoutPeriod) implements ModePage {
        public static final int LENGTH = 12;
        public static final int D_SENSE_BYTE = 2;
        public static final int D_SENSE_BIT = 2;

        @Override
        public int pageCode() {
            return CONTROL;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LENGTH];
            b[0] = CONTROL;
            b[1] = LENGTH - 2;
            b[2] = (byte) ((tst & 7) << 5 | (dSense ? 1 << D_SENSE_BIT : 0));
            b[3] = (byte) ((queueAlgorithmModifier & 0x0F) << 4 | (qerr & 3) << 1);
            b[4] = (byte) (swp ? 0x08 : 0);
            b[5] = (byte) (tas ? 0x40 : 0);
            Be.putShort(b, 8, busyTimeoutPeriod);
            return b;
        }

        public static Control decode(byte[] page) {
            return new Control((page[2] & 0xFF) >>> 5, (page[D_SENSE_BYTE] & 1 << D_SENSE_BIT) != 0,
                    (page[3] & 0xFF) >>> 4, (page[3] >>> 1) & 3, (page[4] & 0x08) != 0, (page[5] & 0x40) != 0,
                    Be.getShort(page, 8));
        }
    }

    /**
     * Informational Exceptions Control mode page (SPC-5 7.5.13), 12 bytes.
     *
     * @param dexcpt disable exception control: no informational exceptions are reported
     * @param mrie   METHOD OF REPORTING INFORMATIONAL EXCEPTIONS
     */
    record InformationalExceptions(boolean dexcpt, int mrie) implements ModePage {
        public static final int LENGTH = 12;

        @Override
        public int pageCode() {
            return INFORMATIONAL_EXCEPTIONS_CONTROL;
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LENGTH];
            b[0] = INFORMATIONAL_EXCEPTIONS_CONTROL;
            b[1] = LENGTH - 2;
            b[2] = (byte) (dexcpt ? 0x08 : 0);
            b[3] = (byte) (mrie & 0x0F);
            return b;
        }
    }
}
