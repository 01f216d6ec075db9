package org.copyoffload.protocol.nvme.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import org.copyoffload.protocol.nvme.StatusCode;

/**
 * One Source Range entry of a Copy command's data, in any of the four descriptor formats (one record rather
 * than a sealed hierarchy: the formats share every field but SNSID/SOPT, present in 2h/3h, and the width of the
 * expected reference/storage tag, 32 bits in 0h/2h and 80 bits in 1h/3h; the record carries {@link #format()} and
 * its constructor refuses a field the format does not have). Byte offsets within the entry:
 *
 * <pre>
 *               0h (32 B)     1h (40 B)     2h (32 B)     3h (40 B)
 * SNSID         rsvd 3:0      rsvd 3:0      3:0           3:0
 * reserved      7:4           7:4           7:4           7:4
 * SLBA          15:8          15:8          15:8          15:8
 * NLB (0's b.)  17:16         17:16         17:16         17:16
 * CETYPE        18 bits 3:0 (bits 7:4 reserved) in all formats
 * reserved      19            19            19            19
 * CEV           21:20         21:20         21:20         21:20
 * SOPT          rsvd 23:22    rsvd 25:22    23:22         23:22, rsvd 25:24
 * ELBT          27:24 (32b)   35:26 (80b)   27:24 (32b)   35:26 (80b)
 * ELBAT         29:28         37:36         29:28         37:36
 * ELBATM        31:30         39:38         31:30         39:38
 * </pre>
 *
 * <p>ELBT is the Expected Initial Logical Block Reference Tag together with the Expected Logical Block Storage
 * Tag: which upper bits are storage tag depends on the source namespace's STS and PIF, so the codec keeps the
 * raw value. CETYPE/CEV (Key Per I/O, NVMe 2.1, as libnvme lays them out) are reserved bytes to QEMU, which ignores
 * them.
 *
 * <p><b>Byte order of the tags.</b> The sources disagree. This codec follows QEMU 10 ({@code hw/nvme/ctrl.c},
 * {@code nvme_copy_source_range_parse_format*}): the 32-bit ELBT, ELBAT and ELBATM are little-endian; the 80-bit
 * ELBT of 1h/3h is one big-endian number, byte 26 most significant (QEMU reads its 48-bit reference tag from
 * bytes 30-35, most significant first). libnvme (nvme-cli 2.x/3.x) writes the 80-bit field the same way but
 * writes the 32-bit ELBT, ELBAT and ELBATM big-endian too. Encoding and decoding here are byte-exact either way;
 * only the numbers read from those bytes would differ.
 *
 * <p>Reserved bytes are never rejected (neither QEMU nor SPDK check them) but are kept, in
 * {@link #reserved0()} (entry bytes 7:0 read little-endian, the SNSID bytes cleared) and {@link #reserved18()}
 * (bytes 25:18 little-endian, the bits of CETYPE, CEV, SOPT and ELBT cleared), so a strict target can refuse
 * them with Invalid Field in Command; {@link #firstReservedByteSet()} says where.
 */
