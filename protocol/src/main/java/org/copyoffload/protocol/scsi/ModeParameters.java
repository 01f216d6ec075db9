package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mode parameter list of MODE SENSE and MODE SELECT (SPC-5 7.5.4-7.5.6): a header (4 bytes for the 6-byte
 * commands, 8 for the 10-byte ones), block descriptors (SBC-4 6.5.2: 8-byte short or, with LONGLBA, 16-byte long
 * LBA ones), then mode pages.
 */
public final class ModeParameters {
    public static final int HEADER_6 = 4;
    public static final int HEADER_10 = 8;
    public static final int SHORT_BLOCK_DESCRIPTOR = 8;
    public static final int LONG_BLOCK_DESCRIPTOR = 16;
    /** DEVICE-SPECIFIC PARAMETER for SBC (6.5.1): WP bit 7, DPOFUA bit 4. */
    public static final int WP = 0x80;
    public static final int DPOFUA = 0x10;

    private ModeParameters() {
    }

    /**
     * A block descriptor: the number of logical blocks and their length.
     *
     * @param blocks      NUMBER OF LOGICAL BLOCKS (a short descriptor carries FFFFFFFFh when larger)
     * @param blockLength LOGICAL BLOCK LENGTH
     * @param offset      where it starts in a parsed parameter list
     * @param longLba     a 16-byte long LBA descriptor rather than an 8-byte short one
     */
    public record BlockDescriptor(long blocks, int blockLength, int offset, boolean longLba) {
        public BlockDescriptor(long blocks, int blockLength) {
            this(blocks, blockLength, 0, false);
        }

        /** Where LOGICAL BLOCK LENGTH starts in the parameter list. */
        public int blockLengthOffset() {
            return offset + (longLba ? 12 : 5);
        }
    }

    /**
     * One mode page as found in a parameter list.
     *
     * @param offset where the page starts in the parameter list
     * @param bytes  the page, header included
     */
    public record Page(int offset, byte[] bytes) {
        public int pageCode() {
            return bytes[0] & 0x3F;
        }

        public boolean subpageFormat() {
            return (bytes[0] & 0x40) != 0;
        }

        public boolean parametersSaveable() {
            return (bytes[0] & 0x80) != 0;
        }
    }

    /**
     * A parsed MODE SELECT parameter list.
     *
     * @param deviceSpecific   the header's DEVICE-SPECIFIC PARAMETER
     * @param blockDescriptors the block descriptors
     * @param pages            the mode pages in order
     */
    public record Parsed(int deviceSpecific, List<BlockDescriptor> blockDescriptors, List<Page> pages) {
    }

    /**
     * MODE SENSE data. MODE DATA LENGTH excludes itself; the (6) form cannot describe more than 255 bytes, so the
     * pages are then cut at a page boundary (the caller's pages are small enough that this does not happen).
     */
    public static byte[] encode(boolean ten, int deviceSpecific, Optional<BlockDescriptor> descriptor, boolean longLba,
                                List<byte[]> pages) {
        int header = ten ? HEADER_10 : HEADER_6;
        int bdLength = descriptor.isEmpty() ? 0 : longLba ? LONG_BLOCK_DESCRIPTOR : SHORT_BLOCK_DESCRIPTOR;
        int length = header + bdLength;
        for (byte[] p : pages) {
            length += p.length;
        }
        byte[] b = new byte[length];
        if (ten) {
            Be.putShort(b, 0, length - 2);
            b[3] = (byte) deviceSpecific;
            b[4] = (byte) (longLba && descriptor.isPresent() ? 1 : 0);
            Be.putShort(b, 6, bdLength);
        } else {
            if (length - 1 > 0xFF) {
                throw new IllegalArgumentException("mode data of " + length + " bytes does not fit MODE SENSE (6)");
            }
            b[0] = (byte) (length - 1);
            b[2] = (byte) deviceSpecific;
            b[3] = (byte) bdLength;
        }
        int at = header;
        if (descriptor.isPresent()) {
            BlockDescriptor d = descriptor.get();
            if (longLba) {
                Be.putLong(b, at, d.blocks());
                Be.putInt(b, at + 12, d.blockLength());
            } else {
                Be.putInt(b, at, (int) Math.min(d.blocks(), 0xFFFF_FFFFL));
                Be.putInt(b, at + 4, d.blockLength() & 0xFFFFFF);
            }
            at += bdLength;
        }
        for (byte[] p : pages) {
            System.arraycopy(p, 0, b, at, p.length);
            at += p.length;
        }
        return b;
    }

    /**
     * Parses {@code length} bytes of a MODE SELECT parameter list. A list that ends inside the header, a block
     * descriptor or a page is PARAMETER LIST LENGTH ERROR (SPC-5 6.12); a block descriptor length that is not a
     * multiple of the descriptor size is INVALID FIELD IN PARAMETER LIST.
     */
    public static Parsed decode(boolean ten, byte[] data, int length) {
        int header = ten ? HEADER_10 : HEADER_6;
        if (length < header) {
            throw CheckCondition.parameterListLength("mode parameter list of " + length
                    + " bytes ends inside its " + header + "-byte header");
        }
        int deviceSpecific = data[ten ? 3 : 2] & 0xFF;
        boolean longLba = ten && (data[4] & 1) != 0;
        int bdLength = ten ? Be.getShort(data, 6) : data[3] & 0xFF;
        int bdSize = longLba ? LONG_BLOCK_DESCRIPTOR : SHORT_BLOCK_DESCRIPTOR;
        if (bdLength % bdSize != 0) {
            throw CheckCondition.invalidParameter("BLOCK DESCRIPTOR LENGTH", ten ? 6 : 3, 7, bdLength,
                    "not a multiple of the " + bdSize + "-byte block descriptor");
        }
        if (header + bdLength > length) {
            throw CheckCondition.parameterListLength("block descriptors of " + bdLength
                    + " bytes run past the " + length + "-byte parameter list");
        }
        List<BlockDescriptor> descriptors = new ArrayList<>();
        for (int at = header; at < header + bdLength; at += bdSize) {
            descriptors.add(longLba
                    ? new BlockDescriptor(Be.getLong(data, at), Be.getInt(data, at + 12), at, true)
                    : new BlockDescriptor(Be.getInt(data, at) & 0xFFFF_FFFFL, Be.getInt(data, at + 4) & 0xFFFFFF, at,
                    false));
        }
        List<Page> pages = new ArrayList<>();
        int at = header + bdLength;
        while (at < length) {
            if (at + 2 > length) {
                throw CheckCondition.parameterListLength("mode page at byte " + at + " is cut before its length");
            }
            boolean spf = (data[at] & 0x40) != 0;
            int pageHeader = spf ? 4 : 2;
            if (at + pageHeader > length) {
                throw CheckCondition.parameterListLength("sub_page at byte " + at + " is cut in its header");
            }
            int pageLength = pageHeader + (spf ? Be.getShort(data, at + 2) : data[at + 1] & 0xFF);
            if (at + pageLength > length) {
                throw CheckCondition.parameterListLength("mode page " + String.format("%02Xh", data[at] & 0x3F)
                        + " at byte " + at + " needs " + pageLength + " bytes, the list ends at " + length);
            }
            byte[] page = new byte[pageLength];
            System.arraycopy(data, at, page, 0, pageLength);
            pages.add(new Page(at, page));
            at += pageLength;
        }
        return new Parsed(deviceSpecific, descriptors, pages);
    }
}
