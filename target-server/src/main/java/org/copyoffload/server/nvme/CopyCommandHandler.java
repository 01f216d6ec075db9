package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.backends.copy.CopyFailedException;
import org.copyoffload.backends.copy.CopySegment;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.backends.zone.ZoneModel;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopyFieldException;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NVMe Copy (NVM Command Set, Copy command; TP4065, TP4130 for formats 2h/3h) carried out inside the target:
 * the data never crosses the network. Fields are checked in the order QEMU's emulation checks them (command
 * fields first, then range by range: source namespace, MSSRL, source bounds, the zone rules for a read
 * when the source is zoned, that range's destination bounds), so where a command has several errors the first found gives QEMU's status. Unlike QEMU, every
 * range is checked before any byte moves, so a rejected Copy changes nothing and completes with Dword 0 = 0
 * (no source range was copied). Only an I/O failure stops a copy part-way; Dword 0 then holds the number
 * of the lowest source range not copied.
 */
final class CopyCommandHandler {
    private static final Logger log = LoggerFactory.getLogger(CopyCommandHandler.class);
    /** A misbehaving peer can send these in floods: at most so many lines per interval, then a count. */
    private static final RateLimitedWarnings REJECTED = RateLimitedWarnings.of(log, "Copy commands rejected");

    private final NvmeTarget target;

    CopyCommandHandler(NvmeTarget target) {
        this.target = target;
    }

    CompletableFuture<CommandResult> execute(NvmeController c, NvmeNamespace destination, NvmeRequest r, boolean durable) {
        CopyCommand cmd = CopyCommand.from(r.sqe());
        NvmeSubsystem subsystem = c.subsystem();
        CopyDescriptorFormat format = CopyDescriptorFormat.lookup(cmd.desfmt()).orElse(null);
        try {
            int supported = subsystem.copyFormatsSupported();
            if (format == null || (supported & format.ocfsBit()) == 0) {
                throw reject(cmd, StatusCode.INVALID_FIELD_IN_COMMAND, "descriptor format " + cmd.desfmt()
                        + " not in OCFS 0x" + Integer.toHexString(supported));
            }
            if (format.requiresHostEnable() && (c.features().copyFormatsEnabled() & format.cdfeBit()) == 0) {
                throw reject(cmd, StatusCode.INVALID_FIELD_IN_COMMAND, "descriptor format " + cmd.desfmt()
                        + " not enabled by the host (Host Behavior Support CDFE)");
            }
            int ranges = cmd.numberOfRanges();
            if (ranges > destination.copyLimits().msrc() + 1) {
                throw reject(cmd, StatusCode.COMMAND_SIZE_LIMIT_EXCEEDED, ranges + " source ranges, MSRC allows "
                        + (destination.copyLimits().msrc() + 1));
            }
            // Formats 0h/2h carry 16-bit guard PI fields (or none), 1h/3h 32/64-bit guard: they must match.
            if (format.hasWideTags() != destination.hasProtectionInformation()) {
                throw reject(cmd, StatusCode.INVALID_FORMAT, "descriptor format " + format.code()
                        + " does not match the namespace's protection information format (none)");
            }
            List<CopySourceRange> list = decode(cmd, r, format, ranges);
            long total = CopySourceRange.totalBlocks(list);
            if (total > destination.copyLimits().mcl()) {
                throw reject(cmd, StatusCode.COMMAND_SIZE_LIMIT_EXCEEDED, total + " blocks, MCL allows "
                        + destination.copyLimits().mcl());
            }
            List<CopySegment> segments = plan(c, cmd, format, destination, list, total);
            long bytes = total * destination.blockSize();
            if (!destination.isZoned()) {
                return CompletableFuture.supplyAsync(() -> copy(cmd, format, destination, segments, bytes, durable, null),
                        target.ioExecutor());
            }
            // A zoned destination is written at its write pointer like a Write of all the blocks (ZNS 1.1, 3.4.1).
            return NvmIoCommands.afterReservation(destination, destination.zones().reserveWrite(cmd.sdlba(), total),
                    zoned -> CompletableFuture.supplyAsync(
                            () -> copy(cmd, format, destination, segments, bytes, durable, zoned), target.ioExecutor()),
                    refused -> target.observer().copied(format.code(), refused, cmd.numberOfRanges(), 0, null));
        } catch (NvmeCommandException e) {
            target.observer().copied(format == null ? -1 : format.code(), e.status(), cmd.numberOfRanges(), 0, null);
            return CompletableFuture.completedFuture(e.result());
        }
    }

