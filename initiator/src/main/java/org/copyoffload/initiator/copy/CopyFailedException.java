package org.copyoffload.initiator.copy;

/**
 * A copy whose host-driven part failed: the destination range is undefined, as after a failed write. Below a layer that
 * changes data (encryption), a block the device wrote only in part reads back as neither the old nor the new bytes.
 */
public final class CopyFailedException extends RuntimeException {
    public CopyFailedException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
