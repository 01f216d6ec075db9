package org.copyoffload.server.scsi;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One logical unit: a volume with the state SPC-5 and SBC-4 keep per logical unit. Per I_T nexus it has a queue of
 * pending unit attention conditions and a count of commands in flight (for CLEAR TASK SET); for all nexuses
 * together, the mode parameters (one task set, TST 000b, so one set of current values) and the LBA range locks of
 * COMPARE AND WRITE. Thread-safe: commands of many connections use it at once.
 */
final class LogicalUnit {
    private static final Logger log = LoggerFactory.getLogger(LogicalUnit.class);
    /** More than this many pending unit attentions for one nexus and the oldest are dropped (SAM-5 5.14: may). */
    private static final int MAX_UNIT_ATTENTIONS = 16;

    private final long lun;
    private final Volume volume;
    private final String targetName;
    private final Limits limits;
    private final ExecutorService ioExecutor;
    private final String serial;
    private final byte[] naaVendorSpecific;
    private final AtomicReference<ModeState> mode = new AtomicReference<>(ModeState.DEFAULT);
    private final ConcurrentHashMap<ItNexus, Deque<AdditionalSense>> unitAttentions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ItNexus, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final RangeLock ranges = new RangeLock();
    /**
     * EXTENDED COPY status by I_T nexus and LIST IDENTIFIER, for RECEIVE COPY RESULTS / STATUS and COPY OPERATION
     * ABORT (SPC-4 6.4.3.2: list identifiers are the nexus's own; LID1 and LID4 lists share one space, a LID1
     * identifier being a LID4 one below 256).
     */
    // EXTENDED COPY commands running, so that task management and nexus loss can stop them between chunks.
    private final Set<RunningCopy> runningCopies = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<ItNexus, ConcurrentHashMap<Long, CopyStatusRecord>> copies =
            new ConcurrentHashMap<>();
    private final PersistentReservations reservations;
    // The target's ROD tokens, told of every write (set once by the target after it made its units).
    private volatile RodTokenRegistry rodTokens;
    final LongAdder blocksRead = new LongAdder();
    final LongAdder blocksWritten = new LongAdder();
    final LongAdder mediaErrors = new LongAdder();

    LogicalUnit(long lun, Volume volume, String targetName, Limits limits, ExecutorService ioExecutor) {
        this(lun, volume, targetName, limits, ioExecutor, null);
    }

