package org.copyoffload.server.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import org.copyoffload.backends.zone.Zone;
import org.copyoffload.backends.zone.ZoneCommandSet;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.backends.zone.ZoneGeometry;
import org.copyoffload.backends.zone.ZoneModel;
import org.copyoffload.backends.zone.ZoneState;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CdbField;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ReportZonesData;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneType;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.ZbcOutCdb;
import org.copyoffload.server.volume.ZonedVolume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host managed zoned logical unit (ZBC-2) over a zoned volume: every zone is sequential write required, of the
 * volume's zone size, and the zone states and write pointers are the volume's {@link ZonedVolume}, shared with the
 * NVMe zoned namespaces of the same volume (a write through either moves the one write pointer). ZBC's rules where
 * they differ from NVMe's are {@link ZoneCommandSet#ZBC}'s; a volume whose zone capacity is below its zone size is
 * refused as a logical unit (ZBC-2 has no zone capacity).
 *
 * <p>Reads are unrestricted (URSWRZ = 1 in the B6h page, which Linux requires of host managed devices): across zone
 * boundaries and above write pointers, where blocks read as zeros; only an offline zone refuses them. So READ
 * BOUNDARY VIOLATION (21h/07h) and ATTEMPT TO READ INVALID DATA (21h/06h) are never reported. Writes (WRITE, WRITE
 * AND VERIFY, and EXTENDED COPY segments into the unit) must start at the zone's write pointer and stay in the zone;
 * the checks, in the order of Linux's scsi_debug: a write crossing a zone end is WRITE BOUNDARY VIOLATION (21h/05h),
 * a Full zone INVALID FIELD IN CDB, a Read Only zone DATA PROTECT / ZONE IS READ ONLY (27h/08h), an Offline one
 * DATA PROTECT / ZONE IS OFFLINE (2Ch/0Eh), a write off the write pointer UNALIGNED WRITE COMMAND (21h/04h), and a
 * zone that cannot be opened DATA PROTECT / INSUFFICIENT ZONE RESOURCES (55h/0Eh: every open resource is held by
 * explicitly opened zones; ZBC-2 has no active-zone limit, so a volume's max-active, which the NVMe side
 * advertises, refuses with the same sense). A refused write changes nothing.
 */
final class ZonedCommands {
    private static final Logger log = LoggerFactory.getLogger(ZonedCommands.class);

    private ZonedCommands() {
    }

