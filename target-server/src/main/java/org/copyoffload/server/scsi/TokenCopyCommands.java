package org.copyoffload.server.scsi;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CopyResults.FailedSegmentDetails;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ByteRanges;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PopulateTokenParameters;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.RodManagementTokens;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.RodTokenInformation;
import org.copyoffload.protocol.scsi.RodTokenLimits;
import org.copyoffload.protocol.scsi.RodTokenLimits.SupportedRodType;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseKey;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.WriteUsingTokenParameters;

/**
 * Token-based copy (SBC-4 POPULATE TOKEN, WRITE USING TOKEN; SPC-4 RECEIVE ROD TOKEN INFORMATION), the form Windows ODX and {@code ddpt --odx} (tries to) use:
 * POPULATE TOKEN makes a ROD token for ranges of the logical unit it is sent to ({@link RodTokenRegistry}),
 * RECEIVE ROD TOKEN INFORMATION returns it, WRITE USING TOKEN sent to any logical unit of the same target copies what
 * the token represents (from OFFSET INTO ROD) into its ranges, through the destination-write routine EXTENDED COPY
 * uses ({@link ThirdPartyCopyCommands#copyBytes}), chunked, abortable (COPY OPERATION ABORT, task management) and
 * visible to RECEIVE ROD TOKEN INFORMATION while it runs. The block device zero ROD token writes zeros through the
 * store's zeroing path. List identifiers share the nexus's EXTENDED COPY (LID4) space.
 *
 * <p>A token shorter than the destination ranges (from the offset) fills them as far as it reaches and the command
 * completes GOOD, TRANSFER COUNT telling how many blocks were written (the host continues, as Windows ODX does).
 */
final class TokenCopyCommands {
    static final int MAX_RANGES = 64;
    /** FreeBSD CTL's token lifetimes: 1 s at least, 60 s by default, 600 s at most. */
    static final long MIN_INACTIVITY_TIMEOUT = 1;
    static final long DEFAULT_INACTIVITY_TIMEOUT = 60;
    static final long MAX_INACTIVITY_TIMEOUT = 600;
    /** MAXIMUM TOKEN TRANSFER SIZE: 8 Mi blocks per command (4 GiB of 512-byte blocks, 32 GiB of 4 KiB ones). */
    static final long MAX_TOKEN_TRANSFER_BLOCKS = 1L << 23;
    /** ROD types POPULATE TOKEN accepts with RTV set; each gives a point in time, change vulnerable, token. */
    static final Set<Integer> CREATABLE = Set.of(RodToken.TYPE_POINT_IN_TIME_DEFAULT,
            RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE, RodToken.TYPE_POINT_IN_TIME_ANY);
    /** ESTIMATED STATUS UPDATE DELAY of a copy in progress: about the time of one chunk. */
    static final long STATUS_UPDATE_DELAY_MS = 100;

    private TokenCopyCommands() {
    }

    /**
     * What page 8Fh advertises and the commands enforce: {@link #MAX_RANGES} ranges, the inactivity timeouts, the
     * transfer size; the optimal transfer is one chunk of the copy ({@link ThirdPartyCopyCommands#CHUNK_BYTES}).
     */
    static RodTokenLimits limits(Collection<LogicalUnit> units) {
        int smallest = units.stream().mapToInt(LogicalUnit::blockSize).min().orElse(512);
        return new RodTokenLimits(MAX_RANGES, MIN_INACTIVITY_TIMEOUT, MAX_INACTIVITY_TIMEOUT,
                DEFAULT_INACTIVITY_TIMEOUT, MAX_TOKEN_TRANSFER_BLOCKS, ThirdPartyCopyCommands.CHUNK_BYTES / smallest,
                ThirdPartyCopyCommands.CHUNK_BYTES, List.of(
                new SupportedRodType(RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE, true, true),
                new SupportedRodType(RodToken.TYPE_BLOCK_DEVICE_ZERO, true, false)));
    }

    private static byte[] parameters(Request r, TokenCopyCdb c) {
        int length = (int) Math.min(c.parameterListLength(), r.dataOutLength());
        return length == 0 ? new byte[0] : r.dataOutBytes(length);
    }

