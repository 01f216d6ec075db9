package org.copyoffload.server.scsi;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.copyoffload.protocol.scsi.CopyResults.CopyManagerStatus;
import org.copyoffload.protocol.scsi.CopyResults.CopyOperationStatus;
import org.copyoffload.protocol.scsi.CopyResults.FailedSegmentDetails;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.ScsiStatus;

/**
 * What the copy manager holds of one EXTENDED COPY (LID1 or LID4) for RECEIVE COPY RESULTS / STATUS: replaced, never
 * changed, as the copy moves on, so a reader always sees one consistent state. The abort request is the one shared,
 * mutable part: COPY OPERATION ABORT sets it, the copy reads it between chunks.
 *
 * @param state             where the copy is
 * @param serviceAction     the EXTENDED COPY service action that started it (RESPONSE TO SERVICE ACTION)
 * @param background        IMMED was set: the command has completed, the copy goes on
 * @param segmentsProcessed segments done
 * @param bytes             bytes written to destinations so far
 * @param failure           for a copy that completed with errors or was aborted, its status and sense data
 * @param abort             set by COPY OPERATION ABORT
 * @param token             the ROD token a POPULATE TOKEN made, for RECEIVE ROD TOKEN INFORMATION
 */
record CopyStatusRecord(State state, int serviceAction, boolean background, int segmentsProcessed, long bytes,
                        Optional<FailedSegmentDetails> failure, AtomicBoolean abort,
                        Optional<RodToken> token) {
    enum State { IN_PROGRESS, COMPLETED, FAILED, ABORTED }

    static CopyStatusRecord started(int serviceAction, boolean background) {
        return new CopyStatusRecord(State.IN_PROGRESS, serviceAction, background, 0, 0, Optional.empty(),
                new AtomicBoolean(), Optional.empty());
    }

    boolean inProgress() {
        return state == State.IN_PROGRESS;
    }

    CopyStatusRecord progressed(long segmentBytes) {
        return new CopyStatusRecord(state, serviceAction, background, segmentsProcessed + 1, bytes + segmentBytes,
                failure, abort, token);
    }

    /** Bytes of a segment still in progress (the segment is not counted as processed yet). */
    CopyStatusRecord moved(long chunkBytes) {
        return new CopyStatusRecord(state, serviceAction, background, segmentsProcessed, bytes + chunkBytes, failure,
                abort, token);
    }

    CopyStatusRecord completed() {
        return new CopyStatusRecord(State.COMPLETED, serviceAction, background, segmentsProcessed, bytes,
                Optional.empty(), abort, token);
    }

    CopyStatusRecord failed(FailedSegmentDetails details) {
        return new CopyStatusRecord(State.FAILED, serviceAction, background, segmentsProcessed, bytes,
                Optional.of(details), abort, token);
    }

    CopyStatusRecord aborted() {
        return new CopyStatusRecord(State.ABORTED, serviceAction, background, segmentsProcessed, bytes,
                Optional.of(new FailedSegmentDetails(ScsiStatus.TASK_ABORTED, new byte[0])), abort, token);
    }

    /** A POPULATE TOKEN that made {@code t} from {@code bytes} bytes: completed. */
    CopyStatusRecord populated(RodToken t, long representedBytes) {
        return new CopyStatusRecord(State.COMPLETED, serviceAction, background, segmentsProcessed, representedBytes,
                Optional.empty(), abort, Optional.of(t));
    }

    /** COPY MANAGER STATUS of the LID1 view (SPC-4 Table 111): an aborted copy completed with errors. */
    CopyManagerStatus lid1Status() {
        return switch (state) {
            case IN_PROGRESS -> CopyManagerStatus.IN_PROGRESS;
            case COMPLETED -> CopyManagerStatus.COMPLETED_WITHOUT_ERRORS;
            case FAILED, ABORTED -> CopyManagerStatus.COMPLETED_WITH_ERRORS;
        };
    }

    /** COPY OPERATION STATUS of the LID4 view. */
    CopyOperationStatus lid4Status() {
        return switch (state) {
            case IN_PROGRESS -> background ? CopyOperationStatus.IN_PROGRESS_BACKGROUND
                    : CopyOperationStatus.IN_PROGRESS_FOREGROUND;
            case COMPLETED -> CopyOperationStatus.COMPLETED_WITHOUT_ERRORS;
            case FAILED -> CopyOperationStatus.COMPLETED_WITH_ERRORS;
            case ABORTED -> CopyOperationStatus.TERMINATED;
        };
    }

    /** EXTENDED COPY COMPLETION STATUS: GOOD until completed, then the status the command ended with. */
    ScsiStatus completionStatus() {
        return failure.map(FailedSegmentDetails::status).orElse(ScsiStatus.GOOD);
    }
}
