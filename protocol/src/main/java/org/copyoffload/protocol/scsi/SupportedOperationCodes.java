package org.copyoffload.protocol.scsi;

import java.util.List;
import java.util.OptionalInt;

/** Parameter data of REPORT SUPPORTED OPERATION CODES (SPC-5 6.34.2, 6.34.3, 6.34.4). */
public final class SupportedOperationCodes {
    /** SUPPORT field values of the one-command format (SPC-5 Table 315). */
    public static final int SUPPORT_NOT_AVAILABLE = 0b000;
    public static final int SUPPORT_NOT_SUPPORTED = 0b001;
    public static final int SUPPORT_STANDARD = 0b011;
    public static final int TIMEOUTS_DESCRIPTOR = 12;
    public static final int ALL_DESCRIPTOR = 8;

    private SupportedOperationCodes() {
    }

    /**
     * Command timeouts descriptor (SPC-5 6.34.4): DESCRIPTOR LENGTH 0Ah, COMMAND SPECIFIC, and the nominal and
     * recommended timeouts in seconds (zero: not specified).
     */
    public record Timeouts(int nominalSeconds, int recommendedSeconds) {
        void encode(byte[] b, int at) {
            Be.putShort(b, at, 0x0A);
            Be.putInt(b, at + 4, nominalSeconds);
            Be.putInt(b, at + 8, recommendedSeconds);
        }
    }

    /**
     * One entry of the all-commands list.
     *
     * @param opcode        OPERATION CODE
     * @param serviceAction SERVICE ACTION, present exactly when the operation code has service actions (SERVACTV)
     * @param cdbLength     CDB LENGTH
     * @param timeouts      the timeouts descriptor returned with RCTD
     */
    public record Command(int opcode, OptionalInt serviceAction, int cdbLength, Timeouts timeouts) {
    }

    /** Reporting options 000b (Table 311): COMMAND DATA LENGTH, then a descriptor per command. */
    public static byte[] encodeAll(List<Command> commands, boolean rctd) {
        int each = ALL_DESCRIPTOR + (rctd ? TIMEOUTS_DESCRIPTOR : 0);
        byte[] b = new byte[4 + each * commands.size()];
        Be.putInt(b, 0, b.length - 4);
        int at = 4;
        for (Command c : commands) {
            b[at] = (byte) c.opcode();
            Be.putShort(b, at + 2, c.serviceAction().orElse(0));
            b[at + 5] = (byte) ((rctd ? 0x02 : 0) | (c.serviceAction().isPresent() ? 0x01 : 0));
            Be.putShort(b, at + 6, c.cdbLength());
            if (rctd) {
                c.timeouts().encode(b, at + ALL_DESCRIPTOR);
            }
            at += each;
        }
        return b;
    }

    /**
     * Reporting options 001b-011b (Table 314): SUPPORT, CDB SIZE and CDB USAGE DATA (empty when not supported),
     * then the timeouts descriptor when asked for (CTDP).
     */
    public static byte[] encodeOne(int support, byte[] usageData, Timeouts timeouts, boolean rctd) {
        boolean ctdp = rctd && timeouts != null;
        byte[] b = new byte[4 + usageData.length + (ctdp ? TIMEOUTS_DESCRIPTOR : 0)];
        b[1] = (byte) ((ctdp ? 0x80 : 0) | support & 7);
        Be.putShort(b, 2, usageData.length);
        System.arraycopy(usageData, 0, b, 4, usageData.length);
        if (ctdp) {
            timeouts.encode(b, 4 + usageData.length);
        }
        return b;
    }

    /**
     * REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS parameter data (SPC-5 6.35.2): 4 bytes, or 16 with REPD
     * (REPORT EXTENDED PARAMETER DATA LENGTH 0Ch, no timeouts reported).
     */
    public record TaskManagementFunctions(boolean abortTask, boolean abortTaskSet, boolean clearAca,
                                          boolean clearTaskSet, boolean logicalUnitReset, boolean queryTask,
                                          boolean targetReset, boolean wakeup, boolean queryAsynchronousEvent,
                                          boolean queryTaskSet, boolean itNexusReset) {
        public byte[] encode(boolean repd) {
            byte[] b = new byte[repd ? 16 : 4];
            b[0] = (byte) ((abortTask ? 0x80 : 0) | (abortTaskSet ? 0x40 : 0) | (clearAca ? 0x20 : 0)
                    | (clearTaskSet ? 0x10 : 0) | (logicalUnitReset ? 0x08 : 0) | (queryTask ? 0x04 : 0)
                    | (targetReset ? 0x02 : 0) | (wakeup ? 0x01 : 0));
            b[1] = (byte) ((queryAsynchronousEvent ? 0x04 : 0) | (queryTaskSet ? 0x02 : 0) | (itNexusReset ? 0x01 : 0));
            if (repd) {
                b[3] = 0x0C;
            }
            return b;
        }
    }
}
