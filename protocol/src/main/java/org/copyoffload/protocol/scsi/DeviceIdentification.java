package org.copyoffload.protocol.scsi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/** Device Identification (SPC-5 7.7.6): a list of designation descriptors. */
public record DeviceIdentification(List<Designator> designators) implements VpdPage {
    public DeviceIdentification {
        designators = List.copyOf(designators);
    }

    @Override
    public int pageCode() {
        return DEVICE_IDENTIFICATION;
    }

    @Override
    public byte[] payload() {
        int length = 0;
        for (Designator d : designators) {
            length += 4 + d.designator().length;
        }
        byte[] b = new byte[length];
        int at = 0;
        for (Designator d : designators) {
            d.encode(b, at);
            at += 4 + d.designator().length;
        }
        return b;
    }

    /**
     * The logical unit's NAA designator in an encoded Device Identification page (header included), the one an
     * initiator puts in an EXTENDED COPY identification CSCD descriptor (as sg_xcopy and libiscsi pick it).
     */
    public static java.util.Optional<byte[]> logicalUnitNaa(byte[] page) {
        for (int at = 4; at + 4 <= page.length; at += 4 + (page[at + 3] & 0xFF)) {
            int length = page[at + 3] & 0xFF;
            if ((page[at + 1] & 0x0F) == Designator.TYPE_NAA && (page[at + 1] & 0x30) == 0
                    && at + 4 + length <= page.length) {
                return java.util.Optional.of(Arrays.copyOfRange(page, at + 4, at + 4 + length));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * One designation descriptor (SPC-5 Table 474).
     *
     * @param protocol    PROTOCOL IDENTIFIER, present (PIV = 1) for target port designators of one transport
     * @param codeSet     CODE SET: 1 binary, 2 ASCII, 3 UTF-8
     * @param association ASSOCIATION: 0 logical unit, 1 target port, 2 target device
     * @param type        DESIGNATOR TYPE
     * @param designator  the DESIGNATOR bytes
     */
    public record Designator(OptionalInt protocol, int codeSet, int association, int type, byte[] designator) {
        public static final int CODE_SET_BINARY = 1;
        public static final int CODE_SET_ASCII = 2;
        public static final int CODE_SET_UTF8 = 3;
        public static final int ASSOCIATION_LOGICAL_UNIT = 0;
        public static final int ASSOCIATION_TARGET_PORT = 1;
        public static final int ASSOCIATION_TARGET_DEVICE = 2;
        public static final int TYPE_T10_VENDOR_ID = 0x1;
        public static final int TYPE_NAA = 0x3;
        public static final int TYPE_RELATIVE_TARGET_PORT = 0x4;
        public static final int TYPE_TARGET_PORT_GROUP = 0x5;
        public static final int TYPE_SCSI_NAME_STRING = 0x8;
        /** PROTOCOL IDENTIFIER for iSCSI (SPC-5 Table 479). */
        public static final int PROTOCOL_ISCSI = 0x5;

        public Designator {
            designator = designator.clone();
            if (designator.length > 0xFF) {
                throw new IllegalArgumentException("a designator holds at most 255 bytes, got " + designator.length);
            }
        }

        @Override
        public byte[] designator() {
            return designator.clone();
        }

        /**
         * NAA IEEE Registered Extended (NAA 6h, SPC-5 7.7.6.6.5): 4 bits NAA, 24 bits company id, 100 bits vendor
         * specific (36 of VENDOR SPECIFIC IDENTIFIER and 64 of its EXTENSION), 16 bytes in all.
         */
        public static Designator naaRegisteredExtended(int companyId, byte[] vendorSpecific) {
            if (vendorSpecific.length != 13) {
                throw new IllegalArgumentException("NAA 6h needs 100 bits (13 bytes, high nibble of the first"
                        + " unused) of vendor specific data, got " + vendorSpecific.length + " bytes");
            }
            byte[] b = new byte[16];
            b[0] = (byte) (0x60 | (companyId >>> 20 & 0x0F));
            b[1] = (byte) (companyId >>> 12);
            b[2] = (byte) (companyId >>> 4);
            b[3] = (byte) ((companyId & 0x0F) << 4 | vendorSpecific[0] & 0x0F);
            System.arraycopy(vendorSpecific, 1, b, 4, 12);
            return new Designator(OptionalInt.empty(), CODE_SET_BINARY, ASSOCIATION_LOGICAL_UNIT, TYPE_NAA, b);
        }

        /** T10 vendor ID based (SPC-5 7.7.6.4): the 8-character vendor then a vendor-specific identifier. */
        public static Designator t10VendorId(String vendor, String id) {
            byte[] b = new byte[8 + id.length()];
            Be.putAscii(b, 0, 8, vendor);
            Be.putAscii(b, 8, id.length(), id);
            return new Designator(OptionalInt.empty(), CODE_SET_ASCII, ASSOCIATION_LOGICAL_UNIT, TYPE_T10_VENDOR_ID, b);
        }

        /**
         * SCSI name string (SPC-5 7.7.6.11): UTF-8, null terminated, padded with nulls to a multiple of four bytes;
         * for iSCSI a target port is {@code iqn...,t,0x<TPGT>} and the target device the bare name.
         */
        public static Designator scsiNameString(int association, OptionalInt protocol, String name) {
            byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
            byte[] b = Arrays.copyOf(utf8, (utf8.length + 1 + 3) & ~3);
            return new Designator(protocol, CODE_SET_UTF8, association, TYPE_SCSI_NAME_STRING, b);
        }

        /** Relative target port identifier (SPC-5 7.7.6.7): two reserved bytes and the 16-bit port number. */
        public static Designator relativeTargetPort(int protocol, int relativePortId) {
            byte[] b = new byte[4];
            Be.putShort(b, 2, relativePortId);
            return new Designator(OptionalInt.of(protocol), CODE_SET_BINARY, ASSOCIATION_TARGET_PORT,
                    TYPE_RELATIVE_TARGET_PORT, b);
        }

        /** Target port group (SPC-5 7.7.6.8): the group of the port the command came through. */
        public static Designator targetPortGroup(int group) {
            byte[] b = new byte[4];
            Be.putShort(b, 2, group);
            return new Designator(OptionalInt.empty(), CODE_SET_BINARY, ASSOCIATION_TARGET_PORT,
                    TYPE_TARGET_PORT_GROUP, b);
        }

        void encode(byte[] b, int at) {
            b[at] = (byte) (protocol.orElse(0) << 4 | codeSet);
            b[at + 1] = (byte) ((protocol.isPresent() ? 0x80 : 0) | association << 4 | type);
            b[at + 3] = (byte) designator.length;
            System.arraycopy(designator, 0, b, at + 4, designator.length);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Designator d && protocol.equals(d.protocol) && codeSet == d.codeSet
                    && association == d.association && type == d.type && Arrays.equals(designator, d.designator);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(designator) * 31 + type;
        }

        @Override
        public String toString() {
            return "Designator[type=" + type + ", association=" + association + ", codeSet=" + codeSet
                    + ", protocol=" + protocol + ", " + (codeSet == CODE_SET_BINARY
                    ? java.util.HexFormat.of().formatHex(designator)
                    : new String(designator, StandardCharsets.UTF_8).replace("\0", "")) + "]";
        }
    }
}
