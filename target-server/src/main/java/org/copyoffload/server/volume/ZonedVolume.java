package org.copyoffload.server.volume;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.zone.ReportFilter;
import org.copyoffload.backends.zone.Zone;
import org.copyoffload.backends.zone.ZoneChange;
import org.copyoffload.backends.zone.ZoneCommandSet;
import org.copyoffload.backends.zone.ZoneError;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.backends.zone.ZoneGeometry;
import org.copyoffload.backends.zone.ZoneLimits;
import org.copyoffload.backends.zone.ZoneMetadataStore;
import org.copyoffload.backends.zone.ZoneModel;
import org.copyoffload.backends.zone.ZoneReport;
import org.copyoffload.backends.zone.ZoneState;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.server.config.ServerConfig;

/**
 * The zones of a zoned volume: its {@link ZoneModel} and {@link ZoneMetadataStore}, used as their comments say.
 *
 * <p>Every model operation and the metadata record of its changes happen under one lock, so records of one zone
 * reach the store in the order of the changes. Records are kept in memory ({@code record(zone, false)}); the only
 * way they reach the disk is {@link #sync()}, which, under the same lock, first makes the data store durable and
 * then flushes the metadata: so the metadata on disk never claims a write pointer above durable data. FUA writes,
 * Flush, zone management actions and controller shutdown call it.
 *
 * <p>Workers hold that lock across fsyncs and a Reset's hole punching, so a network thread must never wait for
 * it: reservations ({@link #reserveWrite}, {@link #reserveAppend}) return a future and are taken in the order of
 * the calls, on the caller's thread when the lock is free and nothing is queued, else by a virtual thread that
 * works through the queue.
 *
 * <p>At open, the blocks of every Empty or Closed zone from its write pointer to the zone end are deallocated
 * (they read as zeros): data of writes whose metadata was lost in a crash never reappears. So a missing metadata
 * file is created only for a volume that holds no data yet; otherwise the open fails before anything is
 * deallocated.
 */
public final class ZonedVolume implements Closeable {
    /** Tries for the lock before a reservation queues behind it ({@link #tryLockBriefly}). */
    private static final int SPINS = 200;

    private final BlockStore store;
    private final ZoneModel model;
    private final ZoneMetadataStore metadata;
    private final boolean crossZoneRead;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a write completes or a zone action settles zones: durable completions wait on it. */
    private final Condition changed = lock.newCondition();
    /** Reservations waiting for the lock, in call order; guarded by itself. */
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
    private boolean draining;

    private ZonedVolume(BlockStore store, ZoneModel model, ZoneMetadataStore metadata, boolean crossZoneRead) {
        this.store = store;
        this.model = model;
        this.metadata = metadata;
        this.crossZoneRead = crossZoneRead;
    }

    /**
     * Opens the metadata next to the volume file (creating it if the volume holds no data) and restores the zones.
     *
     * @throws org.copyoffload.backends.zone.ZoneMetadataException if the metadata is corrupt, does not match the
     *                                                             configuration, or is missing while the volume
     *                                                             file holds data (naming both files)
     */
    public static ZonedVolume open(ServerConfig.Volume config, BlockStore store) throws IOException {
        ServerConfig.Zoned z = config.zoned();
        long zoneBytes = z.zoneSizeBlocks() * config.blockSize();
        ZoneGeometry geometry = new ZoneGeometry(config.blockSize(), z.zoneSizeBlocks(), z.zoneCapacityBlocks(),
                Math.toIntExact(config.size() / zoneBytes));
        ZoneLimits limits = new ZoneLimits(z.maxActive(), z.maxOpen());
        ZoneMetadataStore metadata = ZoneMetadataStore.openOrCreate(config.zonesFile(), geometry, config.file(),
                store);
        try {
            // Where NVMe and ZBC rules differ (Close of an unwritten zone...), each zone action names its command set.
            ZoneModel model = ZoneModel.restore(geometry, limits, metadata.loadedZones());
            for (Zone zone : model.zones()) {
                if (zone.state() == ZoneState.EMPTY || zone.state() == ZoneState.CLOSED) {
                    long end = zone.startLba() + geometry.zoneSize();
                    store.deallocate(zone.writePointer() * geometry.blockSize(),
                            (end - zone.writePointer()) * geometry.blockSize());
                }
            }
            store.flush();
            return new ZonedVolume(store, model, metadata, z.crossZoneRead());
        } catch (IOException | RuntimeException e) {
            metadata.close();
            throw e;
        }
    }

