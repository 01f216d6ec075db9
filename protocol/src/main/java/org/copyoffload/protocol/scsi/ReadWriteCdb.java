package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * READ and WRITE (6), (10), (12), (16) (SBC-4 5.10-5.16, 5.31-5.36). The 6-byte forms have no flags and a 21-bit
 * LBA, and their TRANSFER LENGTH of zero means 256 blocks; in the others zero means no blocks. RARC, the obsolete
 * FUA_NV bit, GROUP NUMBER and the duration limit bits are not evaluated (the usage data says so).
 *
 * @param opcode         which of the eight commands
 * @param lba            LOGICAL BLOCK ADDRESS (unsigned)
 * @param transferLength the number of logical blocks (READ/WRITE (6): 0 read as 256)
 * @param protect        RDPROTECT / WRPROTECT
 * @param dpo            disable page out: a cache retention hint
 * @param fua            force unit access: a write reaches the medium before completion; a read bypasses the cache
 */
public record ReadWriteCdb(OperationCode opcode, long lba, long transferLength, int protect, boolean dpo, boolean fua) {
    public static final CdbField LBA_6 = new CdbField("LOGICAL BLOCK ADDRESS", 1, 4, 21);
    public static final CdbField TRANSFER_LENGTH_6 = CdbField.bytes("TRANSFER LENGTH", 4, 1);
    public static final CdbField PROTECT = CdbField.bits("RDPROTECT/WRPROTECT", 1, 7, 3);
    public static final CdbField DPO = CdbField.bit("DPO", 1, 4);
    public static final CdbField FUA = CdbField.bit("FUA", 1, 3);
    public static final CdbField LBA_10 = CdbField.bytes("LOGICAL BLOCK ADDRESS", 2, 4);
    public static final CdbField TRANSFER_LENGTH_10 = CdbField.bytes("TRANSFER LENGTH", 7, 2);
    public static final CdbField TRANSFER_LENGTH_12 = CdbField.bytes("TRANSFER LENGTH", 6, 4);
    public static final CdbField LBA_16 = CdbField.bytes("LOGICAL BLOCK ADDRESS", 2, 8);
    public static final CdbField TRANSFER_LENGTH_16 = CdbField.bytes("TRANSFER LENGTH", 10, 4);

    public static ReadWriteCdb decode(byte[] cdb) {
        OperationCode op = opcode(cdb);
        if (op.cdbLength() == 6) {
            int length = TRANSFER_LENGTH_6.readInt(cdb);
            return new ReadWriteCdb(op, LBA_6.read(cdb), length == 0 ? 256 : length, 0, false, false);
        }
        return new ReadWriteCdb(op, lbaField(op).read(cdb), transferLengthField(op).read(cdb),
                PROTECT.readInt(cdb), DPO.isSet(cdb), FUA.isSet(cdb));
    }

    public boolean isWrite() {
        return switch (opcode) {
            case WRITE_6, WRITE_10, WRITE_12, WRITE_16 -> true;
            default -> false;
        };
    }

    /** The fields each form's decoder reads, NACA included. */
    public static List<CdbField> fields(OperationCode op) {
        CdbField naca = CdbField.naca(op.cdbLength());
        if (op.cdbLength() == 6) {
            return List.of(LBA_6, TRANSFER_LENGTH_6, naca);
        }
        return List.of(PROTECT, DPO, FUA, lbaField(op), transferLengthField(op), naca);
    }

    public static CdbField lbaField(OperationCode op) {
        return switch (op.cdbLength()) {
            case 6 -> LBA_6;
            case 10, 12 -> LBA_10;
            default -> LBA_16;
        };
    }

    public static CdbField transferLengthField(OperationCode op) {
        return switch (op.cdbLength()) {
            case 6 -> TRANSFER_LENGTH_6;
            case 10 -> TRANSFER_LENGTH_10;
            case 12 -> TRANSFER_LENGTH_12;
            default -> TRANSFER_LENGTH_16;
        };
    }

    /** The CDB, for tests and initiators; zero blocks in a 6-byte form is written as 256's encoding. */
    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        lbaField(opcode).write(cdb, lba);
        transferLengthField(opcode).write(cdb, opcode.cdbLength() == 6 && transferLength == 256 ? 0 : transferLength);
        if (opcode.cdbLength() > 6) {
            PROTECT.write(cdb, protect);
            DPO.write(cdb, dpo ? 1 : 0);
            FUA.write(cdb, fua ? 1 : 0);
        }
        return cdb;
    }

    static OperationCode opcode(byte[] cdb) {
        return OperationCode.lookup(cdb[0] & 0xFF).orElseThrow(() -> new IllegalArgumentException(
                "OPERATION CODE " + String.format("%02Xh", cdb[0] & 0xFF) + " is not one this decoder knows"));
    }
}
