package org.copyoffload.protocol.iscsi;

import java.io.ByteArrayOutputStream;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.copyoffload.protocol.testing.Le;

/**
 * Builds an iSCSI PDU byte by byte from RFC 7143 11.2: BHS (written by the test at the RFC's offsets), AHS,
 * header digest, data segment, zero padding to 4 bytes, data digest. Digests come from a reference CRC32C,
 * little-endian. Nothing here calls the codec; lengths and digests can be overridden or corrupted.
 */
final class IscsiWire {
    private final Be bhs = new Be(48);
    private byte[] ahs = new byte[0];
    private byte[] data = new byte[0];
    private boolean headerDigest;
    private boolean dataDigest;
    private Integer totalAhsOverride;
    private Integer dataLengthOverride;
    private boolean corruptHeaderDigest;
    private boolean corruptDataDigest;
    private int paddingValue;

    private IscsiWire(int byte0) {
        bhs.u8(0, byte0);
    }

    /** A PDU whose byte 0 (I bit and opcode) is {@code byte0}. */
    static IscsiWire of(int byte0) {
        return new IscsiWire(byte0);
    }

    /** The BHS, written through this at RFC offsets; bytes 4-7 are filled in by {@link #build}. */
    Be bhs() {
        return bhs;
    }

    IscsiWire ahs(byte[] value) {
        ahs = value.clone();
        return this;
    }

    IscsiWire data(byte[] value) {
        data = value.clone();
        return this;
    }

    IscsiWire digests(boolean header, boolean data) {
        headerDigest = header;
        dataDigest = data;
        return this;
    }

    IscsiWire totalAhsLength(int words) {
        totalAhsOverride = words;
        return this;
    }

    IscsiWire dataSegmentLength(int value) {
        dataLengthOverride = value;
        return this;
    }

    IscsiWire corruptHeaderDigest() {
        corruptHeaderDigest = true;
        return this;
    }

    IscsiWire corruptDataDigest() {
        corruptDataDigest = true;
        return this;
    }

    /** Padding bytes of this value instead of zero (receivers must ignore them, RFC 7143 11.2.3). */
    IscsiWire padding(int value) {
        paddingValue = value;
        return this;
    }

    byte[] build() {
        bhs.u8(4, totalAhsOverride != null ? totalAhsOverride : ahs.length / 4);
        bhs.u24(5, dataLengthOverride != null ? dataLengthOverride : data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(bhs.array());
        out.writeBytes(ahs);
        if (headerDigest) {
            byte[] header = out.toByteArray();
            out.writeBytes(Le.le32(Crc32cReference.of(header) ^ (corruptHeaderDigest ? 0x00400000 : 0)));
        }
        int segmentStart = out.size();
        out.writeBytes(data);
        while ((out.size() - segmentStart) % 4 != 0) {
            out.write(paddingValue);
        }
        if (dataDigest && data.length > 0) {
            byte[] all = out.toByteArray();
            int crc = Crc32cReference.of(all, segmentStart, all.length - segmentStart);
            out.writeBytes(Le.le32(crc ^ (corruptDataDigest ? 0x100 : 0)));
        }
        return out.toByteArray();
    }
}
