package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * WRITE SAME (10) and (16) (SBC-4 5.46, 5.47). The obsolete PBDATA/LBDATA bits and GROUP NUMBER are not evaluated.
 *
 * @param opcode  WRITE_SAME_10 or WRITE_SAME_16
 * @param lba     LOGICAL BLOCK ADDRESS
 * @param blocks  NUMBER OF LOGICAL BLOCKS (zero: up to the last LBA, where WSNZ allows it)
 * @param protect WRPROTECT
 * @param anchor  ANCHOR: anchor instead of deallocate (needs UNMAP)
 * @param unmap   UNMAP: the blocks may be deallocated when the data is zeros
 * @param ndob    NDOB (16 only): no data-out buffer, the block is all zeros
 */
public record WriteSameCdb(OperationCode opcode, long lba, long blocks, int protect, boolean anchor, boolean unmap,
                           boolean ndob) {
    public static final CdbField PROTECT = CdbField.bits("WRPROTECT", 1, 7, 3);
    public static final CdbField ANCHOR = CdbField.bit("ANCHOR", 1, 4);
    public static final CdbField UNMAP = CdbField.bit("UNMAP", 1, 3);
    public static final CdbField NDOB = CdbField.bit("NDOB", 1, 0);
    public static final CdbField BLOCKS_10 = CdbField.bytes("NUMBER OF LOGICAL BLOCKS", 7, 2);
    public static final CdbField BLOCKS_16 = CdbField.bytes("NUMBER OF LOGICAL BLOCKS", 10, 4);

    public static WriteSameCdb decode(byte[] cdb) {
        OperationCode op = ReadWriteCdb.opcode(cdb);
        boolean sixteen = op == OperationCode.WRITE_SAME_16;
        return new WriteSameCdb(op, ReadWriteCdb.lbaField(op).read(cdb), blocksField(op).read(cdb),
                PROTECT.readInt(cdb), ANCHOR.isSet(cdb), UNMAP.isSet(cdb), sixteen && NDOB.isSet(cdb));
    }

    public static CdbField blocksField(OperationCode op) {
        return op == OperationCode.WRITE_SAME_16 ? BLOCKS_16 : BLOCKS_10;
    }

    public static List<CdbField> fields(OperationCode op) {
        CdbField naca = CdbField.naca(op.cdbLength());
        return op == OperationCode.WRITE_SAME_16
                ? List.of(PROTECT, ANCHOR, UNMAP, NDOB, ReadWriteCdb.LBA_16, BLOCKS_16, naca)
                : List.of(PROTECT, ANCHOR, UNMAP, ReadWriteCdb.LBA_10, BLOCKS_10, naca);
    }

    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        ReadWriteCdb.lbaField(opcode).write(cdb, lba);
        blocksField(opcode).write(cdb, blocks);
        PROTECT.write(cdb, protect);
        ANCHOR.write(cdb, anchor ? 1 : 0);
        UNMAP.write(cdb, unmap ? 1 : 0);
        if (opcode == OperationCode.WRITE_SAME_16) {
            NDOB.write(cdb, ndob ? 1 : 0);
        }
        return cdb;
    }
}
