package org.copyoffload.server.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.ReportLunsCdb;
import org.copyoffload.protocol.scsi.ReportLunsData;
import org.copyoffload.protocol.scsi.ReportSupportedOpcodesCdb;
import org.copyoffload.protocol.scsi.ReportSupportedTmfCdb;
import org.copyoffload.protocol.scsi.SupportedOperationCodes;

/** REPORT LUNS, REPORT SUPPORTED OPERATION CODES and REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS (SPC-5 6.33-6.35). */
final class ReportCommands {
    /** What {@link ScsiTarget#manage} does (iSCSI has TARGET WARM RESET for SAM's target reset). */
    static final SupportedOperationCodes.TaskManagementFunctions TASK_MANAGEMENT =
            new SupportedOperationCodes.TaskManagementFunctions(true, true, false, true, true, false, true, false,
                    false, false, false);

    private ReportCommands() {
    }

    /**
     * REPORT LUNS, answered at any LUN. SELECT REPORT 00h, 02h and 11h list every logical unit (there are no well
     * known and no conglomerate ones); 01h, 10h and 12h list none; other values are INVALID FIELD IN CDB.
     */
    static CompletableFuture<ScsiResponse> reportLuns(Request r) {
        ReportLunsCdb c = ReportLunsCdb.decode(r.cdb());
        List<Long> luns = switch (c.selectReport()) {
            case 0x00, 0x02, 0x11 -> new ArrayList<>(r.target().luns());
            case 0x01, 0x10, 0x12 -> List.of();
            default -> throw CheckCondition.invalidField(ReportLunsCdb.SELECT_REPORT, c.selectReport(), "reserved");
        };
        return Responses.dataIn(new ReportLunsData(luns).encode(), c.allocationLength());
    }

    /**
     * REPORT SUPPORTED OPERATION CODES. Reporting options: 000b every command; 001b one operation code, INVALID
     * FIELD IN CDB if it has service actions; 010b one operation code and service action, INVALID FIELD IN CDB if
     * the operation code has none; 011b one operation code, with its service action if it has them. An operation
     * code or service action not implemented is SUPPORT 001b. RCTD adds command timeouts descriptors.
     */
    static CompletableFuture<ScsiResponse> reportSupportedOperationCodes(Request r) {
        ReportSupportedOpcodesCdb c = ReportSupportedOpcodesCdb.decode(r.cdb());
        CommandTable table = r.target().commands();
        byte[] data;
        switch (c.reportingOptions()) {
            case 0b000 -> {
                List<SupportedOperationCodes.Command> all = new ArrayList<>();
                for (CommandTable.Entry e : table.entries()) {
                    if (!e.appliesTo(r.unit())) {
                        continue;
                    }
                    all.add(new SupportedOperationCodes.Command(e.opcode().code(), e.serviceAction(), e.cdbLength(),
                            e.timeouts()));
                }
                data = SupportedOperationCodes.encodeAll(all, c.rctd());
            }
            case 0b001, 0b010, 0b011 -> {
                boolean withActions = table.hasServiceActions(c.requestedOpcode())
                        && table.entries().stream().anyMatch(e -> e.opcode().code() == c.requestedOpcode()
                                && e.appliesTo(r.unit()));
                if (c.reportingOptions() == 0b001 && withActions) {
                    throw CheckCondition.invalidField(ReportSupportedOpcodesCdb.REPORTING_OPTIONS, 1,
                            "operation code " + hex(c.requestedOpcode()) + " has service actions");
                }
                if (c.reportingOptions() == 0b010 && !withActions) {
                    throw CheckCondition.invalidField(ReportSupportedOpcodesCdb.REPORTING_OPTIONS, 2,
                            "operation code " + hex(c.requestedOpcode()) + " has no service actions");
                }
                OptionalInt sa = withActions ? OptionalInt.of(c.requestedServiceAction()) : OptionalInt.empty();
                data = table.find(c.requestedOpcode(), sa).filter(e -> e.appliesTo(r.unit()))
                        .map(e -> SupportedOperationCodes.encodeOne(SupportedOperationCodes.SUPPORT_STANDARD,
                                e.usageData(), e.timeouts(), c.rctd()))
                        .orElseGet(() -> SupportedOperationCodes.encodeOne(SupportedOperationCodes.SUPPORT_NOT_SUPPORTED,
                                new byte[0], null, false));
            }
            default -> throw CheckCondition.invalidField(ReportSupportedOpcodesCdb.REPORTING_OPTIONS,
                    c.reportingOptions(), "reserved");
        }
        return Responses.dataIn(data, c.allocationLength());
    }

    static CompletableFuture<ScsiResponse> reportSupportedTaskManagementFunctions(Request r) {
        ReportSupportedTmfCdb c = ReportSupportedTmfCdb.decode(r.cdb());
        return Responses.dataIn(TASK_MANAGEMENT.encode(c.repd()), c.allocationLength());
    }

    private static String hex(int opcode) {
        return String.format("%02Xh", opcode);
    }
}
