package org.copyoffload.server.nvme;

import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.protocol.nvme.NvmeStatus;

/** Told of every completed command, and of every Copy the target carried out or refused, for metrics. */
public interface CommandObserver {
    CommandObserver NONE = (admin, opcode, status, nanos, bytes) -> { };

    void completed(boolean admin, int opcode, NvmeStatus status, long nanos, long dataBytes);

    /**
     * A Copy command ended: its descriptor format (-1 if not a known one), status, number of source ranges,
     * bytes copied inside the target and how (null when nothing was copied).
     */
    default void copied(int format, NvmeStatus status, int ranges, long bytes, CopyEngine.Plan plan) {
    }
}
