package org.copyoffload.server.scsi;

/**
 * A command ends in RESERVATION CONFLICT (status 18h, no sense data; SPC-4 5.13.1). The message says why, for the
 * log. No stack trace: it is a normal outcome.
 */
final class ReservationConflict extends RuntimeException {
    ReservationConflict(String message) {
        super(message, null, false, false);
    }
}
