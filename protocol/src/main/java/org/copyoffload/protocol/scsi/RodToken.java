package org.copyoffload.protocol.scsi;

import java.util.Arrays;

/**
 * A ROD token (SPC-4 "ROD token format"; the block device specifics in SBC-4): 512 bytes.
 * <ul>
 * <li>bytes 0-3 ROD TYPE, 6-7 ROD TOKEN LENGTH (01F8h: the bytes after it);</li>
 * <li>8-15 COPY MANAGER ROD TOKEN IDENTIFIER;</li>
 * <li>16-47 CREATOR LOGICAL UNIT DESCRIPTOR: an identification CSCD descriptor (E4h) of the source logical unit;</li>
 * <li>48-63 NUMBER OF BYTES REPRESENTED (128 bits);</li>
 * <li>64-95 ROD TOKEN TYPE SPECIFIC DATA (zero for the point in time types);</li>
 * <li>96-127 DEVICE TYPE SPECIFIC DATA: for a block device bytes 8-31 of its READ CAPACITY (16) data, so LOGICAL
 * BLOCK LENGTH at 96-99 (as FreeBSD CTL lays it out);</li>
 * <li>128-511 TARGET DEVICE DESCRIPTOR and EXTENDED ROD TOKEN DATA, the copy manager's own. This copy manager puts
 * a random nonce at 128-143, SHA-256 of the source range list at 144-175, zeros, and its signature (an HMAC over
 * bytes 0-479) at 480-511.</li>
 * </ul>
 * The block device zero ROD token (type FFFF0001h, SBC-4 WRITE USING TOKEN) stands for logical blocks of zeros; only its type
 * and length mean anything.
 *
 * @param bytes the 512 bytes
 */
public record RodToken(byte[] bytes) {
    public static final int LENGTH = 512;
    /** ROD TOKEN LENGTH of a 512-byte token. */
    public static final int TOKEN_LENGTH_FIELD_VALUE = LENGTH - 8;
    public static final int ROD_TOKEN_LENGTH = 6;
    public static final int COPY_MANAGER_ROD_TOKEN_IDENTIFIER = 8;
    public static final int CREATOR_LOGICAL_UNIT_DESCRIPTOR = 16;
    public static final int NUMBER_OF_BYTES_REPRESENTED = 48;
    public static final int DEVICE_TYPE_SPECIFIC_DATA = 96;
    public static final int NONCE = 128;
    public static final int NONCE_LENGTH = 16;
    public static final int RANGES_DIGEST = 144;
    public static final int RANGES_DIGEST_LENGTH = 32;
    public static final int SIGNATURE = 480;
    public static final int SIGNATURE_LENGTH = 32;

    /** ROD types (SPC-4 "ROD type codes"). */
    public static final int TYPE_COPY_MANAGER_INTERNAL = 0x0000_0000;
    public static final int TYPE_ACCESS_UPON_REFERENCE = 0x0000_1000;
    public static final int TYPE_POINT_IN_TIME_DEFAULT = 0x0080_0000;
    public static final int TYPE_POINT_IN_TIME_CHANGE_VULNERABLE = 0x0080_0001;
    public static final int TYPE_POINT_IN_TIME_PERSISTENT = 0x0080_0002;
    public static final int TYPE_POINT_IN_TIME_ANY = 0x0080_FFFF;
    public static final int TYPE_BLOCK_DEVICE_ZERO = 0xFFFF_0001;

