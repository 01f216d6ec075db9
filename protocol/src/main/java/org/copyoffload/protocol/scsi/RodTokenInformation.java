package org.copyoffload.protocol.scsi;

import java.util.Arrays;
import java.util.Optional;

/**
 * RECEIVE ROD TOKEN INFORMATION parameter data (SPC-4 RECEIVE ROD TOKEN INFORMATION, SBC-4 POPULATE TOKEN, WRITE USING TOKEN): the RECEIVE COPY STATUS (LID4)
 * header of 32 bytes with TRANSFER COUNT in logical blocks (TRANSFER COUNT UNITS F1h), the sense data the command
 * completed with, then ROD TOKEN DESCRIPTORS LENGTH (4 bytes) and, after a POPULATE TOKEN that completed, one ROD
 * token descriptor: 2 reserved bytes and the 512-byte token.
 *
 * @param respondsTo               RESPONSE TO SERVICE ACTION (10h or 11h)
 * @param status                   COPY OPERATION STATUS
 * @param operationCounter         OPERATION COUNTER
 * @param estimatedStatusUpdateDelay ESTIMATED STATUS UPDATE DELAY in milliseconds
 * @param completionStatus         EXTENDED COPY COMPLETION STATUS
 * @param transferCount            TRANSFER COUNT, in logical blocks
 * @param segmentsProcessed        SEGMENTS PROCESSED
 * @param sense                    the sense data (empty unless the command completed with CHECK CONDITION)
 * @param token                    the ROD token a POPULATE TOKEN created
 */
public record RodTokenInformation(int respondsTo, CopyResults.CopyOperationStatus status, int operationCounter,
                                  long estimatedStatusUpdateDelay, ScsiStatus completionStatus, long transferCount,
                                  int segmentsProcessed, byte[] sense, Optional<RodToken> token) {
    public static final int HEADER = 32;
    /** TRANSFER COUNT UNITS: logical blocks (SPC-4, as in RECEIVE COPY STATUS (LID4)). */
    public static final int UNITS_LOGICAL_BLOCKS = 0xF1;
    public static final int TOKEN_DESCRIPTOR_LENGTH = 2 + RodToken.LENGTH;

    public RodTokenInformation {
        sense = sense.clone();
        if (sense.length > 0xFF) {
            throw new IllegalArgumentException("sense data of " + sense.length + " bytes");
        }
        if (respondsTo < 0 || respondsTo > 0x1F || operationCounter < 0 || operationCounter > 0xFFFF
                || segmentsProcessed < 0 || segmentsProcessed > 0xFFFF) {
            throw new IllegalArgumentException("field out of range in " + respondsTo + "/" + operationCounter + "/"
                    + segmentsProcessed);
        }
    }

    @Override
    public byte[] sense() {
        return sense.clone();
    }

    public byte[] encode() {
        int tokens = token.isPresent() ? TOKEN_DESCRIPTOR_LENGTH : 0;
        byte[] b = new byte[HEADER + sense.length + 4 + tokens];
        Be.putInt(b, 0, b.length - 4);
        b[4] = (byte) respondsTo;
        b[5] = (byte) status.code();
        Be.putShort(b, 6, operationCounter);
        Be.putInt(b, 8, (int) estimatedStatusUpdateDelay);
        b[12] = (byte) completionStatus.code();
        b[13] = (byte) sense.length;
        b[14] = (byte) sense.length;
        b[15] = (byte) UNITS_LOGICAL_BLOCKS;
        Be.putLong(b, 16, transferCount);
        Be.putShort(b, 24, segmentsProcessed);
        System.arraycopy(sense, 0, b, HEADER, sense.length);
        int at = HEADER + sense.length;
        Be.putInt(b, at, tokens);
        token.ifPresent(t -> System.arraycopy(t.bytes(), 0, b, at + 6, RodToken.LENGTH));
        return b;
    }

    /**
     * The data as an initiator receives it, {@code length} bytes of {@code b}.
     *
     * @throws IllegalArgumentException naming the field and its value when the data is short, a length runs past it
     *                                  or a field holds a value this layout does not allow
     */
    public static RodTokenInformation decode(byte[] b, int length) {
        if (length > b.length) {
            throw new IllegalArgumentException(length + " bytes claimed of a " + b.length + "-byte buffer");
        }
        if (length < HEADER + 4) {
            throw new IllegalArgumentException("RECEIVE ROD TOKEN INFORMATION data of " + length + " bytes, need "
                    + (HEADER + 4));
        }
        int code = b[5] & 0x7F;
        CopyResults.CopyOperationStatus status = Arrays.stream(CopyResults.CopyOperationStatus.values())
                .filter(s -> s.code() == code).findFirst().orElseThrow(() -> new IllegalArgumentException(
                        "COPY OPERATION STATUS 0x" + Integer.toHexString(code) + " is reserved"));
        int completion = b[12] & 0xFF;
        ScsiStatus completionStatus = ScsiStatus.lookup(completion).orElseThrow(() -> new IllegalArgumentException(
                "EXTENDED COPY COMPLETION STATUS 0x" + Integer.toHexString(completion) + " is not a SCSI status"));
        int fieldLength = b[13] & 0xFF;
        int senseLength = b[14] & 0xFF;
        if (senseLength > fieldLength) {
            throw new IllegalArgumentException("SENSE DATA LENGTH " + senseLength
                    + " exceeds LENGTH OF THE SENSE DATA FIELD " + fieldLength);
        }
        if ((b[15] & 0xFF) != UNITS_LOGICAL_BLOCKS) {
            throw new IllegalArgumentException("TRANSFER COUNT UNITS 0x" + Integer.toHexString(b[15] & 0xFF)
                    + ", token copy counts logical blocks (F1h)");
        }
        int at = HEADER + fieldLength;
        if (at + 4 > length) {
            throw new IllegalArgumentException("LENGTH OF THE SENSE DATA FIELD " + fieldLength + " runs past the "
                    + length + " bytes received");
        }
        long descriptors = Be.getInt(b, at) & 0xFFFF_FFFFL;
        Optional<RodToken> token = Optional.empty();
        if (descriptors != 0) {
            if (descriptors != TOKEN_DESCRIPTOR_LENGTH || at + 4 + descriptors > length) {
                throw new IllegalArgumentException("ROD TOKEN DESCRIPTORS LENGTH " + descriptors + " at byte " + at
                        + ": one descriptor of " + TOKEN_DESCRIPTOR_LENGTH + " bytes within the " + length
                        + " received expected");
            }
            token = Optional.of(new RodToken(Arrays.copyOfRange(b, at + 6, at + 6 + RodToken.LENGTH)));
        }
        return new RodTokenInformation(b[4] & 0x1F, status, Be.getShort(b, 6), Be.getInt(b, 8) & 0xFFFF_FFFFL,
                completionStatus, Be.getLong(b, 16), Be.getShort(b, 24),
                Arrays.copyOfRange(b, HEADER, HEADER + senseLength), token);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RodTokenInformation r && respondsTo == r.respondsTo && status == r.status
                && operationCounter == r.operationCounter && estimatedStatusUpdateDelay == r.estimatedStatusUpdateDelay
                && completionStatus == r.completionStatus && transferCount == r.transferCount
                && segmentsProcessed == r.segmentsProcessed && Arrays.equals(sense, r.sense) && token.equals(r.token);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(transferCount) * 31 + Arrays.hashCode(sense);
    }
}
