package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The EXTENDED COPY parameter list in either format: LID1 (SPC-4 6.4.3, Table 105: a 16-byte header with a one-byte
 * LIST IDENTIFIER) or LID4 (SPC-4 6.4.3 for 83h/01h, Table 125: LIST FORMAT 01h, a 48-byte header with a four-byte
 * LIST IDENTIFIER, the IMMED and G_SENSE bits and 16-bit list lengths). Both carry the same CSCD descriptors (SPC-4
 * 6.4.5), segment descriptors (6.4.6) and inline data. Implemented: the identification CSCD descriptor (E4h), the
 * block device to block device segment descriptor (02h) and its byte-offset form (0Ah): what sg_xcopy, ddpt,
 * libiscsi, ESXi and Windows ODX fallbacks send to a block target.
 *
 * <p>{@link #decode} and {@link #decodeLid4} raise every ILLEGAL REQUEST the list can earn by itself, with a field
 * pointer into the parameter list where one helps; whether the CSCDs name reachable logical units, and whether the
 * ranges fit them, is found while the segments are processed (COPY ABORTED, SPC-4 6.4.5.1), by the copy manager.
 *
 * @param format         LID1 or LID4
 * @param listIdentifier LIST IDENTIFIER (LID1: 0-255; LID4: 0-FFFFFFFFh)
 * @param str            STR (sequential striped): a hint, ignored
 * @param listIdUsage    LIST ID USAGE
 * @param priority       PRIORITY
 * @param immediate      IMMED (LID4 only): GOOD as soon as the list is accepted, the copy goes on in the background
 * @param gSense         G_SENSE (LID4 only): sense data of CSCD commands wanted in the status (none are sent here)
 * @param cscds          the CSCD descriptors, in order (segments refer to them by index)
 * @param segments       the segment descriptors, in order
 * @param inlineData     the inline data
 */
public record ExtendedCopyParameterList(Format format, long listIdentifier, boolean str, ListIdUsage listIdUsage,
                                        int priority, boolean immediate, boolean gSense, List<CscdDescriptor> cscds,
                                        List<Segment> segments, byte[] inlineData) {
    public static final int HEADER = 16;
    /** The LID4 header (SPC-4 Table 125): descriptors start at byte 48 (after any header CSCD descriptors). */
    public static final int LID4_HEADER = 48;
    /** LIST FORMAT of a LID4 parameter list. */
    public static final int LID4_LIST_FORMAT = 0x01;
    /** Every CSCD descriptor code from E0h to E9h is 32 bytes long (SPC-4 6.4.5.1). */
    public static final int CSCD_LENGTH = 32;
    public static final int IDENTIFICATION_CSCD = 0xE4;
    public static final int BLOCK_TO_BLOCK_SEGMENT = 0x02;
    public static final int BLOCK_TO_BLOCK_OFFSET_SEGMENT = 0x0A;
    /** 02h's DESCRIPTOR LENGTH: 0018h, the bytes after the first four. */
    public static final int BLOCK_TO_BLOCK_LENGTH = 28;
    /** 0Ah's DESCRIPTOR LENGTH: 001Ch, the bytes after the first four. */
    public static final int BLOCK_TO_BLOCK_OFFSET_LENGTH = 32;
    /** The most DESIGNATOR bytes an E4h descriptor carries (bytes 8-27). */
    public static final int MAX_DESIGNATOR = 20;

    public ExtendedCopyParameterList {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(listIdUsage, "listIdUsage");
        cscds = List.copyOf(cscds);
        segments = List.copyOf(segments);
        inlineData = inlineData.clone();
        if (listIdentifier < 0 || listIdentifier > format.maxListIdentifier() || priority < 0 || priority > 7
                || format == Format.LID1 && (immediate || gSense)) {
            throw new IllegalArgumentException("LIST IDENTIFIER " + listIdentifier + " / PRIORITY " + priority
                    + " / IMMED " + immediate + " / G_SENSE " + gSense + " for " + format);
        }
    }

    /** A LID1 list. */
    public ExtendedCopyParameterList(int listIdentifier, boolean str, ListIdUsage listIdUsage, int priority,
                                     List<CscdDescriptor> cscds, List<? extends Segment> segments,
                                     byte[] inlineData) {
        this(Format.LID1, listIdentifier, str, listIdUsage, priority, false, false, cscds, List.copyOf(segments),
                inlineData);
    }

    /** The two parameter list formats, by the EXTENDED COPY service action that carries them. */
    public enum Format {
        LID1(0xFFL, 0), LID4(0xFFFF_FFFFL, 20);

        private final long maxListIdentifier;
        private final int listIdentifierOffset;

        Format(long maxListIdentifier, int listIdentifierOffset) {
            this.maxListIdentifier = maxListIdentifier;
            this.listIdentifierOffset = listIdentifierOffset;
        }

        public long maxListIdentifier() {
            return maxListIdentifier;
        }

        /** Where LIST IDENTIFIER sits in the parameter list, for field pointers. */
        public int listIdentifierOffset() {
            return listIdentifierOffset;
        }
    }

    @Override
    public byte[] inlineData() {
        return inlineData.clone();
    }

    /** LIST ID USAGE (SPC-4 Table 106): what the copy manager keeps of the command for RECEIVE COPY RESULTS. */
    public enum ListIdUsage {
        /** 00b: the list identifier is held, with status and any held data, until RECEIVE COPY RESULTS returns it. */
        HOLD(0b00),
        /** 10b: the list identifier is held with status, no held data. */
        HOLD_NO_DATA(0b10),
        /** 11b: nothing is held; LIST IDENTIFIER must be zero. */
        NONE(0b11);

        private final int code;

        ListIdUsage(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        /** Whether RECEIVE COPY RESULTS can ask about the command afterwards. */
        public boolean held() {
            return this != NONE;
        }

        static Optional<ListIdUsage> lookup(int code) {
            return Arrays.stream(values()).filter(u -> u.code == code).findFirst();
        }
    }

    /**
     * An identification CSCD descriptor (E4h, SPC-4 6.4.5.2 and 6.4.5.1's common bytes) with the block device type
     * specific parameters (6.4.5.4.1).
     *
     * @param nul                     NUL (obsolete in SPC-4: the CSCD is a null device)
     * @param peripheralDeviceType    PERIPHERAL DEVICE TYPE (00h: block)
     * @param relativeInitiatorPortId RELATIVE INITIATOR PORT IDENTIFIER (zero: any)
     * @param codeSet                 the designation descriptor's CODE SET
     * @param association             ASSOCIATION
     * @param designatorType          DESIGNATOR TYPE
     * @param designator              DESIGNATOR, at most 20 bytes
     * @param pad                     PAD (for stream devices; ignored for block to block)
     * @param diskBlockLength         DISK BLOCK LENGTH
     * @param offset                  where the descriptor starts in the parameter list, for field pointers
     */
    public record CscdDescriptor(boolean nul, int peripheralDeviceType, int relativeInitiatorPortId, int codeSet,
                                 int association, int designatorType, byte[] designator, boolean pad,
                                 int diskBlockLength, int offset) {
        public CscdDescriptor {
            designator = designator.clone();
            if (designator.length > MAX_DESIGNATOR) {
                throw new IllegalArgumentException("an E4h descriptor carries at most 20 designator bytes, got "
                        + designator.length);
            }
        }

        @Override
        public byte[] designator() {
            return designator.clone();
        }

        /** Whether this descriptor names the logical unit that has {@code d} in its Device Identification page. */
        public boolean names(DeviceIdentification.Designator d) {
            return d.codeSet() == codeSet && d.association() == association && d.type() == designatorType
                    && Arrays.equals(d.designator(), designator);
        }

        void encode(byte[] b, int at) {
            b[at] = (byte) IDENTIFICATION_CSCD;
            b[at + 1] = (byte) ((nul ? 0x20 : 0) | peripheralDeviceType & 0x1F);
            Be.putShort(b, at + 2, relativeInitiatorPortId);
            b[at + 4] = (byte) (codeSet & 0x0F);
            b[at + 5] = (byte) ((association & 3) << 4 | designatorType & 0x0F);
            b[at + 7] = (byte) designator.length;
            System.arraycopy(designator, 0, b, at + 8, designator.length);
            b[at + 28] = (byte) (pad ? 0x04 : 0);
            b[at + 29] = (byte) (diskBlockLength >>> 16);
            Be.putShort(b, at + 30, diskBlockLength);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CscdDescriptor c && nul == c.nul && peripheralDeviceType == c.peripheralDeviceType
                    && relativeInitiatorPortId == c.relativeInitiatorPortId && codeSet == c.codeSet
                    && association == c.association && designatorType == c.designatorType
                    && Arrays.equals(designator, c.designator) && pad == c.pad
                    && diskBlockLength == c.diskBlockLength && offset == c.offset;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(designator) * 31 + offset;
        }

        @Override
        public String toString() {
            return "CscdDescriptor[E4h type=" + designatorType + " " + HexFormat.of().formatHex(designator)
                    + (nul ? " NUL" : "") + " pdt=" + peripheralDeviceType + " block=" + diskBlockLength
                    + " @" + offset + "]";
        }
    }

    /**
     * A segment descriptor this copy manager processes: both kinds copy between two block devices and name them by
     * CSCD descriptor index. Where the bytes lie follows from the logical block lengths of the CSCDs, known only
     * once they are resolved, so each kind says how to place itself given them.
     */
    public sealed interface Segment permits SegmentDescriptor, ByteOffsetSegmentDescriptor {
        int SOURCE_INDEX = 4;
        int DESTINATION_INDEX = 6;

        int typeCode();

        int sourceIndex();

        int destinationIndex();

        /** Where the descriptor starts in the parameter list, for field pointers. */
        int offset();

        /** Bytes on the wire, type code to the end. */
        int encodedLength();

        /** The byte ranges this segment copies between CSCDs of logical block lengths {@code sourceBlock} and
         * {@code destinationBlock}. */
        ByteRanges ranges(int sourceBlock, int destinationBlock);

        void encode(byte[] b, int at);
    }

    /**
     * Where a segment reads and writes, in bytes from the start of each logical unit (unsigned; an LBA times a
     * block length can exceed a long, which {@link #fits} guards against).
     *
     * @param source      the first source byte
     * @param destination the first destination byte
     * @param length      bytes to copy
     */
    public record ByteRanges(long source, long destination, long length) {
        /** Whether {@code [start, start + length)} lies inside a logical unit of {@code capacityBytes}. */
        public static boolean fits(long start, long length, long capacityBytes) {
            return start >= 0 && length >= 0 && start <= capacityBytes && length <= capacityBytes - start;
        }

        /** {@code lba * blockSize + byteOffset}, or -1 when that leaves the long range (it cannot fit a unit). */
        static long at(long lba, int blockSize, int byteOffset) {
            if (lba < 0 || Long.compareUnsigned(lba, Long.MAX_VALUE / blockSize) > 0) {
                return -1;
            }
            return lba * blockSize + byteOffset;
        }
    }

    /**
     * A block device to block device segment descriptor (02h, SPC-4 6.4.6.5).
     *
     * @param destinationCount DC: NUMBER OF BLOCKS counts destination blocks rather than source blocks
     * @param cat              CAT: how a residue is handled (none is possible with equal block lengths)
     * @param sourceIndex      SOURCE CSCD DESCRIPTOR INDEX
     * @param destinationIndex DESTINATION CSCD DESCRIPTOR INDEX
     * @param blocks           BLOCK DEVICE NUMBER OF BLOCKS (16 bits)
     * @param sourceLba        SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param destinationLba   DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param offset           where the descriptor starts in the parameter list, for field pointers
     */
    public record SegmentDescriptor(boolean destinationCount, boolean cat, int sourceIndex, int destinationIndex,
                                    int blocks, long sourceLba, long destinationLba, int offset) implements Segment {
        public static final int NUMBER_OF_BLOCKS = 10;
        public static final int SOURCE_LBA = 12;
        public static final int DESTINATION_LBA = 20;

        public SegmentDescriptor {
            if (sourceIndex < 0 || sourceIndex > 0xFFFF || destinationIndex < 0 || destinationIndex > 0xFFFF
                    || blocks < 0 || blocks > 0xFFFF) {
                throw new IllegalArgumentException("segment descriptor fields out of range: " + sourceIndex + ", "
                        + destinationIndex + ", " + blocks);
            }
        }

        @Override
        public int typeCode() {
            return BLOCK_TO_BLOCK_SEGMENT;
        }

        @Override
        public int encodedLength() {
            return BLOCK_TO_BLOCK_LENGTH;
        }

        @Override
        public ByteRanges ranges(int sourceBlock, int destinationBlock) {
            return new ByteRanges(ByteRanges.at(sourceLba, sourceBlock, 0),
                    ByteRanges.at(destinationLba, destinationBlock, 0),
                    (long) blocks * (destinationCount ? destinationBlock : sourceBlock));
        }

        @Override
        public void encode(byte[] b, int at) {
            b[at] = (byte) BLOCK_TO_BLOCK_SEGMENT;
            b[at + 1] = (byte) ((destinationCount ? 0x02 : 0) | (cat ? 0x01 : 0));
            Be.putShort(b, at + 2, BLOCK_TO_BLOCK_LENGTH - 4);
            Be.putShort(b, at + SOURCE_INDEX, sourceIndex);
            Be.putShort(b, at + DESTINATION_INDEX, destinationIndex);
            Be.putShort(b, at + NUMBER_OF_BLOCKS, blocks);
            Be.putLong(b, at + SOURCE_LBA, sourceLba);
            Be.putLong(b, at + DESTINATION_LBA, destinationLba);
        }
    }

    /**
     * A block device with offset to block device with offset segment descriptor (0Ah, SPC-4 6.4.6.7): a 32-bit
     * NUMBER OF BYTES from a byte offset inside the source LBA to a byte offset inside the destination LBA (what
     * libiscsi's ExtendedCopy.Large sends, for more than 02h's 65535 blocks).
     *
     * @param cat                   CAT
     * @param sourceIndex           SOURCE CSCD DESCRIPTOR INDEX
     * @param destinationIndex      DESTINATION CSCD DESCRIPTOR INDEX
     * @param bytes                 NUMBER OF BYTES (32 bits)
     * @param sourceLba             SOURCE BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param destinationLba        DESTINATION BLOCK DEVICE LOGICAL BLOCK ADDRESS
     * @param sourceByteOffset      SOURCE BYTE OFFSET (16 bits)
     * @param destinationByteOffset DESTINATION BYTE OFFSET (16 bits)
     * @param offset                where the descriptor starts in the parameter list, for field pointers
     */
    public record ByteOffsetSegmentDescriptor(boolean cat, int sourceIndex, int destinationIndex, long bytes,
                                              long sourceLba, long destinationLba, int sourceByteOffset,
                                              int destinationByteOffset, int offset) implements Segment {
        public static final int NUMBER_OF_BYTES = 8;
        public static final int SOURCE_LBA = 12;
        public static final int DESTINATION_LBA = 20;
        public static final int SOURCE_BYTE_OFFSET = 28;
        public static final int DESTINATION_BYTE_OFFSET = 30;

        public ByteOffsetSegmentDescriptor {
            if (sourceIndex < 0 || sourceIndex > 0xFFFF || destinationIndex < 0 || destinationIndex > 0xFFFF
                    || bytes < 0 || bytes > 0xFFFF_FFFFL || sourceByteOffset < 0 || sourceByteOffset > 0xFFFF
                    || destinationByteOffset < 0 || destinationByteOffset > 0xFFFF) {
                throw new IllegalArgumentException("0Ah segment descriptor fields out of range: " + sourceIndex
                        + ", " + destinationIndex + ", " + bytes + ", " + sourceByteOffset + ", "
                        + destinationByteOffset);
            }
        }

        @Override
        public int typeCode() {
            return BLOCK_TO_BLOCK_OFFSET_SEGMENT;
        }

        @Override
        public int encodedLength() {
            return BLOCK_TO_BLOCK_OFFSET_LENGTH;
        }

        @Override
        public ByteRanges ranges(int sourceBlock, int destinationBlock) {
            return new ByteRanges(ByteRanges.at(sourceLba, sourceBlock, sourceByteOffset),
                    ByteRanges.at(destinationLba, destinationBlock, destinationByteOffset), bytes);
        }

        @Override
        public void encode(byte[] b, int at) {
            b[at] = (byte) BLOCK_TO_BLOCK_OFFSET_SEGMENT;
            b[at + 1] = (byte) (cat ? 0x01 : 0);
            Be.putShort(b, at + 2, BLOCK_TO_BLOCK_OFFSET_LENGTH - 4);
            Be.putShort(b, at + SOURCE_INDEX, sourceIndex);
            Be.putShort(b, at + DESTINATION_INDEX, destinationIndex);
            Be.putInt(b, at + NUMBER_OF_BYTES, (int) bytes);
            Be.putLong(b, at + SOURCE_LBA, sourceLba);
            Be.putLong(b, at + DESTINATION_LBA, destinationLba);
            Be.putShort(b, at + SOURCE_BYTE_OFFSET, sourceByteOffset);
            Be.putShort(b, at + DESTINATION_BYTE_OFFSET, destinationByteOffset);
        }
    }

    /**
     * Reads a LID1 parameter list of {@code length} bytes (PARAMETER LIST LENGTH, at least one: zero means no list
     * and is the caller's to accept). Checks, in this order, and the ILLEGAL REQUEST each earns (SPC-4 6.4.3):
     * <ol>
     * <li>fewer than 16 bytes, or the header's three lengths reaching past the list: PARAMETER LIST LENGTH
     * ERROR;</li>
     * <li>LIST ID USAGE 01b (reserved), or 11b with a LIST IDENTIFIER other than zero: INVALID FIELD IN PARAMETER
     * LIST;</li>
     * <li>CSCD and segment descriptor lists together longer than MAXIMUM DESCRIPTOR LIST LENGTH: PARAMETER LIST
     * LENGTH ERROR (6.4.3.1; libiscsi's ExtendedCopy.DescrLimits expects it before the counts);</li>
     * <li>INLINE DATA LENGTH over the maximum: INLINE DATA LENGTH EXCEEDED;</li>
     * <li>CSCD descriptors in order: more than the maximum, TOO MANY TARGET DESCRIPTORS; a type code other than E4h,
     * UNSUPPORTED TARGET DESCRIPTOR TYPE CODE; a designator longer than 20 bytes or a descriptor cut by the list
     * length, INVALID FIELD IN PARAMETER LIST;</li>
     * <li>segment descriptors in order: more than the maximum, TOO MANY SEGMENT DESCRIPTORS; a type code other than
     * 02h or 0Ah, UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE; a DESCRIPTOR LENGTH other than the type's or a
     * descriptor cut by the list length, INVALID FIELD IN PARAMETER LIST; a 0Ah NUMBER OF BYTES over MAXIMUM
     * SEGMENT LENGTH, INVALID FIELD IN PARAMETER LIST at that field.</li>
     * </ol>
     * The LU ID TYPE bits of a CSCD descriptor are not evaluated: SPC-4 made them obsolete for E4h (libiscsi's
     * ExtendedCopy.ValidTgtDescr expects a reserved value to be ignored by an SPC-4 device).
     */
    public static ExtendedCopyParameterList decode(byte[] data, int length, CopyManagerLimits limits) {
        if (length < HEADER) {
            throw CheckCondition.parameterListLength("EXTENDED COPY parameter list of " + length
                    + " bytes is shorter than its 16-byte header");
        }
        long listId = data[0] & 0xFF;
        Lengths lengths = new Lengths(HEADER, Be.getShort(data, 2), Be.getInt(data, 8) & 0xFFFF_FFFFL,
                Be.getInt(data, 12) & 0xFFFF_FFFFL, 2, 8, 12);
        return decodeBody(Format.LID1, data, length, limits, listId, data[1], false, false, lengths);
    }

    /**
     * Reads a LID4 parameter list (SPC-4 Table 125): the same checks as {@link #decode} on a 48-byte header, and
     * before them LIST FORMAT other than 01h, INVALID FIELD IN PARAMETER LIST at byte 0; header CSCD descriptors
     * (HEADER CSCD DESCRIPTOR LIST LENGTH not zero), which only ROD-token copies use and none is implemented,
     * INVALID FIELD IN PARAMETER LIST at byte 2.
     */
    public static ExtendedCopyParameterList decodeLid4(byte[] data, int length, CopyManagerLimits limits) {
        if (length < LID4_HEADER) {
            throw CheckCondition.parameterListLength("EXTENDED COPY (LID4) parameter list of " + length
                    + " bytes is shorter than its 48-byte header");
        }
        int format = data[0] & 0xFF;
        if (format != LID4_LIST_FORMAT) {
            throw CheckCondition.invalidParameter("LIST FORMAT", 0, 7, format, "a LID4 list is format 01h");
        }
        int headerCscds = Be.getShort(data, 2);
        if (headerCscds != 0) {
            throw CheckCondition.invalidParameter("HEADER CSCD DESCRIPTOR LIST LENGTH", 2, 7, headerCscds,
                    "header CSCD descriptors are not implemented");
        }
        long listId = Be.getInt(data, 20) & 0xFFFF_FFFFL;
        Lengths lengths = new Lengths(LID4_HEADER, Be.getShort(data, 42), Be.getShort(data, 44),
                Be.getShort(data, 46), 42, 44, 46);
        return decodeBody(Format.LID4, data, length, limits, listId, data[1], (data[15] & 0x01) != 0,
                (data[15] & 0x02) != 0, lengths);
    }

    /** The header's lengths and where their fields are, in either format. */
    private record Lengths(int header, int cscd, long segment, long inline, int cscdField, int segmentField,
                           int inlineField) {
    }

    private static ExtendedCopyParameterList decodeBody(Format format, byte[] data, int length,
                                                        CopyManagerLimits limits, long listId, byte flags,
                                                        boolean immediate, boolean gSense, Lengths n) {
        boolean str = (flags & 0x20) != 0;
        int usageCode = (flags >>> 3) & 3;
        int priority = flags & 7;
        if (n.header() + n.cscd() + n.segment() + n.inline() > length) {
            throw CheckCondition.parameterListLength("header describes " + n.cscd() + " bytes of CSCD descriptors, "
                    + n.segment() + " of segment descriptors and " + n.inline() + " of inline data, the list has "
                    + (length - n.header()) + " after the header");
        }
        ListIdUsage usage = ListIdUsage.lookup(usageCode).orElseThrow(() -> CheckCondition.invalidParameter(
                "LIST ID USAGE", 1, 4, usageCode, "reserved"));
        if (usage == ListIdUsage.NONE && listId != 0) {
            throw CheckCondition.invalidParameter("LIST IDENTIFIER", format.listIdentifierOffset(), 7, listId,
                    "must be zero with LIST ID USAGE 11b");
        }
        if (n.cscd() + n.segment() > limits.maxDescriptorListLength()) {
            throw CheckCondition.parameterListLength((n.cscd() + n.segment())
                    + " bytes of descriptors exceed MAXIMUM DESCRIPTOR LIST LENGTH " + limits.maxDescriptorListLength());
        }
        if (n.inline() > limits.maxInlineDataLength()) {
            throw new CheckCondition(SenseData.of(AdditionalSense.INLINE_DATA_LENGTH_EXCEEDED,
                    SenseData.FieldPointer.parameter(n.inlineField(), 7)), "INLINE DATA LENGTH " + n.inline()
                    + " exceeds MAXIMUM INLINE DATA LENGTH " + limits.maxInlineDataLength());
        }
        List<CscdDescriptor> cscds = decodeCscds(data, n.header(), n.cscd(), n.cscdField(),
                limits.maxCscdDescriptors());
        int segmentsAt = n.header() + n.cscd();
        List<Segment> segments = decodeSegments(data, segmentsAt, (int) n.segment(), n.segmentField(), limits);
        int inlineAt = segmentsAt + (int) n.segment();
        return new ExtendedCopyParameterList(format, listId, str, usage, priority, immediate, gSense, cscds,
                segments, Arrays.copyOfRange(data, inlineAt, inlineAt + (int) n.inline()));
    }

    private static List<CscdDescriptor> decodeCscds(byte[] data, int start, int cscdLength, int lengthField,
                                                    int max) {
        List<CscdDescriptor> list = new ArrayList<>();
        int end = start + cscdLength;
        for (int at = start; at < end; at += CSCD_LENGTH) {
            if (list.size() == max) {
                throw new CheckCondition(AdditionalSense.TOO_MANY_TARGET_DESCRIPTORS, "more than " + max
                        + " CSCD descriptors (" + cscdLength + " bytes)");
            }
            int type = data[at] & 0xFF;
            if (type != IDENTIFICATION_CSCD) {
                throw new CheckCondition(SenseData.of(AdditionalSense.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE,
                        SenseData.FieldPointer.parameter(at, 7)), "CSCD descriptor " + list.size() + " at byte " + at
                        + " has type code " + String.format("%02Xh", type) + "; only E4h is implemented");
            }
            if (at + CSCD_LENGTH > end) {
                throw CheckCondition.invalidParameter("CSCD DESCRIPTOR LIST LENGTH", lengthField, 7, cscdLength,
                        "cuts the E4h descriptor at byte " + at);
            }
            int designatorLength = data[at + 7] & 0xFF;
            if (designatorLength > MAX_DESIGNATOR) {
                throw CheckCondition.invalidParameter("DESIGNATOR LENGTH", at + 7, 7, designatorLength,
                        "an E4h descriptor holds at most 20 designator bytes");
            }
            list.add(new CscdDescriptor((data[at + 1] & 0x20) != 0, data[at + 1] & 0x1F, Be.getShort(data, at + 2),
                    data[at + 4] & 0x0F, (data[at + 5] >>> 4) & 3, data[at + 5] & 0x0F,
                    Arrays.copyOfRange(data, at + 8, at + 8 + designatorLength), (data[at + 28] & 0x04) != 0,
                    (data[at + 29] & 0xFF) << 16 | Be.getShort(data, at + 30), at));
        }
        return list;
    }

    private static List<Segment> decodeSegments(byte[] data, int start, int segmentLength, int lengthField,
                                                CopyManagerLimits limits) {
        List<Segment> list = new ArrayList<>();
        int end = start + segmentLength;
        int at = start;
        while (at < end) {
            if (list.size() == limits.maxSegmentDescriptors()) {
                throw new CheckCondition(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS, "more than "
                        + limits.maxSegmentDescriptors() + " segment descriptors (" + segmentLength + " bytes)");
            }
            int type = data[at] & 0xFF;
            int size = switch (type) {
                case BLOCK_TO_BLOCK_SEGMENT -> BLOCK_TO_BLOCK_LENGTH;
                case BLOCK_TO_BLOCK_OFFSET_SEGMENT -> BLOCK_TO_BLOCK_OFFSET_LENGTH;
                default -> throw new CheckCondition(SenseData.of(
                        AdditionalSense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE, SenseData.FieldPointer.parameter(
                                at, 7)), "segment descriptor " + list.size() + " at byte " + at + " has type code "
                        + String.format("%02Xh", type) + "; only 02h and 0Ah are implemented");
            };
            if (at + size > end) {
                throw CheckCondition.invalidParameter("SEGMENT DESCRIPTOR LIST LENGTH", lengthField, 7,
                        segmentLength, String.format("cuts the %02Xh descriptor at byte %d", type, at));
            }
            int descriptorLength = Be.getShort(data, at + 2);
            if (descriptorLength != size - 4) {
                throw CheckCondition.invalidParameter("DESCRIPTOR LENGTH", at + 2, 7, descriptorLength,
                        String.format("a %02Xh segment descriptor's is %04Xh", type, size - 4));
            }
            int source = Be.getShort(data, at + Segment.SOURCE_INDEX);
            int destination = Be.getShort(data, at + Segment.DESTINATION_INDEX);
            if (type == BLOCK_TO_BLOCK_SEGMENT) {
                list.add(new SegmentDescriptor((data[at + 1] & 0x02) != 0, (data[at + 1] & 0x01) != 0, source,
                        destination, Be.getShort(data, at + SegmentDescriptor.NUMBER_OF_BLOCKS),
                        Be.getLong(data, at + SegmentDescriptor.SOURCE_LBA),
                        Be.getLong(data, at + SegmentDescriptor.DESTINATION_LBA), at));
            } else {
                long bytes = Be.getInt(data, at + ByteOffsetSegmentDescriptor.NUMBER_OF_BYTES) & 0xFFFF_FFFFL;
                if (limits.maxSegmentLength() != 0 && bytes > limits.maxSegmentLength()) {
                    throw CheckCondition.invalidParameter("NUMBER OF BYTES", at
                            + ByteOffsetSegmentDescriptor.NUMBER_OF_BYTES, 7, bytes, "exceeds MAXIMUM SEGMENT LENGTH "
                            + limits.maxSegmentLength());
                }
                list.add(new ByteOffsetSegmentDescriptor((data[at + 1] & 0x01) != 0, source, destination, bytes,
                        Be.getLong(data, at + ByteOffsetSegmentDescriptor.SOURCE_LBA),
                        Be.getLong(data, at + ByteOffsetSegmentDescriptor.DESTINATION_LBA),
                        Be.getShort(data, at + ByteOffsetSegmentDescriptor.SOURCE_BYTE_OFFSET),
                        Be.getShort(data, at + ByteOffsetSegmentDescriptor.DESTINATION_BYTE_OFFSET), at));
            }
            at += size;
        }
        return list;
    }

    /**
     * The list as an initiator sends it, in its format; the descriptors' {@code offset}s are not consulted (they are
     * where the descriptors land).
     */
    public byte[] encode() {
        int cscdLength = cscds.size() * CSCD_LENGTH;
        int segmentLength = segments.stream().mapToInt(Segment::encodedLength).sum();
        int header = format == Format.LID1 ? HEADER : LID4_HEADER;
        byte[] b = new byte[header + cscdLength + segmentLength + inlineData.length];
        byte flags = (byte) ((str ? 0x20 : 0) | listIdUsage.code() << 3 | priority);
        if (format == Format.LID1) {
            b[0] = (byte) listIdentifier;
            b[1] = flags;
            Be.putShort(b, 2, cscdLength);
            Be.putInt(b, 8, segmentLength);
            Be.putInt(b, 12, inlineData.length);
        } else {
            b[0] = LID4_LIST_FORMAT;
            b[1] = flags;
            b[15] = (byte) ((gSense ? 0x02 : 0) | (immediate ? 0x01 : 0));
            Be.putInt(b, 20, (int) listIdentifier);
            Be.putShort(b, 42, cscdLength);
            Be.putShort(b, 44, segmentLength);
            Be.putShort(b, 46, inlineData.length);
        }
        int at = header;
        for (CscdDescriptor c : cscds) {
            c.encode(b, at);
            at += CSCD_LENGTH;
        }
        for (Segment s : segments) {
            s.encode(b, at);
            at += s.encodedLength();
        }
        System.arraycopy(inlineData, 0, b, at, inlineData.length);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExtendedCopyParameterList l && format == l.format && listIdentifier == l.listIdentifier
                && str == l.str && listIdUsage == l.listIdUsage && priority == l.priority
                && immediate == l.immediate && gSense == l.gSense && cscds.equals(l.cscds)
                && segments.equals(l.segments) && Arrays.equals(inlineData, l.inlineData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(listIdentifier, listIdUsage, cscds, segments);
    }

    @Override
    public String toString() {
        return "ExtendedCopyParameterList[" + format + " list " + listIdentifier + " " + listIdUsage + ", " + cscds + ", "
                + segments + ", " + inlineData.length + " bytes inline]";
    }
}