    /**
     * The checks both commands make of their range lists (SBC-4 POPULATE TOKEN, WRITE USING TOKEN): more than MAXIMUM RANGES is TOO MANY
     * SEGMENT DESCRIPTORS; a range past the unit, LOGICAL BLOCK ADDRESS OUT OF RANGE; overlapping ranges, INVALID
     * FIELD IN PARAMETER LIST at the later one's LBA; more blocks than MAXIMUM TOKEN TRANSFER SIZE, INVALID FIELD IN
     * PARAMETER LIST at the NUMBER OF LOGICAL BLOCKS that crosses it.
     */
    static void checkRanges(LogicalUnit u, List<BlockDeviceRange> ranges, int first, RodTokenLimits limits) {
        if (ranges.size() > limits.maxRanges()) {
            throw new CheckCondition(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS, ranges.size()
                    + " block device range descriptors, MAXIMUM RANGES is " + limits.maxRanges());
        }
        long total = 0;
        for (int i = 0; i < ranges.size(); i++) {
            BlockDeviceRange range = ranges.get(i);
            u.checkRange(range.lba(), range.blocks());
            total += range.blocks();
            if (total > limits.maxTokenTransferSize()) {
                throw CheckCondition.invalidParameter("NUMBER OF LOGICAL BLOCKS", first + i * BlockDeviceRange.LENGTH
                        + 8, 7, range.blocks(), "the ranges exceed MAXIMUM TOKEN TRANSFER SIZE "
                        + limits.maxTokenTransferSize());
            }
            for (int j = 0; j < i; j++) {
                BlockDeviceRange other = ranges.get(j);
                if (range.blocks() > 0 && other.blocks() > 0 && range.lba() < other.lba() + other.blocks()
                        && other.lba() < range.lba() + range.blocks()) {
                    throw CheckCondition.invalidParameter("LOGICAL BLOCK ADDRESS", first + i * BlockDeviceRange.LENGTH,
                            7, range.lba(), "overlaps range descriptor " + j);
                }
            }
        }
    }

    /**
     * Takes {@code listId} for {@code start} in the nexus's copies; one still in progress is OPERATION IN PROGRESS
     * with the field pointer at the CDB's LIST IDENTIFIER (as EXTENDED COPY does at its parameter list's).
     */
    private static void claim(ConcurrentHashMap<Long, CopyStatusRecord> held, long listId, CopyStatusRecord start) {
        CopyStatusRecord before = held.get(listId);
        boolean taken = before == null ? held.putIfAbsent(listId, start) != null
                : before.inProgress() || !held.replace(listId, before, start);
        if (taken) {
            throw new CheckCondition(SenseData.of(AdditionalSense.OPERATION_IN_PROGRESS,
                    TokenCopyCdb.LIST_IDENTIFIER.pointer()), "LIST IDENTIFIER " + listId
                    + " is in use by a copy in progress on this I_T nexus");
        }
    }

    // ---------------------------------------------------------------- POPULATE TOKEN

    /**
     * POPULATE TOKEN (SBC-4 POPULATE TOKEN): checks the list, makes the token at once (the data stays where it is; writes to it
     * revoke the token), and holds it under LIST IDENTIFIER for RECEIVE ROD TOKEN INFORMATION. INACTIVITY TIMEOUT
     * zero is the default, below the minimum the minimum, above the maximum INVALID FIELD IN PARAMETER LIST; a ROD
     * TYPE (with RTV) other than the point in time types likewise. IMMED changes nothing: the token is made before
     * the command completes either way.
     */
    static CompletableFuture<ScsiResponse> populateToken(Request r) {
        TokenCopyCdb c = TokenCopyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        byte[] data = parameters(r, c);
        PopulateTokenParameters p = PopulateTokenParameters.decode(data, data.length);
        RodTokenLimits limits = r.target().rodTokenLimits();
        if (p.inactivityTimeout() > limits.maxInactivityTimeout()) {
            throw CheckCondition.invalidParameter("INACTIVITY TIMEOUT", PopulateTokenParameters.INACTIVITY_TIMEOUT, 7,
                    p.inactivityTimeout(), "MAXIMUM INACTIVITY TIMEOUT is " + limits.maxInactivityTimeout());
        }
        if (p.rodTypeValid() && !CREATABLE.contains(p.rodType())) {
            throw CheckCondition.invalidParameter("ROD TYPE", PopulateTokenParameters.ROD_TYPE, 7,
                    p.rodType() & 0xFFFF_FFFFL, "POPULATE TOKEN makes point in time tokens only");
        }
        checkRanges(u, p.ranges(), PopulateTokenParameters.HEADER, limits);
        long seconds = p.inactivityTimeout() == 0 ? limits.defaultInactivityTimeout()
                : Math.max(limits.minInactivityTimeout(), p.inactivityTimeout());
        ConcurrentHashMap<Long, CopyStatusRecord> held = u.copies(r.nexus());
        CopyStatusRecord start = CopyStatusRecord.started(OperationCode.ExtendedCopy.POPULATE_TOKEN.code(),
                p.immediate());
        claim(held, c.listIdentifier(), start);
        RodToken token;
        try {
            token = r.target().rodTokens().create(u, p.ranges(), Duration.ofSeconds(seconds));
        } catch (CheckCondition e) {
            held.remove(c.listIdentifier(), start);
            r.target().copyObserver().extendedCopy("populate_token", "error", 0);
            throw e;
        }
        held.put(c.listIdentifier(), start.populated(token, BlockDeviceRange.totalBlocks(p.ranges()) * u.blockSize()));
        r.target().copyObserver().extendedCopy("populate_token", "good", 0);
        return Responses.GOOD;
    }

