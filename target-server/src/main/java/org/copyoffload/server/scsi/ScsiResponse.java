package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.scsi.ScsiStatus;

/**
 * The outcome of a SCSI command: status, sense data (empty unless CHECK CONDITION), and data-in.
 *
 * @param status the SCSI status
 * @param sense  the sense data bytes as returned to the initiator (fixed or descriptor format); empty if none
 * @param dataIn the data-in the command produced (null if none); owned by the receiver, who releases it. It may be
 *               longer than the initiator's Expected Data Transfer Length (the transport then sends what fits and
 *               reports the overflow as a residual) or shorter (an underflow)
 */
public record ScsiResponse(ScsiStatus status, byte[] sense, ByteBuf dataIn) {
    private static final byte[] NO_SENSE = new byte[0];
    public static final ScsiResponse GOOD = new ScsiResponse(ScsiStatus.GOOD, NO_SENSE, null);

    public static ScsiResponse good(ByteBuf dataIn) {
        return new ScsiResponse(ScsiStatus.GOOD, NO_SENSE, dataIn);
    }

    public static ScsiResponse checkCondition(byte[] sense) {
        return new ScsiResponse(ScsiStatus.CHECK_CONDITION, sense, null);
    }

    public static ScsiResponse status(ScsiStatus status) {
        return new ScsiResponse(status, NO_SENSE, null);
    }

    /** Releases the data-in, for a response that will not be sent (the task was aborted, the connection is gone). */
    public void release() {
        if (dataIn != null) {
            dataIn.release();
        }
    }
}
