package org.copyoffload.server.scsi;

import static org.copyoffload.protocol.scsi.OperationCode.*;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.StartStopUnitCdb;

/**
 * What each command does in the presence of a persistent reservation, for a nexus without the holder's access (SPC-4
 * 5.13.1 Table 66, SBC-4 4.17.2 Table 13; ZBC-2: REPORT ZONES reads, the zone actions of ZBC OUT write): allowed
 * always, allowed through the Write Exclusive types only (it reads),
 * or allowed through none (it writes or changes the logical unit). ScsiTarget checks it for every command before the
 * command runs; a command missing here counts as writing, so a new command conflicts until someone classifies it.
 */
final class ReservationAccess {
    enum Access {
        /** Allowed whatever the reservation (reservation commands decide for themselves). */
        ALWAYS,
        /** Allowed through Write Exclusive types, conflicts with Exclusive Access types. */
        READ,
        /** Conflicts with every type. */
        WRITE
    }

    private static final Map<OperationCode, Access> TABLE = new EnumMap<>(OperationCode.class);

    static {
        for (OperationCode op : List.of(INQUIRY, REPORT_LUNS, REQUEST_SENSE, TEST_UNIT_READY, READ_CAPACITY_10,
                SERVICE_ACTION_IN_16, PERSISTENT_RESERVE_IN, PERSISTENT_RESERVE_OUT, RESERVE_6, RESERVE_10, RELEASE_6,
                RELEASE_10)) {
            TABLE.put(op, Access.ALWAYS);
        }
        for (OperationCode op : List.of(READ_6, READ_10, READ_12, READ_16, VERIFY_10, VERIFY_12, VERIFY_16,
                PRE_FETCH_10, PRE_FETCH_16, MODE_SENSE_6, MODE_SENSE_10, MAINTENANCE_IN, ZBC_IN)) {
            TABLE.put(op, Access.READ);
        }
        for (OperationCode op : List.of(WRITE_6, WRITE_10, WRITE_12, WRITE_16, WRITE_AND_VERIFY_10,
                WRITE_AND_VERIFY_12, WRITE_AND_VERIFY_16, WRITE_SAME_10, WRITE_SAME_16, UNMAP, COMPARE_AND_WRITE,
                SYNCHRONIZE_CACHE_10, SYNCHRONIZE_CACHE_16, MODE_SELECT_6, MODE_SELECT_10, EXTENDED_COPY,
                RECEIVE_COPY_RESULTS, START_STOP_UNIT, ZBC_OUT)) {
            TABLE.put(op, Access.WRITE);
        }
    }

    private ReservationAccess() {
    }

    /**
     * The access of a command. SERVICE ACTION IN (16) covers READ CAPACITY (16), allowed always, and GET LBA STATUS,
     * which reads; START STOP UNIT with START set and POWER CONDITION 0h only confirms the unit runs (allowed), any
     * other form changes its state (SBC-4 Table 13).
     */
    static Access of(OperationCode op, byte[] cdb) {
        if (op == SERVICE_ACTION_IN_16) {
            return OperationCode.SERVICE_ACTION.readInt(cdb) == ServiceActionIn16.READ_CAPACITY_16.code()
                    ? Access.ALWAYS : Access.READ;
        }
        if (op == EXTENDED_COPY
                && OperationCode.SERVICE_ACTION.readInt(cdb) == ExtendedCopy.POPULATE_TOKEN.code()) {
            return Access.READ; // it reads its ranges (into a token); WRITE USING TOKEN writes
        }
        if (op == START_STOP_UNIT) {
            return StartStopUnitCdb.START.isSet(cdb) && StartStopUnitCdb.POWER_CONDITION.readInt(cdb) == 0
                    ? Access.ALWAYS : Access.WRITE;
        }
        return TABLE.getOrDefault(op, Access.WRITE);
    }

    /** Whether the table names the operation code (a test keeps every implemented command classified). */
    static boolean classifies(OperationCode op) {
        return TABLE.containsKey(op);
    }
}