    public RodToken {
        bytes = bytes.clone();
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a ROD token has " + LENGTH + " bytes, got " + bytes.length);
        }
    }

    /**
     * A token as WRITE USING TOKEN receives it.
     *
     * @throws CheckCondition INVALID TOKEN OPERATION, INVALID TOKEN LENGTH when ROD TOKEN LENGTH is not 01F8h
     */
    public static RodToken decode(byte[] b) {
        RodToken t = new RodToken(b);
        int length = Be.getShort(t.bytes, ROD_TOKEN_LENGTH);
        if (length != TOKEN_LENGTH_FIELD_VALUE) {
            throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_INVALID_TOKEN_LENGTH,
                    "ROD TOKEN LENGTH " + length + " (0x" + Integer.toHexString(length) + "), a 512-byte token has 0x1f8");
        }
        return t;
    }

    /**
     * A token of this copy manager without its signature (bytes 480-511 zero): the caller signs {@link #signedPart}
     * and puts the result in with {@link #withSignature}.
     */
    public static RodToken create(int type, long identifier, ExtendedCopyParameterList.CscdDescriptor creator,
                                  long bytesRepresented, int blockLength, byte[] nonce, byte[] rangesDigest) {
        if (nonce.length != NONCE_LENGTH || rangesDigest.length != RANGES_DIGEST_LENGTH) {
            throw new IllegalArgumentException("nonce of " + nonce.length + " and digest of " + rangesDigest.length
                    + " bytes");
        }
        byte[] b = new byte[LENGTH];
        Be.putInt(b, 0, type);
        Be.putShort(b, ROD_TOKEN_LENGTH, TOKEN_LENGTH_FIELD_VALUE);
        Be.putLong(b, COPY_MANAGER_ROD_TOKEN_IDENTIFIER, identifier);
        creator.encode(b, CREATOR_LOGICAL_UNIT_DESCRIPTOR);
        Be.putLong(b, NUMBER_OF_BYTES_REPRESENTED + 8, bytesRepresented);
        Be.putInt(b, DEVICE_TYPE_SPECIFIC_DATA, blockLength);
        System.arraycopy(nonce, 0, b, NONCE, NONCE_LENGTH);
        System.arraycopy(rangesDigest, 0, b, RANGES_DIGEST, RANGES_DIGEST_LENGTH);
        return new RodToken(b);
    }

    /** The block device zero ROD token (SBC-4 WRITE USING TOKEN): type FFFF0001h, length 01F8h, the rest zero. */
    public static RodToken blockDeviceZero() {
        byte[] b = new byte[LENGTH];
        Be.putInt(b, 0, TYPE_BLOCK_DEVICE_ZERO);
        Be.putShort(b, ROD_TOKEN_LENGTH, TOKEN_LENGTH_FIELD_VALUE);
        return new RodToken(b);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    public int type() {
        return Be.getInt(bytes, 0);
    }

    public long identifier() {
        return Be.getLong(bytes, COPY_MANAGER_ROD_TOKEN_IDENTIFIER);
    }

    /** NUMBER OF BYTES REPRESENTED, or -1 when it does not fit 63 bits (no token of this copy manager says so). */
    public long bytesRepresented() {
        long high = Be.getLong(bytes, NUMBER_OF_BYTES_REPRESENTED);
        long low = Be.getLong(bytes, NUMBER_OF_BYTES_REPRESENTED + 8);
        return high != 0 || low < 0 ? -1 : low;
    }

    /** LOGICAL BLOCK LENGTH of the device type specific data. */
    public int blockLength() {
        return Be.getInt(bytes, DEVICE_TYPE_SPECIFIC_DATA);
    }

    /**
     * The CREATOR LOGICAL UNIT DESCRIPTOR, if it is an identification descriptor (E4h) whose DESIGNATOR LENGTH fits
     * its 20 bytes; null otherwise.
     */
    public ExtendedCopyParameterList.CscdDescriptor creator() {
        int at = CREATOR_LOGICAL_UNIT_DESCRIPTOR;
        int designatorLength = bytes[at + 7] & 0xFF;
        if ((bytes[at] & 0xFF) != ExtendedCopyParameterList.IDENTIFICATION_CSCD || designatorLength > 20) {
            return null;
        }
        return new ExtendedCopyParameterList.CscdDescriptor((bytes[at + 1] & 0x20) != 0, bytes[at + 1] & 0x1F,
                Be.getShort(bytes, at + 2), bytes[at + 4] & 0x0F, bytes[at + 5] >> 4 & 3, bytes[at + 5] & 0x0F,
                Arrays.copyOfRange(bytes, at + 8, at + 8 + designatorLength), (bytes[at + 28] & 0x04) != 0,
                (bytes[at + 29] & 0xFF) << 16 | Be.getShort(bytes, at + 30), at);
    }

    /** Bytes 0-479, which the signature covers. */
    public byte[] signedPart() {
        return Arrays.copyOf(bytes, SIGNATURE);
    }

    public byte[] signature() {
        return Arrays.copyOfRange(bytes, SIGNATURE, LENGTH);
    }

    public RodToken withSignature(byte[] signature) {
        if (signature.length != SIGNATURE_LENGTH) {
            throw new IllegalArgumentException("signature of " + signature.length + " bytes");
        }
        byte[] b = bytes.clone();
        System.arraycopy(signature, 0, b, SIGNATURE, SIGNATURE_LENGTH);
        return new RodToken(b);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RodToken t && Arrays.equals(bytes, t.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        // A token is a capability: never its bytes in a log.
        return "RodToken[type=" + Integer.toHexString(type()) + " id=" + Long.toUnsignedString(identifier()) + "]";
    }
}
