package org.copyoffload.server.scsi;

import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.RequestSenseCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.StartStopUnitCdb;

/** TEST UNIT READY, REQUEST SENSE and START STOP UNIT. */
final class StatusCommands {
    private StatusCommands() {
    }

    /** TEST UNIT READY (SPC-5 6.47): the unit is always ready (a pending unit attention was reported before). */
    static CompletableFuture<ScsiResponse> testUnitReady(Request r) {
        return Responses.GOOD;
    }

    /**
     * REQUEST SENSE (SPC-5 6.39), answered at any LUN with GOOD status: a pending unit attention (which it reports
     * and clears, SAM-5 5.14), LOGICAL UNIT NOT SUPPORTED at a LUN with no logical unit, else NO SENSE. DESC picks
     * the format; the data is cut to the allocation length.
     */
    static CompletableFuture<ScsiResponse> requestSense(Request r) {
        RequestSenseCdb c = RequestSenseCdb.decode(r.cdb());
        AdditionalSense sense = r.unit() == null ? AdditionalSense.LOGICAL_UNIT_NOT_SUPPORTED
                : r.unit().takeUnitAttention(r.nexus()).orElse(AdditionalSense.NO_ADDITIONAL_SENSE);
        return Responses.dataIn(new SenseData(sense).encode(c.descriptorFormat()), c.allocationLength());
    }

    /** The POWER CONDITION values of SBC-4 Table 114 besides 0h; with no power states they change nothing. */
    private static boolean knownPowerCondition(int pc) {
        return pc == 0x1 || pc == 0x2 || pc == 0x3 || pc == 0x7 || pc == 0xA || pc == 0xB;
    }

    /**
     * START STOP UNIT (SBC-4 5.26). The medium is not removable, so LOEJ is INVALID FIELD IN CDB (libiscsi's
     * StartStopUnit tests expect an eject of a non-removable unit to fail). Stopping (START = 0 without NO_FLUSH)
     * writes the cache to the medium; the unit stays able to do I/O, as there is nothing to spin down. Known power
     * conditions are accepted and change nothing; reserved ones are INVALID FIELD IN CDB. IMMED returns at once.
     */
    static CompletableFuture<ScsiResponse> startStopUnit(Request r) {
        StartStopUnitCdb c = StartStopUnitCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.powerCondition() != 0) {
            if (!knownPowerCondition(c.powerCondition())) {
                throw CheckCondition.invalidField(StartStopUnitCdb.POWER_CONDITION, c.powerCondition(), "reserved");
            }
            return Responses.GOOD;
        }
        if (c.loej()) {
            throw CheckCondition.invalidField(StartStopUnitCdb.LOEJ, 1, "the medium is not removable");
        }
        if (c.start() || c.noFlush()) {
            return Responses.GOOD;
        }
        CompletableFuture<ScsiResponse> flush = u.submit("START STOP UNIT flush", AdditionalSense.WRITE_ERROR, () -> {
            u.store().flush();
            return ScsiResponse.GOOD;
        });
        return c.immed() ? Responses.GOOD : flush;
    }
}
