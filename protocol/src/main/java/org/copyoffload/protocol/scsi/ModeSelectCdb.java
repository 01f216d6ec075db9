package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * MODE SELECT (6) and (10) (SPC-5 6.12, 6.13).
 *
 * @param opcode              MODE_SELECT_6 or MODE_SELECT_10
 * @param pageFormat          PF: the pages after the block descriptors follow the standard page format
 * @param savePages           SP: also save the pages (needs saved values, which this target has none of)
 * @param parameterListLength PARAMETER LIST LENGTH: bytes of data-out
 */
public record ModeSelectCdb(OperationCode opcode, boolean pageFormat, boolean savePages, int parameterListLength) {
    public static final CdbField PF = CdbField.bit("PF", 1, 4);
    public static final CdbField SP = CdbField.bit("SP", 1, 0);
    public static final CdbField PARAMETER_LIST_LENGTH_6 = CdbField.bytes("PARAMETER LIST LENGTH", 4, 1);
    public static final CdbField PARAMETER_LIST_LENGTH_10 = CdbField.bytes("PARAMETER LIST LENGTH", 7, 2);

    public static ModeSelectCdb decode(byte[] cdb) {
        OperationCode op = ReadWriteCdb.opcode(cdb);
        return new ModeSelectCdb(op, PF.isSet(cdb), SP.isSet(cdb), lengthField(op).readInt(cdb));
    }

    public static CdbField lengthField(OperationCode op) {
        return op == OperationCode.MODE_SELECT_10 ? PARAMETER_LIST_LENGTH_10 : PARAMETER_LIST_LENGTH_6;
    }

    public static List<CdbField> fields(OperationCode op) {
        return List.of(PF, SP, lengthField(op), CdbField.naca(op.cdbLength()));
    }

    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        PF.write(cdb, pageFormat ? 1 : 0);
        SP.write(cdb, savePages ? 1 : 0);
        lengthField(opcode).write(cdb, parameterListLength);
        return cdb;
    }
}
