package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * VERIFY (10), (12), (16) and WRITE AND VERIFY (10), (12), (16) (SBC-4 5.37-5.39, 5.43-5.45), which share one
 * layout: VRPROTECT or WRPROTECT, DPO, and BYTCHK in byte 1 bits 2:1 (00b verify the medium, 01b compare with
 * the data-out, 11b compare every block with the one block of data-out; 10b reserved; WRITE AND VERIFY reserves
 * 11b too).
 *
 * @param opcode  which command
 * @param lba     LOGICAL BLOCK ADDRESS
 * @param length  VERIFICATION LENGTH or TRANSFER LENGTH in blocks
 * @param protect VRPROTECT / WRPROTECT
 * @param dpo     disable page out
 * @param bytchk  byte check
 */
public record VerifyCdb(OperationCode opcode, long lba, long length, int protect, boolean dpo, int bytchk) {
    public static final CdbField PROTECT = CdbField.bits("VRPROTECT/WRPROTECT", 1, 7, 3);
    public static final CdbField DPO = CdbField.bit("DPO", 1, 4);
    public static final CdbField BYTCHK = CdbField.bits("BYTCHK", 1, 2, 2);

    public static final int BYTCHK_MEDIUM = 0b00;
    public static final int BYTCHK_COMPARE = 0b01;
    public static final int BYTCHK_COMPARE_ONE_BLOCK = 0b11;

    public static VerifyCdb decode(byte[] cdb) {
        OperationCode op = ReadWriteCdb.opcode(cdb);
        return new VerifyCdb(op, ReadWriteCdb.lbaField(op).read(cdb), ReadWriteCdb.transferLengthField(op).read(cdb),
                PROTECT.readInt(cdb), DPO.isSet(cdb), BYTCHK.readInt(cdb));
    }

    public boolean isWrite() {
        return switch (opcode) {
            case WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_12, WRITE_AND_VERIFY_16 -> true;
            default -> false;
        };
    }

    public static List<CdbField> fields(OperationCode op) {
        return List.of(PROTECT, DPO, BYTCHK, ReadWriteCdb.lbaField(op), ReadWriteCdb.transferLengthField(op),
                CdbField.naca(op.cdbLength()));
    }

    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        ReadWriteCdb.lbaField(opcode).write(cdb, lba);
        ReadWriteCdb.transferLengthField(opcode).write(cdb, length);
        PROTECT.write(cdb, protect);
        DPO.write(cdb, dpo ? 1 : 0);
        BYTCHK.write(cdb, bytchk);
        return cdb;
    }
}