public record CopySourceRange(
        CopyDescriptorFormat format, int snsid, long slba, int nlb, int cetype, int cev, int sopt,
        int elbtUpper, long elbt, int elbat, int elbatm, long reserved0, long reserved18) {

    /** Source Options bit 15: Fast Copy Only. */
    public static final int SOPT_FAST_COPY_ONLY = 0x8000;

    /** The fields of an entry and where each format puts them. */
    public enum Field {
        SNSID(0, 4, 0, 4, false, true),
        SLBA(8, 8, 8, 8, true, true),
        NLB(16, 2, 16, 2, true, true),
        /** Bits 3:0 of byte 18. */
        CETYPE(18, 1, 18, 1, true, true),
        CEV(20, 2, 20, 2, true, true),
        SOPT(22, 2, 22, 2, false, true),
        ELBT(24, 4, 26, 10, true, true),
        ELBAT(28, 2, 36, 2, true, true),
        ELBATM(30, 2, 38, 2, true, true);

        private final int narrowOffset;
        private final int narrowLength;
        private final int wideOffset;
        private final int wideLength;
        private final boolean inSameNamespaceFormats;
        private final boolean inCrossNamespaceFormats;

        Field(int narrowOffset, int narrowLength, int wideOffset, int wideLength, boolean inSameNamespaceFormats,
              boolean inCrossNamespaceFormats) {
            this.narrowOffset = narrowOffset;
            this.narrowLength = narrowLength;
            this.wideOffset = wideOffset;
            this.wideLength = wideLength;
            this.inSameNamespaceFormats = inSameNamespaceFormats;
            this.inCrossNamespaceFormats = inCrossNamespaceFormats;
        }

        public boolean presentIn(CopyDescriptorFormat format) {
            return format.namesSourceNamespace() ? inCrossNamespaceFormats : inSameNamespaceFormats;
        }

        /** The byte offset of the field within an entry of {@code format}, or empty if the format lacks it. */
        public OptionalInt offset(CopyDescriptorFormat format) {
            if (!presentIn(format)) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(format.hasWideTags() ? wideOffset : narrowOffset);
        }

        /** The field's length in bytes in {@code format} (0 if the format lacks it). */
        public int length(CopyDescriptorFormat format) {
            if (!presentIn(format)) {
                return 0;
            }
            return format.hasWideTags() ? wideLength : narrowLength;
        }
    }

    public CopySourceRange {
        Objects.requireNonNull(format, "format");
        if (!format.namesSourceNamespace() && snsid != 0) {
            throw new IllegalArgumentException("format " + format + " has no SNSID (bytes 3:0 are reserved)");
        }
        if (!format.namesSourceNamespace() && sopt != 0) {
            throw new IllegalArgumentException("format " + format + " has no SOPT (bytes 23:22 are reserved)");
        }
        bits("NLB", nlb, 16);
        bits("CETYPE", cetype, 4);
        bits("CEV", cev, 16);
        bits("SOPT", sopt, 16);
        bits("ELBAT", elbat, 16);
        bits("ELBATM", elbatm, 16);
        if (format.hasWideTags()) {
            bits("ELBT bits 79:64", elbtUpper, 16);
        } else if (elbtUpper != 0 || elbt >>> 32 != 0) {
            throw new IllegalArgumentException("format " + format + " has a 32-bit ELBT, got "
                    + Integer.toHexString(elbtUpper) + ":" + Long.toHexString(elbt));
        }
        if ((reserved0 & ~reservedMask0(format)) != 0) {
            throw new IllegalArgumentException("reserved0 " + Long.toHexString(reserved0)
                    + " has bits outside the reserved bytes of " + format);
        }
        if ((reserved18 & ~reservedMask18(format)) != 0) {
            throw new IllegalArgumentException("reserved18 " + Long.toHexString(reserved18)
                    + " has bits outside the reserved bits of " + format);
        }
    }

    private static void bits(String name, int value, int width) {
        if (value < 0 || value >= 1 << width) {
            throw new IllegalArgumentException(name + " is " + width + " bits, got " + value);
        }
    }

    /** Which bits of entry bytes 7:0 (little-endian) are reserved: all of them, or 7:4 where SNSID is 3:0. */
    static long reservedMask0(CopyDescriptorFormat format) {
        return format.namesSourceNamespace() ? 0xFFFF_FFFF_0000_0000L : -1L;
    }

    /**
     * Which bits of entry bytes 25:18 (little-endian, bit 0 = byte 18 bit 0) are reserved: byte 18 bits 7:4 and
     * byte 19 everywhere; bytes 23:22 where there is no SOPT; bytes 25:24 where ELBT starts at byte 26.
     */
    static long reservedMask18(CopyDescriptorFormat format) {
        return switch (format) {
            case FORMAT_0 -> 0x0000_FFFF_0000_FFF0L;
            case FORMAT_1 -> 0xFFFF_FFFF_0000_FFF0L;
            case FORMAT_2 -> 0x0000_0000_0000_FFF0L;
            case FORMAT_3 -> 0xFFFF_0000_0000_FFF0L;
        };
    }

    /** A format 0h range of {@code blockCount} (1-65536) blocks at {@code slba}, no tags. */
    public static CopySourceRange of(long slba, int blockCount) {
        return of(CopyDescriptorFormat.FORMAT_0, slba, blockCount);
    }

    /** A range in a same-namespace format (0h/1h); for 2h/3h the SNSID is 0 until {@link #withSourceNamespace}. */
    public static CopySourceRange of(CopyDescriptorFormat format, long slba, int blockCount) {
        return new CopySourceRange(format, 0, slba, zeroBased(blockCount), 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** A range of a cross-namespace format (2h/3h) read from namespace {@code snsid}. */
    public static CopySourceRange of(CopyDescriptorFormat format, int snsid, long slba, int blockCount) {
        return new CopySourceRange(format, snsid, slba, zeroBased(blockCount), 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    private static int zeroBased(int blockCount) {
        if (blockCount < 1 || blockCount > 0x10000) {
            throw new IllegalArgumentException("a source range holds 1-65536 blocks, got " + blockCount);
        }
        return blockCount - 1;
    }

    public CopySourceRange withSourceNamespace(int newSnsid) {
        return new CopySourceRange(format, newSnsid, slba, nlb, cetype, cev, sopt, elbtUpper, elbt, elbat, elbatm,
                reserved0, reserved18);
    }

    public CopySourceRange withSourceOptions(int newSopt) {
        return new CopySourceRange(format, snsid, slba, nlb, cetype, cev, newSopt, elbtUpper, elbt, elbat, elbatm,
                reserved0, reserved18);
    }

    public CopySourceRange withCommandExtension(int newCetype, int newCev) {
        return new CopySourceRange(format, snsid, slba, nlb, newCetype, newCev, sopt, elbtUpper, elbt, elbat, elbatm,
                reserved0, reserved18);
    }

    /** The expected tags: {@code upper} is bits 79:64 of the 80-bit ELBT (0 for 0h/2h), {@code lower} the rest. */
    public CopySourceRange withExpectedTags(int upper, long lower, int newElbat, int newElbatm) {
        return new CopySourceRange(format, snsid, slba, nlb, cetype, cev, sopt, upper, lower, newElbat, newElbatm,
                reserved0, reserved18);
    }

    public CopySourceRange withReserved(long newReserved0, long newReserved18) {
        return new CopySourceRange(format, snsid, slba, nlb, cetype, cev, sopt, elbtUpper, elbt, elbat, elbatm,
                newReserved0, newReserved18);
    }

    /** NLB + 1: the number of logical blocks (1-65536). */
    public int blockCount() {
        return nlb + 1;
    }

    /** Source Options bit 15: copy only if the controller can do it fast (2h/3h). */
    public boolean fastCopyOnly() {
        return (sopt & SOPT_FAST_COPY_ONLY) != 0;
    }

    /** Whether any reserved bit is set. */
    public boolean hasReservedBitsSet() {
        return reserved0 != 0 || reserved18 != 0;
    }

    /** The entry-relative offset of the first byte with a reserved bit set, or empty if there is none. */
    public OptionalInt firstReservedByteSet() {
        for (int i = 0; i < 8; i++) {
            if ((reserved0 >>> (8 * i) & 0xFF) != 0) {
                return OptionalInt.of(i);
            }
        }
        for (int i = 0; i < 8; i++) {
            if ((reserved18 >>> (8 * i) & 0xFF) != 0) {
                return OptionalInt.of(18 + i);
            }
        }
        return OptionalInt.empty();
    }

    /** Decodes one entry of {@code format} at {@code index}; the buffer must hold {@code format.entrySize()} bytes there. */
    public static CopySourceRange decode(ByteBuf in, int index, CopyDescriptorFormat format) {
        long head = in.getLongLE(index);
        long middle = in.getLongLE(index + 18);
        int snsid = format.namesSourceNamespace() ? (int) head : 0;
        int sopt = format.namesSourceNamespace() ? in.getUnsignedShortLE(index + 22) : 0;
        int elbtUpper;
        long elbt;
        int tags;
        if (format.hasWideTags()) {
            elbtUpper = in.getUnsignedShort(index + 26);
            elbt = in.getLong(index + 28);
            tags = 36;
        } else {
            elbtUpper = 0;
            elbt = in.getUnsignedIntLE(index + 24);
            tags = 28;
        }
        return new CopySourceRange(format, snsid, in.getLongLE(index + 8), in.getUnsignedShortLE(index + 16),
                in.getUnsignedByte(index + 18) & 0x0F, in.getUnsignedShortLE(index + 20), sopt, elbtUpper, elbt,
                in.getUnsignedShortLE(index + tags), in.getUnsignedShortLE(index + tags + 2),
                head & reservedMask0(format), middle & reservedMask18(format));
    }

    /** Writes this entry ({@code format().entrySize()} bytes) at {@code index}. */
    public void encode(ByteBuf out, int index) {
        out.setLongLE(index, reserved0 | Integer.toUnsignedLong(snsid));
        out.setLongLE(index + 8, slba);
        out.setShortLE(index + 16, nlb);
        // The reserved bits of bytes 25:18 first, then the fields laid over them.
        out.setLongLE(index + 18, reserved18);
        out.setByte(index + 18, (int) (reserved18 & 0xF0) | cetype);
        out.setShortLE(index + 20, cev);
        if (format.namesSourceNamespace()) {
            out.setShortLE(index + 22, sopt);
        }
        if (format.hasWideTags()) {
            out.setShort(index + 26, elbtUpper);
            out.setLong(index + 28, elbt);
            out.setShortLE(index + 36, elbat);
            out.setShortLE(index + 38, elbatm);
        } else {
            out.setIntLE(index + 24, (int) elbt);
            out.setShortLE(index + 28, elbat);
            out.setShortLE(index + 30, elbatm);
        }
    }

    /** The bytes {@code count} entries of {@code format} take. */
    public static int listLength(CopyDescriptorFormat format, int count) {
        checkCount(count);
        return format.entrySize() * count;
    }

    private static void checkCount(int count) {
        if (count < 1 || count > CopyCommand.MAX_RANGES) {
            throw new IllegalArgumentException("a Copy names 1-" + CopyCommand.MAX_RANGES + " ranges, got " + count);
        }
    }

    /**
     * Decodes {@code count} entries (the command's NR + 1) from the readable bytes of {@code data}, leaving its
     * indices alone. Like QEMU, which transfers exactly {@code count * entrySize} bytes and lets a longer data
     * block go unread, the data must hold at least that many bytes: anything after is ignored. Fewer is Data SGL
     * Length Invalid (000Fh) with DNR, the status QEMU's SGL mapping returns when the SGL is too short. Reserved
     * fields are retained, not rejected.
     */
    public static List<CopySourceRange> decodeList(ByteBuf data, CopyDescriptorFormat format, int count) {
        int needed = listLength(format, count);
        if (data.readableBytes() < needed) {
            throw new CopyFieldException("Copy source range data length", data.readableBytes(),
                    count + " entries of format " + Integer.toHexString(format.code()) + "h need " + needed + " bytes",
                    StatusCode.DATA_SGL_LENGTH_INVALID.dnr());
        }
        List<CopySourceRange> ranges = new ArrayList<>(count);
        int base = data.readerIndex();
        for (int i = 0; i < count; i++) {
            ranges.add(decode(data, base + i * format.entrySize(), format));
        }
        return List.copyOf(ranges);
    }

    /** Writes the entries, all of one format, at the writer index of {@code out} and advances it. */
    public static void encodeList(List<CopySourceRange> ranges, ByteBuf out) {
        CopyDescriptorFormat format = commonFormat(ranges);
        int length = listLength(format, ranges.size());
        out.ensureWritable(length);
        int base = out.writerIndex();
        for (int i = 0; i < ranges.size(); i++) {
            ranges.get(i).encode(out, base + i * format.entrySize());
        }
        out.writerIndex(base + length);
    }

    /** The entries, all of one format, in a new heap buffer the caller releases. */
    public static ByteBuf encodeList(List<CopySourceRange> ranges) {
        ByteBuf out = Unpooled.buffer(listLength(commonFormat(ranges), ranges.size()));
        encodeList(ranges, out);
        return out;
    }

    private static CopyDescriptorFormat commonFormat(List<CopySourceRange> ranges) {
        checkCount(ranges.size());
        CopyDescriptorFormat format = ranges.getFirst().format();
        for (CopySourceRange r : ranges) {
            if (r.format() != format) {
                throw new IllegalArgumentException("one Copy uses one descriptor format: " + format + " and " + r.format());
            }
        }
        return format;
    }

    /** The sum of the ranges' block counts: what Identify Namespace MCL limits. */
    public static long totalBlocks(List<CopySourceRange> ranges) {
        long total = 0;
        for (CopySourceRange r : ranges) {
            total += r.blockCount();
        }
        return total;
    }
}
