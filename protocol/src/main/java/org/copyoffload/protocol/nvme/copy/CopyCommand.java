package org.copyoffload.protocol.nvme.copy;

import java.util.Optional;
import java.util.OptionalInt;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * The command dwords of Copy (I/O opcode 19h, NVM Command Set 1.1 / NVMe 2.1 with TP4065 and TP4130). Every
 * bit of CDW2, CDW3 and CDW10-CDW15 is held by exactly one component, so {@code from(toSqe(..))} and
 * {@code toSqe(from(..))} are exact and a checker sees whatever the host put anywhere, reserved bits included.
 *
 * <pre>
 * NSID        bytes 7:4     destination namespace
 * CDW2        bytes 11:8    not defined for Copy: reserved, retained in {@link #cdw2()}
 * CDW3        bytes 15:12   LBTU  Logical Block Tags Upper (destination storage/reference tag, upper 32 bits)
 * CDW10-11    bytes 47:40   SDLBA Starting Destination LBA
 * CDW12 7:0   byte 48       NR      Number of Ranges, 0's based (1-256 ranges)
 * CDW12 11:8  byte 49 3:0   DESFMT  Descriptor Format
 * CDW12 15:12 byte 49 7:4   PRINFOR Protection Information Field Read (source)
 * CDW12 19:16 byte 50 3:0   CETYPE  Command Extension Type (Key Per I/O, NVMe 2.1; reserved before)
 * CDW12 23:20 byte 50 7:4   DTYPE   Directive Type (destination)
 * CDW12 24    byte 51 0     STCW    Storage Tag Check Write
 * CDW12 25    byte 51 1     STCR    Storage Tag Check Read (NVMe 2.1 / libnvme; reserved in SPDK's view)
 * CDW12 29:26 byte 51 5:2   PRINFOW Protection Information Field Write (destination)
 * CDW12 30    byte 51 6     FUA     Force Unit Access
 * CDW12 31    byte 51 7     LR      Limited Retry
 * CDW13 15:0  bytes 53:52   CEV     Command Extension Value (Key Per I/O; reserved before)
 * CDW13 31:16 bytes 55:54   DSPEC   Directive Specific
 * CDW14       bytes 59:56   LBTL    Logical Block Tags Lower (destination initial reference tag)
 * CDW15 15:0  bytes 61:60   LBAT    Logical Block Application Tag
 * CDW15 31:16 bytes 63:62   LBATM   Logical Block Application Tag Mask
 * </pre>
 *
 * <p>DESFMT is kept raw: reserved values (4h-Fh) decode, so the target can answer Invalid Field in Command
 * instead of failing to parse. The data pointer carries {@code numberOfRanges() * entrySize} bytes of
 * {@link CopySourceRange} entries.
 */
public record CopyCommand(
        int nsid, int cdw2, int lbtu, long sdlba,
        int nr, int desfmt, int prinfor, int cetype, int dtype,
        boolean stcw, boolean stcr, int prinfow, boolean fua, boolean lr,
        int cev, int dspec, int lbtl, int lbat, int lbatm) {

    public static final int OPCODE = NvmOpcode.COPY.code();
    /** The most Source Range entries one command can name (NR is an 8-bit 0's based count). */
    public static final int MAX_RANGES = 256;

    /** PRINFO bits (PRINFOR/PRINFOW): PRACT and the three PRCHK checks. */
    public static final int PRINFO_PRACT = 0x8;
    public static final int PRINFO_PRCHK_GUARD = 0x4;
    public static final int PRINFO_PRCHK_APPLICATION_TAG = 0x2;
    public static final int PRINFO_PRCHK_REFERENCE_TAG = 0x1;

    /**
     * Where each field lies in the 64-byte submission queue entry: the dword, the bit shift within it and the
     * width. {@link #byteOffset()} and {@link #bitInByte()} give the SQE byte and bit of the field's least
     * significant bit, as the Error Information log's Parameter Error Location wants them.
     */
    public enum Field {
        NSID(1, 0, 32, "Namespace Identifier (destination)"),
        CDW2(2, 0, 32, "Command Dword 2 (reserved for Copy)"),
        LBTU(3, 0, 32, "Logical Block Tags Upper"),
        SDLBA(10, 0, 64, "Starting Destination LBA"),
        NR(12, 0, 8, "Number of Ranges (0's based)"),
        DESFMT(12, 8, 4, "Descriptor Format"),
        PRINFOR(12, 12, 4, "Protection Information Field Read"),
        CETYPE(12, 16, 4, "Command Extension Type"),
        DTYPE(12, 20, 4, "Directive Type"),
        STCW(12, 24, 1, "Storage Tag Check Write"),
        STCR(12, 25, 1, "Storage Tag Check Read"),
        PRINFOW(12, 26, 4, "Protection Information Field Write"),
        FUA(12, 30, 1, "Force Unit Access"),
        LR(12, 31, 1, "Limited Retry"),
        CEV(13, 0, 16, "Command Extension Value"),
        DSPEC(13, 16, 16, "Directive Specific"),
        LBTL(14, 0, 32, "Logical Block Tags Lower"),
        LBAT(15, 0, 16, "Logical Block Application Tag"),
        LBATM(15, 16, 16, "Logical Block Application Tag Mask");

        private final int dword;
        private final int shift;
        private final int width;
        private final String description;

        Field(int dword, int shift, int width, String description) {
            this.dword = dword;
            this.shift = shift;
            this.width = width;
            this.description = description;
        }

        /** The command dword (0-15) holding the field's least significant bit. */
        public int dword() {
            return dword;
        }

        /** The bit of that dword where the field starts. */
        public int shift() {
            return shift;
        }

        public int width() {
            return width;
        }

        public String description() {
            return description;
        }

        /** The SQE byte holding the field's least significant bit. */
        public int byteOffset() {
            return dword * 4 + shift / 8;
        }

        /** The bit within {@link #byteOffset()} where the field starts. */
        public int bitInByte() {
            return shift % 8;
        }

        /** Error Information log entry Parameter Error Location: bits 7:0 the byte, bits 10:8 the bit. */
        public int parameterErrorLocation() {
            return byteOffset() | bitInByte() << 8;
        }

        /** The largest value the field holds. */
        public long maxValue() {
            return width == 64 ? -1L : (1L << width) - 1;
        }

        int get(int dwordValue) {
            return (int) ((Integer.toUnsignedLong(dwordValue) >>> shift) & maxValue());
        }

        int put(long value) {
            return (int) ((value & maxValue()) << shift);
        }
    }

    public CopyCommand {
        check(Field.NR, nr);
        check(Field.DESFMT, desfmt);
        check(Field.PRINFOR, prinfor);
        check(Field.CETYPE, cetype);
        check(Field.DTYPE, dtype);
        check(Field.PRINFOW, prinfow);
        check(Field.CEV, cev);
        check(Field.DSPEC, dspec);
        check(Field.LBAT, lbat);
        check(Field.LBATM, lbatm);
    }

    private static void check(Field field, int value) {
        if (value < 0 || value > field.maxValue()) {
            throw new IllegalArgumentException(field + " is " + field.width() + " bits, got " + value);
        }
    }

    /** Decodes the Copy fields of an SQE whose opcode is 19h. Never rejects a value: checking is the target's. */
    public static CopyCommand from(SubmissionQueueEntry sqe) {
        if (sqe.opcode() != OPCODE) {
            throw new IllegalArgumentException("not a Copy command: opcode " + Integer.toHexString(sqe.opcode()) + "h");
        }
        int c12 = sqe.cdw12();
        int c13 = sqe.cdw13();
        int c15 = sqe.cdw15();
        long sdlba = sqe.cdw10And11();
        return new CopyCommand(sqe.nsid(), sqe.cdw2(), sqe.cdw3(), sdlba,
                Field.NR.get(c12), Field.DESFMT.get(c12), Field.PRINFOR.get(c12), Field.CETYPE.get(c12),
                Field.DTYPE.get(c12), Field.STCW.get(c12) != 0, Field.STCR.get(c12) != 0, Field.PRINFOW.get(c12),
                Field.FUA.get(c12) != 0, Field.LR.get(c12) != 0,
                Field.CEV.get(c13), Field.DSPEC.get(c13), sqe.cdw14(), Field.LBAT.get(c15), Field.LBATM.get(c15));
    }

    /** CDW12 as the host writes it. */
    public int cdw12() {
        return Field.NR.put(nr) | Field.DESFMT.put(desfmt) | Field.PRINFOR.put(prinfor) | Field.CETYPE.put(cetype)
                | Field.DTYPE.put(dtype) | Field.STCW.put(stcw ? 1 : 0) | Field.STCR.put(stcr ? 1 : 0)
                | Field.PRINFOW.put(prinfow) | Field.FUA.put(fua ? 1 : 0) | Field.LR.put(lr ? 1 : 0);
    }

    public int cdw13() {
        return Field.CEV.put(cev) | Field.DSPEC.put(dspec);
    }

    public int cdw15() {
        return Field.LBAT.put(lbat) | Field.LBATM.put(lbatm);
    }

    /**
     * The SQE, with an SGL for the Source Range data moved by the transport (NVMe/TCP: R2T/H2CData) whose length is
     * {@code numberOfRanges() * entrySize}, or 0 when DESFMT is reserved.
     */
    public SubmissionQueueEntry toSqe(int cid) {
        return toSqe(cid, SglDescriptor.transport(sourceRangeDataLength().orElse(0)));
    }

    /** The SQE with the given data descriptor, e.g. {@link SglDescriptor#inCapsule(int)}. */
    public SubmissionQueueEntry toSqe(int cid, SglDescriptor sgl) {
        return SubmissionQueueEntry.builder(OPCODE)
                .cid(cid)
                .nsid(nsid)
                .cdw2(cdw2)
                .cdw3(lbtu)
                .sgl(sgl)
                .cdw10((int) sdlba)
                .cdw11((int) (sdlba >>> 32))
                .cdw12(cdw12())
                .cdw13(cdw13())
                .cdw14(lbtl)
                .cdw15(cdw15())
                .build();
    }

    /** NR + 1: how many Source Range entries the data holds (1-256). */
    public int numberOfRanges() {
        return nr + 1;
    }

    /** The descriptor format, or empty if DESFMT holds a reserved value. */
    public Optional<CopyDescriptorFormat> descriptorFormat() {
        return CopyDescriptorFormat.lookup(desfmt);
    }

    /** Bytes of Source Range data the command transfers, or empty if DESFMT is reserved. */
    public OptionalInt sourceRangeDataLength() {
        return descriptorFormat().map(f -> OptionalInt.of(f.entrySize() * numberOfRanges())).orElse(OptionalInt.empty());
    }

    /** LBTU:LBTL, the 64 bits of destination storage and reference tag the command carries (CDW3:CDW14). */
    public long logicalBlockTags() {
        return (long) lbtu << 32 | Integer.toUnsignedLong(lbtl);
    }

    /** SDLBA as the unsigned number it is (it may exceed {@link Long#MAX_VALUE}). */
    public String sdlbaUnsigned() {
        return Long.toUnsignedString(sdlba);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().nsid(nsid).cdw2(cdw2).lbtu(lbtu).sdlba(sdlba).nr(nr).desfmt(desfmt).prinfor(prinfor)
                .cetype(cetype).dtype(dtype).stcw(stcw).stcr(stcr).prinfow(prinfow).fua(fua).lr(lr).cev(cev)
                .dspec(dspec).lbtl(lbtl).lbat(lbat).lbatm(lbatm);
    }

    /** Builds a Copy command; everything defaults to 0 (one range, format 0h). */
    public static final class Builder {
        private int nsid;
        private int cdw2;
        private int lbtu;
        private long sdlba;
        private int nr;
        private int desfmt;
        private int prinfor;
        private int cetype;
        private int dtype;
        private boolean stcw;
        private boolean stcr;
        private int prinfow;
        private boolean fua;
        private boolean lr;
        private int cev;
        private int dspec;
        private int lbtl;
        private int lbat;
        private int lbatm;

        private Builder() {
        }

        public Builder nsid(int value) { nsid = value; return this; }
        public Builder cdw2(int value) { cdw2 = value; return this; }
        public Builder lbtu(int value) { lbtu = value; return this; }
        public Builder sdlba(long value) { sdlba = value; return this; }
        /** NR as it is on the wire: 0's based. */
        public Builder nr(int value) { nr = value; return this; }
        public Builder desfmt(int value) { desfmt = value; return this; }
        public Builder prinfor(int value) { prinfor = value; return this; }
        public Builder cetype(int value) { cetype = value; return this; }
        public Builder dtype(int value) { dtype = value; return this; }
        public Builder stcw(boolean value) { stcw = value; return this; }
        public Builder stcr(boolean value) { stcr = value; return this; }
        public Builder prinfow(int value) { prinfow = value; return this; }
        public Builder fua(boolean value) { fua = value; return this; }
        public Builder lr(boolean value) { lr = value; return this; }
        public Builder cev(int value) { cev = value; return this; }
        public Builder dspec(int value) { dspec = value; return this; }
        public Builder lbtl(int value) { lbtl = value; return this; }
        public Builder lbat(int value) { lbat = value; return this; }
        public Builder lbatm(int value) { lbatm = value; return this; }

        /** The number of ranges as a count (1-256); sets NR to count - 1. */
        public Builder ranges(int count) {
            if (count < 1 || count > MAX_RANGES) {
                throw new IllegalArgumentException("a Copy names 1-" + MAX_RANGES + " ranges, got " + count);
            }
            nr = count - 1;
            return this;
        }

        public Builder descriptorFormat(CopyDescriptorFormat format) {
            desfmt = format.code();
            return this;
        }

        /** LBTU:LBTL from one 64-bit value. */
        public Builder logicalBlockTags(long value) {
            lbtu = (int) (value >>> 32);
            lbtl = (int) value;
            return this;
        }

        public CopyCommand build() {
            return new CopyCommand(nsid, cdw2, lbtu, sdlba, nr, desfmt, prinfor, cetype, dtype, stcw, stcr, prinfow,
                    fua, lr, cev, dspec, lbtl, lbat, lbatm);
        }
    }
}
