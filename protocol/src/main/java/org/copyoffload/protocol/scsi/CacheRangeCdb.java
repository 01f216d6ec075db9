package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * SYNCHRONIZE CACHE (10)/(16) and PRE-FETCH (10)/(16) (SBC-4 5.27-5.28, 5.8-5.9): an LBA range and IMMED. The
 * obsolete SYNC_NV bit and GROUP NUMBER are not evaluated. A NUMBER OF LOGICAL BLOCKS / PREFETCH LENGTH of zero
 * means every LBA from {@code lba} to the last one.
 *
 * @param opcode which command
 * @param lba    LOGICAL BLOCK ADDRESS
 * @param blocks NUMBER OF LOGICAL BLOCKS or PREFETCH LENGTH
 * @param immed  return status once the CDB is validated
 */
public record CacheRangeCdb(OperationCode opcode, long lba, long blocks, boolean immed) {
    public static final CdbField IMMED = CdbField.bit("IMMED", 1, 1);
    public static final CdbField BLOCKS_10 = CdbField.bytes("NUMBER OF LOGICAL BLOCKS", 7, 2);
    public static final CdbField BLOCKS_16 = CdbField.bytes("NUMBER OF LOGICAL BLOCKS", 10, 4);

    public static CacheRangeCdb decode(byte[] cdb) {
        OperationCode op = ReadWriteCdb.opcode(cdb);
        return new CacheRangeCdb(op, ReadWriteCdb.lbaField(op).read(cdb), blocksField(op).read(cdb), IMMED.isSet(cdb));
    }

    public static CdbField blocksField(OperationCode op) {
        return op.cdbLength() == 16 ? BLOCKS_16 : BLOCKS_10;
    }

    public static List<CdbField> fields(OperationCode op) {
        return List.of(IMMED, ReadWriteCdb.lbaField(op), blocksField(op), CdbField.naca(op.cdbLength()));
    }

    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        ReadWriteCdb.lbaField(opcode).write(cdb, lba);
        blocksField(opcode).write(cdb, blocks);
        IMMED.write(cdb, immed ? 1 : 0);
        return cdb;
    }
}
