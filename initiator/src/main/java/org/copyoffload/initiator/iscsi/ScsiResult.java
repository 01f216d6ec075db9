package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import java.util.Optional;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;

/**
 * The outcome of one SCSI command over iSCSI (RFC 7143, 11.4, 11.7.4): the iSCSI Response code (0: Command
 * Completed at Target; otherwise the target failed the command and {@code status} is meaningless), the SCSI
 * status, the sense data of a CHECK CONDITION, the residual flags and count, and the data-in that arrived. The
 * receiver owns {@code data}: release it, or close the result.
 *
 * @param response the iSCSI Response field; 0 when the status came with the last Data-In PDU
 * @param status the SCSI status byte
 * @param sense the sense data (without the 2-byte SenseLength), empty when there is none
 * @param data the data-in, in order; an empty buffer for commands without data-in
 * @param overflow the O bit: the target had more data than the expected length (residual = what did not fit)
 * @param underflow the U bit: the target moved less than the expected length (residual = the shortfall)
 * @param residualCount the Residual Count field
 */
public record ScsiResult(int response, int status, byte[] sense, ByteBuf data, boolean overflow, boolean underflow,
                         int residualCount) implements AutoCloseable {

    public ScsiResult {
        sense = sense.clone();
    }

    @Override
    public byte[] sense() {
        return sense.clone();
    }

    /** Completed at the target with status GOOD. */
    public boolean isGood() {
        return response == 0 && status == ScsiStatus.GOOD.code();
    }

    /** The status as a known SCSI status. */
    public Optional<ScsiStatus> scsiStatus() {
        return ScsiStatus.lookup(status);
    }

    /** The sense data decoded; empty without sense data or when it cannot be decoded. */
    public Optional<SenseData> senseData() {
        return decodeSense(sense);
    }

    static Optional<SenseData> decodeSense(byte[] sense) {
        if (sense.length == 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(SenseData.decode(sense));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Releases the data. */
    @Override
    public void close() {
        if (data.refCnt() > 0) {
            data.release();
        }
    }
}