    // ---------------------------------------------------------------- WRITE USING TOKEN

    /**
     * WRITE USING TOKEN (SBC-4 WRITE USING TOKEN): the list and the token are checked on the caller's thread (a refusal copies
     * nothing): the token must be the block device zero ROD token or a live one of this target
     * ({@link RodTokenRegistry#use}), and the nexus must be allowed to read its source logical unit (a persistent
     * reservation there that would make a READ conflict makes this RESERVATION CONFLICT); OFFSET INTO ROD at or past
     * the blocks the token represents is INVALID FIELD IN PARAMETER LIST. Then the copy runs on the I/O executor;
     * IMMED returns GOOD before it does.
     */
    static CompletableFuture<ScsiResponse> writeUsingToken(Request r) {
        TokenCopyCdb c = TokenCopyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        byte[] data = parameters(r, c);
        WriteUsingTokenParameters w = WriteUsingTokenParameters.decode(data, data.length);
        checkRanges(u, w.ranges(), WriteUsingTokenParameters.HEADER, r.target().rodTokenLimits());
        RodToken token = RodToken.decode(w.rodToken());
        RodTokenRegistry registry = r.target().rodTokens();
        RodTokenRegistry.Entry entry = null;
        List<ByteRanges> pieces;
        if (token.type() == RodToken.TYPE_BLOCK_DEVICE_ZERO) {
            pieces = new ArrayList<>();
            for (BlockDeviceRange d : w.ranges()) {
                if (d.blocks() > 0) {
                    pieces.add(new ByteRanges(0, u.offset(d.lba()), d.blocks() * u.blockSize()));
                }
            }
        } else {
            entry = registry.use(token);
            try {
                entry.source.reservations().check(r.nexus(), OperationCode.EXTENDED_COPY,
                        ReservationAccess.Access.READ);
                pieces = pieces(entry, w.offsetIntoRod(), u, w.ranges());
            } catch (RuntimeException e) {
                registry.used(entry);
                throw e;
            }
        }
        ConcurrentHashMap<Long, CopyStatusRecord> held = u.copies(r.nexus());
        CopyStatusRecord start = CopyStatusRecord.started(OperationCode.ExtendedCopy.WRITE_USING_TOKEN.code(),
                w.immediate());
        try {
            checkZoned(u, entry, pieces);
            claim(held, c.listIdentifier(), start);
        } catch (CheckCondition e) {
            if (entry != null) {
                registry.used(entry);
            }
            throw e;
        }
        WriteUsingToken copy = new WriteUsingToken(r.target(), u, entry, w.deleteToken(), pieces, held,
                c.listIdentifier(), start);
        return u.submitCopy(r.nexus(), r.command().tag(), "WRITE USING TOKEN of " + pieces.size() + " pieces (list "
                + c.listIdentifier() + ")", w.immediate(), start.abort(), copy::run, () -> {
                    held.remove(c.listIdentifier(), start);
                    copy.release();
                });
    }

    /**
     * Into a zoned unit, the whole range list is checked against its write pointers before any data moves, as
     * EXTENDED COPY's list is ({@link CopyWrites#checkZoned}): a range that would break a rule refuses the command
     * with ILLEGAL REQUEST and the ZBC additional sense a WRITE of those blocks would get.
     */
    private static void checkZoned(LogicalUnit u, RodTokenRegistry.Entry entry, List<ByteRanges> pieces) {
        if (!u.isZoned()) {
            return;
        }
        List<CopyWrites.PlannedWrite> planned = new ArrayList<>();
        for (int i = 0; i < pieces.size(); i++) {
            ByteRanges p = pieces.get(i);
            planned.add(new CopyWrites.PlannedWrite(i, entry == null ? null : entry.source, p.source(), u,
                    p.destination(), p.length()));
        }
        CopyWrites.checkZoned(planned).ifPresent(refusal -> {
            throw new CheckCondition(refusal.sense(), "WRITE USING TOKEN, range piece " + refusal.segment() + ": "
                    + refusal.why());
        });
    }

