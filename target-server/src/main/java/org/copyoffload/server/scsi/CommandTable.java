package org.copyoffload.server.scsi;

import static org.copyoffload.protocol.scsi.OperationCode.*;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.CacheRangeCdb;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CdbField;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.CopyOperationAbortCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.ModeSelectCdb;
import org.copyoffload.protocol.scsi.ModeSenseCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.OperationCode.MaintenanceIn;
import org.copyoffload.protocol.scsi.OperationCode.ReceiveCopyResults;
import org.copyoffload.protocol.scsi.OperationCode.ServiceActionIn16;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ReportLunsCdb;
import org.copyoffload.protocol.scsi.ReportSupportedOpcodesCdb;
import org.copyoffload.protocol.scsi.ReportSupportedTmfCdb;
import org.copyoffload.protocol.scsi.ReserveReleaseCdb;
import org.copyoffload.protocol.scsi.RequestSenseCdb;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.StartStopUnitCdb;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.SupportedOperationCodes.Timeouts;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.VerifyCdb;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ZbcOutCdb;

/**
 * Every command the target implements, with what REPORT SUPPORTED OPERATION CODES says of it: dispatch and the
 * report come from this one list, so the report cannot list a command that is not dispatched or miss one that is,
 * and each CDB USAGE DATA is built from the fields its decoder reads.
 */
final class CommandTable {
    /** Handles one command; may throw {@link CheckCondition} before any I/O starts. */
    interface Handler {
        CompletableFuture<ScsiResponse> handle(Request request);
    }

    /**
     * One supported command.
     *
     * @param opcode              OPERATION CODE
     * @param serviceAction       its SERVICE ACTION, for the operation codes that have them
     * @param cdbLength           the CDB length
     * @param fields              the fields the decoder evaluates (CDB USAGE DATA)
     * @param handler             what runs it
     * @param noLogicalUnitNeeded answered even at a LUN with no logical unit (SPC-5 on commands sent to an
     *                            incorrect logical unit: INQUIRY, REPORT LUNS, REQUEST SENSE)
     * @param unitAttentionExempt neither reports nor clears a pending unit attention (SAM-5 5.14: INQUIRY,
     *                            REPORT LUNS; REQUEST SENSE reports it as its parameter data)
     */
    record Entry(OperationCode opcode, OptionalInt serviceAction, int cdbLength, List<CdbField> fields,
                 Handler handler, boolean noLogicalUnitNeeded, boolean unitAttentionExempt, Applies applies) {
        Entry(OperationCode opcode, OptionalInt serviceAction, int cdbLength, List<CdbField> fields,
              Handler handler, boolean noLogicalUnitNeeded, boolean unitAttentionExempt) {
            this(opcode, serviceAction, cdbLength, fields, handler, noLogicalUnitNeeded, unitAttentionExempt,
                    Applies.ALL);
        }

        /** Whether the command exists for this logical unit (null: no logical unit at the LUN). */
        boolean appliesTo(LogicalUnit u) {
            return u == null || applies == Applies.ALL || (applies == Applies.ZONED) == u.isZoned();
        }

        byte[] usageData() {
            return CdbField.usageData(opcode.code(), cdbLength, fields);
        }

        /**
         * Advisory timeouts for RCTD: no nominal time is claimed; 30 s are recommended, enough for a flush of a
         * large write cache or a 1 MiB transfer on a slow disk.
         */
        Timeouts timeouts() {
            return new Timeouts(0, 30);
        }
    }

    /**
     * Which logical units have a command: ZBC IN/OUT only host managed zoned ones; WRITE SAME, UNMAP and COMPARE
     * AND WRITE only conventional ones (they would write off a zone's write pointer, and UNMAP needs LBPME, which a
     * zoned unit does not set). Elsewhere the command is INVALID COMMAND OPERATION CODE and REPORT SUPPORTED
     * OPERATION CODES does not list it.
     */
    enum Applies { ALL, CONVENTIONAL, ZONED }

    private final List<Entry> entries = new ArrayList<>();
    // Indexes of the list for dispatch, which looks up every command.
    private final Entry[] byOpcode = new Entry[256];
    private final boolean[] withServiceActions = new boolean[256];
    private final Map<Integer, Entry> byServiceAction = new HashMap<>();

