package org.copyoffload.protocol.scsi;

import java.util.Optional;

/** Operation codes (SPC-5 Annex F.3.1, SBC-4 Table 27) with their CDB lengths; the target implements these. */
public enum OperationCode {
    TEST_UNIT_READY(0x00, 6),
    REQUEST_SENSE(0x03, 6),
    READ_6(0x08, 6),
    WRITE_6(0x0A, 6),
    INQUIRY(0x12, 6),
    MODE_SELECT_6(0x15, 6),
    /** RESERVE (6) and RELEASE (6): SPC-2 reservations of the whole logical unit (SPC-2 7.21, 7.17). */
    RESERVE_6(0x16, 6),
    RELEASE_6(0x17, 6),
    MODE_SENSE_6(0x1A, 6),
    START_STOP_UNIT(0x1B, 6),
    READ_CAPACITY_10(0x25, 10),
    READ_10(0x28, 10),
    WRITE_10(0x2A, 10),
    WRITE_AND_VERIFY_10(0x2E, 10),
    VERIFY_10(0x2F, 10),
    PRE_FETCH_10(0x34, 10),
    SYNCHRONIZE_CACHE_10(0x35, 10),
    WRITE_SAME_10(0x41, 10),
    UNMAP(0x42, 10),
    MODE_SELECT_10(0x55, 10),
    RESERVE_10(0x56, 10),
    RELEASE_10(0x57, 10),
    MODE_SENSE_10(0x5A, 10),
    /** PERSISTENT RESERVE IN / OUT (SPC-4 6.15, 6.16): service actions in byte 1, as SERVICE ACTION IN. */
    PERSISTENT_RESERVE_IN(0x5E, 10),
    PERSISTENT_RESERVE_OUT(0x5F, 10),
    /** Third-party copy out: EXTENDED COPY (LID1, LID4), POPULATE TOKEN, WRITE USING TOKEN, COPY OPERATION ABORT. */
    EXTENDED_COPY(0x83, 16),
    /** Third-party copy in: RECEIVE COPY RESULTS / STATUS (SPC-4 6.18), RECEIVE ROD TOKEN INFORMATION, REPORT ALL ROD TOKENS. */
    RECEIVE_COPY_RESULTS(0x84, 16),
    READ_16(0x88, 16),
    COMPARE_AND_WRITE(0x89, 16),
    WRITE_16(0x8A, 16),
    WRITE_AND_VERIFY_16(0x8E, 16),
    VERIFY_16(0x8F, 16),
    PRE_FETCH_16(0x90, 16),
    SYNCHRONIZE_CACHE_16(0x91, 16),
    WRITE_SAME_16(0x93, 16),
    /** ZBC OUT: CLOSE ZONE, FINISH ZONE, OPEN ZONE, RESET WRITE POINTER (ZBC-2 5.x, service action in byte 1). */
    ZBC_OUT(0x94, 16),
    /** ZBC IN: REPORT ZONES (ZBC-2, service action 00h in byte 1). */
    ZBC_IN(0x95, 16),
    /** SERVICE ACTION IN (16): READ CAPACITY (16), GET LBA STATUS (SBC-4 Annex A.2). */
    SERVICE_ACTION_IN_16(0x9E, 16),
    REPORT_LUNS(0xA0, 12),
    /** MAINTENANCE IN: REPORT SUPPORTED OPERATION CODES, REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS. */
    MAINTENANCE_IN(0xA3, 12),
    READ_12(0xA8, 12),
    WRITE_12(0xAA, 12),
    WRITE_AND_VERIFY_12(0xAE, 12),
    VERIFY_12(0xAF, 12);

    private static final OperationCode[] BY_CODE = new OperationCode[256];

    static {
        for (OperationCode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final int cdbLength;

    OperationCode(int code, int cdbLength) {
        this.code = code;
        this.cdbLength = cdbLength;
    }

    public int code() {
        return code;
    }

    public int cdbLength() {
        return cdbLength;
    }

    public static Optional<OperationCode> lookup(int code) {
        return code < 0 || code > 0xFF ? Optional.empty() : Optional.ofNullable(BY_CODE[code]);
    }

    /** The SERVICE ACTION field of SERVICE ACTION IN (16) and MAINTENANCE IN: byte 1, bits 4:0. */
    public static final CdbField SERVICE_ACTION = CdbField.bits("SERVICE ACTION", 1, 4, 5);

    /** Service actions of SERVICE ACTION IN (16). */
    public enum ServiceActionIn16 {
        READ_CAPACITY_16(0x10), GET_LBA_STATUS(0x12);

        private final int code;

        ServiceActionIn16(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ServiceActionIn16> lookup(int code) {
            for (ServiceActionIn16 s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Service actions of operation code 83h (third-party copy out, SPC-5 Table F.4; POPULATE TOKEN and WRITE USING
     * TOKEN: SBC-4 POPULATE TOKEN, WRITE USING TOKEN).
     */
    public enum ExtendedCopy {
        LID1(0x00), LID4(0x01), POPULATE_TOKEN(0x10), WRITE_USING_TOKEN(0x11), COPY_OPERATION_ABORT(0x1C);

        private final int code;

        ExtendedCopy(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /**
     * Service actions of RECEIVE COPY RESULTS / RECEIVE COPY STATUS (SPC-4 Table 110; 84h carries both LID1 and LID4
     * forms); RECEIVE DATA (LID1, 01h) needs held data, kept by none here. RECEIVE ROD TOKEN INFORMATION (07h) and
     * REPORT ALL ROD TOKENS (08h) are SPC-4.
     */
    public enum ReceiveCopyResults {
        COPY_STATUS(0x00), OPERATING_PARAMETERS(0x03), FAILED_SEGMENT_DETAILS(0x04), COPY_STATUS_LID4(0x05),
        COPY_DATA_LID4(0x06), RECEIVE_ROD_TOKEN_INFORMATION(0x07), REPORT_ALL_ROD_TOKENS(0x08);

        private final int code;

        ReceiveCopyResults(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ReceiveCopyResults> lookup(int code) {
            for (ReceiveCopyResults s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** Service actions of ZBC OUT (94h): the zone actions of ZBC-2. */
    public enum ZbcOut {
        CLOSE_ZONE(0x01), FINISH_ZONE(0x02), OPEN_ZONE(0x03), RESET_WRITE_POINTER(0x04);

        private final int code;

        ZbcOut(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ZbcOut> lookup(int code) {
            for (ZbcOut s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    /** Service actions of ZBC IN (95h) this target implements: REPORT ZONES. */
    public enum ZbcIn {
        REPORT_ZONES(0x00);

        private final int code;

        ZbcIn(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** Service actions of MAINTENANCE IN (SPC-5 Table F.4). */
    public enum MaintenanceIn {
        REPORT_SUPPORTED_OPERATION_CODES(0x0C), REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS(0x0D);

        private final int code;

        MaintenanceIn(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<MaintenanceIn> lookup(int code) {
            for (MaintenanceIn s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }
}
