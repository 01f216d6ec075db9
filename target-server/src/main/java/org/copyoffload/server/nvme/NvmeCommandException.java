package org.copyoffload.server.nvme;

import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;

/** Ends a command with an NVMe status; thrown by the checks inside command handlers. */
public final class NvmeCommandException extends RuntimeException {
    private final NvmeStatus status;
    private final int dw0;

    public NvmeCommandException(StatusCode code, String reason) {
        this(code.dnr(), 0, reason);
    }

    public NvmeCommandException(NvmeStatus status, int dw0, String reason) {
        super(reason, null, false, false);
        this.status = status;
        this.dw0 = dw0;
    }

    public NvmeStatus status() {
        return status;
    }

    public CommandResult result() {
        return new CommandResult(status, dw0, 0, null);
    }
}
