package org.copyoffload.protocol.nvme.identify;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Identify Controller data structure (NVMe Base 2.1, 5.1.13.2.1, Figure 313), the fields this project sets
 * and reads; every other byte is zero. Text fields are ASCII padded with spaces; SUBNQN is NUL-padded.
 */
public record IdentifyController(
        int vid, int ssvid, String serialNumber, String modelNumber, String firmwareRevision,
        int rab, int ieeeOui, int cmic, int mdts, int cntlid, int version, int oaes, int ctratt, int cntrltype,
        int oacs, int acl, int aerl, int frmw, int lpa, int elpe, int npss, int wctemp, int cctemp, int kas,
        int sqes, int cqes, int maxcmd, int nn, int oncs, int fuses, int fna, int vwc, int awun, int awupf,
        int ocfs, int sgls, int mnan, String subnqn, int ioccsz, int iorcsz, int icdoff, int fcatt, int msdbd,
        int ofcs) {

    /** CNTRLTYPE (byte 111). */
    public static final int CNTRLTYPE_IO = 1;
    public static final int CNTRLTYPE_DISCOVERY = 2;

    /** ONCS bits (bytes 521:520). */
    public static final int ONCS_COMPARE = 1;
    public static final int ONCS_DATASET_MANAGEMENT = 1 << 2;
    public static final int ONCS_WRITE_ZEROES = 1 << 3;
    public static final int ONCS_SAVE_FIELD = 1 << 4;
    public static final int ONCS_VERIFY = 1 << 7;
    public static final int ONCS_COPY = 1 << 8;

    /** LPA bits (byte 261). */
    public static final int LPA_SMART_PER_NAMESPACE = 1;
    public static final int LPA_COMMANDS_SUPPORTED_AND_EFFECTS = 1 << 1;
    public static final int LPA_EXTENDED_DATA = 1 << 2;

    /** CTRATT bit 0: 128-bit host identifier. */
    public static final int CTRATT_HOST_ID_128 = 1;

    public ByteBuf encode() {
        ByteBuf b = Unpooled.buffer(Cns.STRUCTURE_SIZE);
        encode(b);
        return b;
    }

    public void encode(ByteBuf b) {
        int base = b.writerIndex();
        b.writeZero(Cns.STRUCTURE_SIZE);
        ByteBuf s = b.slice(base, Cns.STRUCTURE_SIZE);
        s.setShortLE(0, vid);
        s.setShortLE(2, ssvid);
        AsciiField.writeSpacePadded(s, 4, 20, serialNumber, "SN");
        AsciiField.writeSpacePadded(s, 24, 40, modelNumber, "MN");
        AsciiField.writeSpacePadded(s, 64, 8, firmwareRevision, "FR");
        s.setByte(72, rab);
        s.setMediumLE(73, ieeeOui);
        s.setByte(76, cmic);
        s.setByte(77, mdts);
        s.setShortLE(78, cntlid);
        s.setIntLE(80, version);
        s.setIntLE(92, oaes);
        s.setIntLE(96, ctratt);
        s.setByte(111, cntrltype);
        s.setShortLE(256, oacs);
        s.setByte(258, acl);
        s.setByte(259, aerl);
        s.setByte(260, frmw);
        s.setByte(261, lpa);
        s.setByte(262, elpe);
        s.setByte(263, npss);
        s.setShortLE(266, wctemp);
        s.setShortLE(268, cctemp);
        s.setShortLE(320, kas);
        s.setByte(512, sqes);
        s.setByte(513, cqes);
        s.setShortLE(514, maxcmd);
        s.setIntLE(516, nn);
        s.setShortLE(520, oncs);
        s.setShortLE(522, fuses);
        s.setByte(524, fna);
        s.setByte(525, vwc);
        s.setShortLE(526, awun);
        s.setShortLE(528, awupf);
        s.setShortLE(534, ocfs);
        s.setIntLE(536, sgls);
        s.setIntLE(540, mnan);
        AsciiField.writeNulPadded(s, 768, 256, subnqn, "SUBNQN");
        s.setIntLE(1792, ioccsz);
        s.setIntLE(1796, iorcsz);
        s.setShortLE(1800, icdoff);
        s.setByte(1802, fcatt);
        s.setByte(1803, msdbd);
        s.setShortLE(1804, ofcs);
    }

    public static IdentifyController decode(ByteBuf in) {
        if (in.readableBytes() < Cns.STRUCTURE_SIZE) {
            throw new IllegalArgumentException("Identify Controller needs 4096 bytes, got " + in.readableBytes());
        }
        ByteBuf s = in.slice(in.readerIndex(), Cns.STRUCTURE_SIZE);
        return new IdentifyController(
                s.getUnsignedShortLE(0), s.getUnsignedShortLE(2), AsciiField.readSpacePadded(s, 4, 20),
                AsciiField.readSpacePadded(s, 24, 40), AsciiField.readSpacePadded(s, 64, 8),
                s.getUnsignedByte(72), s.getUnsignedMediumLE(73), s.getUnsignedByte(76), s.getUnsignedByte(77),
                s.getUnsignedShortLE(78), s.getIntLE(80), s.getIntLE(92), s.getIntLE(96), s.getUnsignedByte(111),
                s.getUnsignedShortLE(256), s.getUnsignedByte(258), s.getUnsignedByte(259), s.getUnsignedByte(260),
                s.getUnsignedByte(261), s.getUnsignedByte(262), s.getUnsignedByte(263), s.getUnsignedShortLE(266),
                s.getUnsignedShortLE(268), s.getUnsignedShortLE(320),
                s.getUnsignedByte(512), s.getUnsignedByte(513), s.getUnsignedShortLE(514), s.getIntLE(516),
                s.getUnsignedShortLE(520), s.getUnsignedShortLE(522), s.getUnsignedByte(524), s.getUnsignedByte(525),
                s.getUnsignedShortLE(526), s.getUnsignedShortLE(528), s.getUnsignedShortLE(534), s.getIntLE(536),
                s.getIntLE(540), AsciiField.readNulPadded(s, 768, 256),
                s.getIntLE(1792), s.getIntLE(1796), s.getUnsignedShortLE(1800), s.getUnsignedByte(1802),
                s.getUnsignedByte(1803), s.getUnsignedShortLE(1804));
    }

    /** Largest transfer in bytes given MDTS and the 4 KiB minimum page size; 0 means no limit. */
    public long maxTransferBytes() {
        return mdts == 0 ? 0 : 4096L << mdts;
    }

    /** In-capsule data bytes an I/O command capsule may carry: IOCCSZ counts 16-byte units including the 64-byte SQE. */
    public int inCapsuleDataBytes() {
        return Math.max(0, ioccsz * 16 - 64);
    }
}
