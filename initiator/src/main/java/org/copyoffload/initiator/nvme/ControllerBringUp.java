package org.copyoffload.initiator.nvme;

import java.time.Duration;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enables and shuts down a controller over its connected admin queue, in Linux's order: Property Get CAP
 * and VS, Property Set CC, poll CSTS.RDY, Identify Controller; on shutdown CC.SHN and poll CSTS.SHST.
 */
final class ControllerBringUp {
    private static final Logger log = LoggerFactory.getLogger(ControllerBringUp.class);
    /** CC.IOSQES and CC.IOCQES: 2^6 = 64-byte SQEs, 2^4 = 16-byte CQEs. */
    private static final int IOSQES = 6;
    private static final int IOCQES = 4;
    private static final int CAP_CSS_IO_COMMAND_SETS = 1 << 6;
    private static final int CC_SHN_NORMAL = 1 << 14;
    private static final int CSTS_SHST_MASK = 0x3 << 2;

    /** What the bring-up learned about the controller. */
    record State(long cap, int vs, int cc, IdentifyController identify) {
        /** CAP.TO: worst case time to become ready, in 500 ms units. */
        int timeout500ms() {
            return (int) ((cap >>> 24) & 0xFF);
        }
    }

    private final NvmeTcpQueue admin;
    private final Duration commandTimeout;

    ControllerBringUp(NvmeTcpQueue admin, Duration commandTimeout) {
        this.admin = admin;
        this.commandTimeout = commandTimeout;
    }

    State enable() {
        long cap = propertyGet(ControllerRegisters.CAP, 8);
        int vs = (int) propertyGet(ControllerRegisters.VS, 4);
        int css = (ControllerRegisters.capCss(cap) & CAP_CSS_IO_COMMAND_SETS) != 0
                ? ControllerRegisters.CC_CSS_ALL_IO_COMMAND_SETS : ControllerRegisters.CC_CSS_NVM;
        int cc = ControllerRegisters.cc(true, css, IOSQES, IOCQES);
        propertySet(ControllerRegisters.CC, cc);
        // Linux waits (CAP.TO + 1) * 500 ms, so a controller reporting TO = 0 still gets half a second.
        long timeoutMs = (((cap >>> 24) & 0xFF) + 1) * 500;
        waitForCsts(ControllerRegisters.CSTS_RDY, ControllerRegisters.CSTS_RDY, timeoutMs, "CSTS.RDY");
        IdentifyController identify;
        try (Completion c = await(NvmeCommands.identify(Cns.CONTROLLER, 0, 0, 0), Cns.STRUCTURE_SIZE, "Identify Controller")) {
            identify = IdentifyController.decode(c.data());
        }
        log.debug("controller {} enabled: CAP=0x{} VS=0x{} CC=0x{}", identify.cntlid(), Long.toHexString(cap),
                Integer.toHexString(vs), Integer.toHexString(cc));
        return new State(cap, vs, cc, identify);
    }

    /** Normal shutdown (CC.SHN = 01b), waiting at most {@code timeout} for CSTS.SHST = 10b. */
    void shutdown(int cc, Duration timeout) {
        propertySet(ControllerRegisters.CC, (cc & ~(0x3 << 14)) | CC_SHN_NORMAL);
        waitForCsts(CSTS_SHST_MASK, ControllerRegisters.CSTS_SHST_COMPLETE, timeout.toMillis(), "CSTS.SHST");
    }

    private void waitForCsts(int mask, int value, long timeoutMs, String what) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        long sleepMs = 1;
        while (true) {
            int csts = (int) propertyGet(ControllerRegisters.CSTS, 4);
            if ((csts & ControllerRegisters.CSTS_CFS) != 0) {
                throw new NvmeTransportException("controller fatal status (CSTS=0x" + Integer.toHexString(csts)
                        + ") while waiting for " + what);
            }
            if ((csts & mask) == value) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new NvmeTransportException(what + " not reached within " + timeoutMs + " ms (CSTS=0x"
                        + Integer.toHexString(csts) + ")");
            }
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NvmeTransportException("interrupted while waiting for " + what, e);
            }
            sleepMs = Math.min(sleepMs * 2, 20);
        }
    }

    private long propertyGet(int offset, int size) {
        try (Completion c = await(NvmeCommands.propertyGet(offset, size), 0, "Property Get 0x" + Integer.toHexString(offset))) {
            return size == 8 ? c.cqe().dw01() : Integer.toUnsignedLong(c.dw0());
        }
    }

    private void propertySet(int offset, int value) {
        await(NvmeCommands.propertySet(offset, 4, Integer.toUnsignedLong(value)), 0,
                "Property Set 0x" + Integer.toHexString(offset)).close();
    }

    private Completion await(SubmissionQueueEntry sqe, int dataIn, String what) {
        Completion c = Futures.await(admin.submit(sqe, null, dataIn), commandTimeout, what);
        if (!c.isSuccess()) {
            c.close();
            throw new NvmeStatusException(what, c.cqe());
        }
        return c;
    }
}