    /**
     * @param reservationDirectory where the unit keeps its persistent reservations while APTPL is set (file
     *                             {@code VOLUME.SERIAL.pr}), or null for a unit that cannot persist them
     * @throws UncheckedIOException naming the file when its reservation state file exists but cannot be read
     */
    LogicalUnit(long lun, Volume volume, String targetName, Limits limits, ExecutorService ioExecutor,
                Path reservationDirectory) {
        this.lun = lun;
        this.volume = volume;
        this.targetName = targetName;
        this.limits = limits;
        this.ioExecutor = ioExecutor;
        // One hash of the target and volume names gives both identities, so they stay the same across restarts
        // and differ between volumes and between targets exporting the same volume.
        byte[] digest = sha256(targetName + "\0" + volume.name());
        this.serial = HexFormat.of().withUpperCase().formatHex(digest, 0, 12);
        this.naaVendorSpecific = Arrays.copyOfRange(digest, 12, 25);
        try {
            this.reservations = new PersistentReservations(reservationDirectory == null ? null
                    : new ReservationFile(reservationDirectory.resolve(volume.name() + "." + serial + ".pr"),
                    targetName));
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    long lun() {
        return lun;
    }

    Volume volume() {
        return volume;
    }

    BlockStore store() {
        return volume.store();
    }

    /** Whether this is a host managed zoned logical unit (PERIPHERAL DEVICE TYPE 14h, ZBC-2). */
    boolean isZoned() {
        return volume.isZoned();
    }

    /** The zones of a zoned unit, shared with the NVMe namespaces of the same volume; null for a conventional one. */
    org.copyoffload.server.volume.ZonedVolume zones() {
        return volume.zoned();
    }

    /**
     * Makes what was written durable: the store's data, and for a zoned unit then the zone write pointers recorded
     * since the last sync ({@link org.copyoffload.server.volume.ZonedVolume#sync}).
     */
    void syncWrites() throws IOException {
        if (isZoned()) {
            zones().sync();
        } else {
            store().flush();
        }
    }

    String targetName() {
        return targetName;
    }

    int blockSize() {
        return volume.blockSize();
    }

    long blockCount() {
        return volume.blockCount();
    }

    Limits limits() {
        return limits;
    }

    /** PRODUCT SERIAL NUMBER: 24 hex digits of SHA-256(target name, volume name). */
    String serial() {
        return serial;
    }

    /** The 100 vendor specific bits of the NAA 6h designator, from the same hash. */
    byte[] naaVendorSpecific() {
        return naaVendorSpecific.clone();
    }

    RangeLock ranges() {
        return ranges;
    }

    PersistentReservations reservations() {
        return reservations;
    }

    void rodTokens(RodTokenRegistry registry) {
        this.rodTokens = registry;
    }

    /**
     * Every write path calls this before it changes blocks {@code [lba, lba + blocks)} (WRITE, WRITE AND VERIFY,
     * COMPARE AND WRITE, WRITE SAME, UNMAP, EXTENDED COPY and WRITE USING TOKEN destinations): ROD tokens that
     * represent any of them are revoked (a point in time token is change vulnerable, SPC-4 "ROD type codes").
     */
    void written(long lba, long blocks) {
        RodTokenRegistry registry = rodTokens;
        if (registry != null) {
            registry.written(this, lba, blocks);
        }
    }

    // ---------------------------------------------------------------- mode parameters

    ModeState mode() {
        return mode.get();
    }

    boolean replaceMode(ModeState expected, ModeState next) {
        return mode.compareAndSet(expected, next);
    }

    /** Writes must reach stable storage before completing: FUA, or the write cache is off (WCE = 0). */
    boolean durable(boolean fua) {
        return fua || !mode.get().writeCacheEnabled();
    }

    /** D_SENSE chooses the format of this unit's CHECK CONDITION sense data. */
    byte[] sense(CheckCondition c) {
        return c.sense().encode(mode.get().descriptorSense());
    }

    // ---------------------------------------------------------------- unit attentions (SAM-5 5.14, SPC-5 5.11)

    /** Removes and returns the oldest pending unit attention for {@code nexus}. */
    Optional<AdditionalSense> takeUnitAttention(ItNexus nexus) {
        Deque<AdditionalSense> queue = unitAttentions.get(nexus);
        return queue == null ? Optional.empty() : Optional.ofNullable(queue.pollFirst());
    }

    /** Pending unit attentions of {@code nexus}, oldest first (for tests). */
    List<AdditionalSense> pendingUnitAttentions(ItNexus nexus) {
        Deque<AdditionalSense> queue = unitAttentions.get(nexus);
        return queue == null ? List.of() : new ArrayList<>(queue);
    }

    /** Queues {@code sense} for each of {@code nexuses}, once: an identical pending condition is not repeated. */
    void establishUnitAttention(Collection<ItNexus> nexuses, AdditionalSense sense) {
        for (ItNexus nexus : nexuses) {
            Deque<AdditionalSense> queue = unitAttentions.computeIfAbsent(nexus, n -> new ConcurrentLinkedDeque<>());
            if (!queue.contains(sense)) {
                queue.addLast(sense);
                while (queue.size() > MAX_UNIT_ATTENTIONS) {
                    queue.pollFirst();
                }
            }
        }
    }

    /**
     * A logical unit reset (SAM-5 6.3.3): mode parameters back to their defaults and a unit attention for every I_T
     * nexus. Aborting the commands in flight is the transport's part.
     */
    void reset(Collection<ItNexus> nexuses, AdditionalSense sense) {
        mode.set(ModeState.DEFAULT);
        reservations.reset(); // the SPC-2 reservation; persistent reservations survive resets (SPC-4 5.13.1)
        // A reset supersedes the conditions it would report anyway (e.g. MODE PARAMETERS CHANGED).
        for (ItNexus nexus : nexuses) {
            Deque<AdditionalSense> queue = unitAttentions.get(nexus);
            if (queue != null) {
                queue.clear();
            }
        }
        establishUnitAttention(nexuses, sense);
        abortCopies(c -> true); // a reset ends every copy, in the background too (SAM-5 6.3.3)
    }

    /**
     * The I_T nexus is gone: its pending conditions, counts, copy status and SPC-2 reservation go too; its
     * persistent reservation registrations stay (SPC-4 5.13.1), for the nexus to find when it logs in again.
     */
    void forget(ItNexus nexus) {
        abortCopies(c -> c.nexus().equals(nexus)); // nobody is left to ask for the result of its copies
        reservations.nexusLost(nexus);
        unitAttentions.remove(nexus);
        inFlight.remove(nexus);
        copies.remove(nexus);
    }

    // ---------------------------------------------------------------- EXTENDED COPY status (SPC-4 6.18)

    /**
     * An EXTENDED COPY being carried out for a task of a nexus ({@code background}: its command already completed,
     * IMMED), stopped between chunks when {@code abort} is set.
     */
    record RunningCopy(ItNexus nexus, long tag, boolean background, AtomicBoolean abort) {
    }

    RunningCopy copyStarted(ItNexus nexus, long tag, boolean background,
                            AtomicBoolean abort) {
        RunningCopy c = new RunningCopy(nexus, tag, background, abort);
        runningCopies.add(c);
        return c;
    }

    void copyEnded(RunningCopy copy) {
        runningCopies.remove(copy);
    }

    /**
     * Runs a copy command's {@code work} (EXTENDED COPY, WRITE USING TOKEN) on the I/O executor as a running copy of
     * the nexus's task {@code tag}, which task management and COPY OPERATION ABORT stop through {@code abort}; with
     * {@code immediate} (IMMED) the command answers GOOD at once and the copy goes on in the background. When the
     * executor refuses the work (shutting down) nothing was done: {@code notRun} gives back what the caller holds
     * (its list identifier, a token) and the command answers BUSY.
     */
    CompletableFuture<ScsiResponse> submitCopy(ItNexus nexus, long tag, String what, boolean immediate,
                                               AtomicBoolean abort, IoWork work, Runnable notRun) {
        RunningCopy running = copyStarted(nexus, tag, immediate, abort);
        AtomicBoolean refused = new AtomicBoolean();
        CompletableFuture<ScsiResponse> result = submit(what, AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, () -> {
            try {
                return work.run();
            } finally {
                copyEnded(running);
            }
        }, () -> {
            refused.set(true);
            copyEnded(running);
            notRun.run();
        });
        return immediate && !refused.get() ? Responses.GOOD : result;
    }

    /** Asks the running copies that {@code which} selects to stop at their next chunk. */
    void abortCopies(Predicate<RunningCopy> which) {
        for (RunningCopy c : runningCopies) {
            if (which.test(c)) {
                c.abort().set(true);
            }
        }
    }

    /** The copies of one nexus, by LIST IDENTIFIER. */
    ConcurrentHashMap<Long, CopyStatusRecord> copies(ItNexus nexus) {
        return copies.computeIfAbsent(nexus, n -> new ConcurrentHashMap<>());
    }

    // ---------------------------------------------------------------- commands in flight

    void started(ItNexus nexus) {
        inFlight.computeIfAbsent(nexus, n -> new AtomicInteger()).incrementAndGet();
    }

    void finished(ItNexus nexus) {
        AtomicInteger n = inFlight.get(nexus);
        if (n != null) {
            n.decrementAndGet();
        }
    }

    /** Nexuses other than {@code except} with commands in flight now. */
    List<ItNexus> busyNexuses(ItNexus except) {
        List<ItNexus> busy = new ArrayList<>();
        inFlight.forEach((nexus, n) -> {
            if (!nexus.equals(except) && n.get() > 0) {
                busy.add(nexus);
            }
        });
        return busy;
    }

    // ---------------------------------------------------------------- ranges and I/O

    /**
     * LOGICAL BLOCK ADDRESS OUT OF RANGE unless {@code [lba, lba + blocks)} lies within the unit (LBAs unsigned;
     * an empty range may start at the capacity, as UNMAP's zero-block descriptors at the end do).
     */
    void checkRange(long lba, long blocks) {
        long capacity = blockCount();
        if (Long.compareUnsigned(lba, capacity) > 0 || Long.compareUnsigned(blocks, capacity - lba) > 0) {
            throw CheckCondition.lbaOutOfRange(lba, blocks, capacity);
        }
    }

    long offset(long lba) {
        return lba * blockSize();
    }

    /** Store work that returns a response; it may throw CHECK CONDITION, or an I/O error reported as {@code onIo}. */
    interface IoWork {
        ScsiResponse run() throws IOException;
    }

    /**
     * Runs {@code work} on the I/O executor, never the caller's thread (an event loop must not wait for a disk).
     * The future always completes normally: a CHECK CONDITION, an I/O error ({@code onIoError}, counted as a media
     * error) and a bug (HARDWARE ERROR, INTERNAL TARGET FAILURE, logged) all become responses, and an executor that
     * refuses work (shutting down) gives BUSY.
     */
    CompletableFuture<ScsiResponse> submit(String what, AdditionalSense onIoError, IoWork work) {
        return submit(what, onIoError, work, () -> { });
    }

    /** As above; {@code notRun} releases what the work would have (a buffer) when the executor refuses it. */
    CompletableFuture<ScsiResponse> submit(String what, AdditionalSense onIoError, IoWork work, Runnable notRun) {
        try {
            return CompletableFuture.supplyAsync(() -> runNow(what, onIoError, work), ioExecutor);
        } catch (RejectedExecutionException e) {
            notRun.run();
            log.warn("LUN {}: {} refused by the I/O executor: {}", lun, what, e.toString());
            return CompletableFuture.completedFuture(ScsiResponse.status(ScsiStatus.BUSY));
        }
    }

    ScsiResponse runNow(String what, AdditionalSense onIoError, IoWork work) {
        try {
            return work.run();
        } catch (CheckCondition c) {
            log.debug("LUN {}: {}: {}", lun, what, c.getMessage());
            return ScsiResponse.checkCondition(sense(c));
        } catch (ReservationConflict c) {
            log.debug("LUN {}: {}: RESERVATION CONFLICT: {}", lun, what, c.getMessage());
            return ScsiResponse.status(ScsiStatus.RESERVATION_CONFLICT);
        } catch (IOException e) {
            mediaErrors.increment();
            log.error("LUN {} ({}): {} failed: {}", lun, volume.name(), what, e.toString());
            return ScsiResponse.checkCondition(sense(new CheckCondition(onIoError, what + ": " + e)));
        } catch (RuntimeException e) {
            log.error("LUN {} ({}): {} failed", lun, volume.name(), what, e);
            return ScsiResponse.checkCondition(sense(new CheckCondition(AdditionalSense.INTERNAL_TARGET_FAILURE,
                    what + ": " + e)));
        }
    }

    @Override
    public String toString() {
        return "LUN " + lun + " (" + volume.name() + ", " + blockCount() + " x " + blockSize() + " bytes)";
    }
}
