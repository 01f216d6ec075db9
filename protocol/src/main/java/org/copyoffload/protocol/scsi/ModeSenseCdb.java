package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * MODE SENSE (6) and (10) (SPC-5 6.14, 6.15).
 *
 * @param opcode           MODE_SENSE_6 or MODE_SENSE_10
 * @param dbd              disable block descriptors
 * @param llbaa            long LBA accepted: (10) only, a 16-byte block descriptor may be returned
 * @param pageControl      PC: 00b current, 01b changeable, 10b default, 11b saved values
 * @param pageCode         PAGE CODE (3Fh: all pages)
 * @param subpageCode      SUBPAGE CODE (FFh: all subpages)
 * @param allocationLength ALLOCATION LENGTH
 */
public record ModeSenseCdb(OperationCode opcode, boolean dbd, boolean llbaa, int pageControl, int pageCode,
                           int subpageCode, int allocationLength) {
    public static final int PC_CURRENT = 0b00;
    public static final int PC_CHANGEABLE = 0b01;
    public static final int PC_DEFAULT = 0b10;
    public static final int PC_SAVED = 0b11;
    public static final int ALL_PAGES = 0x3F;
    public static final int ALL_SUBPAGES = 0xFF;

    public static final CdbField LLBAA = CdbField.bit("LLBAA", 1, 4);
    public static final CdbField DBD = CdbField.bit("DBD", 1, 3);
    public static final CdbField PC = CdbField.bits("PC", 2, 7, 2);
    public static final CdbField PAGE_CODE = CdbField.bits("PAGE CODE", 2, 5, 6);
    public static final CdbField SUBPAGE_CODE = CdbField.bytes("SUBPAGE CODE", 3, 1);
    public static final CdbField ALLOCATION_LENGTH_6 = CdbField.bytes("ALLOCATION LENGTH", 4, 1);
    public static final CdbField ALLOCATION_LENGTH_10 = CdbField.bytes("ALLOCATION LENGTH", 7, 2);

    public static ModeSenseCdb decode(byte[] cdb) {
        OperationCode op = ReadWriteCdb.opcode(cdb);
        boolean ten = op == OperationCode.MODE_SENSE_10;
        return new ModeSenseCdb(op, DBD.isSet(cdb), ten && LLBAA.isSet(cdb), PC.readInt(cdb), PAGE_CODE.readInt(cdb),
                SUBPAGE_CODE.readInt(cdb), (ten ? ALLOCATION_LENGTH_10 : ALLOCATION_LENGTH_6).readInt(cdb));
    }

    public static List<CdbField> fields(OperationCode op) {
        return op == OperationCode.MODE_SENSE_10
                ? List.of(LLBAA, DBD, PC, PAGE_CODE, SUBPAGE_CODE, ALLOCATION_LENGTH_10, CdbField.naca(10))
                : List.of(DBD, PC, PAGE_CODE, SUBPAGE_CODE, ALLOCATION_LENGTH_6, CdbField.naca(6));
    }

    public byte[] encode() {
        boolean ten = opcode == OperationCode.MODE_SENSE_10;
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        DBD.write(cdb, dbd ? 1 : 0);
        if (ten) {
            LLBAA.write(cdb, llbaa ? 1 : 0);
        }
        PC.write(cdb, pageControl);
        PAGE_CODE.write(cdb, pageCode);
        SUBPAGE_CODE.write(cdb, subpageCode);
        (ten ? ALLOCATION_LENGTH_10 : ALLOCATION_LENGTH_6).write(cdb, allocationLength);
        return cdb;
    }
}
