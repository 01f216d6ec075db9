package org.copyoffload.initiator.nvme;

import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;

/** The controller completed a command with an error status. */
public class NvmeStatusException extends RuntimeException {
    private final String command;
    private final CompletionQueueEntry cqe;

    public NvmeStatusException(String command, CompletionQueueEntry cqe) {
        super(command + " failed: " + cqe.status() + " (dw0=0x" + Integer.toHexString(cqe.dw0()) + ")");
        this.command = command;
        this.cqe = cqe;
    }

    public String command() {
        return command;
    }

    public CompletionQueueEntry cqe() {
        return cqe;
    }

    public NvmeStatus status() {
        return cqe.status();
    }

    public boolean is(StatusCode code) {
        return cqe.status().is(code);
    }
}
