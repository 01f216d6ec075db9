package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * One LBA status descriptor of GET LBA STATUS (SBC-4 5.5.2.2, 16 bytes).
 *
 * @param lba                LBA STATUS LOGICAL BLOCK ADDRESS: first LBA of the extent
 * @param blocks             NUMBER OF LOGICAL BLOCKS in the extent (at most FFFFFFFFh)
 * @param provisioningStatus PROVISIONING STATUS: 0 mapped (or unknown), 1 deallocated, 2 anchored
 */
public record LbaStatusDescriptor(long lba, long blocks, int provisioningStatus) {
    public static final int MAPPED = 0;
    public static final int DEALLOCATED = 1;
    public static final int ANCHORED = 2;
    public static final int LENGTH = 16;
    public static final int HEADER = 8;

    /** GET LBA STATUS parameter data (SBC-4 Table 71): PARAMETER DATA LENGTH (n - 3), reserved, descriptors. */
    public static byte[] encode(List<LbaStatusDescriptor> descriptors) {
        byte[] b = new byte[HEADER + LENGTH * descriptors.size()];
        Be.putInt(b, 0, b.length - 4);
        int at = HEADER;
        for (LbaStatusDescriptor d : descriptors) {
            Be.putLong(b, at, d.lba);
            Be.putInt(b, at + 8, (int) d.blocks);
            b[at + 12] = (byte) (d.provisioningStatus & 0x0F);
            at += LENGTH;
        }
        return b;
    }
}