    /**
     * The byte ranges to copy: the token's source ranges from OFFSET INTO ROD (in the destination's logical blocks,
     * SBC-4 WRITE USING TOKEN) laid over the destination ranges in order, until either ends.
     */
    static List<ByteRanges> pieces(RodTokenRegistry.Entry entry, long offsetIntoRod, LogicalUnit destination,
                                   List<BlockDeviceRange> ranges) {
        int bs = destination.blockSize();
        int sourceBlock = entry.source.blockSize();
        if (Long.compareUnsigned(offsetIntoRod, entry.bytes() / bs) >= 0) {
            throw CheckCondition.invalidParameter("OFFSET INTO ROD", WriteUsingTokenParameters.OFFSET_INTO_ROD, 7,
                    offsetIntoRod, "the token represents " + entry.bytes() / bs + " blocks of " + bs + " bytes");
        }
        List<ByteRanges> pieces = new ArrayList<>();
        long skip = offsetIntoRod * bs;
        int s = 0;
        for (BlockDeviceRange d : ranges) {
            long at = destination.offset(d.lba());
            long left = d.blocks() * bs;
            while (left > 0 && s < entry.ranges.size()) {
                BlockDeviceRange source = entry.ranges.get(s);
                long sourceBytes = source.blocks() * sourceBlock;
                if (skip >= sourceBytes) {
                    skip -= sourceBytes;
                    s++;
                    continue;
                }
                long n = Math.min(left, sourceBytes - skip);
                pieces.add(new ByteRanges(source.lba() * sourceBlock + skip, at, n));
                at += n;
                left -= n;
                skip += n;
            }
        }
        return pieces;
    }

    /** One WRITE USING TOKEN being processed, its status held for RECEIVE ROD TOKEN INFORMATION. */
    private static final class WriteUsingToken {
        private final ScsiTarget target;
        private final LogicalUnit unit;
        private final RodTokenRegistry.Entry entry;
        private final boolean deleteToken;
        private final List<ByteRanges> pieces;
        private final ConcurrentHashMap<Long, CopyStatusRecord> held;
        private final long listId;
        private CopyStatusRecord status;
        private boolean released;

        WriteUsingToken(ScsiTarget target, LogicalUnit unit, RodTokenRegistry.Entry entry, boolean deleteToken,
                        List<ByteRanges> pieces, ConcurrentHashMap<Long, CopyStatusRecord> held, long listId,
                        CopyStatusRecord start) {
            this.target = target;
            this.unit = unit;
            this.entry = entry;
            this.deleteToken = deleteToken;
            this.pieces = pieces;
            this.held = held;
            this.listId = listId;
            this.status = start;
        }

        private void publish(CopyStatusRecord next) {
            status = next;
            held.put(listId, next);
        }

        /** The token is no longer used by this command: its timeout starts again, or it is deleted (DEL_TKN). */
        void release() {
            if (entry != null && !released) {
                released = true;
                target.rodTokens().used(entry);
                if (deleteToken) {
                    target.rodTokens().delete(entry);
                }
            }
        }

        ScsiResponse run() {
            try {
                ScsiResponse response = process();
                target.copyObserver().extendedCopy("write_using_token",
                        response.status() == ScsiStatus.GOOD ? "good" : "aborted", status.bytes());
                return response;
            } catch (CheckCondition c) {
                publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
                target.copyObserver().extendedCopy("write_using_token", "error", status.bytes());
                throw c;
            } catch (RuntimeException e) {
                CheckCondition c = new CheckCondition(AdditionalSense.INTERNAL_TARGET_FAILURE, e.toString());
                publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
                target.copyObserver().extendedCopy("write_using_token", "error", status.bytes());
                throw e;
            } finally {
                release();
            }
        }