    /** The copy, then (for a zoned destination) the completion of its reservation, which must run even on failure. */
    private CommandResult copy(CopyCommand cmd, CopyDescriptorFormat format, NvmeNamespace destination,
                               List<CopySegment> segments, long bytes, boolean durable, ZoneModel.WriteReservation zoned) {
        CommandResult result;
        try {
            result = run(cmd, format, destination, segments, bytes, durable);
        } catch (RuntimeException e) {
            // The zone reservation must still complete: later durable writes to the zone wait for it.
            log.error("Copy into namespace {} failed inside the target", destination.nsid(), e);
            result = CommandResult.error(StatusCode.INTERNAL_ERROR);
        }
        if (zoned != null) {
            try {
                destination.zones().complete(zoned, durable && result.status().isSuccess());
            } catch (java.io.IOException | RuntimeException e) {
                log.error("Copy into zoned namespace {}: zone metadata update failed: {}", destination.nsid(),
                        e.toString());
                return result.status().isSuccess() ? CommandResult.error(StatusCode.WRITE_FAULT) : result;
            }
        }
        return result;
    }

    private static List<CopySourceRange> decode(CopyCommand cmd, NvmeRequest r, CopyDescriptorFormat format, int ranges) {
        ByteBuf data = r.data();
        int needed = CopySourceRange.listLength(format, ranges);
        if (data == null || r.transferLength() < needed) {
            throw reject(cmd, StatusCode.DATA_SGL_LENGTH_INVALID, "source range list needs " + needed
                    + " bytes, the host sent " + r.transferLength());
        }
        try {
            return CopySourceRange.decodeList(data, format, ranges);
        } catch (CopyFieldException e) {
            throw new NvmeCommandException(e.status(), 0, e.getMessage());
        }
    }

    /** Per source range, in order: source namespace, compatibility, MSSRL, source bounds, destination bounds. */
    private static List<CopySegment> plan(NvmeController c, CopyCommand cmd, CopyDescriptorFormat format,
                                          NvmeNamespace destination, List<CopySourceRange> list, long total) {
        List<CopySegment> segments = new ArrayList<>(list.size());
        long sdlba = cmd.sdlba();
        long destinationLba = sdlba;
        for (int i = 0; i < list.size(); i++) {
            CopySourceRange range = list.get(i);
            NvmeNamespace source = destination;
            if (format.namesSourceNamespace() && range.snsid() != destination.nsid()) {
                source = sourceNamespace(c, cmd, range.snsid(), i);
                if (source.blockSize() != destination.blockSize()
                        || source.hasProtectionInformation() != destination.hasProtectionInformation()) {
                    throw reject(cmd, StatusCode.INCOMPATIBLE_NAMESPACE_OR_FORMAT, "range " + i + ": namespace "
                            + source.nsid() + " has " + source.blockSize() + "-byte blocks, namespace "
                            + destination.nsid() + " " + destination.blockSize());
                }
            } else if (format.namesSourceNamespace() && overlaps(range, sdlba, total)) {
                throw reject(cmd, StatusCode.OVERLAPPING_IO_RANGE, "range " + i + " (LBAs " + Long.toUnsignedString(range.slba())
                        + "+" + range.blockCount() + ") overlaps the destination " + Long.toUnsignedString(sdlba) + "+" + total);
            }
            if (range.blockCount() > source.copyLimits().mssrl()) {
                throw reject(cmd, StatusCode.COMMAND_SIZE_LIMIT_EXCEEDED, "range " + i + " has " + range.blockCount()
                        + " blocks, MSSRL of namespace " + source.nsid() + " allows " + source.copyLimits().mssrl());
            }
            if (outOfRange(range.slba(), range.blockCount(), source)) {
                throw reject(cmd, StatusCode.LBA_OUT_OF_RANGE, "range " + i + " (LBAs " + Long.toUnsignedString(range.slba())
                        + "+" + range.blockCount() + ") beyond namespace " + source.nsid() + " of " + source.blockCount()
                        + " blocks");
            }
            if (source.isZoned()) {
                // A source on a zoned namespace is read like a Read: within one zone, not offline (QEMU does the same).
                checkZonedSource(cmd, source, range, i);
            }
            if (outOfRange(destinationLba, range.blockCount(), destination)) {
                throw reject(cmd, StatusCode.LBA_OUT_OF_RANGE, "range " + i + ": destination LBAs "
                        + Long.toUnsignedString(destinationLba) + "+" + range.blockCount() + " beyond namespace "
                        + destination.nsid() + " of " + destination.blockCount() + " blocks");
            }
            segments.add(new CopySegment(source.volume().store(), range.slba() * source.blockSize(),
                    (long) range.blockCount() * source.blockSize()));
            destinationLba += range.blockCount();
        }
        return segments;
    }

