package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * COMPARE AND WRITE (SBC-4 5.3): the data-out holds {@code blocks} blocks to compare, then as many to write.
 *
 * @param lba     LOGICAL BLOCK ADDRESS
 * @param blocks  NUMBER OF LOGICAL BLOCKS (byte 13)
 * @param protect WRPROTECT
 * @param dpo     disable page out
 * @param fua     force unit access for the write
 */
public record CompareAndWriteCdb(long lba, int blocks, int protect, boolean dpo, boolean fua) {
    public static final CdbField PROTECT = CdbField.bits("WRPROTECT", 1, 7, 3);
    public static final CdbField DPO = CdbField.bit("DPO", 1, 4);
    public static final CdbField FUA = CdbField.bit("FUA", 1, 3);
    public static final CdbField LBA = CdbField.bytes("LOGICAL BLOCK ADDRESS", 2, 8);
    public static final CdbField BLOCKS = CdbField.bytes("NUMBER OF LOGICAL BLOCKS", 13, 1);
    public static final List<CdbField> FIELDS = List.of(PROTECT, DPO, FUA, LBA, BLOCKS, CdbField.naca(16));

    public static CompareAndWriteCdb decode(byte[] cdb) {
        return new CompareAndWriteCdb(LBA.read(cdb), BLOCKS.readInt(cdb), PROTECT.readInt(cdb), DPO.isSet(cdb),
                FUA.isSet(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[16];
        cdb[0] = (byte) OperationCode.COMPARE_AND_WRITE.code();
        LBA.write(cdb, lba);
        BLOCKS.write(cdb, blocks);
        PROTECT.write(cdb, protect);
        DPO.write(cdb, dpo ? 1 : 0);
        FUA.write(cdb, fua ? 1 : 0);
        return cdb;
    }
}
