package org.copyoffload.protocol.scsi;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Sense data for a CHECK CONDITION (SPC-5, 4.4), encodable in either format: fixed (response code 70h, 18 bytes,
 * 4.4.3) or descriptor (72h, 4.4.2) with an Information descriptor (00h) and a Sense key specific descriptor (02h)
 * when those fields are present. The logical unit's D_SENSE bit (Control mode page) or REQUEST SENSE's DESC bit
 * chooses the format.
 *
 * @param key          the sense key
 * @param asc          ADDITIONAL SENSE CODE
 * @param ascq         ADDITIONAL SENSE CODE QUALIFIER
 * @param information  the INFORMATION field (e.g. the offset of the first miscompared byte), if valid
 * @param fieldPointer for ILLEGAL REQUEST: which CDB or parameter list byte (and bit) is wrong (SKSV set)
 * @param commandSpecific COMMAND-SPECIFIC INFORMATION, if any: for COPY ABORTED from EXTENDED COPY the number of
 *                        the segment descriptor that failed (SPC-4 6.4.5.1)
 */
public record SenseData(SenseKey key, int asc, int ascq, OptionalLong information, Optional<FieldPointer> fieldPointer,
                        OptionalLong commandSpecific) {
    public static final int FIXED_FORMAT_CURRENT = 0x70;
    public static final int FIXED_FORMAT_DEFERRED = 0x71;
    public static final int DESCRIPTOR_FORMAT_CURRENT = 0x72;
    public static final int DESCRIPTOR_FORMAT_DEFERRED = 0x73;
    /** 18 bytes: ADDITIONAL SENSE LENGTH 0Ah covers bytes 8-17. */
    public static final int FIXED_LENGTH = 18;
    private static final int INFORMATION_DESCRIPTOR = 0x00;
    private static final int COMMAND_SPECIFIC_DESCRIPTOR = 0x01;
    private static final int SENSE_KEY_SPECIFIC_DESCRIPTOR = 0x02;

    public SenseData {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(information, "information");
        Objects.requireNonNull(fieldPointer, "fieldPointer");
        Objects.requireNonNull(commandSpecific, "commandSpecific");
        if (asc < 0 || asc > 0xFF || ascq < 0 || ascq > 0xFF) {
            throw new IllegalArgumentException("ASC/ASCQ must be bytes, were " + asc + "/" + ascq);
        }
    }

    /** Sense data without COMMAND-SPECIFIC INFORMATION (every command but EXTENDED COPY). */
    public SenseData(SenseKey key, int asc, int ascq, OptionalLong information, Optional<FieldPointer> fieldPointer) {
        this(key, asc, ascq, information, fieldPointer, OptionalLong.empty());
    }

    public SenseData(AdditionalSense sense) {
        this(sense.key(), sense.asc(), sense.ascq(), OptionalLong.empty(), Optional.empty());
    }

    /** {@code sense} with COMMAND-SPECIFIC INFORMATION {@code value} (a 32-bit field in fixed format). */
    public static SenseData withCommandSpecific(AdditionalSense sense, long value) {
        return new SenseData(sense.key(), sense.asc(), sense.ascq(), OptionalLong.empty(), Optional.empty(),
                OptionalLong.of(value));
    }

    public static SenseData of(AdditionalSense sense, FieldPointer pointer) {
        return new SenseData(sense.key(), sense.asc(), sense.ascq(), OptionalLong.empty(), Optional.of(pointer));
    }

    public static SenseData of(AdditionalSense sense, long information) {
        return new SenseData(sense.key(), sense.asc(), sense.ascq(), OptionalLong.of(information), Optional.empty());
    }

    /** The additional sense this is, when it is one this enum names. */
    public Optional<AdditionalSense> additionalSense() {
        return AdditionalSense.lookup(asc, ascq).filter(s -> s.key() == key || key == SenseKey.NO_SENSE);
    }

    /** Fixed or descriptor format, as the D_SENSE bit (or REQUEST SENSE's DESC bit) asks. */
    public byte[] encode(boolean descriptorFormat) {
        return descriptorFormat ? encodeDescriptor() : encodeFixed();
    }

    /**
     * Fixed format (SPC-5 Table 49). VALID is set only when the information fits the 4-byte field; a larger value
     * needs descriptor format (4.4.3: the field is then not valid).
     */
    public byte[] encodeFixed() {
        byte[] b = new byte[FIXED_LENGTH];
        boolean valid = information.isPresent() && (information.getAsLong() >>> 32) == 0;
        b[0] = (byte) ((valid ? 0x80 : 0) | FIXED_FORMAT_CURRENT);
        b[2] = (byte) key.code();
        if (valid) {
            Be.putInt(b, 3, (int) information.getAsLong());
        }
        b[7] = (byte) (FIXED_LENGTH - 8);
        commandSpecific.ifPresent(v -> Be.putInt(b, 8, (int) v));
        b[12] = (byte) asc;
        b[13] = (byte) ascq;
        fieldPointer.ifPresent(p -> p.encode(b, 15));
        return b;
    }

    /** Descriptor format (SPC-5 Table 45) with the Information (Table 47) and Sense key specific (Table 48) ones. */
    public byte[] encodeDescriptor() {
        int length = 8 + (information.isPresent() ? 12 : 0) + (commandSpecific.isPresent() ? 12 : 0)
                + (fieldPointer.isPresent() ? 8 : 0);
        byte[] b = new byte[length];
        b[0] = (byte) DESCRIPTOR_FORMAT_CURRENT;
        b[1] = (byte) key.code();
        b[2] = (byte) asc;
        b[3] = (byte) ascq;
        b[7] = (byte) (length - 8);
        int at = 8;
        if (information.isPresent()) {
            b[at] = INFORMATION_DESCRIPTOR;
            b[at + 1] = 0x0A;
            b[at + 2] = (byte) 0x80; // VALID shall be one in this descriptor
            Be.putLong(b, at + 4, information.getAsLong());
            at += 12;
        }
        if (commandSpecific.isPresent()) {
            b[at] = COMMAND_SPECIFIC_DESCRIPTOR; // SPC-5 4.4.2.3
            b[at + 1] = 0x0A;
            Be.putLong(b, at + 4, commandSpecific.getAsLong());
            at += 12;
        }
        if (fieldPointer.isPresent()) {
            b[at] = SENSE_KEY_SPECIFIC_DESCRIPTOR;
            b[at + 1] = 0x06;
            fieldPointer.get().encode(b, at + 4);
        }
        return b;
    }

    /**
     * Reads sense data in either format (current or deferred). The field pointer is kept only when the sense key is
     * ILLEGAL REQUEST, the only key whose sense-key specific bytes hold one.
     *
     * @throws IllegalArgumentException naming the field for a response code or length it cannot read
     */
    public static SenseData decode(byte[] b) {
        if (b.length < 8) {
            throw new IllegalArgumentException("sense data of " + b.length + " bytes is shorter than any format");
        }
        int responseCode = b[0] & 0x7F;
        switch (responseCode) {
            case FIXED_FORMAT_CURRENT, FIXED_FORMAT_DEFERRED -> {
                if (b.length < 14) {
                    throw new IllegalArgumentException("fixed-format sense of " + b.length + " bytes lacks ASC/ASCQ");
                }
                SenseKey key = key(b[2] & 0x0F);
                OptionalLong info = (b[0] & 0x80) != 0 ? OptionalLong.of(Be.getInt(b, 3) & 0xFFFF_FFFFL)
                        : OptionalLong.empty();
                Optional<FieldPointer> pointer = b.length >= 18 && pointsIntoTheRequest(key)
                        ? FieldPointer.decode(b, 15) : Optional.empty();
                long csi = Be.getInt(b, 8) & 0xFFFF_FFFFL;
                return new SenseData(key, b[12] & 0xFF, b[13] & 0xFF, info, pointer,
                        csi == 0 ? OptionalLong.empty() : OptionalLong.of(csi));
            }
            case DESCRIPTOR_FORMAT_CURRENT, DESCRIPTOR_FORMAT_DEFERRED -> {
                SenseKey key = key(b[1] & 0x0F);
                OptionalLong info = OptionalLong.empty();
                OptionalLong csi = OptionalLong.empty();
                Optional<FieldPointer> pointer = Optional.empty();
                int end = Math.min(b.length, 8 + (b[7] & 0xFF));
                for (int at = 8; at + 2 <= end; at += 2 + (b[at + 1] & 0xFF)) {
                    int type = b[at] & 0xFF;
                    if (type == INFORMATION_DESCRIPTOR && at + 12 <= end && (b[at + 2] & 0x80) != 0) {
                        info = OptionalLong.of(Be.getLong(b, at + 4));
                    } else if (type == COMMAND_SPECIFIC_DESCRIPTOR && at + 12 <= end) {
                        csi = OptionalLong.of(Be.getLong(b, at + 4));
                    } else if (type == SENSE_KEY_SPECIFIC_DESCRIPTOR && at + 8 <= end
                            && pointsIntoTheRequest(key)) {
                        pointer = FieldPointer.decode(b, at + 4);
                    }
                }
                return new SenseData(key, b[2] & 0xFF, b[3] & 0xFF, info, pointer, csi);
            }
            default -> throw new IllegalArgumentException(
                    "RESPONSE CODE = " + String.format("%02Xh", responseCode) + ": not a sense data format");
        }
    }

    /**
     * Whether the sense-key specific bytes of {@code key} are a field pointer: ILLEGAL REQUEST's, and COPY ABORTED's
     * segment pointer (SPC-5 4.4.2.4.6), the same bytes with SD (bit 5) zero pointing into the parameter list.
     */
    private static boolean pointsIntoTheRequest(SenseKey key) {
        return key == SenseKey.ILLEGAL_REQUEST || key == SenseKey.COPY_ABORTED;
    }

    private static SenseKey key(int code) {
        return SenseKey.lookup(code).orElseThrow(() -> new IllegalArgumentException(
                "SENSE KEY = " + String.format("%Xh", code) + ": reserved"));
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(key.name()).append(String.format(" %02Xh/%02Xh", asc, ascq));
        additionalSense().ifPresent(a -> s.append(' ').append(a.name()));
        information.ifPresent(i -> s.append(" information=").append(i));
        commandSpecific.ifPresent(i -> s.append(" command-specific=").append(i));
        fieldPointer.ifPresent(p -> s.append(' ').append(p));
        return s.toString();
    }

    /**
     * The field pointer of ILLEGAL REQUEST sense (SPC-5 4.4.2.4.2, Table 55): SKSV is one, C/D tells CDB (one) from
     * parameter list (zero), BPV says whether BIT POINTER names the leftmost bit of the field.
     *
     * @param commandData true for a CDB field, false for a field of the parameter list (data-out)
     * @param field       the byte number of the first byte of the field
     * @param bit         the bit of that byte where the field begins (its most significant bit), if given
     */
    public record FieldPointer(boolean commandData, int field, OptionalInt bit) {
        public FieldPointer {
            if (field < 0 || field > 0xFFFF) {
                throw new IllegalArgumentException("FIELD POINTER must fit 16 bits, was " + field);
            }
            if (bit.isPresent() && (bit.getAsInt() < 0 || bit.getAsInt() > 7)) {
                throw new IllegalArgumentException("BIT POINTER must be 0-7, was " + bit.getAsInt());
            }
        }

        public static FieldPointer cdb(int field, int bit) {
            return new FieldPointer(true, field, OptionalInt.of(bit));
        }

        public static FieldPointer cdb(int field) {
            return new FieldPointer(true, field, OptionalInt.empty());
        }

        public static FieldPointer parameter(int field, int bit) {
            return new FieldPointer(false, field, OptionalInt.of(bit));
        }

        public static FieldPointer parameter(int field) {
            return new FieldPointer(false, field, OptionalInt.empty());
        }

        void encode(byte[] b, int at) {
            b[at] = (byte) (0x80 | (commandData ? 0x40 : 0) | (bit.isPresent() ? 0x08 | bit.getAsInt() : 0));
            b[at + 1] = (byte) (field >>> 8);
            b[at + 2] = (byte) field;
        }

        static Optional<FieldPointer> decode(byte[] b, int at) {
            if ((b[at] & 0x80) == 0) {
                return Optional.empty();
            }
            OptionalInt bit = (b[at] & 0x08) != 0 ? OptionalInt.of(b[at] & 0x07) : OptionalInt.empty();
            return Optional.of(new FieldPointer((b[at] & 0x40) != 0, (b[at + 1] & 0xFF) << 8 | b[at + 2] & 0xFF, bit));
        }

        @Override
        public String toString() {
            return (commandData ? "CDB" : "parameter list") + " byte " + field
                    + (bit.isPresent() ? " bit " + bit.getAsInt() : "");
        }
    }
}
