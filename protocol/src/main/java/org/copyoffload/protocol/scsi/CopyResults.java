package org.copyoffload.protocol.scsi;

import java.util.List;

/** The parameter data of RECEIVE COPY RESULTS (SPC-4 6.18), one record per service action implemented. */
public final class CopyResults {
    private CopyResults() {
    }

    /**
     * OPERATING PARAMETERS (SPC-4 6.18.4, Table 113): 44 bytes and the implemented descriptor type codes. SNLID is
     * one: LIST ID USAGE 11b (no list identifier) is supported.
     */
    public record OperatingParameters(CopyManagerLimits limits) {
        /** Bytes up to IMPLEMENTED DESCRIPTOR LIST LENGTH (byte 43); the type codes follow. */
        public static final int FIXED = 44;

        /**
         * The parameter data as a copy manager returns it (at least {@code length} bytes of {@code b} arrived). The
         * counts that make a copy possible at all (MAXIMUM CSCD DESCRIPTOR COUNT, MAXIMUM SEGMENT DESCRIPTOR COUNT)
         * must be at least one: a copy manager that allows no descriptor does not copy.
         *
         * @throws IllegalArgumentException naming the field and its value when the data is short or a field is out
         *                                  of range
         */
        public static OperatingParameters decode(byte[] b, int length) {
            if (length > b.length) {
                throw new IllegalArgumentException(length + " bytes claimed of a " + b.length + "-byte buffer");
            }
            if (length < FIXED) {
                throw new IllegalArgumentException("OPERATING PARAMETERS of " + length + " bytes, need " + FIXED);
            }
            long available = Be.getInt(b, 0) & 0xFFFF_FFFFL;
            if (available < FIXED - 4) {
                throw new IllegalArgumentException("AVAILABLE DATA " + available + " is below the " + (FIXED - 4)
                        + " bytes of the fixed fields");
            }
            int n = b[43] & 0xFF;
            if (FIXED + n > length) {
                throw new IllegalArgumentException("IMPLEMENTED DESCRIPTOR LIST LENGTH " + n + " runs past the "
                        + length + " bytes received");
            }
            int cscds = Be.getShort(b, 8);
            int segments = Be.getShort(b, 10);
            if (cscds == 0) {
                throw new IllegalArgumentException("MAXIMUM CSCD DESCRIPTOR COUNT 0");
            }
            if (segments == 0) {
                throw new IllegalArgumentException("MAXIMUM SEGMENT DESCRIPTOR COUNT 0");
            }
            List<Integer> types = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                types.add(b[FIXED + i] & 0xFF);
            }
            return new OperatingParameters(new CopyManagerLimits(cscds, segments,
                    Be.getInt(b, 12) & 0xFFFF_FFFFL, Be.getInt(b, 16) & 0xFFFF_FFFFL,
                    Be.getInt(b, 20) & 0xFFFF_FFFFL, Be.getShort(b, 34), b[36] & 0xFF, b[37] & 0xFF, b[38] & 0xFF,
                    b[39] & 0xFF, types));
        }