    private static void checkZonedSource(CopyCommand cmd, NvmeNamespace source, CopySourceRange range, int index) {
        try {
            source.zones().checkRead(range.slba(), range.blockCount());
        } catch (ZoneException e) {
            throw reject(cmd, NvmIoCommands.status(e.error()), "range " + index + " in namespace " + source.nsid()
                    + ": " + e.getMessage());
        }
    }

    private static NvmeNamespace sourceNamespace(NvmeController c, CopyCommand cmd, int snsid, int index) {
        if (snsid == 0 || snsid == 0xFFFFFFFF || Integer.compareUnsigned(snsid, c.subsystem().maxNsid()) > 0) {
            throw reject(cmd, StatusCode.INVALID_NAMESPACE_OR_FORMAT, "range " + index + ": SNSID "
                    + Integer.toUnsignedString(snsid) + " is not a valid NSID");
        }
        NvmeNamespace ns = c.subsystem().namespace(snsid);
        if (ns == null) {
            throw reject(cmd, StatusCode.INVALID_FIELD_IN_COMMAND, "range " + index + ": namespace " + snsid
                    + " is not attached");
        }
        return ns;
    }

    private static boolean overlaps(CopySourceRange range, long sdlba, long total) {
        long end = range.slba() + range.blockCount();
        return Long.compareUnsigned(range.slba(), sdlba + total) < 0 && Long.compareUnsigned(sdlba, end) < 0;
    }

    private static boolean outOfRange(long slba, long blocks, NvmeNamespace ns) {
        return slba < 0 || slba >= ns.blockCount() || blocks > ns.blockCount() - slba;
    }

    private CommandResult run(CopyCommand cmd, CopyDescriptorFormat format, NvmeNamespace destination,
                              List<CopySegment> segments, long bytes, boolean durable) {
        try {
            CopyEngine.Plan plan = target.copyEngine().copy(segments, destination.volume().store(),
                    cmd.sdlba() * destination.blockSize(), durable);
            target.observer().copied(format.code(), NvmeStatus.SUCCESS, segments.size(), bytes, plan);
            return CommandResult.SUCCESS;
        } catch (CopyFailedException e) {
            log.error("Copy into namespace {} at LBA {} failed after {} of {} ranges: {}", destination.nsid(),
                    Long.toUnsignedString(cmd.sdlba()), e.segmentsCopied(), segments.size(), e.getCause().toString());
            NvmeStatus status = StatusCode.WRITE_FAULT.status();
            target.observer().copied(format.code(), status, segments.size(), 0, null);
            return new CommandResult(status, e.segmentsCopied(), 0, null);
        }
    }

    private static NvmeCommandException reject(CopyCommand cmd, StatusCode code, String reason) {
        REJECTED.warn("Copy to namespace {} rejected: {} ({})", Integer.toUnsignedString(cmd.nsid()), reason, code);
        return new NvmeCommandException(code, reason);
    }
}
