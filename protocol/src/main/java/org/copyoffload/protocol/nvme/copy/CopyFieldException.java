package org.copyoffload.protocol.nvme.copy;

import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * A Copy command field or its Source Range data cannot be decoded; {@link #status()} is the completion status
 * a controller should return for it (DNR set: the same command would fail the same way).
 */
public final class CopyFieldException extends ProtocolFieldException {
    private static final long serialVersionUID = 1L;

    private final transient NvmeStatus status;

    public CopyFieldException(String field, long value, String reason, NvmeStatus status) {
        super(field, value, reason + " [" + status + "]");
        this.status = status;
    }

    public NvmeStatus status() {
        return status;
    }
}