    CommandTable() {
        add(TEST_UNIT_READY, List.of(CdbField.naca(6)), StatusCommands::testUnitReady);
        entries.add(new Entry(REQUEST_SENSE, OptionalInt.empty(), 6, RequestSenseCdb.FIELDS,
                StatusCommands::requestSense, true, true));
        entries.add(new Entry(INQUIRY, OptionalInt.empty(), 6, InquiryCdb.FIELDS, InquiryCommands::inquiry, true, true));
        entries.add(new Entry(REPORT_LUNS, OptionalInt.empty(), 12, ReportLunsCdb.FIELDS, ReportCommands::reportLuns,
                true, true));
        add(START_STOP_UNIT, StartStopUnitCdb.FIELDS, StatusCommands::startStopUnit);
        for (OperationCode op : List.of(READ_6, READ_10, READ_12, READ_16)) {
            add(op, ReadWriteCdb.fields(op), ReadWriteCommands::read);
        }
        for (OperationCode op : List.of(WRITE_6, WRITE_10, WRITE_12, WRITE_16)) {
            add(op, ReadWriteCdb.fields(op), ReadWriteCommands::write);
        }
        for (OperationCode op : List.of(VERIFY_10, VERIFY_12, VERIFY_16)) {
            add(op, VerifyCdb.fields(op), ReadWriteCommands::verify);
        }
        for (OperationCode op : List.of(WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_12, WRITE_AND_VERIFY_16)) {
            add(op, VerifyCdb.fields(op), ReadWriteCommands::writeAndVerify);
        }
        add(COMPARE_AND_WRITE, CompareAndWriteCdb.FIELDS, ReadWriteCommands::compareAndWrite, Applies.CONVENTIONAL);
        for (OperationCode op : List.of(SYNCHRONIZE_CACHE_10, SYNCHRONIZE_CACHE_16)) {
            add(op, CacheRangeCdb.fields(op), ReadWriteCommands::synchronizeCache);
        }
        for (OperationCode op : List.of(PRE_FETCH_10, PRE_FETCH_16)) {
            add(op, CacheRangeCdb.fields(op), ReadWriteCommands::preFetch);
        }
        add(READ_CAPACITY_10, List.of(CdbField.naca(10)), ReadWriteCommands::readCapacity10);
        entries.add(new Entry(SERVICE_ACTION_IN_16, OptionalInt.of(ServiceActionIn16.READ_CAPACITY_16.code()), 16,
                ServiceActionIn16Cdb.fields(ServiceActionIn16.READ_CAPACITY_16), ReadWriteCommands::readCapacity16,
                false, false));
        entries.add(new Entry(SERVICE_ACTION_IN_16, OptionalInt.of(ServiceActionIn16.GET_LBA_STATUS.code()), 16,
                ServiceActionIn16Cdb.fields(ServiceActionIn16.GET_LBA_STATUS), ProvisioningCommands::getLbaStatus,
                false, false));
        for (OperationCode op : List.of(WRITE_SAME_10, WRITE_SAME_16)) {
            add(op, WriteSameCdb.fields(op), ProvisioningCommands::writeSame, Applies.CONVENTIONAL);
        }
        add(UNMAP, UnmapCdb.FIELDS, ProvisioningCommands::unmap, Applies.CONVENTIONAL);
        for (OperationCode.ZbcOut sa : OperationCode.ZbcOut.values()) {
            entries.add(new Entry(ZBC_OUT, OptionalInt.of(sa.code()), 16, ZbcOutCdb.FIELDS, ZonedCommands::zbcOut,
                    false, false, Applies.ZONED));
        }
        entries.add(new Entry(ZBC_IN, OptionalInt.of(OperationCode.ZbcIn.REPORT_ZONES.code()), 16,
                ReportZonesCdb.FIELDS, ZonedCommands::reportZones, false, false, Applies.ZONED));
        for (OperationCode op : List.of(MODE_SENSE_6, MODE_SENSE_10)) {
            add(op, ModeSenseCdb.fields(op), ModePages::modeSense);
        }
        for (OperationCode op : List.of(MODE_SELECT_6, MODE_SELECT_10)) {
            add(op, ModeSelectCdb.fields(op), ModePages::modeSelect);
        }
        for (OperationCode.ExtendedCopy sa : List.of(OperationCode.ExtendedCopy.LID1, OperationCode.ExtendedCopy.LID4,
                OperationCode.ExtendedCopy.COPY_OPERATION_ABORT)) {
            boolean abort = sa == OperationCode.ExtendedCopy.COPY_OPERATION_ABORT;
            entries.add(new Entry(EXTENDED_COPY, OptionalInt.of(sa.code()), 16,
                    abort ? CopyOperationAbortCdb.FIELDS : ExtendedCopyCdb.FIELDS,
                    abort ? ThirdPartyCopyCommands::copyOperationAbort : ThirdPartyCopyCommands::extendedCopy,
                    false, false));
        }
        for (OperationCode.ExtendedCopy sa : List.of(OperationCode.ExtendedCopy.POPULATE_TOKEN,
                OperationCode.ExtendedCopy.WRITE_USING_TOKEN)) {
            entries.add(new Entry(EXTENDED_COPY, OptionalInt.of(sa.code()), 16, TokenCopyCdb.FIELDS,
                    sa == OperationCode.ExtendedCopy.POPULATE_TOKEN ? TokenCopyCommands::populateToken
                            : TokenCopyCommands::writeUsingToken, false, false));
        }
        entries.add(new Entry(RECEIVE_COPY_RESULTS, OptionalInt.of(ReceiveCopyResults.RECEIVE_ROD_TOKEN_INFORMATION
                .code()), 16, ReceiveCopyResultsCdb.fields(ReceiveCopyResults.RECEIVE_ROD_TOKEN_INFORMATION),
                TokenCopyCommands::receiveRodTokenInformation, false, false));
        entries.add(new Entry(RECEIVE_COPY_RESULTS, OptionalInt.of(ReceiveCopyResults.REPORT_ALL_ROD_TOKENS.code()), 16,
                ReceiveCopyResultsCdb.fields(ReceiveCopyResults.REPORT_ALL_ROD_TOKENS),
                TokenCopyCommands::reportAllRodTokens, false, false));
        for (ReceiveCopyResults sa : List.of(ReceiveCopyResults.COPY_STATUS, ReceiveCopyResults.OPERATING_PARAMETERS,
                ReceiveCopyResults.FAILED_SEGMENT_DETAILS, ReceiveCopyResults.COPY_STATUS_LID4,
                ReceiveCopyResults.COPY_DATA_LID4)) {
            entries.add(new Entry(RECEIVE_COPY_RESULTS, OptionalInt.of(sa.code()), 16, ReceiveCopyResultsCdb.fields(sa),
                    ThirdPartyCopyCommands::receiveCopyResults, false, false));
        }
        entries.add(new Entry(MAINTENANCE_IN, OptionalInt.of(MaintenanceIn.REPORT_SUPPORTED_OPERATION_CODES.code()),
                12, ReportSupportedOpcodesCdb.FIELDS, ReportCommands::reportSupportedOperationCodes, false, false));
        entries.add(new Entry(MAINTENANCE_IN,
                OptionalInt.of(MaintenanceIn.REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS.code()), 12,
                ReportSupportedTmfCdb.FIELDS, ReportCommands::reportSupportedTaskManagementFunctions, false, false));
        for (PersistentReserveInCdb.ServiceAction sa : PersistentReserveInCdb.ServiceAction.values()) {
            entries.add(new Entry(PERSISTENT_RESERVE_IN, OptionalInt.of(sa.code()), 10, PersistentReserveInCdb.FIELDS,
                    ReservationCommands::persistentReserveIn, false, false));
        }
        for (PersistentReserveOutCdb.ServiceAction sa : PersistentReserveOutCdb.ServiceAction.values()) {
            entries.add(new Entry(PERSISTENT_RESERVE_OUT, OptionalInt.of(sa.code()), 10,
                    PersistentReserveOutCdb.FIELDS, ReservationCommands::persistentReserveOut, false, false));
        }
        for (OperationCode op : List.of(RESERVE_6, RELEASE_6, RESERVE_10, RELEASE_10)) {
            add(op, ReserveReleaseCdb.fields(op), ReservationCommands::reserveRelease);
        }
        entries.sort(Comparator.comparingInt((Entry e) -> e.opcode().code())
                .thenComparingInt(e -> e.serviceAction().orElse(-1)));
        for (Entry e : entries) {
            int op = e.opcode().code();
            if (e.serviceAction().isPresent()) {
                withServiceActions[op] = true;
                byServiceAction.put(op << 16 | e.serviceAction().getAsInt(), e);
            } else {
                byOpcode[op] = e;
            }
        }
    }

