package org.copyoffload.protocol.scsi;

import java.util.Collection;

/**
 * A field of a CDB: where it lies and how wide it is, in the big-endian bit order CDBs use (SPC-5, 4.2.3). A field
 * starts at bit {@code msb} of byte {@code offset} and runs {@code width} bits towards the least significant bit of
 * later bytes, so READ (6)'s 21-bit LBA is {@code (1, 4, 21)} and READ (10)'s is {@code (2, 7, 32)}.
 *
 * <p>The decoders read every field through this type, and REPORT SUPPORTED OPERATION CODES builds each CDB USAGE
 * DATA from the same fields ({@link #usageData}), so what a target reports as evaluated is what its decoder reads.
 *
 * @param name   the field's name as the standard spells it, for messages
 * @param offset the byte holding the field's most significant bit
 * @param msb    that bit (7 = leftmost)
 * @param width  the number of bits, 1 to 64
 */
public record CdbField(String name, int offset, int msb, int width) {
    public CdbField {
        if (offset < 0 || msb < 0 || msb > 7 || width < 1 || width > 64) {
            throw new IllegalArgumentException(name + ": bad layout offset=" + offset + " msb=" + msb + " width=" + width);
        }
    }

    /** A one-bit flag. */
    public static CdbField bit(String name, int offset, int bit) {
        return new CdbField(name, offset, bit, 1);
    }

    /** Bits {@code msb} down to {@code msb - width + 1} of one byte. */
    public static CdbField bits(String name, int offset, int msb, int width) {
        if (msb - width + 1 < 0) {
            throw new IllegalArgumentException(name + ": " + width + " bits from bit " + msb + " leave the byte");
        }
        return new CdbField(name, offset, msb, width);
    }

    /** Whole bytes, big-endian. */
    public static CdbField bytes(String name, int offset, int count) {
        return new CdbField(name, offset, 7, count * 8);
    }

    /** The NACA bit of the CONTROL byte, the last byte of a CDB of {@code cdbLength} bytes (SAM-5 5.2). */
    public static CdbField naca(int cdbLength) {
        return bit("NACA", cdbLength - 1, 2);
    }

    /** The index, counting from bit 7 of byte 0, of the field's first bit. */
    private int firstBit() {
        return offset * 8 + (7 - msb);
    }

    /** The byte after the field's last bit (the CDB must be at least this long). */
    public int end() {
        return (firstBit() + width + 7) / 8;
    }

    /** The field's value, unsigned (a 64-bit field comes back as Java's signed long with the same bits). */
    public long read(byte[] cdb) {
        if (cdb.length < end()) {
            throw new IllegalArgumentException(name + " needs a CDB of " + end() + " bytes, got " + cdb.length);
        }
        long v = 0;
        int first = firstBit();
        for (int i = first; i < first + width; i++) {
            v = v << 1 | (cdb[i >>> 3] >>> (7 - (i & 7)) & 1);
        }
        return v;
    }

    public int readInt(byte[] cdb) {
        return (int) read(cdb);
    }

    public boolean isSet(byte[] cdb) {
        return read(cdb) != 0;
    }

    /** Stores {@code value}'s low {@code width} bits in the field, leaving the other bits of the CDB as they are. */
    public void write(byte[] cdb, long value) {
        int first = firstBit();
        for (int i = 0; i < width; i++) {
            int at = first + width - 1 - i;
            int mask = 1 << (7 - (at & 7));
            if ((value >>> i & 1) != 0) {
                cdb[at >>> 3] |= (byte) mask;
            } else {
                cdb[at >>> 3] &= (byte) ~mask;
            }
        }
    }

    /** Sets this field's bits in {@code mask}. */
    public void mark(byte[] mask) {
        int first = firstBit();
        for (int i = first; i < first + width; i++) {
            mask[i >>> 3] |= (byte) (1 << (7 - (i & 7)));
        }
    }

    /** The sense-key specific field pointer at this field (C/D = 1, BPV = 1, BIT POINTER = its leftmost bit). */
    public SenseData.FieldPointer pointer() {
        return SenseData.FieldPointer.cdb(offset, msb);
    }

    /**
     * CDB USAGE DATA (SPC-5 6.34.3): byte 0 is the operation code, and every other bit is one exactly when one of
     * {@code fields} covers it.
     */
    public static byte[] usageData(int opcode, int cdbLength, Collection<CdbField> fields) {
        byte[] usage = new byte[cdbLength];
        usage[0] = (byte) opcode;
        for (CdbField f : fields) {
            if (f.end() > cdbLength || f.offset == 0) {
                throw new IllegalArgumentException(f + " does not fit a " + cdbLength + "-byte CDB after the opcode");
            }
            f.mark(usage);
        }
        return usage;
    }

    @Override
    public String toString() {
        return name + " (byte " + offset + (width % 8 == 0 && msb == 7 ? "" : " bit " + msb) + ", " + width + " bits)";
    }
}