        private ScsiResponse process() {
            for (ByteRanges piece : pieces) {
                if (status.abort().get()) {
                    return aborted();
                }
                boolean done;
                try {
                    done = entry == null ? zero(piece) : ThirdPartyCopyCommands.copyBytes(target, entry.source, unit,
                            piece, status.abort(), n -> publish(status.moved(n)));
                } catch (ZoneException e) {
                    // Refused part-way (open zone resources, a zone action meanwhile): the write pointer stays where
                    // the data ends, TRANSFER COUNT says how much was written, the sense names the zone rule.
                    AdditionalSense why = CopyWrites.sense(e);
                    throw new CheckCondition(new SenseData(SenseKey.COPY_ABORTED, why.asc(), why.ascq(),
                            OptionalLong.empty(), Optional.empty(), OptionalLong.empty()), "WRITE USING TOKEN into "
                            + unit + ": " + e.getMessage());
                } catch (IOException e) { // CopyFailedException included
                    unit.mediaErrors.increment();
                    throw new CheckCondition(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, "WRITE USING TOKEN into "
                            + unit + ": " + e.getMessage());
                }
                if (!done) {
                    return aborted();
                }
                publish(status.progressed(0));
            }
            if (unit.durable(false) && !pieces.isEmpty()) {
                try {
                    unit.syncWrites();
                } catch (IOException e) {
                    unit.mediaErrors.increment();
                    throw new CheckCondition(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, "flush of " + unit + ": " + e);
                }
            }
            publish(status.completed());
            return ScsiResponse.GOOD;
        }

        /**
         * The block device zero ROD token: zeros through the store's zeroing path (deallocating where it can; the
         * blocks read back as zeros), in chunks under the range lock, tokens of those blocks revoked first.
         */
        private boolean zero(ByteRanges piece) throws IOException, ZoneException {
            int bs = unit.blockSize();
            long first = piece.destination() / bs;
            long blocks = piece.length() / bs;
            try (RangeLock.Held _ = unit.ranges().acquire(first, blocks, false)) {
                unit.written(first, blocks);
                for (long at = 0; at < piece.length(); at += ThirdPartyCopyCommands.CHUNK_BYTES) {
                    if (status.abort().get()) {
                        return false;
                    }
                    long n = Math.min(ThirdPartyCopyCommands.CHUNK_BYTES, piece.length() - at);
                    CopyWrites.zero(unit, piece.destination() + at, n);
                    publish(status.moved(n));
                }
            }
            unit.blocksWritten.add(blocks);
            return true;
        }

        private ScsiResponse aborted() {
            publish(status.aborted());
            return ScsiResponse.status(ScsiStatus.TASK_ABORTED);
        }
    }

    // ---------------------------------------------------------------- RECEIVE ROD TOKEN INFORMATION

    /**
     * RECEIVE ROD TOKEN INFORMATION (SPC-4): the status of the POPULATE TOKEN, WRITE USING TOKEN (or EXTENDED
     * COPY) this nexus sent to this logical unit under LIST IDENTIFIER, with TRANSFER COUNT in this unit's blocks
     * (for POPULATE TOKEN: the blocks the token represents), the sense data it completed with, and the token a
     * POPULATE TOKEN made. A completed operation is released once reported (as FreeBSD CTL does); a list identifier
     * not held is INVALID FIELD IN CDB at LIST IDENTIFIER.
     */
    static CompletableFuture<ScsiResponse> receiveRodTokenInformation(Request r) {
        ReceiveCopyResultsCdb c = ReceiveCopyResultsCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        ConcurrentHashMap<Long, CopyStatusRecord> held = u.copies(r.nexus());
        CopyStatusRecord record = Optional.ofNullable(held.get(c.listIdentifier())).orElseThrow(() ->
                CheckCondition.invalidField(ReceiveCopyResultsCdb.LIST_IDENTIFIER_LID4, c.listIdentifier(),
                        "no copy with this list identifier is held for this I_T nexus"));
        if (!record.inProgress()) {
            held.remove(c.listIdentifier(), record);
        }
        RodTokenInformation info = new RodTokenInformation(record.serviceAction(), record.lid4Status(), 0,
                record.inProgress() ? STATUS_UPDATE_DELAY_MS : 0, record.completionStatus(),
                record.bytes() / u.blockSize(), Math.min(record.segmentsProcessed(), 0xFFFF),
                record.failure().map(FailedSegmentDetails::sense).orElse(new byte[0]), record.token());
        return Responses.dataIn(info.encode(), c.allocationLength());
    }

    // ---------------------------------------------------------------- REPORT ALL ROD TOKENS

    /**
     * REPORT ALL ROD TOKENS (SPC-4, RECEIVE COPY RESULTS service action 08h): a ROD management token (the first 96
     * bytes, no signature: it cannot be used to copy) for every valid token of this target's copy manager, oldest
     * first, whatever logical unit or nexus made it, as FreeBSD CTL reports them; cut to ALLOCATION LENGTH.
     */
    static CompletableFuture<ScsiResponse> reportAllRodTokens(Request r) {
        ReceiveCopyResultsCdb c = ReceiveCopyResultsCdb.decode(r.cdb());
        return Responses.dataIn(RodManagementTokens.of(r.target().rodTokens().live()).encode(), c.allocationLength());
    }
}