    private void add(OperationCode op, List<CdbField> fields, Handler handler) {
        add(op, fields, handler, Applies.ALL);
    }

    private void add(OperationCode op, List<CdbField> fields, Handler handler, Applies applies) {
        entries.add(new Entry(op, OptionalInt.empty(), op.cdbLength(), fields, handler, false, false, applies));
    }

    /** All entries, by operation code then service action. */
    List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Whether the operation code is implemented with service actions (SERVACTV). */
    boolean hasServiceActions(int opcode) {
        return withServiceActions[opcode & 0xFF];
    }

    Optional<Entry> find(int opcode, OptionalInt serviceAction) {
        if (opcode < 0 || opcode > 0xFF) {
            return Optional.empty();
        }
        return Optional.ofNullable(serviceAction.isPresent()
                ? byServiceAction.get(opcode << 16 | serviceAction.getAsInt()) : byOpcode[opcode]);
    }

    /** The entry for a CDB, if the target implements the command. */
    Optional<Entry> lookup(byte[] cdb) {
        int opcode = cdb[0] & 0xFF;
        return hasServiceActions(opcode)
                ? find(opcode, OptionalInt.of(OperationCode.SERVICE_ACTION.readInt(cdb)))
                : find(opcode, OptionalInt.empty());
    }

    /**
     * The entry for a CDB: INVALID COMMAND OPERATION CODE for an operation code not implemented, INVALID
     * FIELD IN CDB at SERVICE ACTION for one of its service actions that is not (libiscsi takes either with field
     * pointer 1 as "not implemented").
     */
    Entry resolve(byte[] cdb) {
        int opcode = cdb[0] & 0xFF;
        if (hasServiceActions(opcode)) {
            int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
            return find(opcode, OptionalInt.of(sa)).orElseThrow(() -> CheckCondition.invalidField(
                    OperationCode.SERVICE_ACTION, sa, "service action of operation code "
                            + String.format("%02Xh", opcode) + " not implemented"));
        }
        return find(opcode, OptionalInt.empty()).orElseThrow(() -> new CheckCondition(
                AdditionalSense.INVALID_COMMAND_OPERATION_CODE,
                "operation code " + String.format("%02Xh", opcode) + " not implemented"));
    }
}