        public byte[] encode() {
            int n = limits.descriptorTypes().size();
            byte[] b = new byte[44 + n];
            Be.putInt(b, 0, b.length - 4); // AVAILABLE DATA: the bytes after this field
            b[4] = 0x01; // SNLID
            Be.putShort(b, 8, limits.maxCscdDescriptors());
            Be.putShort(b, 10, limits.maxSegmentDescriptors());
            Be.putInt(b, 12, (int) limits.maxDescriptorListLength());
            Be.putInt(b, 16, (int) limits.maxSegmentLength());
            Be.putInt(b, 20, (int) limits.maxInlineDataLength());
            // HELD DATA LIMIT (24-27) and MAXIMUM STREAM DEVICE TRANSFER SIZE (28-31): zero, none of either.
            Be.putShort(b, 34, limits.totalConcurrentCopies());
            b[36] = (byte) limits.maxConcurrentCopies();
            b[37] = (byte) limits.dataSegmentGranularity();
            b[38] = (byte) limits.inlineDataGranularity();
            b[39] = (byte) limits.heldDataGranularity();
            b[43] = (byte) n;
            for (int i = 0; i < n; i++) {
                b[44 + i] = (byte) (int) limits.descriptorTypes().get(i);
            }
            return b;
        }
    }

    /** COPY MANAGER STATUS values (SPC-4 Table 111). */
    public enum CopyManagerStatus {
        IN_PROGRESS(0x00), COMPLETED_WITHOUT_ERRORS(0x01), COMPLETED_WITH_ERRORS(0x02);

        private final int code;

        CopyManagerStatus(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static java.util.Optional<CopyManagerStatus> lookup(int code) {
            for (CopyManagerStatus s : values()) {
                if (s.code == code) {
                    return java.util.Optional.of(s);
                }
            }
            return java.util.Optional.empty();
        }
    }

    /**
     * COPY STATUS (SPC-4 6.18.2, Table 110): 12 bytes. The transfer count is in bytes while it fits the 32-bit
     * field, else in kibibytes (TRANSFER COUNT UNITS 00h / 01h, Table 112).
     *
     * @param status            COPY MANAGER STATUS (HDD, held data discarded, is zero: none is ever held)
     * @param segmentsProcessed SEGMENTS PROCESSED
     * @param bytesTransferred  data moved so far, in bytes
     */
    public record CopyStatus(CopyManagerStatus status, int segmentsProcessed, long bytesTransferred) {
        public static final int LENGTH = 12;
        /** TRANSFER COUNT UNITS up to 06h: bytes, then kibibytes, mebibytes ... exbibytes (SPC-4 Table 112). */
        public static final int MAX_TRANSFER_COUNT_UNITS = 0x06;

        /**
         * The parameter data as a copy manager returns it ({@code length} bytes of {@code b} arrived). The transfer
         * count is converted to bytes: the count times its unit, so with a unit above bytes it says how much moved
         * only to the unit's precision (and is clamped to {@link Long#MAX_VALUE} when larger). HDD (byte 4, bit 7)
         * is not kept.
         *
         * @throws IllegalArgumentException naming the field and its value when the data is short or a field holds a
         *                                  reserved value
         */
        public static CopyStatus decode(byte[] b, int length) {
            if (length > b.length) {
                throw new IllegalArgumentException(length + " bytes claimed of a " + b.length + "-byte buffer");
            }
            if (length < LENGTH) {
                throw new IllegalArgumentException("COPY STATUS of " + length + " bytes, need " + LENGTH);
            }
            long available = Be.getInt(b, 0) & 0xFFFF_FFFFL;
            if (available < LENGTH - 4) {
                throw new IllegalArgumentException("AVAILABLE DATA " + available + ", need " + (LENGTH - 4));
            }
            int code = b[4] & 0x7F;
            CopyManagerStatus status = CopyManagerStatus.lookup(code).orElseThrow(() ->
                    new IllegalArgumentException("COPY MANAGER STATUS 0x" + Integer.toHexString(code)
                            + " is reserved"));
            int units = b[7] & 0xFF;
            if (units > MAX_TRANSFER_COUNT_UNITS) {
                throw new IllegalArgumentException("TRANSFER COUNT UNITS 0x" + Integer.toHexString(units)
                        + " is reserved");
            }
            long count = Be.getInt(b, 8) & 0xFFFF_FFFFL;
            int shift = 10 * units;
            long bytes = count == 0 ? 0 : Long.numberOfLeadingZeros(count) - 1 < shift ? Long.MAX_VALUE
                    : count << shift;
            return new CopyStatus(status, Be.getShort(b, 5), bytes);
        }

        public byte[] encode() {
            byte[] b = new byte[12];
            Be.putInt(b, 0, 8);
            b[4] = (byte) status.code();
            Be.putShort(b, 5, segmentsProcessed);
            // The smallest unit in which the count fits the 32-bit field. Found by fuzzing: kibibytes alone wrapped
            // round from 4 TiB on (a count of 2^32 KiB was written as 0).
            int units = 0;
            while (bytesTransferred >>> (10 * units) > 0xFFFF_FFFFL) {
                units++;
            }
            b[7] = (byte) units;
            Be.putInt(b, 8, (int) (bytesTransferred >>> (10 * units)));
            return b;
        }
    }

    /**
     * FAILED SEGMENT DETAILS (SPC-4 6.18.5, Table 115): for a copy that completed with errors, the status it ended
     * with (COPY COMMAND STATUS, byte 56) and its sense data from byte 60; for one that did not fail, only the
     * AVAILABLE DATA field, zero.
     *
     * @param status the SCSI status the EXTENDED COPY completed with
     * @param sense  its sense data (empty if none)
     */
    public record FailedSegmentDetails(ScsiStatus status, byte[] sense) {
        public FailedSegmentDetails {
            sense = sense.clone();
        }

        @Override
        public byte[] sense() {
            return sense.clone();
        }

        /** The data for a copy without failed segments. */
        public static byte[] none() {
            return new byte[4];
        }

        public byte[] encode() {
            byte[] b = new byte[60 + sense.length];
            Be.putInt(b, 0, b.length - 4);
            b[56] = (byte) status.code();
            Be.putShort(b, 58, sense.length);
            System.arraycopy(sense, 0, b, 60, sense.length);
            return b;
        }
    }

    /** COPY OPERATION STATUS values of RECEIVE COPY STATUS (LID4) (SPC-4 6.18.3 / SPC-5 Table 142). */
    public enum CopyOperationStatus {
        COMPLETED_WITHOUT_ERRORS(0x01), COMPLETED_WITH_ERRORS(0x02), IN_PROGRESS_FOREGROUND(0x11),
        IN_PROGRESS_BACKGROUND(0x12), TERMINATED(0x60);

        private final int code;

        CopyOperationStatus(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public boolean inProgress() {
            return this == IN_PROGRESS_FOREGROUND || this == IN_PROGRESS_BACKGROUND;
        }
    }

    /**
     * RECEIVE COPY STATUS (LID4) parameter data (SPC-4 6.18.3 / SPC-5 6.22.3): 32 bytes and the sense data the copy
     * completed with. TRANSFER COUNT is in bytes (units 00h: the field has 64 bits). OPERATION COUNTER counts
     * segments here too; ESTIMATED STATUS UPDATE DELAY is FFFFFFFFh (no estimate) while the copy runs, zero once
     * it has completed.
     *
     * @param respondsTo        RESPONSE TO SERVICE ACTION: the EXTENDED COPY service action that started the copy
     * @param status            COPY OPERATION STATUS
     * @param completionStatus  EXTENDED COPY COMPLETION STATUS, once completed (GOOD while in progress)
     * @param segmentsProcessed SEGMENTS PROCESSED
     * @param bytesTransferred  TRANSFER COUNT, in bytes
     * @param sense             SENSE DATA of a copy that completed with errors (empty otherwise)
     */
    public record CopyStatusLid4(int respondsTo, CopyOperationStatus status, ScsiStatus completionStatus,
                                 int segmentsProcessed, long bytesTransferred, byte[] sense) {
        public static final int HEADER = 32;

        public CopyStatusLid4 {
            sense = sense.clone();
            if (sense.length > 0xFF) {
                throw new IllegalArgumentException("sense data of " + sense.length + " bytes");
            }
        }

        /**
         * The parameter data as a copy manager returns it ({@code length} bytes of {@code b} arrived), for a host
         * that asks after its LID4 copy. The transfer count is converted to bytes as in {@link CopyStatus#decode}
         * (clamped to {@link Long#MAX_VALUE}); the OPERATION COUNTER and ESTIMATED STATUS UPDATE DELAY are not
         * kept; the sense data is SENSE DATA LENGTH bytes from byte 32.
         *
         * @throws IllegalArgumentException naming the field and its value when the data is short, a length runs
         *                                  past it or a field holds a reserved value
         */
        public static CopyStatusLid4 decode(byte[] b, int length) {
            if (length > b.length) {
                throw new IllegalArgumentException(length + " bytes claimed of a " + b.length + "-byte buffer");
            }
            if (length < HEADER) {
                throw new IllegalArgumentException("RECEIVE COPY STATUS (LID4) data of " + length + " bytes, need "
                        + HEADER);
            }
            long available = Be.getInt(b, 0) & 0xFFFF_FFFFL;
            if (available < HEADER - 4) {
                throw new IllegalArgumentException("AVAILABLE DATA " + available + ", need " + (HEADER - 4));
            }
            int code = b[5] & 0xFF;
            CopyOperationStatus status = java.util.Arrays.stream(CopyOperationStatus.values())
                    .filter(s -> s.code() == code).findFirst().orElseThrow(() -> new IllegalArgumentException(
                            "COPY OPERATION STATUS 0x" + Integer.toHexString(code) + " is reserved"));
            int completion = b[12] & 0xFF;
            ScsiStatus completionStatus = ScsiStatus.lookup(completion).orElseThrow(() ->
                    new IllegalArgumentException("EXTENDED COPY COMPLETION STATUS 0x"
                            + Integer.toHexString(completion) + " is not a SCSI status"));
            int fieldLength = b[13] & 0xFF;
            int senseLength = b[14] & 0xFF;
            if (senseLength > fieldLength) {
                throw new IllegalArgumentException("SENSE DATA LENGTH " + senseLength
                        + " exceeds LENGTH OF THE SENSE DATA FIELD " + fieldLength);
            }
            if (HEADER + senseLength > length) {
                throw new IllegalArgumentException("SENSE DATA LENGTH " + senseLength + " runs past the " + length
                        + " bytes received");
            }
            int units = b[15] & 0xFF;
            if (units > CopyStatus.MAX_TRANSFER_COUNT_UNITS) {
                throw new IllegalArgumentException("TRANSFER COUNT UNITS 0x" + Integer.toHexString(units)
                        + " is reserved");
            }
            long count = Be.getLong(b, 16);
            int shift = 10 * units;
            long bytes = count == 0 ? 0 : count < 0 || Long.numberOfLeadingZeros(count) - 1 < shift ? Long.MAX_VALUE
                    : count << shift;
            return new CopyStatusLid4(b[4] & 0x1F, status, completionStatus, Be.getShort(b, 24), bytes,
                    java.util.Arrays.copyOfRange(b, HEADER, HEADER + senseLength));
        }

        @Override
        public byte[] sense() {
            return sense.clone();
        }

        public byte[] encode() {
            byte[] b = new byte[HEADER + sense.length];
            Be.putInt(b, 0, b.length - 4);
            b[4] = (byte) (respondsTo & 0x1F);
            b[5] = (byte) status.code();
            Be.putShort(b, 6, segmentsProcessed);
            Be.putInt(b, 8, status.inProgress() ? 0xFFFF_FFFF : 0);
            b[12] = (byte) completionStatus.code();
            b[13] = (byte) sense.length; // LENGTH OF THE SENSE DATA FIELD
            b[14] = (byte) sense.length; // SENSE DATA LENGTH
            b[15] = 0x00; // TRANSFER COUNT UNITS: bytes
            Be.putLong(b, 16, bytesTransferred);
            Be.putShort(b, 24, segmentsProcessed);
            System.arraycopy(sense, 0, b, HEADER, sense.length);
            return b;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CopyStatusLid4 c && respondsTo == c.respondsTo && status == c.status
                    && completionStatus == c.completionStatus && segmentsProcessed == c.segmentsProcessed
                    && bytesTransferred == c.bytesTransferred && java.util.Arrays.equals(sense, c.sense);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(respondsTo, status, segmentsProcessed, bytesTransferred);
        }
    }

    /**
     * RECEIVE COPY DATA (LID4) parameter data for a copy with no held data (SPC-4 6.18: only segment descriptors
     * that hold data, such as those with CAT or the stream and inline forms, leave any; block to block segments do
     * not): AVAILABLE DATA of zero and nothing after it.
     */
    public static byte[] noHeldData() {
        return new byte[4];
    }
}
