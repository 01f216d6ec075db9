package org.copyoffload.initiator.iscsi;

import java.util.HexFormat;
import java.util.Optional;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;

/**
 * A SCSI command did not end with GOOD: the target failed it (iSCSI Response other than Command Completed at
 * Target), or its status is another one, CHECK CONDITION with {@link #sense()} most often.
 */
public final class ScsiStatusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int response;
    private final int status;
    private final byte[] senseBytes;

    public ScsiStatusException(String command, ScsiResult result) {
        super(describe(command, result));
        this.response = result.response();
        this.status = result.status();
        this.senseBytes = result.sense();
    }

    private static String describe(String command, ScsiResult r) {
        if (r.response() != 0) {
            return command + ": iSCSI Response 0x" + Integer.toHexString(r.response()) + " (target failure)";
        }
        String status = r.scsiStatus().map(Enum::name).orElse("status 0x" + Integer.toHexString(r.status()));
        String sense = r.sense().length == 0 ? ""
                : ", sense " + r.senseData().map(SenseData::toString).orElse(HexFormat.of().formatHex(r.sense()));
        return command + ": " + status + sense;
    }

    /** The iSCSI Response field: 0 when the command completed at the target. */
    public int response() {
        return response;
    }

    /** The SCSI status byte. */
    public int status() {
        return status;
    }

    public Optional<ScsiStatus> scsiStatus() {
        return ScsiStatus.lookup(status);
    }

    /** The sense data, decoded; empty without (or with undecodable) sense data. */
    public Optional<SenseData> sense() {
        return ScsiResult.decodeSense(senseBytes);
    }

    public byte[] senseBytes() {
        return senseBytes.clone();
    }
}
