package org.copyoffload.backends.zone;

/** Why the zone model refused an operation; each maps to one NVMe status (the command layer does the mapping). */
public enum ZoneError {
    /** Command Specific 0xB8: the write crosses the zone capacity (or the zone end). */
    ZONE_BOUNDARY_ERROR,
    /** Command Specific 0xB9. */
    ZONE_IS_FULL,
    /** Command Specific 0xBA. */
    ZONE_IS_READ_ONLY,
    /** Command Specific 0xBB. */
    ZONE_IS_OFFLINE,
    /** Command Specific 0xBC: the write does not start at the write pointer. */
    ZONE_INVALID_WRITE,
    /** Command Specific 0xBD. */
    TOO_MANY_ACTIVE_ZONES,
    /** Command Specific 0xBE. */
    TOO_MANY_OPEN_ZONES,
    /** Command Specific 0xBF. */
    INVALID_ZONE_STATE_TRANSITION,
    /** Generic 0x02: e.g. a zone action or Zone Append SLBA that is not a zone start. */
    INVALID_FIELD,
    /** Generic 0x80. */
    LBA_OUT_OF_RANGE
}
