package org.copyoffload.server.scsi;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.backends.copy.CopyFailedException;
import org.copyoffload.backends.copy.CopySegment;
import org.copyoffload.backends.zone.Zone;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.backends.zone.ZoneGeometry;
import org.copyoffload.backends.zone.ZoneModel;
import org.copyoffload.backends.zone.ZoneState;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.server.volume.ZonedVolume;

/**
 * Where a third-party copy writes into a logical unit: the one routine every copy segment's data goes through
 * (EXTENDED COPY segments; a token copy's WRITE USING TOKEN ranges too), so that the write pointer rules of a zoned
 * destination hold for all of them.
 *
 * <p>Before any data moves, {@link #checkZoned} walks every write of the whole list into zoned units over a copy of
 * their zones' states and write pointers, as the writes would leave them one after the other: each must be whole
 * blocks, start at its zone's (simulated) write pointer, stay in the zone, and find it neither Full, Read Only nor
 * Offline. A list that would break a rule is refused as a whole. Then {@link #copy} moves each chunk: into a zoned
 * unit it reserves the chunk at the write pointer first ({@link ZonedVolume#reserveWrite}) and completes the
 * reservation after, so a copy that stops part-way (COPY OPERATION ABORT, an I/O error, a zone resource refused)
 * leaves the write pointer where its data ends. Open-zone resources are not simulated: a list that needs more open
 * zones than the unit has stops part-way with INSUFFICIENT ZONE RESOURCES.
 */
final class CopyWrites {
    private CopyWrites() {
    }

    /**
     * A write of {@code bytes} at byte {@code offset} of {@code destination}, for list segment {@code segment}, of
     * data read from byte {@code sourceOffset} of {@code source}.
     */
    record PlannedWrite(int segment, LogicalUnit source, long sourceOffset, LogicalUnit destination, long offset,
                        long bytes) {
    }

    /** Why a planned write into a zoned unit would break its write pointer rules. */
    record Refusal(int segment, AdditionalSense sense, String why) {
    }

    /** The first write of {@code writes} (in list order) that a zoned destination would refuse, if any. */
    static Optional<Refusal> checkZoned(List<PlannedWrite> writes) {
        Map<LogicalUnit, Map<Integer, Zone>> simulated = new HashMap<>();
        for (PlannedWrite w : writes) {
            LogicalUnit u = w.destination();
            if (!u.isZoned() || w.bytes() == 0) {
                continue;
            }
            int bs = u.blockSize();
            if (w.offset() % bs != 0 || w.bytes() % bs != 0) {
                return Optional.of(new Refusal(w.segment(), AdditionalSense.UNALIGNED_WRITE_COMMAND, "a copy into "
                        + u + " writes bytes " + w.offset() + "+" + w.bytes() + ", not whole logical blocks"));
            }
            if (w.source() == u && w.sourceOffset() < w.offset() + w.bytes() && w.offset() < w.sourceOffset() + w.bytes()) {
                // it would read blocks it writes at the write pointer, which a copy in write pointer order cannot
                return Optional.of(new Refusal(w.segment(),
                        AdditionalSense.INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION, "a copy within " + u
                        + " from byte " + w.sourceOffset() + " overlaps what it writes at byte " + w.offset()));
            }
            ZoneGeometry g = u.zones().geometry();
            long lba = w.offset() / bs;
            long blocks = w.bytes() / bs;
            int zone = g.zoneIndex(lba);
            if (g.zoneIndex(lba + blocks - 1) != zone) {
                return Optional.of(new Refusal(w.segment(), AdditionalSense.WRITE_BOUNDARY_VIOLATION, blocks
                        + " blocks at LBA " + lba + " of " + u + " cross the end of zone " + zone));
            }
            Map<Integer, Zone> zones = simulated.computeIfAbsent(u, x -> new HashMap<>());
            Zone z = zones.computeIfAbsent(zone, i -> u.zones().model().zone(i));
            AdditionalSense refused = switch (z.state()) {
                case FULL -> AdditionalSense.INVALID_FIELD_IN_CDB;
                case READ_ONLY -> AdditionalSense.ZONE_IS_READ_ONLY;
                case OFFLINE -> AdditionalSense.ZONE_IS_OFFLINE;
                default -> lba != z.writePointer() ? AdditionalSense.UNALIGNED_WRITE_COMMAND : null;
            };
            if (refused != null) {
                return Optional.of(new Refusal(w.segment(), refused, "a copy into " + u + " writes LBA " + lba
                        + " of zone " + zone + ", which is " + z.state() + " with its write pointer at "
                        + z.writePointer() + " after the list's earlier segments"));
            }
            long wp = lba + blocks;
            zones.put(zone, new Zone(zone, wp == g.zoneStart(zone) + g.zoneCapacity() ? ZoneState.FULL
                    : ZoneState.IMPLICITLY_OPENED, z.startLba(), z.capacity(), wp));
        }
        return Optional.empty();
    }

    /** The ZBC sense of a zone refusal met while a copy runs (the copy manager reports it under COPY ABORTED). */
    static AdditionalSense sense(ZoneException e) {
        return ZonedCommands.checkCondition(e, null).sense().additionalSense()
                .orElse(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE);
    }

    /**
     * Copies {@code n} bytes from byte {@code sourceOffset} of {@code source} to byte {@code destinationOffset} of
     * {@code destination} (not durably: the caller syncs the units it wrote). Into a zoned unit the blocks are first
     * reserved at the write pointer (whole blocks, checked by {@link #checkZoned}).
     *
     * @throws ZoneException when the zoned destination refuses the write (nothing was written)
     */
    static void copy(CopyEngine engine, LogicalUnit source, long sourceOffset, LogicalUnit destination,
                     long destinationOffset, long n) throws CopyFailedException, ZoneException, IOException {
        write(destination, destinationOffset, n, () -> engine.copy(List.of(new CopySegment(source.store(),
                sourceOffset, n)), destination.store(), destinationOffset, false));
    }

    /**
     * Writes {@code n} bytes of zeros at byte {@code offset} of {@code destination} through the store's zeroing path
     * (the block device zero ROD token of WRITE USING TOKEN), at the write pointer of a zoned unit as {@link #copy}.
     *
     * @throws ZoneException when the zoned destination refuses the write (nothing was written)
     */
    static void zero(LogicalUnit destination, long offset, long n) throws ZoneException, IOException {
        write(destination, offset, n, () -> destination.store().writeZeroes(offset, n, true, false));
    }

    private interface StoreWrite {
        void run() throws IOException;
    }

    /** Runs {@code write}, into a zoned unit between a reservation at the write pointer and its completion. */
    private static void write(LogicalUnit destination, long offset, long n, StoreWrite write)
            throws ZoneException, IOException {
        if (!destination.isZoned()) {
            write.run();
            return;
        }
        ZonedVolume zones = destination.zones();
        int bs = destination.blockSize();
        ZoneModel.WriteReservation w = reserve(zones, offset / bs, n / bs);
        boolean done = false;
        try {
            write.run();
            done = true;
        } finally {
            try {
                zones.complete(w, false);
            } catch (IOException e) {
                if (done) {
                    throw e;
                }
            }
        }
    }

    private static ZoneModel.WriteReservation reserve(ZonedVolume zones, long lba, long blocks) throws ZoneException {
        try {
            return zones.reserveWrite(lba, blocks).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof ZoneException z) {
                throw z;
            }
            throw e;
        }
    }
}
