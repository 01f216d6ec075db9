package org.copyoffload.backends.zone;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * The zone state machine of a zoned namespace (NVMe ZNS Command Set): states, write pointers, active and open
 * resources. It owns no storage: the command layer asks it first, then moves data, then persists the changed zones
 * (see {@link ZoneMetadataStore}). Thread-safe: every method is atomic (one lock; all operations are O(1) per zone
 * touched, Select All O(zones)).
 *
 * <p>Write pointers: {@link #reserveWrite}/{@link #reserveAppend} advance a zone's write pointer at once, so
 * concurrent writes get disjoint ranges; {@link #completeWrite} then advances its <em>committed</em> write pointer
 * over the prefix whose data writes all completed. Every {@link ZoneChange#persist()} snapshot and every snapshot
 * {@code completeWrite} returns carries the committed write pointer: persisting only those never records a write
 * pointer above data still in flight.
 *
 * <p>Rules (as QEMU's hw/nvme implements the spec):
 * <ul>
 * <li>Writes and Zone Appends: LBA range first (LBA Out of Range), then the zone state (Full, Read Only, Offline),
 * then the write pointer (Zone Invalid Write; Zone Append needs a zone start, else Invalid Field), then the zone
 * capacity (Zone Boundary Error), then resources. An Empty or Closed zone opens implicitly; an Empty one needs an
 * active resource. When all open resources are taken, the least recently implicitly opened zone is closed to free
 * one (Too Many Open Zones if no zone is implicitly opened). A write that reaches the zone capacity makes the zone
 * Full and frees its resources. A refused operation changes nothing.</li>
 * <li>Open: Empty, Implicitly Opened, Closed → Explicitly Opened (Explicitly Opened: no change); needs resources like
 * a write (and may close an implicitly opened zone, as QEMU does). Select All opens every Closed zone, all or none
 * (Too Many Open Zones if they do not all fit; implicitly opened zones are not closed for it).</li>
 * <li>Close: Implicitly/Explicitly Opened → Closed (Closed: no change). ZBC makes a zone with nothing written Empty
 * instead; see {@link ZoneCommandSet} for this and ZBC's other differences, chosen per call. Select All: every opened
 * zone.</li>
 * <li>Finish: Empty, Opened, Closed → Full, write pointer at the zone capacity (Full: no change). Select All: every
 * opened or closed zone.</li>
 * <li>Reset: Opened, Closed, Full → Empty, write pointer at the zone start (Empty: no change); the caller zeroes
 * the written blocks ({@link ZoneChange#zeroBlocks()}). Select All: every opened, closed or full zone.</li>
 * <li>Offline: Read Only → Offline (Offline: no change). Select All: every Read Only zone.</li>
 * <li>Anything else: Invalid Zone State Transition. A single-zone action must name a zone start (Invalid Field);
 * a Select All action ignores the LBA.</li>
 * </ul>
 */
public final class ZoneModel {
    private final ZoneGeometry geometry;
    private final ZoneLimits limits;
    private final ZoneState[] states;
    private final long[] writePointers;
    /** Implicitly opened zones, least recently opened first. */
    private final LinkedHashSet<Integer> implicitlyOpened = new LinkedHashSet<>();
    private int open;
    private int active;
    /** Per zone: every block below it was reserved and its write completed ({@link #completeWrite}). */
    private final long[] committed;
    /** Per zone: bumped when the write pointer is set (reset, finish): completions of older reservations are void. */
    private final long[] epochs;
    /** Per zone: completed writes above {@code committed} (start LBA to blocks), null when none. */
    private final TreeMap<Long, Long>[] completedAbove;

    /** A namespace with every zone Empty. */
    @SuppressWarnings("unchecked")
    public ZoneModel(ZoneGeometry geometry, ZoneLimits limits) {
        this.geometry = geometry;
        this.limits = limits;
        int n = geometry.zoneCount();
        states = new ZoneState[n];
        writePointers = new long[n];
        committed = new long[n];
        epochs = new long[n];
        completedAbove = (TreeMap<Long, Long>[]) new TreeMap<?, ?>[n];
        for (int i = 0; i < n; i++) {
            states[i] = ZoneState.EMPTY;
            writePointers[i] = geometry.zoneStart(i);
            committed[i] = writePointers[i];
        }
    }

    /**
     * A namespace restored from persisted zones (one per zone, in index order), as after a controller restart:
     * opened zones come back Closed, or Empty when nothing was written in them (so do Closed ones).
     *
     * @throws IllegalArgumentException if a zone does not fit the geometry
     */
    public static ZoneModel restore(ZoneGeometry geometry, ZoneLimits limits, List<Zone> zones) {
        if (zones.size() != geometry.zoneCount()) {
            throw new IllegalArgumentException(zones.size() + " zones given for a geometry of " + geometry.zoneCount());
        }
        ZoneModel model = new ZoneModel(geometry, limits);
        for (int i = 0; i < zones.size(); i++) {
            Zone z = zones.get(i);
            long start = geometry.zoneStart(i);
            if (z.index() != i || z.startLba() != start || z.writePointer() < start
                    || z.writePointer() > start + geometry.zoneCapacity()) {
                throw new IllegalArgumentException("zone " + i + " does not fit " + geometry + ": " + z);
            }
            ZoneState s = z.state();
            long wp = z.writePointer();
            if (s.isActive()) {
                s = wp == start ? ZoneState.EMPTY : ZoneState.CLOSED;
            }
            if (s == ZoneState.EMPTY) {
                wp = start;
            } else if (s == ZoneState.FULL) {
                wp = start + geometry.zoneCapacity();
            }
            model.states[i] = s;
            model.writePointers[i] = wp;
            model.committed[i] = wp;
            if (s == ZoneState.CLOSED) {
                model.active++;
            }
        }
        return model;
    }

    public ZoneGeometry geometry() {
        return geometry;
    }

    public ZoneLimits limits() {
        return limits;
    }

    public synchronized int openCount() {
        return open;
    }

    public synchronized int activeCount() {
        return active;
    }

    public synchronized Zone zone(int index) {
        return snapshot(index);
    }

    public synchronized List<Zone> zones() {
        List<Zone> all = new ArrayList<>(states.length);
        for (int i = 0; i < states.length; i++) {
            all.add(snapshot(i));
        }
        return all;
    }

    // ---------------------------------------------------------------- writes

    /**
     * Checks a Write of {@code blocks} blocks at {@code slba} and, if allowed, advances the write pointer past it.
     * The caller then writes the data; the zone is already changed (as in QEMU, a failed data write leaves the
     * write pointer advanced).
     *
     * @return where the data goes, and the zones changed (an implicitly closed zone, then this one)
     */
    public synchronized WriteReservation reserveWrite(long slba, long blocks) throws ZoneException {
        checkRange(slba, blocks);
        int i = geometry.zoneIndex(slba);
        checkWritableState(i);
        if (slba != writePointers[i]) {
            throw new ZoneException(ZoneError.ZONE_INVALID_WRITE, "write at LBA " + slba + " but zone " + i
                    + " has its write pointer at " + writePointers[i]);
        }
        return advance(i, blocks);
    }

    /**
     * Checks a Zone Append of {@code blocks} blocks to the zone starting at {@code zslba} and, if allowed, advances
     * the write pointer past it. {@link WriteReservation#lba()} is the LBA the data goes to (returned to the host).
     */
    public synchronized WriteReservation reserveAppend(long zslba, long blocks) throws ZoneException {
        checkRange(zslba, blocks);
        if (!geometry.isZoneStart(zslba)) {
            throw new ZoneException(ZoneError.INVALID_FIELD, "Zone Append SLBA " + zslba + " is not a zone start");
        }
        int i = geometry.zoneIndex(zslba);
        checkWritableState(i);
        return advance(i, blocks);
    }

    /**
     * A write the model accepted: the data goes to {@code [lba, lba + blocks)} of zone {@code zone}; persist
     * {@code changes} (their {@link ZoneChange#persist()} snapshots do not include this write yet), then after the
     * data write call {@link #completeWrite}.
     */
    public record WriteReservation(long lba, long blocks, int zone, long epoch, List<ZoneChange> changes) {
        public WriteReservation {
            changes = List.copyOf(changes);
        }
    }

    /**
     * Reports that the data write of a reservation finished (call it on failure too: as in QEMU the write pointer
     * stays advanced, the host got an error). Writes to one zone may complete in any order: the zone's committed
     * write pointer advances over the completed prefix only.
     *
     * @return the snapshot to persist (with the committed write pointer) when this completion advanced it; empty
     *         when it did not (an earlier write is still in flight) or the zone was reset or finished since
     */
    public synchronized Optional<Zone> completeWrite(WriteReservation r) {
        int i = r.zone();
        if (epochs[i] != r.epoch()) {
            return Optional.empty();
        }
        if (r.lba() != committed[i]) {
            if (completedAbove[i] == null) {
                completedAbove[i] = new TreeMap<>();
            }
            completedAbove[i].put(r.lba(), r.blocks());
            return Optional.empty();
        }
        committed[i] += r.blocks();
        TreeMap<Long, Long> above = completedAbove[i];
        while (above != null && !above.isEmpty() && above.firstKey() == committed[i]) {
            committed[i] += above.pollFirstEntry().getValue();
        }
        return Optional.of(persistable(i));
    }

    /**
     * Whether the committed write pointer has passed the reservation (every write before it in its zone completed
     * too), or the zone was reset or finished since: then a durable record of the zone covers it.
     */
    public synchronized boolean isCommitted(WriteReservation r) {
        int i = r.zone();
        return epochs[i] != r.epoch() || committed[i] >= r.lba() + r.blocks();
    }

    /** The committed write pointer of a zone: all blocks below it were written (see {@link #completeWrite}). */
    public synchronized long committedWritePointer(int index) {
        return committed[index];
    }

    /**
     * The snapshot of zone {@code i} safe to persist: its committed write pointer, and a state that fits it (a zone
     * whose reserved writes are not all complete is stored as Closed, or Empty if none completed).
     */
    private Zone persistable(int i) {
        long c = committed[i];
        if (c == writePointers[i]) {
            return snapshot(i);
        }
        ZoneState s = states[i];
        if (s != ZoneState.READ_ONLY && s != ZoneState.OFFLINE) {
            s = c == geometry.zoneStart(i) ? ZoneState.EMPTY : ZoneState.CLOSED;
        }
        return new Zone(i, s, geometry.zoneStart(i), geometry.zoneCapacity(), c);
    }

    private void restartCommitted(int i) {
        committed[i] = writePointers[i];
        completedAbove[i] = null;
        epochs[i]++;
    }

    private ZoneChange change(Zone before, int i) {
        return new ZoneChange(before, snapshot(i), persistable(i));
    }

    private void checkRange(long slba, long blocks) throws ZoneException {
        if (blocks < 1) {
            throw new IllegalArgumentException("a write needs at least one block, got " + blocks);
        }
        long total = geometry.totalBlocks();
        if (slba < 0 || slba >= total || blocks > total - slba) {
            throw new ZoneException(ZoneError.LBA_OUT_OF_RANGE, "LBAs " + slba + " + " + blocks + " blocks exceed the "
                    + total + " blocks of the namespace");
        }
    }

    private void checkWritableState(int i) throws ZoneException {
        switch (states[i]) {
            case FULL -> throw new ZoneException(ZoneError.ZONE_IS_FULL, "zone " + i + " is full");
            case READ_ONLY -> throw new ZoneException(ZoneError.ZONE_IS_READ_ONLY, "zone " + i + " is read only");
            case OFFLINE -> throw new ZoneException(ZoneError.ZONE_IS_OFFLINE, "zone " + i + " is offline");
            default -> { }
        }
    }

    private WriteReservation advance(int i, long blocks) throws ZoneException {
        long wp = writePointers[i];
        long end = geometry.zoneStart(i) + geometry.zoneCapacity();
        if (blocks > end - wp) {
            throw new ZoneException(ZoneError.ZONE_BOUNDARY_ERROR, blocks + " blocks at LBA " + wp + " cross the end "
                    + end + " of the capacity of zone " + i);
        }
        List<ZoneChange> changes = new ArrayList<>(2);
        Zone before = snapshot(i);
        if (states[i] == ZoneState.EMPTY || states[i] == ZoneState.CLOSED) {
            acquire(i, false, changes);
            setState(i, ZoneState.IMPLICITLY_OPENED);
        }
        writePointers[i] = wp + blocks;
        if (writePointers[i] == end) {
            release(i);
            setState(i, ZoneState.FULL);
        }
        changes.add(change(before, i));
        return new WriteReservation(wp, blocks, i, epochs[i], changes);
    }

    /**
     * Takes the resources zone {@code i} (Empty or Closed) needs to open; may close the least recently implicitly
     * opened zone (other than {@code i}) and record that in {@code changes}. Changes nothing on failure.
     */
    private void acquire(int i, boolean explicitOpen, List<ZoneChange> changes) throws ZoneException {
        boolean needsActive = states[i] == ZoneState.EMPTY;
        if (needsActive && active >= limits.maxActive()) {
            throw new ZoneException(ZoneError.TOO_MANY_ACTIVE_ZONES, "opening zone " + i + " needs an active resource; "
                    + active + " of " + limits.maxActive() + " are taken");
        }
        if (open >= limits.maxOpen()) {
            Integer victim = implicitlyOpened.isEmpty() ? null : implicitlyOpened.getFirst();
            if (victim == null) {
                throw new ZoneException(ZoneError.TOO_MANY_OPEN_ZONES, (explicitOpen ? "opening" : "writing to")
                        + " zone " + i + " needs an open resource; all " + limits.maxOpen()
                        + " are taken by explicitly opened zones");
            }
            Zone before = snapshot(victim);
            open--;
            setState(victim, ZoneState.CLOSED);
            changes.add(change(before, victim));
        }
        if (needsActive) {
            active++;
        }
        open++;
    }

    /** Frees the resources of zone {@code i}, whatever its state. */
    private void release(int i) {
        if (states[i].isOpen()) {
            open--;
        }
        if (states[i].isActive()) {
            active--;
        }
    }

    private void setState(int i, ZoneState s) {
        if (states[i] == ZoneState.IMPLICITLY_OPENED) {
            implicitlyOpened.remove(i);
        }
        states[i] = s;
        if (s == ZoneState.IMPLICITLY_OPENED) {
            implicitlyOpened.addLast(i);
        }
    }

    // ---------------------------------------------------------------- zone management send

    /** Open Zone with NVMe's rules; see {@link #open(long, boolean, ZoneCommandSet)}. */
    public synchronized List<ZoneChange> open(long slba, boolean selectAll) throws ZoneException {
        return open(slba, selectAll, ZoneCommandSet.NVME);
    }

    /** Open Zone; see the class comment. Returns the zones changed (the opened one, and one implicitly closed). */
    public synchronized List<ZoneChange> open(long slba, boolean selectAll, ZoneCommandSet rules)
            throws ZoneException {
        List<ZoneChange> changes = new ArrayList<>();
        if (selectAll) {
            List<Integer> closed = matching(s -> states[s] == ZoneState.CLOSED);
            if (open + (long) closed.size() > limits.maxOpen()) {
                throw new ZoneException(ZoneError.TOO_MANY_OPEN_ZONES, "opening all " + closed.size()
                        + " closed zones needs that many open resources; " + open + " of " + limits.maxOpen()
                        + " are taken");
            }
            for (int i : closed) {
                Zone before = snapshot(i);
                open++;
                setState(i, ZoneState.EXPLICITLY_OPENED);
                changes.add(change(before, i));
            }
            return changes;
        }
        int i = zoneOfAction(slba);
        Zone before = snapshot(i);
        switch (states[i]) {
            case EMPTY, CLOSED -> acquire(i, true, changes);
            case IMPLICITLY_OPENED, EXPLICITLY_OPENED -> { }
            case FULL -> {
                if (rules == ZoneCommandSet.ZBC) {
                    return changes; // ZBC-2: OPEN ZONE of a Full zone changes nothing
                }
                throw transition("open", i);
            }
            default -> throw unusable("open", i, rules);
        }
        setState(i, ZoneState.EXPLICITLY_OPENED);
        addIfChanged(changes, before, i);
        return changes;
    }

    /** Close Zone with NVMe's rules; see {@link #close(long, boolean, ZoneCommandSet)}. */
    public synchronized List<ZoneChange> close(long slba, boolean selectAll) throws ZoneException {
        return close(slba, selectAll, ZoneCommandSet.NVME);
    }

    /** Close Zone; see the class comment and {@link ZoneCommandSet}. */
    public synchronized List<ZoneChange> close(long slba, boolean selectAll, ZoneCommandSet rules)
            throws ZoneException {
        List<ZoneChange> changes = new ArrayList<>();
        boolean toEmpty = rules == ZoneCommandSet.ZBC;
        if (selectAll) {
            for (int i : matching(s -> states[s].isOpen())) {
                closeOne(i, toEmpty, changes);
            }
            return changes;
        }
        int i = zoneOfAction(slba);
        switch (states[i]) {
            case IMPLICITLY_OPENED, EXPLICITLY_OPENED -> closeOne(i, toEmpty, changes);
            case CLOSED -> { }
            case EMPTY, FULL -> {
                if (rules != ZoneCommandSet.ZBC) {
                    throw transition("close", i);
                } // ZBC-2: CLOSE ZONE of an Empty or Full zone changes nothing
            }
            default -> throw unusable("close", i, rules);
        }
        return changes;
    }

    private void closeOne(int i, boolean unwrittenToEmpty, List<ZoneChange> changes) {
        Zone before = snapshot(i);
        open--;
        if (unwrittenToEmpty && writePointers[i] == geometry.zoneStart(i)) {
            active--;
            setState(i, ZoneState.EMPTY);
        } else {
            setState(i, ZoneState.CLOSED);
        }
        changes.add(change(before, i));
    }

    /** Finish Zone with NVMe's rules; see {@link #finish(long, boolean, ZoneCommandSet)}. */
    public synchronized List<ZoneChange> finish(long slba, boolean selectAll) throws ZoneException {
        return finish(slba, selectAll, ZoneCommandSet.NVME);
    }

    /** Finish Zone; see the class comment. */
    public synchronized List<ZoneChange> finish(long slba, boolean selectAll, ZoneCommandSet rules)
            throws ZoneException {
        List<ZoneChange> changes = new ArrayList<>();
        if (selectAll) {
            for (int i : matching(s -> states[s].isActive())) {
                finishOne(i, changes);
            }
            return changes;
        }
        int i = zoneOfAction(slba);
        switch (states[i]) {
            case EMPTY, IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED -> finishOne(i, changes);
            case FULL -> { }
            default -> throw unusable("finish", i, rules);
        }
        return changes;
    }

    private void finishOne(int i, List<ZoneChange> changes) {
        Zone before = snapshot(i);
        release(i);
        setState(i, ZoneState.FULL);
        writePointers[i] = geometry.zoneStart(i) + geometry.zoneCapacity();
        restartCommitted(i);
        changes.add(change(before, i));
    }

    /** Reset Zone with NVMe's rules; see {@link #reset(long, boolean, ZoneCommandSet)}. */
    public synchronized List<ZoneChange> reset(long slba, boolean selectAll) throws ZoneException {
        return reset(slba, selectAll, ZoneCommandSet.NVME);
    }

    /**
     * Reset Zone; see the class comment. Before completing the command the caller must make every changed zone's
     * {@link ZoneChange#zeroBlocks()} from {@link ZoneChange#zeroStartLba()} read as zeros.
     */
    public synchronized List<ZoneChange> reset(long slba, boolean selectAll, ZoneCommandSet rules)
            throws ZoneException {
        List<ZoneChange> changes = new ArrayList<>();
        if (selectAll) {
            for (int i : matching(s -> states[s].isActive() || states[s] == ZoneState.FULL)) {
                resetOne(i, changes);
            }
            return changes;
        }
        int i = zoneOfAction(slba);
        switch (states[i]) {
            case IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED, FULL -> resetOne(i, changes);
            case EMPTY -> { }
            default -> throw unusable("reset", i, rules);
        }
        return changes;
    }

    private void resetOne(int i, List<ZoneChange> changes) {
        Zone before = snapshot(i);
        release(i);
        setState(i, ZoneState.EMPTY);
        writePointers[i] = geometry.zoneStart(i);
        restartCommitted(i);
        changes.add(change(before, i));
    }

    /**
     * The error of an action on a Read Only or Offline zone: NVMe's Invalid Zone State Transition, ZBC's DATA
     * PROTECT (ZONE IS READ ONLY, ZONE IS OFFLINE).
     */
    private ZoneException unusable(String action, int i, ZoneCommandSet rules) {
        if (rules == ZoneCommandSet.ZBC) {
            if (states[i] == ZoneState.READ_ONLY) {
                return new ZoneException(ZoneError.ZONE_IS_READ_ONLY, "cannot " + action + " zone " + i
                        + ": it is read only");
            }
            if (states[i] == ZoneState.OFFLINE) {
                return new ZoneException(ZoneError.ZONE_IS_OFFLINE, "cannot " + action + " zone " + i
                        + ": it is offline");
            }
        }
        return transition(action, i);
    }

    /** Offline Zone; see the class comment. */
    public synchronized List<ZoneChange> offline(long slba, boolean selectAll) throws ZoneException {
        List<ZoneChange> changes = new ArrayList<>();
        if (selectAll) {
            for (int i : matching(s -> states[s] == ZoneState.READ_ONLY)) {
                offlineOne(i, changes);
            }
            return changes;
        }
        int i = zoneOfAction(slba);
        switch (states[i]) {
            case READ_ONLY -> offlineOne(i, changes);
            case OFFLINE -> { }
            default -> throw transition("offline", i);
        }
        return changes;
    }

    private void offlineOne(int i, List<ZoneChange> changes) {
        Zone before = snapshot(i);
        setState(i, ZoneState.OFFLINE);
        changes.add(change(before, i));
    }

    /**
     * Makes zone {@code index} Read Only (a media fault; for tests and fault injection), freeing its resources. The
     * write pointer stays where it was. No change if it is already Read Only or Offline.
     */
    public synchronized List<ZoneChange> setReadOnly(int index) {
        geometry.zoneStart(index); // range check
        if (states[index] == ZoneState.READ_ONLY || states[index] == ZoneState.OFFLINE) {
            return List.of();
        }
        Zone before = snapshot(index);
        release(index);
        setState(index, ZoneState.READ_ONLY);
        return List.of(change(before, index));
    }

    private int zoneOfAction(long slba) throws ZoneException {
        if (slba < 0 || slba >= geometry.totalBlocks()) {
            throw new ZoneException(ZoneError.LBA_OUT_OF_RANGE, "zone action SLBA " + slba + " is outside the "
                    + geometry.totalBlocks() + " blocks of the namespace");
        }
        if (!geometry.isZoneStart(slba)) {
            throw new ZoneException(ZoneError.INVALID_FIELD, "zone action SLBA " + slba + " is not a zone start");
        }
        return geometry.zoneIndex(slba);
    }

    private ZoneException transition(String action, int i) {
        return new ZoneException(ZoneError.INVALID_ZONE_STATE_TRANSITION, "cannot " + action + " zone " + i + " in state "
                + states[i]);
    }

    private List<Integer> matching(IntPredicate p) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < states.length; i++) {
            if (p.test(i)) {
                out.add(i);
            }
        }
        return out;
    }

    private void addIfChanged(List<ZoneChange> changes, Zone before, int i) {
        Zone after = snapshot(i);
        if (!after.equals(before)) {
            changes.add(change(before, i));
        }
    }

    private Zone snapshot(int i) {
        return new Zone(i, states[i], geometry.zoneStart(i), geometry.zoneCapacity(), writePointers[i]);
    }

    // ---------------------------------------------------------------- zone management receive

    /**
     * Report Zones from the zone holding {@code startLba}: at most {@code maxZones} zones matching {@code filter}.
     * The Number of Zones is the count of all matching zones from there on, or, with {@code partial}, of those
     * returned.
     */
    public synchronized ZoneReport report(long startLba, ReportFilter filter, boolean partial, int maxZones)
            throws ZoneException {
        if (startLba < 0 || startLba >= geometry.totalBlocks()) {
            throw new ZoneException(ZoneError.LBA_OUT_OF_RANGE, "report start LBA " + startLba + " is outside the "
                    + geometry.totalBlocks() + " blocks of the namespace");
        }
        if (maxZones < 0) {
            throw new IllegalArgumentException("maxZones must not be negative, was " + maxZones);
        }
        List<Zone> out = new ArrayList<>();
        long matching = 0;
        for (int i = geometry.zoneIndex(startLba); i < states.length; i++) {
            if (filter.matches(states[i])) {
                matching++;
                if (out.size() < maxZones) {
                    out.add(snapshot(i));
                }
            }
        }
        return new ZoneReport(partial ? out.size() : matching, out);
    }
}
