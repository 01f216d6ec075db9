package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * REPORT ZONES parameter data (ZBC-2): a 64-byte header (ZONE LIST LENGTH in bytes 0-3, SAME in byte 4 bits 3:0,
 * MAXIMUM LBA in bytes 8-15, ZONE STARTING LBA GRANULARITY in bytes 16-23) and one 64-byte zone descriptor per zone.
 * The device server cuts the data to the ALLOCATION LENGTH; ZONE LIST LENGTH may count descriptors beyond it.
 *
 * @param zoneListLength         ZONE LIST LENGTH: bytes of zone descriptors (64 per zone)
 * @param same                   SAME: 1h, every zone has the type and length of the first descriptor
 * @param maximumLba             MAXIMUM LBA: the last LBA of the logical unit
 * @param startingLbaGranularity ZONE STARTING LBA GRANULARITY (zero: not reported, zones are not gapped)
 * @param zones                  the descriptors present in the data
 */
public record ReportZonesData(long zoneListLength, int same, long maximumLba, long startingLbaGranularity,
                              List<ZoneDescriptor> zones) {
    public static final int HEADER_LENGTH = 64;
    public static final int DESCRIPTOR_LENGTH = 64;
    /** SAME 1h: all zone types and lengths equal the first descriptor's (ZBC-2). */
    public static final int SAME_AS_FIRST = 0x1;

    public ReportZonesData {
        zones = List.copyOf(zones);
        if (same < 0 || same > 0xF) {
            throw new IllegalArgumentException("SAME " + same + " does not fit 4 bits");
        }
    }

    /** ZONE TYPE (ZBC-2). */
    public enum ZoneType {
        CONVENTIONAL(0x1), SEQUENTIAL_WRITE_REQUIRED(0x2), SEQUENTIAL_WRITE_PREFERRED(0x3),
        SEQUENTIAL_OR_BEFORE_REQUIRED(0x4), GAP(0x5);

        private final int code;

        ZoneType(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ZoneType> lookup(int code) {
            for (ZoneType t : values()) {
                if (t.code == code) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        }
    }

    /** ZONE CONDITION (ZBC-2). */
    public enum ZoneCondition {
        NOT_WRITE_POINTER(0x0), EMPTY(0x1), IMPLICITLY_OPENED(0x2), EXPLICITLY_OPENED(0x3), CLOSED(0x4),
        INACTIVE(0x5), READ_ONLY(0xD), FULL(0xE), OFFLINE(0xF);

        private final int code;

        ZoneCondition(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Optional<ZoneCondition> lookup(int code) {
            for (ZoneCondition c : values()) {
                if (c.code == code) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One zone descriptor: ZONE TYPE in byte 0 bits 3:0; ZONE CONDITION in byte 1 bits 7:4, NON_SEQ in bit 1 and
     * RESET in bit 0; ZONE LENGTH in bytes 8-15, ZONE START LBA in 16-23, WRITE POINTER LBA in 24-31.
     */
    public record ZoneDescriptor(ZoneType type, ZoneCondition condition, boolean nonSequential, boolean reset,
                                 long length, long startLba, long writePointer) {
        void encodeInto(byte[] b, int at) {
            b[at] = (byte) type.code();
            b[at + 1] = (byte) (condition.code() << 4 | (nonSequential ? 0x02 : 0) | (reset ? 0x01 : 0));
            Be.putLong(b, at + 8, length);
            Be.putLong(b, at + 16, startLba);
            Be.putLong(b, at + 24, writePointer);
        }

        static ZoneDescriptor decode(byte[] b, int at, int index) {
            int type = b[at] & 0x0F;
            int condition = (b[at + 1] & 0xFF) >>> 4;
            return new ZoneDescriptor(
                    ZoneType.lookup(type).orElseThrow(() -> new IllegalArgumentException("zone descriptor " + index
                            + ": ZONE TYPE " + type + " is reserved")),
                    ZoneCondition.lookup(condition).orElseThrow(() -> new IllegalArgumentException("zone descriptor "
                            + index + ": ZONE CONDITION " + condition + " is reserved")),
                    (b[at + 1] & 0x02) != 0, (b[at + 1] & 0x01) != 0,
                    Be.getLong(b, at + 8), Be.getLong(b, at + 16), Be.getLong(b, at + 24));
        }
    }

    /** The header and every descriptor (the caller cuts it to the allocation length). */
    public byte[] encode() {
        byte[] b = new byte[HEADER_LENGTH + zones.size() * DESCRIPTOR_LENGTH];
        Be.putInt(b, 0, (int) zoneListLength);
        b[4] = (byte) same;
        Be.putLong(b, 8, maximumLba);
        Be.putLong(b, 16, startingLbaGranularity);
        for (int i = 0; i < zones.size(); i++) {
            zones.get(i).encodeInto(b, HEADER_LENGTH + i * DESCRIPTOR_LENGTH);
        }
        return b;
    }

    /**
     * Reads what an initiator received: the header, then as many whole descriptors as both ZONE LIST LENGTH and the
     * data hold.
     *
     * @throws IllegalArgumentException for data shorter than the header or a reserved ZONE TYPE or ZONE CONDITION
     */
    public static ReportZonesData decode(byte[] b) {
        if (b.length < HEADER_LENGTH) {
            throw new IllegalArgumentException("REPORT ZONES data of " + b.length + " bytes is shorter than its "
                    + HEADER_LENGTH + "-byte header");
        }
        long listLength = Integer.toUnsignedLong(Be.getInt(b, 0));
        long count = Math.min(listLength / DESCRIPTOR_LENGTH, (b.length - HEADER_LENGTH) / DESCRIPTOR_LENGTH);
        List<ZoneDescriptor> zones = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            zones.add(ZoneDescriptor.decode(b, HEADER_LENGTH + i * DESCRIPTOR_LENGTH, i));
        }
        return new ReportZonesData(listLength, b[4] & 0x0F, Be.getLong(b, 8), Be.getLong(b, 16), zones);
    }
}