    public ZoneModel model() {
        return model;
    }

    public ZoneGeometry geometry() {
        return model.geometry();
    }

    public ZoneLimits limits() {
        return model.limits();
    }

    /** A model operation that may refuse with a zone error. */
    private interface ZoneCall<T> {
        T call() throws ZoneException;
    }

    /**
     * Reserves a write (Write, Write Zeroes, Copy destination) at the write pointer; see {@link ZoneModel}. The
     * future fails with the {@link ZoneException} of a refusal. Never blocks the caller.
     */
    public CompletableFuture<ZoneModel.WriteReservation> reserveWrite(long slba, long blocks) {
        return inOrder(() -> {
            ZoneModel.WriteReservation r = model.reserveWrite(slba, blocks);
            record(r.changes());
            return r;
        });
    }

    /** Reserves a Zone Append to the zone starting at {@code zslba}, like {@link #reserveWrite}. */
    public CompletableFuture<ZoneModel.WriteReservation> reserveAppend(long zslba, long blocks) {
        return inOrder(() -> {
            ZoneModel.WriteReservation r = model.reserveAppend(zslba, blocks);
            record(r.changes());
            return r;
        });
    }

    /**
     * Runs {@code call} under the lock after every call queued before it: at once when the lock is free and the
     * queue empty (the common case costs no thread hop), else from the queue on a virtual thread.
     */
    private <T> CompletableFuture<T> inOrder(ZoneCall<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable task = () -> {
            try {
                result.complete(call.call());
            } catch (ZoneException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        };
        synchronized (waiting) {
            if (!draining && waiting.isEmpty() && tryLockBriefly()) {
                try {
                    task.run();
                } finally {
                    lock.unlock();
                }
                return result;
            }
            waiting.add(task);
            if (!draining) {
                draining = true;
                Thread.ofVirtual().name("zone-reservations").start(this::drain);
            }
        }
        return result;
    }

    /**
     * The lock, if it comes free within a few hundred spins: another connection's reservation or completion holds it
     * for a microsecond, and queueing behind it costs a virtual thread and two wake-ups (4 KiB Zone Appends at QD 32
     * over two queues ran at 0.78 of plain writes that way). A worker holding it across an fsync or a Reset is not
     * waited for: the spins end long before.
     */
    private boolean tryLockBriefly() {
        for (int i = 0; i < SPINS; i++) {
            if (lock.tryLock()) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private void drain() {
        while (true) {
            Runnable task;
            synchronized (waiting) {
                task = waiting.poll();
                if (task == null) {
                    draining = false;
                    return;
                }
            }
            lock.lock();
            try {
                task.run();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * After the data write of a reservation (also when it failed): advances the committed write pointer, records
     * it, and with {@code durable} makes data and metadata durable before returning. A durable completion first
     * waits for the writes reserved before it in the same zone: until they complete, the committed write pointer
     * (the only one ever recorded) stays below this write, and a crash would lose it although it was acknowledged.
     *
     * @throws IOException when the sync fails, or when earlier writes do not complete within a minute
     */
    public void complete(ZoneModel.WriteReservation r, boolean durable) throws IOException {
        // Spin first: the other connection's reservation or completion holds the lock for a microsecond, and parking
        // for it costs both event loops a futex wake-up (4 KiB Zone Appends over two queues).
        if (!tryLockBriefly()) {
            lock.lock();
        }
        try {
            var snapshot = model.completeWrite(r);
            if (snapshot.isPresent()) {
                metadata.record(snapshot.get(), false);
            }
            changed.signalAll();
            if (durable) {
                awaitCommitted(r);
            }
        } finally {
            lock.unlock();
        }
        if (durable) {
            sync();
        }
    }

    private void awaitCommitted(ZoneModel.WriteReservation r) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (!model.isCommitted(r)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException("writes before LBA " + r.lba() + " in zone " + r.zone()
                        + " did not complete within a minute");
            }
            try {
                changed.awaitNanos(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for earlier writes to zone " + r.zone());
            }
        }
    }

    /**
     * A Zone Management Send action; a Reset deallocates the blocks that held data. The changes are durable
     * before this returns.
     *
     * @throws IllegalArgumentException for Set Zone Descriptor Extension (no extensions)
     */
    public List<ZoneChange> manage(ZoneSendAction action, long slba, boolean selectAll) throws ZoneException, IOException {
        return manage(action, slba, selectAll, ZoneCommandSet.NVME);
    }

    /**
     * A zone action with the rules of {@code rules} (NVMe Zone Management Send or ZBC OUT), as
     * {@link #manage(ZoneSendAction, long, boolean)}.
     *
     * @throws IllegalArgumentException for Set Zone Descriptor Extension, and for Offline with ZBC's rules
     */
    public List<ZoneChange> manage(ZoneSendAction action, long slba, boolean selectAll, ZoneCommandSet rules)
            throws ZoneException, IOException {
        if (action == ZoneSendAction.OFFLINE && rules == ZoneCommandSet.ZBC) {
            throw new IllegalArgumentException("ZBC has no offline zone action");
        }
        List<ZoneChange> changes;
        lock.lock();
        try {
            changes = switch (action) {
                case CLOSE -> model.close(slba, selectAll, rules);
                case FINISH -> model.finish(slba, selectAll, rules);
                case OPEN -> model.open(slba, selectAll, rules);
                case RESET -> model.reset(slba, selectAll, rules);
                case OFFLINE -> model.offline(slba, selectAll);
                case SET_ZONE_DESCRIPTOR_EXTENSION -> throw new IllegalArgumentException("no zone descriptor extensions");
            };
            record(changes);
            changed.signalAll(); // a reset or finish settles durable completions waiting in that zone
            if (action == ZoneSendAction.RESET && !changes.isEmpty()) {
                // The reset must be on disk before its blocks are punched: a crash in between must not leave a
                // zone whose metadata still says Full or Closed over blocks that now read as zeros. (At open, the
                // blocks above the write pointer of an Empty zone are deallocated again.)
                store.flush();
                metadata.flush();
                int bs = geometry().blockSize();
                for (ZoneChange c : changes) {
                    if (c.zeroBlocks() > 0) {
                        store.deallocate(c.zeroStartLba() * bs, c.zeroBlocks() * bs);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        if (!changes.isEmpty()) {
            sync();
        }
        return changes;
    }

    /** Makes zone {@code index} Read Only (a media fault; for tests and fault injection), durably. */
    public void setReadOnly(int index) throws IOException {
        lock.lock();
        try {
            record(model.setReadOnly(index));
        } finally {
            lock.unlock();
        }
        sync();
    }

    public ZoneReport report(long startLba, ReportFilter filter, boolean partial, int maxZones) throws ZoneException {
        return model.report(startLba, filter, partial, maxZones);
    }

    /** Whether reads may cross zone boundaries (OZCS Read Across Zone Boundaries). */
    public boolean crossZoneRead() {
        return crossZoneRead;
    }

    /**
     * Checks a read of {@code blocks} blocks at {@code slba} (in range): no zone boundary crossed unless reads
     * across zones are advertised, and no offline zone among those read.
     */
    public void checkRead(long slba, long blocks) throws ZoneException {
        ZoneGeometry g = geometry();
        int first = g.zoneIndex(slba);
        int last = g.zoneIndex(slba + blocks - 1);
        if (last != first && !crossZoneRead) {
            throw new ZoneException(ZoneError.ZONE_BOUNDARY_ERROR, "read of LBAs " + slba + "+" + blocks
                    + " crosses the end of zone " + first);
        }
        for (int i = first; i <= last; i++) {
            if (model.zone(i).state() == ZoneState.OFFLINE) {
                throw new ZoneException(ZoneError.ZONE_IS_OFFLINE, "zone " + i + " is offline");
            }
        }
    }

    /**
     * Checks a read (in range) where reads are unrestricted (ZBC's URSWRZ = 1: across zones and above write
     * pointers): only an offline zone among those read refuses it.
     */
    public void checkNotOffline(long slba, long blocks) throws ZoneException {
        ZoneGeometry g = geometry();
        int last = g.zoneIndex(slba + blocks - 1);
        for (int i = g.zoneIndex(slba); i <= last; i++) {
            if (model.zone(i).state() == ZoneState.OFFLINE) {
                throw new ZoneException(ZoneError.ZONE_IS_OFFLINE, "zone " + i + " is offline");
            }
        }
    }

    /** Makes the data store durable, then every recorded zone change. */
    public void sync() throws IOException {
        lock.lock();
        try {
            store.flush();
            metadata.flush();
        } finally {
            lock.unlock();
        }
    }

    /** Keeps the snapshots in memory (no I/O happens for a non-durable record). */
    private void record(List<ZoneChange> changes) {
        try {
            metadata.recordAll(changes, false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        try (metadata) {
            store.flush();
        }
    }
}
