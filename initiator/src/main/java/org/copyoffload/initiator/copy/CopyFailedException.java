package org.copyoffload.initiator.copy;

/** A copy whose host-driven part failed: the destination holds an unknown mix of old and new bytes. */
public final class CopyFailedException extends RuntimeException {
    public CopyFailedException(String message, Throwable cause) {
        super(message + ": " + cause.getMessage(), cause);
    }
}
