package org.copyoffload.protocol.nvme.identify;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Identify Namespace data structure for the NVM command set (NVM Command Set 1.1, 4.1.5.1, Figure 114):
 * the fields this project sets and reads; the rest is zero. NGUID and EUI64 are 16 and 8 raw bytes.
 */
public record IdentifyNamespace(
        long nsze, long ncap, long nuse, int nsfeat, int flbas, int mc, int dpc, int dps, int nmic, int fpi,
        int dlfeat, int nawun, int nawupf, int noiob, int npwg, int npwa, int npdg, int npda, int nows,
        int mssrl, long mcl, int msrc, int anagrpid, int nsattr, int endgid, byte[] nguid, byte[] eui64,
        List<LbaFormat> lbaFormats) {

    /** NSFEAT bit 0: NUSE reflects allocation (thin provisioning); bit 4: NPWG and friends are valid. */
    public static final int NSFEAT_THIN_PROVISIONING = 1;
    public static final int NSFEAT_OPTIMAL_PERFORMANCE = 1 << 4;
    /** DLFEAT: deallocated blocks read as zeros (001b), Write Zeroes may deallocate (bit 3). */
    public static final int DLFEAT_READ_ZEROES = 1;
    public static final int DLFEAT_WRITE_ZEROES_DEALLOCATES = 1 << 3;

    public IdentifyNamespace {
        nguid = nguid.clone();
        eui64 = eui64.clone();
        lbaFormats = List.copyOf(lbaFormats);
        if (nguid.length != 16 || eui64.length != 8) {
            throw new IllegalArgumentException("NGUID is 16 bytes and EUI64 8 bytes");
        }
        if (lbaFormats.isEmpty() || lbaFormats.size() > 16) {
            throw new IllegalArgumentException("1 to 16 LBA formats, got " + lbaFormats.size());
        }
    }


    public LbaFormat currentFormat() {
        return lbaFormats.get(flbas & 0xF);
    }

    public ByteBuf encode() {
        ByteBuf b = Unpooled.buffer(Cns.STRUCTURE_SIZE);
        b.writeZero(Cns.STRUCTURE_SIZE);
        b.setLongLE(0, nsze);
        b.setLongLE(8, ncap);
        b.setLongLE(16, nuse);
        b.setByte(24, nsfeat);
        b.setByte(25, lbaFormats.size() - 1);
        b.setByte(26, flbas);
        b.setByte(27, mc);
        b.setByte(28, dpc);
        b.setByte(29, dps);
        b.setByte(30, nmic);
        b.setByte(32, fpi);
        b.setByte(33, dlfeat);
        b.setShortLE(34, nawun);
        b.setShortLE(36, nawupf);
        b.setShortLE(46, noiob);
        b.setShortLE(64, npwg);
        b.setShortLE(66, npwa);
        b.setShortLE(68, npdg);
        b.setShortLE(70, npda);
        b.setShortLE(72, nows);
        b.setShortLE(74, mssrl);
        b.setIntLE(76, (int) mcl);
        b.setByte(80, msrc);
        b.setIntLE(92, anagrpid);
        b.setByte(99, nsattr);
        b.setShortLE(102, endgid);
        b.setBytes(104, nguid);
        b.setBytes(120, eui64);
        for (int i = 0; i < lbaFormats.size(); i++) {
            b.setIntLE(128 + 4 * i, lbaFormats.get(i).encode());
        }
        return b;
    }

    public static IdentifyNamespace decode(ByteBuf in) {
        if (in.readableBytes() < Cns.STRUCTURE_SIZE) {
            throw new IllegalArgumentException("Identify Namespace needs 4096 bytes, got " + in.readableBytes());
        }
        ByteBuf s = in.slice(in.readerIndex(), Cns.STRUCTURE_SIZE);
        byte[] nguid = new byte[16];
        byte[] eui64 = new byte[8];
        s.getBytes(104, nguid);
        s.getBytes(120, eui64);
        int count = s.getUnsignedByte(25) + 1;
        List<LbaFormat> formats = new ArrayList<>();
        for (int i = 0; i < Math.min(count, 16); i++) {
            formats.add(LbaFormat.decode(s.getIntLE(128 + 4 * i)));
        }
        return new IdentifyNamespace(s.getLongLE(0), s.getLongLE(8), s.getLongLE(16), s.getUnsignedByte(24),
                s.getUnsignedByte(26), s.getUnsignedByte(27), s.getUnsignedByte(28), s.getUnsignedByte(29),
                s.getUnsignedByte(30), s.getUnsignedByte(32), s.getUnsignedByte(33), s.getUnsignedShortLE(34),
                s.getUnsignedShortLE(36), s.getUnsignedShortLE(46), s.getUnsignedShortLE(64), s.getUnsignedShortLE(66),
                s.getUnsignedShortLE(68), s.getUnsignedShortLE(70), s.getUnsignedShortLE(72), s.getUnsignedShortLE(74),
                s.getUnsignedIntLE(76), s.getUnsignedByte(80), s.getIntLE(92), s.getUnsignedByte(99),
                s.getUnsignedShortLE(102), nguid, eui64, formats);
    }
}
