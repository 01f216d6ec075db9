package org.copyoffload.protocol.scsi;

import java.util.Optional;

/**
 * The additional sense codes and qualifiers this target reports (SPC-5, 4.4.9, Table 53 / Annex F.2), each with the
 * sense key it goes with.
 */
public enum AdditionalSense {
    NO_ADDITIONAL_SENSE(SenseKey.NO_SENSE, 0x00, 0x00),
    // Medium and hardware: a store I/O error surfaces as the matching medium error.
    WRITE_ERROR(SenseKey.MEDIUM_ERROR, 0x0C, 0x00),
    UNRECOVERED_READ_ERROR(SenseKey.MEDIUM_ERROR, 0x11, 0x00),
    // ILLEGAL REQUEST
    PARAMETER_LIST_LENGTH_ERROR(SenseKey.ILLEGAL_REQUEST, 0x1A, 0x00),
    INVALID_COMMAND_OPERATION_CODE(SenseKey.ILLEGAL_REQUEST, 0x20, 0x00),
    LBA_OUT_OF_RANGE(SenseKey.ILLEGAL_REQUEST, 0x21, 0x00),
    INVALID_FIELD_IN_CDB(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00),
    // Zoned block devices (ZBC-2; SPC-5 Annex F.2 names; the values Linux's sd_zbc and scsi_debug use)
    /** A write to a sequential write required zone that does not start at its write pointer. */
    UNALIGNED_WRITE_COMMAND(SenseKey.ILLEGAL_REQUEST, 0x21, 0x04),
    /** A write to a sequential write required zone that crosses the zone's end. */
    WRITE_BOUNDARY_VIOLATION(SenseKey.ILLEGAL_REQUEST, 0x21, 0x05),
    /** A read of a zone type boundary or of unwritten data where URSWRZ is zero: never here (URSWRZ = 1). */
    ATTEMPT_TO_READ_INVALID_DATA(SenseKey.ILLEGAL_REQUEST, 0x21, 0x06),
    /** A read across a zone boundary where URSWRZ is zero: never here (URSWRZ = 1). */
    READ_BOUNDARY_VIOLATION(SenseKey.ILLEGAL_REQUEST, 0x21, 0x07),
    /** Opening a zone (explicitly, or implicitly by a write) needs an open resource that explicitly opened zones hold. */
    INSUFFICIENT_ZONE_RESOURCES(SenseKey.DATA_PROTECT, 0x55, 0x0E),
    ZONE_IS_READ_ONLY(SenseKey.DATA_PROTECT, 0x27, 0x08),
    ZONE_IS_OFFLINE(SenseKey.DATA_PROTECT, 0x2C, 0x0E),
    LOGICAL_UNIT_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x25, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(SenseKey.ILLEGAL_REQUEST, 0x26, 0x00),
    /** PERSISTENT RESERVE OUT RELEASE with a TYPE other than the reservation's (SPC-4 5.13.11.2.2). */
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION(SenseKey.ILLEGAL_REQUEST, 0x26, 0x04),
    // EXTENDED COPY parameter list checks (SPC-4 6.4.3)
    TOO_MANY_TARGET_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x06),
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x07),
    TOO_MANY_SEGMENT_DESCRIPTORS(SenseKey.ILLEGAL_REQUEST, 0x26, 0x08),
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE(SenseKey.ILLEGAL_REQUEST, 0x26, 0x09),
    /** INLINE DATA LENGTH beyond the MAXIMUM INLINE DATA LENGTH reported (zero here: no inline data segments). */
    INLINE_DATA_LENGTH_EXCEEDED(SenseKey.ILLEGAL_REQUEST, 0x26, 0x0B),
    /** A LIST IDENTIFIER already in use by a copy of the same I_T nexus (SPC-4 6.4.3.2). */
    OPERATION_IN_PROGRESS(SenseKey.ILLEGAL_REQUEST, 0x00, 0x16),
    // COPY ABORTED: errors found while a segment is processed (SPC-4 6.4.5.1)
    /** A store I/O error inside a copy. */
    THIRD_PARTY_DEVICE_FAILURE(SenseKey.COPY_ABORTED, 0x0D, 0x01),
    /** A segment names a CSCD this copy manager cannot reach (no such descriptor, no such logical unit). */
    COPY_TARGET_DEVICE_NOT_REACHABLE(SenseKey.COPY_ABORTED, 0x0D, 0x02),
    /** A CSCD is not a block device (PERIPHERAL DEVICE TYPE other than 00h) where a segment needs one. */
    INCORRECT_COPY_TARGET_DEVICE_TYPE(SenseKey.COPY_ABORTED, 0x0D, 0x03),
    /** The segment cannot be carried out between these CSCDs (e.g. different logical block lengths). */
    INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION(SenseKey.COPY_ABORTED, 0x26, 0x0C),
    /** A segment's length or byte offsets break DATA SEGMENT GRANULARITY or the logical block (SPC-4 6.4.6). */
    COPY_SEGMENT_GRANULARITY_VIOLATION(SenseKey.COPY_ABORTED, 0x26, 0x1B),
    // INVALID TOKEN OPERATION (SPC-4 Table F.2, ASC 23h): a ROD token WRITE USING TOKEN cannot use
    INVALID_TOKEN_OPERATION_CAUSE_NOT_REPORTABLE(SenseKey.ILLEGAL_REQUEST, 0x23, 0x00),
    INVALID_TOKEN_OPERATION_UNSUPPORTED_TOKEN_TYPE(SenseKey.ILLEGAL_REQUEST, 0x23, 0x01),
    INVALID_TOKEN_OPERATION_REMOTE_TOKEN_USAGE_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x02),
    INVALID_TOKEN_OPERATION_TOKEN_UNKNOWN(SenseKey.ILLEGAL_REQUEST, 0x23, 0x04),
    INVALID_TOKEN_OPERATION_TOKEN_CORRUPT(SenseKey.ILLEGAL_REQUEST, 0x23, 0x05),
    INVALID_TOKEN_OPERATION_TOKEN_REVOKED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x06),
    INVALID_TOKEN_OPERATION_TOKEN_EXPIRED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x07),
    INVALID_TOKEN_OPERATION_TOKEN_CANCELLED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x08),
    INVALID_TOKEN_OPERATION_TOKEN_DELETED(SenseKey.ILLEGAL_REQUEST, 0x23, 0x09),
    INVALID_TOKEN_OPERATION_INVALID_TOKEN_LENGTH(SenseKey.ILLEGAL_REQUEST, 0x23, 0x0A),
    SAVING_PARAMETERS_NOT_SUPPORTED(SenseKey.ILLEGAL_REQUEST, 0x39, 0x00),
    /** The data-out the transport delivered does not fit the CDB (SAM-5 5.4.3; iSCSI Expected Data Transfer Length). */
    INVALID_FIELD_IN_COMMAND_INFORMATION_UNIT(SenseKey.ILLEGAL_REQUEST, 0x0E, 0x03),
    // MISCOMPARE
    MISCOMPARE_DURING_VERIFY_OPERATION(SenseKey.MISCOMPARE, 0x1D, 0x00),
    MISCOMPARE_VERIFY_OF_UNMAPPED_LBA(SenseKey.MISCOMPARE, 0x1D, 0x01),
    // UNIT ATTENTION
    POWER_ON_RESET_OR_BUS_DEVICE_RESET_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x00),
    POWER_ON_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x01),
    SCSI_BUS_RESET_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x02),
    /** Established by LOGICAL UNIT RESET (and target resets) for every I_T nexus (SAM-5 6.3.3). */
    BUS_DEVICE_RESET_FUNCTION_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x03),
    I_T_NEXUS_LOSS_OCCURRED(SenseKey.UNIT_ATTENTION, 0x29, 0x07),
    MODE_PARAMETERS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x01),
    /** PREEMPT (AND ABORT) or CLEAR took this nexus's persistent reservation away (SPC-4 5.13.11.2.4). */
    RESERVATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x03),
    /** A registrants-only or all-registrants reservation was released, or its type changed (SPC-4 5.13.11.2.2). */
    RESERVATIONS_RELEASED(SenseKey.UNIT_ATTENTION, 0x2A, 0x04),
    /** PREEMPT (AND ABORT) removed this nexus's registration (SPC-4 5.13.11.2.4). */
    REGISTRATIONS_PREEMPTED(SenseKey.UNIT_ATTENTION, 0x2A, 0x05),
    CAPACITY_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x2A, 0x09),
    /** CLEAR TASK SET from another I_T nexus aborted this nexus's commands (SAM-5 7.5, TAS=0). */
    COMMANDS_CLEARED_BY_ANOTHER_INITIATOR(SenseKey.UNIT_ATTENTION, 0x2F, 0x00),
    REPORTED_LUNS_DATA_HAS_CHANGED(SenseKey.UNIT_ATTENTION, 0x3F, 0x0E),
    // ABORTED COMMAND
    INVALID_MESSAGE_ERROR(SenseKey.ABORTED_COMMAND, 0x49, 0x00),
    INTERNAL_TARGET_FAILURE(SenseKey.HARDWARE_ERROR, 0x44, 0x00),
    /** POPULATE TOKEN when the copy manager holds as many ROD tokens as it keeps (SPC-4 Table F.2, 55h/03h). */
    INSUFFICIENT_RESOURCES(SenseKey.ILLEGAL_REQUEST, 0x55, 0x03),
    /** A registration the logical unit has no room for (SPC-4 5.13.7: INSUFFICIENT REGISTRATION RESOURCES). */
    INSUFFICIENT_REGISTRATION_RESOURCES(SenseKey.ILLEGAL_REQUEST, 0x55, 0x04);

    private final SenseKey key;
    private final int asc;
    private final int ascq;

    AdditionalSense(SenseKey key, int asc, int ascq) {
        this.key = key;
        this.asc = asc;
        this.ascq = ascq;
    }

    /** The sense key this code is reported with. */
    public SenseKey key() {
        return key;
    }

    public int asc() {
        return asc;
    }

    public int ascq() {
        return ascq;
    }

    /** ASC in the high byte, ASCQ in the low one, as libiscsi and sg3_utils print them. */
    public int code() {
        return asc << 8 | ascq;
    }

    public static Optional<AdditionalSense> lookup(int asc, int ascq) {
        for (AdditionalSense s : values()) {
            if (s.asc == asc && s.ascq == ascq) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name() + String.format("(%02Xh/%02Xh)", asc, ascq);
    }
}
