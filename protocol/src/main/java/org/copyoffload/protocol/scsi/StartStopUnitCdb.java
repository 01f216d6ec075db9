package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * START STOP UNIT (SBC-4 5.26).
 *
 * @param immed                  return status before the operation completes
 * @param powerConditionModifier POWER CONDITION MODIFIER
 * @param powerCondition         POWER CONDITION: 0h process START and LOEJ; others set a power condition
 * @param noFlush                do not write cached data to the medium before stopping
 * @param loej                   load (START=1) or eject (START=0) the medium
 * @param start                  START
 */
public record StartStopUnitCdb(boolean immed, int powerConditionModifier, int powerCondition, boolean noFlush,
                               boolean loej, boolean start) {
    public static final CdbField IMMED = CdbField.bit("IMMED", 1, 0);
    public static final CdbField POWER_CONDITION_MODIFIER = CdbField.bits("POWER CONDITION MODIFIER", 3, 3, 4);
    public static final CdbField POWER_CONDITION = CdbField.bits("POWER CONDITION", 4, 7, 4);
    public static final CdbField NO_FLUSH = CdbField.bit("NO_FLUSH", 4, 2);
    public static final CdbField LOEJ = CdbField.bit("LOEJ", 4, 1);
    public static final CdbField START = CdbField.bit("START", 4, 0);
    public static final List<CdbField> FIELDS = List.of(IMMED, POWER_CONDITION_MODIFIER, POWER_CONDITION, NO_FLUSH,
            LOEJ, START, CdbField.naca(6));

    public static StartStopUnitCdb decode(byte[] cdb) {
        return new StartStopUnitCdb(IMMED.isSet(cdb), POWER_CONDITION_MODIFIER.readInt(cdb),
                POWER_CONDITION.readInt(cdb), NO_FLUSH.isSet(cdb), LOEJ.isSet(cdb), START.isSet(cdb));
    }

    public byte[] encode() {
        byte[] cdb = new byte[6];
        cdb[0] = (byte) OperationCode.START_STOP_UNIT.code();
        IMMED.write(cdb, immed ? 1 : 0);
        POWER_CONDITION_MODIFIER.write(cdb, powerConditionModifier);
        POWER_CONDITION.write(cdb, powerCondition);
        NO_FLUSH.write(cdb, noFlush ? 1 : 0);
        LOEJ.write(cdb, loej ? 1 : 0);
        START.write(cdb, start ? 1 : 0);
        return cdb;
    }
}
