package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * Standard INQUIRY data (SPC-5 6.7.2, Table 148), through the eight VERSION DESCRIPTOR fields (74 bytes).
 *
 * @param peripheral         byte 0: PERIPHERAL QUALIFIER (7:5) and PERIPHERAL DEVICE TYPE (4:0)
 * @param removable          RMB
 * @param version            VERSION: 06h SPC-4, 07h SPC-5
 * @param hierarchicalLuns   HISUP: LUNs use the hierarchical addressing of SAM-5 4.6
 * @param tpgs               TPGS: asymmetric logical unit access support (00b none)
 * @param thirdPartyCopy     3PC: EXTENDED COPY and friends are supported
 * @param protect            PROTECT: protection information is supported
 * @param commandQueuing     CMDQUE: the full task management model (tagged commands)
 * @param vendor             T10 VENDOR IDENTIFICATION, up to 8 ASCII characters
 * @param product            PRODUCT IDENTIFICATION, up to 16
 * @param revision           PRODUCT REVISION LEVEL, up to 4
 * @param versionDescriptors up to eight VERSION DESCRIPTOR codes (SPC-5 Table 150)
 */
public record StandardInquiryData(int peripheral, boolean removable, int version, boolean hierarchicalLuns,
                                  int tpgs, boolean thirdPartyCopy, boolean protect, boolean commandQueuing,
                                  String vendor, String product, String revision, List<Integer> versionDescriptors) {
    public static final int LENGTH = 74;
    public static final int RESPONSE_DATA_FORMAT = 2;
    /** A direct access block device (SBC-4) that is there. */
    public static final int DIRECT_ACCESS_BLOCK_DEVICE = 0x00;
    /** A host managed zoned block device (ZBC-2; Linux's TYPE_ZBC): every write follows zone write pointers. */
    public static final int HOST_MANAGED_ZONED_BLOCK_DEVICE = 0x14;
    /** PERIPHERAL QUALIFIER 011b with type 1Fh: no logical unit can be at this LUN (SPC-5 6.7.2). */
    public static final int NO_LOGICAL_UNIT = 0x7F;

    // Version descriptor codes (SPC-5 Table 150).
    public static final int VERSION_SAM_5 = 0x00A0;
    public static final int VERSION_SPC_4 = 0x0460;
    public static final int VERSION_SBC_3 = 0x04C0;
    public static final int VERSION_ISCSI = 0x0960;

    public StandardInquiryData {
        versionDescriptors = List.copyOf(versionDescriptors);
        if (versionDescriptors.size() > 8) {
            throw new IllegalArgumentException("at most 8 version descriptors, got " + versionDescriptors.size());
        }
    }

    public byte[] encode() {
        byte[] b = new byte[LENGTH];
        b[0] = (byte) peripheral;
        b[1] = (byte) (removable ? 0x80 : 0);
        b[2] = (byte) version;
        b[3] = (byte) ((hierarchicalLuns ? 0x10 : 0) | RESPONSE_DATA_FORMAT);
        b[4] = (byte) (LENGTH - 5);
        b[5] = (byte) ((tpgs & 3) << 4 | (thirdPartyCopy ? 0x08 : 0) | (protect ? 0x01 : 0));
        b[7] = (byte) (commandQueuing ? 0x02 : 0);
        Be.putAscii(b, 8, 8, vendor);
        Be.putAscii(b, 16, 16, product);
        Be.putAscii(b, 32, 4, revision);
        for (int i = 0; i < versionDescriptors.size(); i++) {
            Be.putShort(b, 58 + 2 * i, versionDescriptors.get(i));
        }
        return b;
    }
}
