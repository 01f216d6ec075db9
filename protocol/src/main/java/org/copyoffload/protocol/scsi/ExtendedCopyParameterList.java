package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The EXTENDED COPY (LID1) parameter list (SPC-4 6.4.3, Table 105): a 16-byte header, the CSCD descriptors (SPC-4
 * 6.4.5), the segment descriptors (6.4.6) and inline data. Only the identification CSCD descriptor (E4h) and the
 * block device to block device segment descriptor (02h) are implemented: what sg_xcopy, ddpt, ESXi and Windows ODX
 * fallbacks send to a block target.
 *
 * <p>{@link #decode} raises every ILLEGAL REQUEST the list can earn by itself, with a field pointer into the
 * parameter list where one helps; whether the CSCDs name reachable logical units, and whether the ranges fit them,
 * is found while the segments are processed (COPY ABORTED, SPC-4 6.4.5.1), by the copy manager.
 *
 * @param listIdentifier LIST IDENTIFIER
 * @param str            STR (sequential striped): a hint, ignored
 * @param listIdUsage    LIST ID USAGE
 * @param priority       PRIORITY
 * @param cscds          the CSCD descriptors, in order (segments refer to them by index)
 * @param segments       the segment descriptors, in order
 * @param inlineData     the inline data
 */
public record ExtendedCopyParameterList(int listIdentifier, boolean str, ListIdUsage listIdUsage, int priority,
                                        List<CscdDescriptor> cscds, List<SegmentDescriptor> segments,
                                        byte[] inlineData) {
    public static final int HEADER = 16;
    /** Every CSCD descriptor code from E0h to E9h is 32 bytes long (SPC-4 6.4.5.1). */
    public static final int CSCD_LENGTH = 32;
    public static final int IDENTIFICATION_CSCD = 0xE4;
    public static final int BLOCK_TO_BLOCK_SEGMENT = 0x02;
    /** 02h's DESCRIPTOR LENGTH: 0018h, the bytes after the first four. */
    public static final int BLOCK_TO_BLOCK_LENGTH = 28;
    /** The most DESIGNATOR bytes an E4h descriptor carries (bytes 8-27). */
    public static final int MAX_DESIGNATOR = 20;

    public ExtendedCopyParameterList {
        Objects.requireNonNull(listIdUsage, "listIdUsage");
        cscds = List.copyOf(cscds);
        segments = List.copyOf(segments);
        inlineData = inlineData.clone();
        if (listIdentifier < 0 || listIdentifier > 0xFF || priority < 0 || priority > 7) {
            throw new IllegalArgumentException("LIST IDENTIFIER " + listIdentifier + " / PRIORITY " + priority);
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
                                    int blocks, long sourceLba, long destinationLba, int offset) {
        public static final int SOURCE_INDEX = 4;
        public static final int DESTINATION_INDEX = 6;
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

        void encode(byte[] b, int at) {
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
     * Reads a parameter list of {@code length} bytes (PARAMETER LIST LENGTH, at least one: zero means no list and
     * is the caller's to accept). Checks, in this order, and the ILLEGAL REQUEST each earns (SPC-4 6.4.3):
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
     * 02h, UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE; a DESCRIPTOR LENGTH other than 0018h or a descriptor cut by the
     * list length, INVALID FIELD IN PARAMETER LIST.</li>
     * </ol>
     * The LU ID TYPE bits of a CSCD descriptor are not evaluated: SPC-4 made them obsolete for E4h (libiscsi's
     * ExtendedCopy.ValidTgtDescr expects a reserved value to be ignored by an SPC-4 device).
     */
    public static ExtendedCopyParameterList decode(byte[] data, int length, CopyManagerLimits limits) {
        if (length < HEADER) {
            throw CheckCondition.parameterListLength("EXTENDED COPY parameter list of " + length
                    + " bytes is shorter than its 16-byte header");
        }
        int listId = data[0] & 0xFF;
        boolean str = (data[1] & 0x20) != 0;
        int usageCode = (data[1] >>> 3) & 3;
        int priority = data[1] & 7;
        int cscdLength = Be.getShort(data, 2);
        long segmentLength = Be.getInt(data, 8) & 0xFFFF_FFFFL;
        long inlineLength = Be.getInt(data, 12) & 0xFFFF_FFFFL;
        if (HEADER + cscdLength + segmentLength + inlineLength > length) {
            throw CheckCondition.parameterListLength("header describes " + cscdLength + " bytes of CSCD descriptors, "
                    + segmentLength + " of segment descriptors and " + inlineLength + " of inline data, the list has "
                    + (length - HEADER) + " after the header");
        }
        ListIdUsage usage = ListIdUsage.lookup(usageCode).orElseThrow(() -> CheckCondition.invalidParameter(
                "LIST ID USAGE", 1, 4, usageCode, "reserved"));
        if (usage == ListIdUsage.NONE && listId != 0) {
            throw CheckCondition.invalidParameter("LIST IDENTIFIER", 0, 7, listId,
                    "must be zero with LIST ID USAGE 11b");
        }
        if (cscdLength + segmentLength > limits.maxDescriptorListLength()) {
            throw CheckCondition.parameterListLength((cscdLength + segmentLength)
                    + " bytes of descriptors exceed MAXIMUM DESCRIPTOR LIST LENGTH " + limits.maxDescriptorListLength());
        }
        if (inlineLength > limits.maxInlineDataLength()) {
            throw new CheckCondition(SenseData.of(AdditionalSense.INLINE_DATA_LENGTH_EXCEEDED,
                    SenseData.FieldPointer.parameter(12, 7)), "INLINE DATA LENGTH " + inlineLength
                    + " exceeds MAXIMUM INLINE DATA LENGTH " + limits.maxInlineDataLength());
        }
        List<CscdDescriptor> cscds = decodeCscds(data, cscdLength, limits.maxCscdDescriptors());
        int segmentsAt = HEADER + cscdLength;
        List<SegmentDescriptor> segments = decodeSegments(data, segmentsAt, (int) segmentLength,
                limits.maxSegmentDescriptors());
        int inlineAt = segmentsAt + (int) segmentLength;
        return new ExtendedCopyParameterList(listId, str, usage, priority, cscds, segments,
                Arrays.copyOfRange(data, inlineAt, inlineAt + (int) inlineLength));
    }

    private static List<CscdDescriptor> decodeCscds(byte[] data, int cscdLength, int max) {
        List<CscdDescriptor> list = new ArrayList<>();
        int end = HEADER + cscdLength;
        for (int at = HEADER; at < end; at += CSCD_LENGTH) {
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
                throw CheckCondition.invalidParameter("CSCD DESCRIPTOR LIST LENGTH", 2, 7, cscdLength,
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

    private static List<SegmentDescriptor> decodeSegments(byte[] data, int start, int segmentLength, int max) {
        List<SegmentDescriptor> list = new ArrayList<>();
        int end = start + segmentLength;
        int at = start;
        while (at < end) {
            if (list.size() == max) {
                throw new CheckCondition(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS, "more than " + max
                        + " segment descriptors (" + segmentLength + " bytes)");
            }
            int type = data[at] & 0xFF;
            if (type != BLOCK_TO_BLOCK_SEGMENT) {
                throw new CheckCondition(SenseData.of(AdditionalSense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE,
                        SenseData.FieldPointer.parameter(at, 7)), "segment descriptor " + list.size() + " at byte "
                        + at + " has type code " + String.format("%02Xh", type) + "; only 02h is implemented");
            }
            if (at + 4 > end || at + BLOCK_TO_BLOCK_LENGTH > end) {
                throw CheckCondition.invalidParameter("SEGMENT DESCRIPTOR LIST LENGTH", 8, 7, segmentLength,
                        "cuts the 02h descriptor at byte " + at);
            }
            int descriptorLength = Be.getShort(data, at + 2);
            if (descriptorLength != BLOCK_TO_BLOCK_LENGTH - 4) {
                throw CheckCondition.invalidParameter("DESCRIPTOR LENGTH", at + 2, 7, descriptorLength,
                        "a block to block segment descriptor's is 0018h");
            }
            list.add(new SegmentDescriptor((data[at + 1] & 0x02) != 0, (data[at + 1] & 0x01) != 0,
                    Be.getShort(data, at + SegmentDescriptor.SOURCE_INDEX),
                    Be.getShort(data, at + SegmentDescriptor.DESTINATION_INDEX),
                    Be.getShort(data, at + SegmentDescriptor.NUMBER_OF_BLOCKS),
                    Be.getLong(data, at + SegmentDescriptor.SOURCE_LBA),
                    Be.getLong(data, at + SegmentDescriptor.DESTINATION_LBA), at));
            at += BLOCK_TO_BLOCK_LENGTH;
        }
        return list;
    }

    /**
     * The list as an initiator sends it; the descriptors' {@code offset}s are not consulted (they are where the
     * descriptors land).
     */
    public byte[] encode() {
        int cscdLength = cscds.size() * CSCD_LENGTH;
        int segmentLength = segments.size() * BLOCK_TO_BLOCK_LENGTH;
        byte[] b = new byte[HEADER + cscdLength + segmentLength + inlineData.length];
        b[0] = (byte) listIdentifier;
        b[1] = (byte) ((str ? 0x20 : 0) | listIdUsage.code() << 3 | priority);
        Be.putShort(b, 2, cscdLength);
        Be.putInt(b, 8, segmentLength);
        Be.putInt(b, 12, inlineData.length);
        int at = HEADER;
        for (CscdDescriptor c : cscds) {
            c.encode(b, at);
            at += CSCD_LENGTH;
        }
        for (SegmentDescriptor s : segments) {
            s.encode(b, at);
            at += BLOCK_TO_BLOCK_LENGTH;
        }
        System.arraycopy(inlineData, 0, b, at, inlineData.length);
        return b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExtendedCopyParameterList l && listIdentifier == l.listIdentifier && str == l.str
                && listIdUsage == l.listIdUsage && priority == l.priority && cscds.equals(l.cscds)
                && segments.equals(l.segments) && Arrays.equals(inlineData, l.inlineData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(listIdentifier, listIdUsage, cscds, segments);
    }

    @Override
    public String toString() {
        return "ExtendedCopyParameterList[list " + listIdentifier + " " + listIdUsage + ", " + cscds + ", "
                + segments + ", " + inlineData.length + " bytes inline]";
    }
}
