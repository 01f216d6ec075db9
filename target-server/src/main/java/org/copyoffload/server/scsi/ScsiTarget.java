package org.copyoffload.server.scsi;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.nio.file.Path;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CdbField;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.RodTokenLimits;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReportLunsData;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SCSI target device with direct-access block logical units (SBC-4) over conventional volumes and host managed
 * zoned block logical units (ZBC-2) over zoned volumes (see {@link ZonedCommands}), for a transport
 * (iSCSI) to hand commands to. Commands are checked on the caller's thread, an event loop, and their store I/O
 * runs on the I/O executor; cheap commands (INQUIRY, MODE SENSE, REPORT LUNS...) complete at once. A command never
 * completes exceptionally: every error is a status (CHECK CONDITION with sense data in the format the logical
 * unit's D_SENSE asks for, or BUSY when the executor refuses work).
 *
 * <p>Unit attentions (SAM-5 5.14): a command other than INQUIRY, REPORT LUNS and REQUEST SENSE from an I_T nexus
 * with a pending unit attention ends in CHECK CONDITION with it, and that clears it; REQUEST SENSE returns it as
 * data and clears it. Conditions come from logical unit and target resets (29h/03h for every nexus, including the
 * one that asked: libiscsi's MultipathIO.Reset checks each path sees one), MODE SELECT (2Ah/01h for the other
 * nexuses) and CLEAR TASK SET (2Fh/00h for the other nexuses with commands in flight). A nexus is known from its
 * first command or task management request until {@link #nexusLost}; a new nexus starts with no condition
 * pending (iSCSI creates nexuses at login, after any power on, so SAM-5's power-on condition has no nexus to go to).
 */
public final class ScsiTarget {
    private static final Logger log = LoggerFactory.getLogger(ScsiTarget.class);

    private final String name;
    private final Map<Long, LogicalUnit> units;
    private final SortedSet<Long> luns;
    private final ExecutorService ioExecutor;
    private final CopyEngine copyEngine;
    private final CopyManagerLimits copyLimits;
    private final RodTokenLimits rodTokenLimits;
    private final RodTokenRegistry rodTokens = new RodTokenRegistry(this);
    private final CommandTable commands = new CommandTable();
    private final Set<ItNexus> nexuses = ConcurrentHashMap.newKeySet();
    private volatile CopyObserver copyObserver = CopyObserver.NONE;

    /**
     * @param name       the target's name (iSCSI: its iqn), which with a volume's name identifies a logical unit
     * @param luns       the logical units by LUN (0 to 16383: single-level LUN addressing); a zoned volume becomes a
     *                   host managed zoned logical unit and must have its zone capacity equal to its zone size
     * @param ioExecutor where store I/O runs (typically virtual threads)
     * @throws IllegalArgumentException naming the LUN and volume for a zone capacity below the zone size, a LUN out of range or a block
     *                                  size the target cannot serve
     */
    public ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor) {
        this(name, luns, ioExecutor, Limits.DEFAULT, defaultCopyEngine());
    }

    /**
     * As above, with the engine EXTENDED COPY runs on; its scratch stores (for copies whose source overlaps what
     * they write) should be on the volumes' filesystem, where copy_file_range serves them.
     */
    public ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor, CopyEngine copyEngine) {
        this(name, luns, ioExecutor, Limits.DEFAULT, copyEngine);
    }

    ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor, Limits limits) {
        this(name, luns, ioExecutor, limits, defaultCopyEngine());
    }

    /** Scratch stores in the JVM's temporary directory, for targets built without an engine (tests, tools). */
    private static CopyEngine defaultCopyEngine() {
        return new CopyEngine(NvmeTarget.scratchStores(Path.of(System.getProperty("java.io.tmpdir"))));
    }

    ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor, Limits limits, CopyEngine copyEngine) {
        this(name, luns, ioExecutor, limits, copyEngine, null);
    }

    /**
     * As above, with persistent reservations that survive restarts: each logical unit keeps them, while APTPL is
     * set, in a state file in {@code reservationDirectory} (see {@link LogicalUnit}), loaded here.
     *
     * @throws java.io.UncheckedIOException naming the file when a logical unit's state file is corrupt
     */
    public ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor, CopyEngine copyEngine,
                      Path reservationDirectory) {
        this(name, luns, ioExecutor, Limits.DEFAULT, copyEngine, reservationDirectory);
    }

    ScsiTarget(String name, Map<Long, Volume> luns, ExecutorService ioExecutor, Limits limits, CopyEngine copyEngine,
               Path reservationDirectory) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(luns, "luns");
        this.ioExecutor = Objects.requireNonNull(ioExecutor, "ioExecutor");
        this.copyEngine = Objects.requireNonNull(copyEngine, "copyEngine");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a SCSI target needs a name");
        }
        this.name = name;
        Map<Long, LogicalUnit> built = new TreeMap<>();
        for (Map.Entry<Long, Volume> e : luns.entrySet()) {
            Long lun = Objects.requireNonNull(e.getKey(), "LUN");
            Volume volume = Objects.requireNonNull(e.getValue(), () -> "volume of LUN " + lun);
            if (lun < 0 || lun > ReportLunsData.MAX_LUN) {
                throw new IllegalArgumentException("LUN " + lun + " (volume " + volume.name()
                        + ") is outside 0-16383, the LUNs single-level addressing can carry");
            }
            if (volume.isZoned() && volume.zoned().geometry().zoneCapacity() != volume.zoned().geometry().zoneSize()) {
                throw new IllegalArgumentException("volume " + volume.name() + " (LUN " + lun + ") has a zone "
                        + "capacity below its zone size: a host managed zoned logical unit (ZBC-2) has no zone capacity");
            }
            int bs = volume.blockSize();
            if (bs < 512 || Integer.bitCount(bs) != 1 || bs > limits.maxTransferBytes()) {
                throw new IllegalArgumentException("volume " + volume.name() + " (LUN " + lun + ") has block size "
                        + bs + ": need a power of two from 512 to " + limits.maxTransferBytes());
            }
            if (volume.blockCount() < 1) {
                throw new IllegalArgumentException("volume " + volume.name() + " (LUN " + lun
                        + ") is smaller than one block");
            }
            built.put(lun, new LogicalUnit(lun, volume, name, limits, ioExecutor, reservationDirectory));
        }
        this.units = Collections.unmodifiableMap(built);
        this.luns = Collections.unmodifiableSortedSet(new TreeSet<>(built.keySet()));
        this.copyLimits = ThirdPartyCopyCommands.limits(built.values());
        this.rodTokenLimits = TokenCopyCommands.limits(built.values());
        built.values().forEach(u -> u.rodTokens(rodTokens));
    }

    public String name() {
        return name;
    }

    /**
     * The bytes of data-out the CDB asks for at this LUN (see {@link ExpectedDataOut}), for a transport's write
     * residuals; empty for a LUN without a logical unit or a command the target does not implement.
     */
    public java.util.OptionalLong expectedDataOut(long lun, byte[] cdb) {
        LogicalUnit u = units.get(lun);
        return u == null ? java.util.OptionalLong.empty() : ExpectedDataOut.bytes(cdb, u.blockSize());
    }

    /** The LUNs, ascending. */
    public SortedSet<Long> luns() {
        return luns;
    }

    /**
     * Runs a command. The order of checks: a LUN with no logical unit (LOGICAL UNIT NOT SUPPORTED, except for
     * INQUIRY, REPORT LUNS and REQUEST SENSE), a pending unit attention, the operation code and service action
     * (INVALID COMMAND OPERATION CODE / INVALID FIELD IN CDB), NACA (ACA is not supported: INVALID FIELD IN CDB),
     * then the command's own checks. The data-out is only read, never released; the data-in belongs to the caller.
     */
    public CompletableFuture<ScsiResponse> execute(ScsiCommand command) {
        Objects.requireNonNull(command, "command");
        ItNexus nexus = command.nexus();
        nexuses.add(nexus);
        LogicalUnit unit = units.get(command.lun());
        byte[] cdb = command.cdb();
        try {
            if (cdb == null || cdb.length < 6) {
                throw new CheckCondition(SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB,
                        SenseData.FieldPointer.cdb(0)), "CDB of " + (cdb == null ? 0 : cdb.length) + " bytes");
            }
            Optional<CommandTable.Entry> known = commands.lookup(cdb);
            if (unit == null && !known.map(CommandTable.Entry::noLogicalUnitNeeded).orElse(false)) {
                throw new CheckCondition(AdditionalSense.LOGICAL_UNIT_NOT_SUPPORTED,
                        "no logical unit at LUN " + command.lun());
            }
            if (unit != null && !known.map(CommandTable.Entry::unitAttentionExempt).orElse(false)) {
                Optional<AdditionalSense> attention = unit.takeUnitAttention(nexus);
                if (attention.isPresent()) {
                    return CompletableFuture.completedFuture(ScsiResponse.checkCondition(
                            new SenseData(attention.get()).encode(unit.mode().descriptorSense())));
                }
            }
            CommandTable.Entry entry = commands.resolve(cdb);
            if (!entry.appliesTo(unit)) {
                throw new CheckCondition(AdditionalSense.INVALID_COMMAND_OPERATION_CODE, entry.opcode() + " does not "
                        + "apply to a " + (unit.isZoned() ? "zoned" : "conventional") + " logical unit");
            }
            if (cdb.length < entry.cdbLength()) {
                throw new CheckCondition(SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB,
                        SenseData.FieldPointer.cdb(0)), entry.opcode() + " needs a CDB of " + entry.cdbLength()
                        + " bytes, got " + cdb.length);
            }
            CdbField naca = CdbField.naca(entry.cdbLength());
            if (naca.isSet(cdb)) {
                throw CheckCondition.invalidField(naca, 1, "ACA is not supported");
            }
            if (unit == null) {
                return entry.handler().handle(new Request(command, null, this));
            }
            unit.reservations().check(nexus, entry.opcode(), ReservationAccess.of(entry.opcode(), cdb));
            unit.started(nexus);
            CompletableFuture<ScsiResponse> result;
            try {
                result = entry.handler().handle(new Request(command, unit, this));
            } catch (RuntimeException e) {
                unit.finished(nexus);
                throw e;
            }
            result.whenComplete((response, failure) -> unit.finished(nexus));
            return result;
        } catch (CheckCondition c) {
            log.debug("{} LUN {} {}: {}", nexus.initiatorPortName(), command.lun(), opcodeName(cdb), c.getMessage());
            return CompletableFuture.completedFuture(ScsiResponse.checkCondition(
                    unit == null ? c.sense().encodeFixed() : unit.sense(c)));
        } catch (ReservationConflict c) {
            log.debug("{} LUN {} {}: RESERVATION CONFLICT: {}", nexus.initiatorPortName(), command.lun(),
                    opcodeName(cdb), c.getMessage());
            return CompletableFuture.completedFuture(ScsiResponse.status(ScsiStatus.RESERVATION_CONFLICT));
        } catch (RuntimeException e) {
            log.error("{} LUN {} {} failed", nexus.initiatorPortName(), command.lun(), opcodeName(cdb), e);
            CheckCondition c = new CheckCondition(AdditionalSense.INTERNAL_TARGET_FAILURE, e.toString());
            return CompletableFuture.completedFuture(ScsiResponse.checkCondition(
                    unit == null ? c.sense().encodeFixed() : unit.sense(c)));
        }
    }

    private static String opcodeName(byte[] cdb) {
        if (cdb == null || cdb.length == 0) {
            return "(no CDB)";
        }
        return OperationCode.lookup(cdb[0] & 0xFF).map(Enum::name)
                .orElse(String.format("opcode %02Xh", cdb[0] & 0xFF));
    }

    /**
     * A task management function (SAM-5 7). Aborting commands is the transport's part (it knows the tasks); here
     * are the logical unit state changes:
     * <ul>
     * <li>ABORT TASK, ABORT TASK SET: nothing to do here, FUNCTION COMPLETE;</li>
     * <li>CLEAR TASK SET: UNIT ATTENTION COMMANDS CLEARED BY ANOTHER INITIATOR for the other nexuses that had
     * commands in flight (TAS is zero, SAM-5 7.5);</li>
     * <li>LOGICAL UNIT RESET: mode parameters back to their defaults, BUS DEVICE RESET FUNCTION OCCURRED (29h/03h)
     * for every nexus (SAM-5 6.3.3);</li>
     * <li>TARGET WARM RESET: a logical unit reset of every logical unit, with 29h/03h;</li>
     * <li>TARGET COLD RESET: the same as a power on, with POWER ON OCCURRED (29h/01h); the transport then drops
     * the connections (RFC 7143 11.5.1), so the nexuses will be lost;</li>
     * <li>CLEAR ACA, TASK REASSIGN: FUNCTION NOT SUPPORTED (no ACA; reassignment is the transport's).</li>
     * </ul>
     * A logical-unit function at a LUN with no logical unit is LUN DOES NOT EXIST.
     */
    public TaskManagementFunction.Response manage(ItNexus nexus, TaskManagementFunction function, long lun) {
        Objects.requireNonNull(nexus, "nexus");
        Objects.requireNonNull(function, "function");
        nexuses.add(nexus);
        List<ItNexus> all = List.copyOf(nexuses);
        switch (function) {
            case CLEAR_ACA, TASK_REASSIGN -> {
                return TaskManagementFunction.Response.FUNCTION_NOT_SUPPORTED;
            }
            case TARGET_WARM_RESET -> {
                log.info("{}: TARGET WARM RESET from {}", name, nexus.initiatorPortName());
                units.values().forEach(u -> u.reset(all, AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED));
                return TaskManagementFunction.Response.FUNCTION_COMPLETE;
            }
            case TARGET_COLD_RESET -> {
                log.info("{}: TARGET COLD RESET from {}", name, nexus.initiatorPortName());
                units.values().forEach(u -> u.reset(all, AdditionalSense.POWER_ON_OCCURRED));
                return TaskManagementFunction.Response.FUNCTION_COMPLETE;
            }
            default -> { }
        }
        LogicalUnit unit = units.get(lun);
        if (unit == null) {
            return TaskManagementFunction.Response.LUN_DOES_NOT_EXIST;
        }
        switch (function) {
            case LOGICAL_UNIT_RESET -> {
                log.info("{} LUN {}: LOGICAL UNIT RESET from {}", name, lun, nexus.initiatorPortName());
                unit.reset(all, AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED);
            }
            case CLEAR_TASK_SET -> unit.establishUnitAttention(unit.busyNexuses(nexus),
                    AdditionalSense.COMMANDS_CLEARED_BY_ANOTHER_INITIATOR);
            default -> { } // ABORT TASK, ABORT TASK SET
        }
        return TaskManagementFunction.Response.FUNCTION_COMPLETE;
    }

    /**
     * The transport aborts a task that the SCSI layer is carrying out (ABORT TASK, ABORT TASK SET, CLEAR TASK SET, a
     * reset, PREEMPT AND ABORT): an EXTENDED COPY stops at its next chunk, so that no copy writes after the host was
     * told its task is gone; other commands are short and finish, and the transport drops their response.
     */
    public void abortTask(ItNexus nexus, long lun, long tag) {
        LogicalUnit unit = units.get(lun);
        if (unit != null) {
            unit.abortCopies(c -> !c.background() && c.tag() == tag && c.nexus().equals(nexus));
        }
    }

    /**
     * Aborts the tasks of an I_T nexus at a LUN, the transport's part of PREEMPT AND ABORT (SPC-4 5.13.11.2.5): the
     * future completes once they are aborted, so that the PERSISTENT RESERVE OUT completes after them.
     */
    @FunctionalInterface
    public interface TaskAborter {
        CompletableFuture<Void> abortTasks(ItNexus nexus, long lun);
    }

    private volatile TaskAborter taskAborter = (nexus, lun) -> CompletableFuture.completedFuture(null);

    /** Sets who is told of every EXTENDED COPY (for metrics); by default nobody. */
    public void copyObserver(CopyObserver observer) {
        copyObserver = Objects.requireNonNull(observer, "observer");
    }

    /** Sets who aborts tasks for PREEMPT AND ABORT (the transport that knows them); by default nobody. */
    public void taskAborter(TaskAborter aborter) {
        taskAborter = Objects.requireNonNull(aborter, "aborter");
    }

    CompletableFuture<Void> abortTasks(ItNexus nexus, long lun) {
        log.info("{} LUN {}: PREEMPT AND ABORT aborts the tasks of {}", name, lun, nexus.initiatorPortName());
        return taskAborter.abortTasks(nexus, lun);
    }

    /**
     * The I_T nexus is gone (logout, connection loss, session reinstatement): its unit attentions, counts and SPC-2
     * reservations are dropped; its persistent reservation registrations stay (SPC-4 5.13.1).
     */
    public void nexusLost(ItNexus nexus) {
        nexuses.remove(nexus);
        units.values().forEach(u -> u.forget(nexus));
    }

    // ---------------------------------------------------------------- for the command families and tests

    CommandTable commands() {
        return commands;
    }

    Set<ItNexus> knownNexuses() {
        return Collections.unmodifiableSet(nexuses);
    }

    LogicalUnit unit(long lun) {
        return units.get(lun);
    }

    ExecutorService ioExecutor() {
        return ioExecutor;
    }

    CopyEngine copyEngine() {
        return copyEngine;
    }

    CopyObserver copyObserver() {
        return copyObserver;
    }

    /** What the copy manager of every logical unit here reports and enforces. */
    RodTokenLimits rodTokenLimits() {
        return rodTokenLimits;
    }

    /** This target's ROD tokens (POPULATE TOKEN, WRITE USING TOKEN). */
    RodTokenRegistry rodTokens() {
        return rodTokens;
    }

    CopyManagerLimits copyLimits() {
        return copyLimits;
    }

    /** All logical units, by LUN: every one is a CSCD any nexus may name (no LUN masking). */
    java.util.Collection<LogicalUnit> units() {
        return units.values();
    }
}