    /** The CHECK CONDITION of a zone model refusal, as ZBC-2 reports it. */
    static CheckCondition checkCondition(ZoneException e, CdbField zoneIdField) {
        String why = e.getMessage();
        return switch (e.error()) {
            case ZONE_BOUNDARY_ERROR -> new CheckCondition(AdditionalSense.WRITE_BOUNDARY_VIOLATION, why);
            case ZONE_INVALID_WRITE -> new CheckCondition(AdditionalSense.UNALIGNED_WRITE_COMMAND, why);
            case ZONE_IS_FULL -> new CheckCondition(AdditionalSense.INVALID_FIELD_IN_CDB, why);
            case ZONE_IS_READ_ONLY -> new CheckCondition(AdditionalSense.ZONE_IS_READ_ONLY, why);
            case ZONE_IS_OFFLINE -> new CheckCondition(AdditionalSense.ZONE_IS_OFFLINE, why);
            case TOO_MANY_ACTIVE_ZONES, TOO_MANY_OPEN_ZONES ->
                    new CheckCondition(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES, why);
            case LBA_OUT_OF_RANGE -> new CheckCondition(AdditionalSense.LBA_OUT_OF_RANGE, why);
            case INVALID_FIELD, INVALID_ZONE_STATE_TRANSITION -> zoneIdField == null
                    ? new CheckCondition(AdditionalSense.INVALID_FIELD_IN_CDB, why)
                    : new CheckCondition(SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB, zoneIdField.pointer()), why);
        };
    }

    // ---------------------------------------------------------------- reads and writes

    /** A read of an in-range, non-empty LBA range: refused only when it touches an offline zone. */
    static void checkRead(LogicalUnit u, long lba, long blocks) {
        try {
            u.zones().checkNotOffline(lba, blocks);
        } catch (ZoneException e) {
            throw checkCondition(e, null);
        }
    }

    /** The data write of an accepted zoned write (it may read back and compare, as WRITE AND VERIFY does). */
    interface ZonedWork {
        ScsiResponse run() throws IOException;
    }

    /**
     * A write of {@code blocks} (at least one, in range) at {@code lba}: a write that crosses a zone end is refused
     * at once; otherwise the volume reserves it at the write pointer (in submission order, see
     * {@link ZonedVolume#reserveWrite}), {@code work} writes the data on the I/O executor, and the reservation is
     * completed whatever happened (durably when {@code durable} and the work succeeded: data, then metadata).
     */
    static CompletableFuture<ScsiResponse> write(LogicalUnit u, String what, long lba, long blocks, boolean durable,
                                                 ZonedWork work) {
        ZonedVolume zones = u.zones();
        ZoneGeometry g = zones.geometry();
        if (g.zoneIndex(lba) != g.zoneIndex(lba + blocks - 1)) {
            throw new CheckCondition(AdditionalSense.WRITE_BOUNDARY_VIOLATION, what + " crosses the end of zone "
                    + g.zoneIndex(lba));
        }
        return zones.reserveWrite(lba, blocks).handle((w, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof ZoneException z) {
                    CheckCondition c = checkCondition(z, null);
                    log.debug("LUN {}: {}: {}", u.lun(), what, c);
                    return CompletableFuture.completedFuture(ScsiResponse.checkCondition(u.sense(c)));
                }
                throw failure instanceof CompletionException ce ? ce : new CompletionException(failure);
            }
            return u.submit(what, AdditionalSense.WRITE_ERROR, () -> runReserved(zones, w, durable, work));
        }).thenCompose(f -> f);
    }

    private static ScsiResponse runReserved(ZonedVolume zones, ZoneModel.WriteReservation w, boolean durable,
                                            ZonedWork work) throws IOException {
        ScsiResponse response;
        try {
            response = work.run();
        } catch (IOException | RuntimeException e) {
            // the reservation must still complete: later durable writes to the zone wait for it
            try {
                zones.complete(w, false);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        zones.complete(w, durable);
        return response;
    }

    // ---------------------------------------------------------------- REPORT ZONES

    /**
     * REPORT ZONES (ZBC-2): the zones from the one holding ZONE START LBA that match REPORTING OPTIONS, cut to the
     * ALLOCATION LENGTH; ZONE LIST LENGTH counts every matching zone from there, or with PARTIAL only those
     * returned. Every zone here is sequential write required with neither RESET nor NON_SEQ, so the options for
     * inactive, reset-recommended, non-sequential and not-write-pointer zones match none, and "all but gap zones"
     * all. A ZONE START LBA beyond the last LBA is LOGICAL BLOCK ADDRESS OUT OF RANGE.
     */
    static CompletableFuture<ScsiResponse> reportZones(Request r) {
        ReportZonesCdb c = ReportZonesCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        ZonedVolume zones = u.zones();
        ZoneGeometry g = zones.geometry();
        if (Long.compareUnsigned(c.zoneStartLba(), g.totalBlocks()) >= 0) {
            throw new CheckCondition(SenseData.of(AdditionalSense.LBA_OUT_OF_RANGE,
                    ReportZonesCdb.ZONE_START_LBA.pointer()), "ZONE START LBA " + Long.toUnsignedString(c.zoneStartLba())
                    + " is beyond the last LBA " + (g.totalBlocks() - 1));
        }
        Predicate<ZoneState> matches = switch (c.option()) {
            case ALL, ALL_EXCEPT_GAP -> s -> true;
            case EMPTY -> s -> s == ZoneState.EMPTY;
            case IMPLICITLY_OPENED -> s -> s == ZoneState.IMPLICITLY_OPENED;
            case EXPLICITLY_OPENED -> s -> s == ZoneState.EXPLICITLY_OPENED;
            case CLOSED -> s -> s == ZoneState.CLOSED;
            case FULL -> s -> s == ZoneState.FULL;
            case READ_ONLY -> s -> s == ZoneState.READ_ONLY;
            case OFFLINE -> s -> s == ZoneState.OFFLINE;
            case INACTIVE, RESET_WRITE_POINTER_RECOMMENDED, NON_SEQUENTIAL_WRITE_RESOURCES_ACTIVE, NOT_WRITE_POINTER ->
                    s -> false;
        };
        long room = Math.max(0, c.allocationLength() - ReportZonesData.HEADER_LENGTH) / ReportZonesData.DESCRIPTOR_LENGTH;
        List<Zone> all = zones.model().zones(); // one snapshot: the report is consistent
        List<ZoneDescriptor> out = new ArrayList<>();
        long matching = 0;
        for (int i = g.zoneIndex(c.zoneStartLba()); i < all.size(); i++) {
            Zone z = all.get(i);
            if (matches.test(z.state())) {
                matching++;
                if (out.size() < room) {
                    out.add(descriptor(g, z));
                }
            }
        }
        long listLength = (c.partial() ? out.size() : matching) * ReportZonesData.DESCRIPTOR_LENGTH;
        ReportZonesData data = new ReportZonesData(listLength, ReportZonesData.SAME_AS_FIRST, g.totalBlocks() - 1, 0,
                out);
        return Responses.dataIn(data.encode(), c.allocationLength());
    }

    static ZoneDescriptor descriptor(ZoneGeometry g, Zone z) {
        ZoneCondition condition = switch (z.state()) {
            case EMPTY -> ZoneCondition.EMPTY;
            case IMPLICITLY_OPENED -> ZoneCondition.IMPLICITLY_OPENED;
            case EXPLICITLY_OPENED -> ZoneCondition.EXPLICITLY_OPENED;
            case CLOSED -> ZoneCondition.CLOSED;
            case FULL -> ZoneCondition.FULL;
            case READ_ONLY -> ZoneCondition.READ_ONLY;
            case OFFLINE -> ZoneCondition.OFFLINE;
        };
        return new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED, condition, false, false, g.zoneSize(),
                z.startLba(), z.writePointer());
    }

    // ---------------------------------------------------------------- ZBC OUT

    /**
     * CLOSE ZONE, FINISH ZONE, OPEN ZONE, RESET WRITE POINTER (ZBC-2) with {@link ZoneCommandSet#ZBC}'s rules, durable
     * before GOOD. With ALL the ZONE ID is ignored; without, it must be a zone's first LBA (INVALID FIELD IN CDB at
     * ZONE ID; beyond the last LBA: LOGICAL BLOCK ADDRESS OUT OF RANGE). ZONE COUNT above 1 (several zones in one
     * command) is not implemented: INVALID FIELD IN CDB at ZONE COUNT.
     */
    static CompletableFuture<ScsiResponse> zbcOut(Request r) {
        ZbcOutCdb c = ZbcOutCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (!c.all() && c.zones() > 1) {
            throw CheckCondition.invalidField(ZbcOutCdb.ZONE_COUNT, c.zoneCount(),
                    "zone actions on several zones in one command are not implemented");
        }
        ZoneSendAction action = switch (c.action()) {
            case CLOSE_ZONE -> ZoneSendAction.CLOSE;
            case FINISH_ZONE -> ZoneSendAction.FINISH;
            case OPEN_ZONE -> ZoneSendAction.OPEN;
            case RESET_WRITE_POINTER -> ZoneSendAction.RESET;
        };
        if (!c.all() && Long.compareUnsigned(c.zoneId(), u.zones().geometry().totalBlocks()) >= 0) {
            throw new CheckCondition(SenseData.of(AdditionalSense.LBA_OUT_OF_RANGE, ZbcOutCdb.ZONE_ID.pointer()),
                    "ZONE ID " + Long.toUnsignedString(c.zoneId()) + " is beyond the last LBA");
        }
        String what = c.action() + (c.all() ? " ALL" : " of zone " + c.zoneId());
        return u.submit(what, AdditionalSense.WRITE_ERROR, () -> {
            try {
                u.zones().manage(action, c.zoneId(), c.all(), ZoneCommandSet.ZBC);
            } catch (ZoneException e) {
                throw checkCondition(e, ZbcOutCdb.ZONE_ID);
            }
            return ScsiResponse.GOOD;
        });
    }
}
