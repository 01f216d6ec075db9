package org.copyoffload.protocol.scsi;

import java.util.List;

/** REPORT LUNS parameter data (SPC-5 6.33.2): LUN LIST LENGTH, 4 reserved bytes, then 8 bytes per LUN. */
public record ReportLunsData(List<Long> luns) {
    public ReportLunsData {
        luns = List.copyOf(luns);
    }

    public byte[] encode() {
        byte[] b = new byte[8 + 8 * luns.size()];
        Be.putInt(b, 0, 8 * luns.size());
        for (int i = 0; i < luns.size(); i++) {
            byte[] field = lunField(luns.get(i));
            System.arraycopy(field, 0, b, 8 + 8 * i, 8);
        }
        return b;
    }

    /** The largest LUN a single-level address can carry: flat space addressing's 14 bits. */
    public static final long MAX_LUN = 0x3FFF;

    /**
     * A single-level LUN (SAM-5 4.6.6): peripheral device addressing (method 00b, bus 0) below 256 as Linux and
     * most initiators expect, flat space addressing (01b) up to 16383.
     */
    public static byte[] lunField(long lun) {
        if (lun < 0 || lun > MAX_LUN) {
            throw new IllegalArgumentException("LUN " + lun + " does not fit single-level addressing (0-16383)");
        }
        byte[] b = new byte[8];
        if (lun < 256) {
            b[1] = (byte) lun;
        } else {
            b[0] = (byte) (0x40 | lun >>> 8);
            b[1] = (byte) lun;
        }
        return b;
    }
}
