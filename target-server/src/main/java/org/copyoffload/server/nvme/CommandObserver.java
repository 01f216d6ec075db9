package org.copyoffload.server.nvme;

import org.copyoffload.protocol.nvme.NvmeStatus;

/** Told of every completed command, for metrics. */
public interface CommandObserver {
    CommandObserver NONE = (admin, opcode, status, nanos, bytes) -> { };

    void completed(boolean admin, int opcode, NvmeStatus status, long nanos, long dataBytes);
}
