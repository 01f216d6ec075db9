package org.copyoffload.backends.zone;

/** A zone operation refused by the zone rules; {@link #error()} says which status to return. */
public final class ZoneException extends Exception {
    private final ZoneError error;

    public ZoneException(ZoneError error, String message) {
        super(error + ": " + message);
        this.error = error;
    }

    public ZoneError error() {
        return error;
    }
}
