package org.copyoffload.server.scsi;

import java.util.Optional;
import org.copyoffload.protocol.scsi.CopyResults.CopyManagerStatus;
import org.copyoffload.protocol.scsi.CopyResults.FailedSegmentDetails;

/**
 * What the copy manager holds of one EXTENDED COPY (LID1) for RECEIVE COPY RESULTS: replaced, never changed, as
 * the copy moves on, so a reader always sees one consistent state.
 *
 * @param status            in progress, or how it completed
 * @param segmentsProcessed segments done
 * @param bytes             bytes written to destinations so far
 * @param failure           for a copy that completed with errors, its status and sense data
 */
record CopyStatusRecord(CopyManagerStatus status, int segmentsProcessed, long bytes,
                        Optional<FailedSegmentDetails> failure) {
    static final CopyStatusRecord STARTED = new CopyStatusRecord(CopyManagerStatus.IN_PROGRESS, 0, 0,
            Optional.empty());

    CopyStatusRecord progressed(long segmentBytes) {
        return new CopyStatusRecord(status, segmentsProcessed + 1, bytes + segmentBytes, failure);
    }

    CopyStatusRecord completed() {
        return new CopyStatusRecord(CopyManagerStatus.COMPLETED_WITHOUT_ERRORS, segmentsProcessed, bytes,
                Optional.empty());
    }

    CopyStatusRecord failed(FailedSegmentDetails details) {
        return new CopyStatusRecord(CopyManagerStatus.COMPLETED_WITH_ERRORS, segmentsProcessed, bytes,
                Optional.of(details));
    }
}
