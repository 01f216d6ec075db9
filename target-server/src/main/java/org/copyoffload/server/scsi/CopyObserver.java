package org.copyoffload.server.scsi;

/** Told of every EXTENDED COPY the copy manager finished processing, for metrics. */
@FunctionalInterface
public interface CopyObserver {
    CopyObserver NONE = (serviceAction, result, bytes) -> { };

    /**
     * @param serviceAction {@code lid1} or {@code lid4}
     * @param result        {@code good}, {@code error} or {@code aborted}
     * @param bytes         bytes written to destinations, also by a copy that then failed or was aborted
     */
    void extendedCopy(String serviceAction, String result, long bytes);
}
