package org.copyoffload.protocol.nvme;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The status codes this project returns or understands, by Status Code Type: 0 generic (NVMe Base 2.1,
 * Figure 102/103), 1 command specific (Figure 104, Fabrics Figure 39 of NVMe-oF 1.1, ZNS 1.1), 2 media and
 * data integrity (Figure 105). Command-specific codes are reused by different commands with different
 * meanings, so several names share one value.
 */
public enum StatusCode {
    SUCCESS(0, 0x00),
    INVALID_COMMAND_OPCODE(0, 0x01),
    INVALID_FIELD_IN_COMMAND(0, 0x02),
    COMMAND_ID_CONFLICT(0, 0x03),
    DATA_TRANSFER_ERROR(0, 0x04),
    INTERNAL_ERROR(0, 0x06),
    COMMAND_ABORT_REQUESTED(0, 0x07),
    COMMAND_ABORTED_SQ_DELETION(0, 0x08),
    INVALID_NAMESPACE_OR_FORMAT(0, 0x0B),
    COMMAND_SEQUENCE_ERROR(0, 0x0C),
    INVALID_SGL_SEGMENT_DESCRIPTOR(0, 0x0D),
    INVALID_NUMBER_OF_SGL_DESCRIPTORS(0, 0x0E),
    DATA_SGL_LENGTH_INVALID(0, 0x0F),
    SGL_DESCRIPTOR_TYPE_INVALID(0, 0x11),
    SGL_OFFSET_INVALID(0, 0x16),
    HOST_IDENTIFIER_INCONSISTENT_FORMAT(0, 0x18),
    KEEP_ALIVE_TIMER_EXPIRED(0, 0x19),
    KEEP_ALIVE_TIMEOUT_INVALID(0, 0x1A),
    COMMAND_INTERRUPTED(0, 0x21),
    TRANSIENT_TRANSPORT_ERROR(0, 0x22),
    LBA_OUT_OF_RANGE(0, 0x80),
    CAPACITY_EXCEEDED(0, 0x81),
    NAMESPACE_NOT_READY(0, 0x82),

    INVALID_QUEUE_IDENTIFIER(1, 0x01),
    INVALID_QUEUE_SIZE(1, 0x02),
    ABORT_COMMAND_LIMIT_EXCEEDED(1, 0x03),
    ASYNCHRONOUS_EVENT_REQUEST_LIMIT_EXCEEDED(1, 0x05),
    INVALID_LOG_PAGE(1, 0x09),
    INVALID_FORMAT(1, 0x0A),
    FEATURE_IDENTIFIER_NOT_SAVEABLE(1, 0x0D),
    FEATURE_NOT_CHANGEABLE(1, 0x0E),
    FEATURE_NOT_NAMESPACE_SPECIFIC(1, 0x0F),
    INVALID_CONTROLLER_IDENTIFIER(1, 0x1F),
    /** Connect: the RECFMT is not supported. */
    CONNECT_INCOMPATIBLE_FORMAT(1, 0x80),
    /** Dataset Management and I/O: conflicting attributes. */
    CONFLICTING_ATTRIBUTES(1, 0x80),
    CONNECT_CONTROLLER_BUSY(1, 0x81),
    CONNECT_INVALID_PARAMETERS(1, 0x82),
    CONNECT_RESTART_DISCOVERY(1, 0x83),
    COMMAND_SIZE_LIMIT_EXCEEDED(1, 0x83),
    CONNECT_INVALID_HOST(1, 0x84),
    INCOMPATIBLE_NAMESPACE_OR_FORMAT(1, 0x85),
    /** Copy (formats 2h/3h) within one namespace whose source overlaps the destination. */
    OVERLAPPING_IO_RANGE(1, 0x87),
    INVALID_QUEUE_TYPE(1, 0x85),
    /**
     * A command other than Authentication Send/Receive (or Disconnect) on a queue whose host has not authenticated
     * yet (NVMe Base 2.1, 8.3.4.2; Linux's NVME_SC_AUTH_REQUIRED).
     */
    AUTHENTICATION_REQUIRED(1, 0x91),
    ZONE_BOUNDARY_ERROR(1, 0xB8),
    ZONE_IS_FULL(1, 0xB9),
    ZONE_IS_READ_ONLY(1, 0xBA),
    ZONE_IS_OFFLINE(1, 0xBB),
    ZONE_INVALID_WRITE(1, 0xBC),
    TOO_MANY_ACTIVE_ZONES(1, 0xBD),
    TOO_MANY_OPEN_ZONES(1, 0xBE),
    INVALID_ZONE_STATE_TRANSITION(1, 0xBF),

    WRITE_FAULT(2, 0x80),
    UNRECOVERED_READ_ERROR(2, 0x81),
    COMPARE_FAILURE(2, 0x85),
    ACCESS_DENIED(2, 0x86);

    private static final Map<Integer, StatusCode> FIRST_BY_CODE = Arrays.stream(values())
            .collect(Collectors.toMap(StatusCode::code, Function.identity(), (first, later) -> first));

    private final int sct;
    private final int sc;

    StatusCode(int sct, int sc) {
        this.sct = sct;
        this.sc = sc;
    }

    public int sct() {
        return sct;
    }

    public int sc() {
        return sc;
    }

    public int code() {
        return (sct << 8) | sc;
    }

    public NvmeStatus status() {
        return new NvmeStatus(sct, sc, 0, false, false);
    }

    /** The status with Do Not Retry set: the same command would fail the same way again. */
    public NvmeStatus dnr() {
        return new NvmeStatus(sct, sc, 0, false, true);
    }

    /** The first name for a code; command-specific codes have several. */
    public static Optional<StatusCode> lookup(int sct, int sc) {
        return Optional.ofNullable(FIRST_BY_CODE.get((sct << 8) | sc));
    }

    /**
     * The name a code has for a Fabrics command (Connect's codes) or for any other command: command-specific
     * codes mean different things for each (183h is Connect Restart Discovery or Command Size Limit Exceeded).
     */
    public static Optional<StatusCode> lookup(int sct, int sc, boolean fabricsCommand) {
        int code = (sct << 8) | sc;
        for (StatusCode s : values()) {
            if (s.code() == code && (sct != 1 || s.fabricsOnly() == fabricsCommand)) {
                return Optional.of(s);
            }
        }
        return lookup(sct, sc);
    }

    /** Command-specific codes that only Fabrics commands return. */
    public boolean fabricsOnly() {
        return name().startsWith("CONNECT_") || this == INVALID_QUEUE_TYPE;
    }
}
