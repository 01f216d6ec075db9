package org.copyoffload.initiator.copy;

/** Why (part of) a copy was done by READ + WRITE instead of being offloaded. */
public enum FallbackReason {
    /** The caller asked for a host-driven copy. */
    FORCED_HOST_DRIVEN,
    /** The source and destination ranges end on different base devices (or controllers). */
    DIFFERENT_DEVICES,
    /** The base device cannot copy at all (no Copy command in ONCS, no EXTENDED COPY). */
    NO_COPY_COMMAND,
    /** Across namespaces needs NVMe 2.1 and descriptor format 2h or 3h in OCFS; the controller lacks one of them. */
    NO_CROSS_NAMESPACE_FORMAT,
    /** The controller has the cross-namespace format, but it is not enabled in Host Behavior Support (CDFE). */
    FORMAT_NOT_ENABLED,
    /** The device's copy limits (MSSRL, MCL, MSRC, or the target's operating parameters) allow no copy of this. */
    LIMIT,
    /** A mapping layer stores data by position (e.g. encryption whose IV is the sector): copying it would corrupt it. */
    MAPPING_FORBIDS,
    /** The device refused the copy command with an error status. */
    DEVICE_REFUSED,
    /** The device copied only part of what a command asked for. */
    PARTIAL_COPY
}
