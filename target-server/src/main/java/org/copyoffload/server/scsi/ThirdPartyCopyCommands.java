package org.copyoffload.server.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.copyoffload.backends.zone.ZoneException;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.CopyOperationAbortCdb;
import org.copyoffload.protocol.scsi.CopyResults;
import org.copyoffload.protocol.scsi.CopyResults.FailedSegmentDetails;
import org.copyoffload.protocol.scsi.DeviceIdentification.Designator;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ByteOffsetSegmentDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ByteRanges;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.Segment;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseKey;
import org.copyoffload.protocol.scsi.ThirdPartyCopyVpdPage;

/**
 * SCSI third-party copy inside the target: EXTENDED COPY (LID1) and (LID4) with identification CSCD descriptors
 * (E4h) and block to block segments (02h, and 0Ah with byte offsets), RECEIVE COPY RESULTS / STATUS (COPY STATUS,
 * OPERATING PARAMETERS, FAILED SEGMENT DETAILS, and the LID4 COPY STATUS and COPY DATA), COPY OPERATION ABORT and
 * the Third-party Copy VPD page (SPC-4 6.3, 6.4, 6.18, 7.8.17). The data never crosses the network: each segment is
 * {@link org.copyoffload.backends.copy.CopyEngine} copies, copy_file_range between the volumes' files, in chunks of
 * {@link #CHUNK_BYTES} so an abort takes effect within one chunk and RECEIVE COPY STATUS sees bytes move.
 *
 * <p>The parameter list is checked on the caller's thread; everything it can be refused for is ILLEGAL REQUEST and
 * nothing has been copied. Then the segments are processed in order on the I/O executor (SPC-4 6.4.4: as if each
 * were a READ then a WRITE, so a segment sees what earlier ones wrote). A segment is resolved only when its turn
 * comes: a CSCD index past the list, a designator naming no logical unit of this target, a NUL or non-block CSCD,
 * different logical block lengths, or a range beyond a logical unit stop the copy there with COPY ABORTED, the
 * number of that segment (which is also the number of segments processed) in COMMAND-SPECIFIC INFORMATION (SPC-4
 * 6.4.5.1); segments before it stay copied.
 *
 * <p>A range beyond the logical unit is reported as COPY TARGET DEVICE NOT REACHABLE (0Dh/02h): libiscsi's
 * ExtendedCopy.ValidSegDescr accepts COPY ABORTED only with 00h/00h, 08h/04h or 0Dh/02h, and LIO reports 0Dh/02h for
 * what it finds while processing segments. A store I/O error is THIRD PARTY DEVICE FAILURE (0Dh/01h).
 *
 * <p>Designators resolve only among this target's logical units: an I_T nexus exists only for an initiator the
 * target's ACL admitted, and it may reach every logical unit of that target, none of another (LIO's CVE-2020-28374
 * was a lookup across every target of the host).
 */
final class ThirdPartyCopyCommands {
    /** SPC-4 Table 107 / 108: the descriptor type codes implemented, segment descriptors first. */
    static final List<Integer> DESCRIPTOR_TYPES = List.of(ExtendedCopyParameterList.BLOCK_TO_BLOCK_SEGMENT,
            ExtendedCopyParameterList.BLOCK_TO_BLOCK_OFFSET_SEGMENT, ExtendedCopyParameterList.IDENTIFICATION_CSCD);
    static final int MAX_CSCD_DESCRIPTORS = 64;
    static final int MAX_SEGMENT_DESCRIPTORS = 64;
    /** MAXIMUM SEGMENT LENGTH: 64 MiB, so 64 segments move 4 GiB and libiscsi's Large runs on a 128 MiB unit. */
    static final long MAX_SEGMENT_BYTES = 64L << 20;
    /**
     * The copy moves this much between checks for COPY OPERATION ABORT and status updates: one copy_file_range run
     * per segment of the maximum length, a few per second on a disk, so an abort waits well under a second.
     */
    static final long CHUNK_BYTES = MAX_SEGMENT_BYTES;

    private ThirdPartyCopyCommands() {
    }

    /**
     * The copy manager's limits for these logical units: 64 CSCD and 64 segment descriptors (MAXIMUM DESCRIPTOR LIST
     * LENGTH is what they take at 32 bytes each, the larger segment form); MAXIMUM SEGMENT LENGTH 64 MiB; no inline
     * or held data; DATA SEGMENT GRANULARITY the smallest block. The concurrency fields say 255, the most the
     * one-byte field holds: copies are not counted, the I/O executor runs every one.
     */
    static CopyManagerLimits limits(Collection<LogicalUnit> units) {
        int smallest = units.stream().mapToInt(LogicalUnit::blockSize).min().orElse(512);
        return new CopyManagerLimits(MAX_CSCD_DESCRIPTORS, MAX_SEGMENT_DESCRIPTORS,
                (long) MAX_CSCD_DESCRIPTORS * ExtendedCopyParameterList.CSCD_LENGTH
                        + (long) MAX_SEGMENT_DESCRIPTORS * ExtendedCopyParameterList.BLOCK_TO_BLOCK_OFFSET_LENGTH,
                MAX_SEGMENT_BYTES, 0, 255, 255, Integer.numberOfTrailingZeros(smallest), 0, 0, DESCRIPTOR_TYPES);
    }

    /** The Third-party Copy VPD page: the commands and service actions in the command table, and the limits. */
    static ThirdPartyCopyVpdPage vpdPage(ScsiTarget target) {
        Map<Integer, List<Integer>> commands = new java.util.TreeMap<>();
        for (CommandTable.Entry e : target.commands().entries()) {
            if (e.opcode() == OperationCode.EXTENDED_COPY || e.opcode() == OperationCode.RECEIVE_COPY_RESULTS) {
                commands.computeIfAbsent(e.opcode().code(), k -> new ArrayList<>())
                        .add(e.serviceAction().orElseThrow());
            }
        }
        return new ThirdPartyCopyVpdPage(commands, target.copyLimits(), Optional.of(target.rodTokenLimits()));
    }

    // ---------------------------------------------------------------- EXTENDED COPY (LID1, LID4)

    /**
     * EXTENDED COPY (LID1) or (LID4). A PARAMETER LIST LENGTH of zero is GOOD with nothing done (SPC-4 6.4.1). With
     * LIST ID USAGE 00b or 10b the list identifier is held for RECEIVE COPY RESULTS / STATUS, and one still in
     * progress on the same nexus is OPERATION IN PROGRESS with the field pointer at LIST IDENTIFIER (SPC-4 6.4.3.2);
     * with 11b nothing is held. LID4's IMMED is GOOD once the list is accepted, the copy going on in the background
     * (which needs a held list identifier to be observed: IMMED with 11b is INVALID FIELD IN PARAMETER LIST).
     */
    static CompletableFuture<ScsiResponse> extendedCopy(Request r) {
        ExtendedCopyCdb c = ExtendedCopyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.parameterListLength() == 0) {
            return Responses.GOOD;
        }
        int length = (int) Math.min(c.parameterListLength(), r.dataOutLength());
        byte[] data = length == 0 ? new byte[0] : r.dataOutBytes(length);
        boolean lid4 = c.serviceAction() == OperationCode.ExtendedCopy.LID4;
        ExtendedCopyParameterList list = lid4 ? ExtendedCopyParameterList.decodeLid4(data, length,
                r.target().copyLimits()) : ExtendedCopyParameterList.decode(data, length, r.target().copyLimits());
        if (list.immediate() && !list.listIdUsage().held()) {
            throw CheckCondition.invalidParameter("IMMED", 15, 0, 1,
                    "a copy in the background needs a held list identifier (LIST ID USAGE 11b)");
        }
        ConcurrentHashMap<Long, CopyStatusRecord> held = list.listIdUsage().held() ? u.copies(r.nexus()) : null;
        CopyStatusRecord start = CopyStatusRecord.started(c.serviceAction().code(), list.immediate());
        if (held != null) {
            CopyStatusRecord before = held.get(list.listIdentifier());
            boolean taken = before == null
                    ? held.putIfAbsent(list.listIdentifier(), start) != null
                    : before.inProgress() || !held.replace(list.listIdentifier(), before, start);
            if (taken) {
                throw new CheckCondition(SenseData.of(AdditionalSense.OPERATION_IN_PROGRESS,
                        SenseData.FieldPointer.parameter(list.format().listIdentifierOffset(), 7)), "LIST IDENTIFIER "
                        + list.listIdentifier() + " is in use by a copy in progress on this I_T nexus");
            }
        }
        Copy copy = new Copy(r.target(), u, list, held, start);
        return u.submitCopy(r.nexus(), r.command().tag(), "EXTENDED COPY of " + list.segments().size()
                + " segments (list " + list.listIdentifier() + ")", list.immediate(), start.abort(), copy::run, () -> {
                    if (held != null) {
                        held.remove(list.listIdentifier(), start);
                    }
                });
    }

    /** One EXTENDED COPY being processed: its segments in order, and its status for RECEIVE COPY RESULTS. */
    private static final class Copy {
        private final ScsiTarget target;
        private final LogicalUnit unit;
        private final ExtendedCopyParameterList list;
        private final ConcurrentHashMap<Long, CopyStatusRecord> held;
        private CopyStatusRecord status;

        Copy(ScsiTarget target, LogicalUnit unit, ExtendedCopyParameterList list,
             ConcurrentHashMap<Long, CopyStatusRecord> held, CopyStatusRecord start) {
            this.target = target;
            this.unit = unit;
            this.list = list;
            this.held = held;
            this.status = start;
        }

        private void publish(CopyStatusRecord next) {
            status = next;
            if (held != null) {
                held.put(list.listIdentifier(), next);
            }
        }

        ScsiResponse run() {
            String sa = list.format().name().toLowerCase(java.util.Locale.ROOT);
            try {
                ScsiResponse response = process();
                target.copyObserver().extendedCopy(sa, response.status() == ScsiStatus.GOOD ? "good" : "aborted",
                        status.bytes());
                return response;
            } catch (CheckCondition c) {
                target.copyObserver().extendedCopy(sa, "error", status.bytes());
                throw c;
            } catch (RuntimeException e) {
                // A bug: the response will be INTERNAL TARGET FAILURE; the held status must not stay IN PROGRESS.
                CheckCondition c = new CheckCondition(AdditionalSense.INTERNAL_TARGET_FAILURE, e.toString());
                publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
                target.copyObserver().extendedCopy(sa, "error", status.bytes());
                throw e;
            }
        }

        private ScsiResponse process() {
            Set<LogicalUnit> written = new LinkedHashSet<>();
            List<Segment> segments = list.segments();
            checkZonedDestinations(segments);
            for (int k = 0; k < segments.size(); k++) {
                if (status.abort().get()) {
                    return abortedAt(k);
                }
                Segment s = segments.get(k);
                LogicalUnit source = resolve(s.sourceIndex(), k);
                LogicalUnit destination = resolve(s.destinationIndex(), k);
                if (source.blockSize() != destination.blockSize()) {
                    throw aborted(AdditionalSense.INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION, k, source
                            + " and " + destination + " have different logical block lengths");
                }
                ByteRanges ranges = place(s, source, destination, k);
                if (ranges.length() > 0) {
                    if (!copySegment(source, destination, ranges, k)) {
                        return abortedAt(k);
                    }
                    written.add(destination);
                }
                publish(status.progressed(0));
            }
            // Without FUA in the CDB, the copy is durable exactly when a WRITE would be: WCE = 0 (SBC-4 5.x).
            for (LogicalUnit d : written) {
                if (d.durable(false)) {
                    try {
                        d.syncWrites();
                    } catch (IOException e) {
                        d.mediaErrors.increment();
                        throw aborted(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, segments.size() - 1,
                                "flush of " + d + ": " + e);
                    }
                }
            }
            publish(status.completed());
            return ScsiResponse.GOOD;
        }

        /**
         * Refuses the whole list, before any data moves, when a segment would break the write pointer rules of a
         * zoned destination (see {@link CopyWrites#checkZoned}): COPY ABORTED with the ZBC sense (UNALIGNED WRITE
         * COMMAND, WRITE BOUNDARY VIOLATION, ZONE IS READ ONLY...) and the segment in COMMAND-SPECIFIC
         * INFORMATION. Segments whose CSCDs or ranges are wrong in other ways are left to fail in their turn, after
         * the segments before them, as without zoned units.
         */
        private void checkZonedDestinations(List<Segment> segments) {
            List<CopyWrites.PlannedWrite> writes = new ArrayList<>();
            for (int k = 0; k < segments.size(); k++) {
                Segment s = segments.get(k);
                Optional<LogicalUnit> source = lookup(s.sourceIndex());
                Optional<LogicalUnit> destination = lookup(s.destinationIndex());
                if (source.isEmpty() || destination.isEmpty() || !destination.get().isZoned()
                        || source.get().blockSize() != destination.get().blockSize()) {
                    continue;
                }
                LogicalUnit d = destination.get();
                ByteRanges r = s.ranges(source.get().blockSize(), d.blockSize());
                if (r.destination() < 0 || r.source() < 0
                        || !ByteRanges.fits(r.destination(), r.length(), d.blockCount() * d.blockSize())) {
                    continue;
                }
                writes.add(new CopyWrites.PlannedWrite(k, source.get(), r.source(), d, r.destination(), r.length()));
            }
            CopyWrites.checkZoned(writes).ifPresent(refusal -> {
                throw zoneAborted(refusal.sense(), refusal.segment(), refusal.why());
            });
        }

        /** COPY ABORTED with a zone rule's ASC/ASCQ (SPC-4 6.4.5.1: the error's own code under COPY ABORTED). */
        private CheckCondition zoneAborted(AdditionalSense sense, int k, String why) {
            return fail(new SenseData(SenseKey.COPY_ABORTED, sense.asc(), sense.ascq(), OptionalLong.empty(),
                    Optional.empty(), OptionalLong.of(k)), "segment " + k + ": " + why);
        }

        /**
         * The bytes segment {@code k} moves, checked against the units and the limits: a 02h segment longer than
         * MAXIMUM SEGMENT LENGTH (0Ah's is refused with the list) is COPY ABORTED with the field pointer at NUMBER
         * OF BLOCKS; a 0Ah byte offset not inside its logical block, or a NUMBER OF BYTES that is not a multiple of
         * DATA SEGMENT GRANULARITY, is COPY SEGMENT GRANULARITY VIOLATION; a range past a unit's end, COPY TARGET
         * DEVICE NOT REACHABLE. A 0Ah range may start and end inside a block: the copy writes only its bytes, the
         * rest of those blocks stays as it was (the files are copied by byte).
         */
        private ByteRanges place(Segment s, LogicalUnit source, LogicalUnit destination, int k) {
            int bs = source.blockSize();
            ByteRanges ranges = s.ranges(bs, destination.blockSize());
            switch (s) {
                case SegmentDescriptor b2b -> {
                    if (ranges.length() > target.copyLimits().maxSegmentLength()) {
                        // INVALID FIELD IN PARAMETER LIST's code under COPY ABORTED: earlier segments are copied.
                        throw fail(new SenseData(SenseKey.COPY_ABORTED, 0x26, 0x00, OptionalLong.empty(),
                                Optional.of(SenseData.FieldPointer.parameter(b2b.offset()
                                        + SegmentDescriptor.NUMBER_OF_BLOCKS, 7)), OptionalLong.of(k)), "segment " + k
                                + ": " + b2b.blocks() + " blocks exceed MAXIMUM SEGMENT LENGTH "
                                + target.copyLimits().maxSegmentLength());
                    }
                }
                case ByteOffsetSegmentDescriptor off -> {
                    long granule = 1L << target.copyLimits().dataSegmentGranularity();
                    if (off.sourceByteOffset() >= bs || off.destinationByteOffset() >= destination.blockSize()
                            || off.bytes() % granule != 0) {
                        throw aborted(AdditionalSense.COPY_SEGMENT_GRANULARITY_VIOLATION, k, "byte offsets "
                                + off.sourceByteOffset() + " / " + off.destinationByteOffset() + " must be inside a "
                                + bs + "-byte block and NUMBER OF BYTES " + off.bytes() + " a multiple of " + granule);
                    }
                }
            }
            if (!ByteRanges.fits(ranges.source(), ranges.length(), source.blockCount() * bs)
                    || !ByteRanges.fits(ranges.destination(), ranges.length(),
                    destination.blockCount() * destination.blockSize())) {
                throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, ranges.length()
                        + " bytes from " + describe(s) + " of " + source + " to " + destination
                        + " reach past the end of a logical unit");
            }
            return ranges;
        }

        private static String describe(Segment s) {
            return switch (s) {
                case SegmentDescriptor b -> "LBA " + Long.toUnsignedString(b.sourceLba()) + " to LBA "
                        + Long.toUnsignedString(b.destinationLba());
                case ByteOffsetSegmentDescriptor o -> "LBA " + Long.toUnsignedString(o.sourceLba()) + "+"
                        + o.sourceByteOffset() + " to LBA " + Long.toUnsignedString(o.destinationLba()) + "+"
                        + o.destinationByteOffset();
            };
        }

        /** Copies one segment (see {@link #copyBytes}); false if COPY OPERATION ABORT stopped it between chunks. */
        private boolean copySegment(LogicalUnit source, LogicalUnit destination, ByteRanges r, int k) {
            try {
                return copyBytes(target, source, destination, r, status.abort(), n -> publish(status.moved(n)));
            } catch (ZoneException e) {
                throw zoneAborted(CopyWrites.sense(e), k, "copy into " + destination + ": " + e.getMessage());
            } catch (IOException e) {
                destination.mediaErrors.increment();
                throw aborted(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, k, "copy from " + source + " to "
                        + destination + ": " + e.getMessage());
            }
        }

        /** COPY OPERATION ABORT stopped the copy before segment {@code k} finished: TASK ABORTED (FreeBSD CTL's). */
        private ScsiResponse abortedAt(int k) {
            publish(status.aborted());
            return ScsiResponse.status(ScsiStatus.TASK_ABORTED);
        }

        /**
         * The logical unit CSCD descriptor {@code index} names, for segment {@code k}: any logical unit of this
         * target whose Device Identification page has the descriptor's designator (SPC-4 6.4.5.2). RELATIVE
         * INITIATOR PORT IDENTIFIER and DISK BLOCK LENGTH are not evaluated: every port reaches every logical unit,
         * and the logical unit's own block length is the one used.
         */
        private LogicalUnit resolve(int index, int k) {
            if (index >= list.cscds().size()) {
                throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, "CSCD descriptor index " + index
                        + " past the " + list.cscds().size() + " descriptors");
            }
            CscdDescriptor d = list.cscds().get(index);
            if (d.nul()) {
                throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, "CSCD " + index
                        + " is a null device");
            }
            if (d.peripheralDeviceType() != 0 && d.peripheralDeviceType() != 0x14) {
                throw aborted(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE, k, "CSCD " + index
                        + " has peripheral device type " + d.peripheralDeviceType()
                        + ", a block segment needs 00h (or 14h, a host managed zoned unit)");
            }
            Optional<LogicalUnit> found = lookup(index);
            if (found.isPresent()) {
                LogicalUnit u = found.get();
                if (d.peripheralDeviceType() != InquiryCommands.peripheral(u)) {
                    throw aborted(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE, k, "CSCD " + index
                            + " has peripheral device type " + d.peripheralDeviceType() + " but names " + u
                            + " of type " + InquiryCommands.peripheral(u));
                }
                return u;
            }
            throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, "CSCD " + index + " (" + d
                    + ") names no logical unit of this target");
        }

        /** The logical unit CSCD descriptor {@code index} names, if any (no checks, no status change). */
        private Optional<LogicalUnit> lookup(int index) {
            if (index >= list.cscds().size()) {
                return Optional.empty();
            }
            CscdDescriptor d = list.cscds().get(index);
            if (d.nul()) {
                return Optional.empty();
            }
            for (LogicalUnit u : target.units()) {
                for (Designator designator : InquiryCommands.logicalUnitDesignators(u)) {
                    if (d.names(designator)) {
                        return Optional.of(u);
                    }
                }
            }
            return Optional.empty();
        }

        /** COPY ABORTED for segment {@code k}, recorded for FAILED SEGMENT DETAILS and RECEIVE COPY STATUS. */
        private CheckCondition aborted(AdditionalSense sense, int k, String why) {
            return fail(SenseData.withCommandSpecific(sense, k), "segment " + k + ": " + why);
        }

        private CheckCondition fail(SenseData sense, String why) {
            CheckCondition c = new CheckCondition(sense, why);
            publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
            return c;
        }
    }

    // ---------------------------------------------------------------- the destination-write routine

    /**
     * Moves {@code r.length()} bytes from {@code source} to {@code destination} for every copy command of the copy
     * manager (EXTENDED COPY segments, WRITE USING TOKEN): under the range locks of the blocks it touches, ROD tokens
     * representing destination blocks revoked first, in chunks of {@link #CHUNK_BYTES}, each reported to
     * {@code moved}; false if {@code abort} was set between chunks. Overlapping ranges on one unit are copied as
     * memmove does: chunks from the end when the destination lies after the source, so no chunk reads what an
     * earlier one wrote (the engine makes each chunk itself overlap-safe). A zoned destination is written in write
     * pointer order, each chunk reserved at the write pointer ({@link CopyWrites#copy}; callers have refused an
     * overlap with {@link CopyWrites#checkZoned} before any data moved), so a copy that stops part-way leaves the
     * write pointer where its data ends.
     *
     * @throws ZoneException when the zoned destination refuses a chunk (the chunks before it stay written)
     * @throws IOException   when the store fails
     */
    static boolean copyBytes(ScsiTarget target, LogicalUnit source, LogicalUnit destination, ByteRanges r,
                             AtomicBoolean abort, LongConsumer moved) throws IOException, ZoneException {
        int sourceBlock = source.blockSize();
        int destinationBlock = destination.blockSize();
        long firstSource = r.source() / sourceBlock;
        long firstDestination = r.destination() / destinationBlock;
        long destinationBlocks = ceil(r.destination() + r.length(), destinationBlock) - firstDestination;
        try (RangeLock.Held _ = source.ranges().acquire(firstSource,
                ceil(r.source() + r.length(), sourceBlock) - firstSource, false);
             RangeLock.Held __ = destination.ranges().acquire(firstDestination, destinationBlocks, false)) {
            destination.written(firstDestination, destinationBlocks);
            boolean backward = source == destination && r.destination() > r.source() && !destination.isZoned();
            long chunks = ceil(r.length(), CHUNK_BYTES);
            for (long i = 0; i < chunks; i++) {
                if (abort.get()) {
                    return false;
                }
                long at = (backward ? chunks - 1 - i : i) * CHUNK_BYTES;
                long n = Math.min(CHUNK_BYTES, r.length() - at);
                CopyWrites.copy(target.copyEngine(), source, r.source() + at, destination, r.destination() + at, n);
                moved.accept(n);
            }
        }
        source.blocksRead.add(r.length() / sourceBlock);
        destination.blocksWritten.add(r.length() / destinationBlock);
        return true;
    }

    static long ceil(long n, long unit) {
        return (n + unit - 1) / unit;
    }

    // ---------------------------------------------------------------- COPY OPERATION ABORT

    /**
     * COPY OPERATION ABORT (SPC-4 6.3): a copy this I_T nexus holds under the list identifier and still in progress
     * is told to stop; it does between chunks, ending with TASK ABORTED and RECEIVE COPY STATUS (LID4) showing
     * OPERATION TERMINATED (60h) with what it had copied. A copy that has already completed is left as it is
     * (GOOD); a list identifier this nexus does not hold is INVALID FIELD IN CDB at LIST IDENTIFIER.
     */
    static CompletableFuture<ScsiResponse> copyOperationAbort(Request r) {
        CopyOperationAbortCdb c = CopyOperationAbortCdb.decode(r.cdb());
        CopyStatusRecord record = held(r, c.listIdentifier(), CopyOperationAbortCdb.LIST_IDENTIFIER);
        if (record.inProgress()) {
            record.abort().set(true);
        }
        return Responses.GOOD;
    }

    private static CopyStatusRecord held(Request r, long listId, org.copyoffload.protocol.scsi.CdbField field) {
        return Optional.ofNullable(r.unit().copies(r.nexus()).get(listId)).orElseThrow(() ->
                CheckCondition.invalidField(field, listId,
                        "no EXTENDED COPY with this list identifier is held for this I_T nexus"));
    }

    // ---------------------------------------------------------------- RECEIVE COPY RESULTS / STATUS

    /**
     * RECEIVE COPY RESULTS and RECEIVE COPY STATUS (84h). OPERATING PARAMETERS ignores LIST IDENTIFIER; every other
     * service action for a list identifier this nexus holds none of is INVALID FIELD IN CDB at LIST IDENTIFIER
     * (libiscsi's ReceiveCopyResults.CopyStatus asks so before any copy).
     * <ul>
     * <li>COPY STATUS (LID1): status, segments processed and transfer count, the identifier stays held;</li>
     * <li>FAILED SEGMENT DETAILS: of a copy in progress, OPERATION IN PROGRESS; of a failed or aborted copy, its
     * status and sense, after which the identifier is released (SPC-4 6.18.5: the details are discarded once
     * transferred); of a copy without errors, no details;</li>
     * <li>COPY STATUS (LID4): the same counts in 64 bits, the EXTENDED COPY's completion status and sense data; a
     * completed copy's identifier is released with it (as FreeBSD CTL does);</li>
     * <li>COPY DATA (LID4): block to block segments hold no data, so a completed copy returns AVAILABLE DATA zero;
     * one in progress is OPERATION IN PROGRESS.</li>
     * </ul>
     */
    static CompletableFuture<ScsiResponse> receiveCopyResults(Request r) {
        ReceiveCopyResultsCdb c = ReceiveCopyResultsCdb.decode(r.cdb());
        OperationCode.ReceiveCopyResults sa = OperationCode.ReceiveCopyResults.lookup(c.serviceAction())
                .orElseThrow(); // the command table dispatches only these
        if (sa == OperationCode.ReceiveCopyResults.OPERATING_PARAMETERS) {
            return Responses.dataIn(new CopyResults.OperatingParameters(r.target().copyLimits()).encode(),
                    c.allocationLength());
        }
        ConcurrentHashMap<Long, CopyStatusRecord> held = r.unit().copies(r.nexus());
        CopyStatusRecord record = held(r, c.listIdentifier(), ReceiveCopyResultsCdb.listIdentifierField(sa.code()));
        return switch (sa) {
            case COPY_STATUS -> Responses.dataIn(new CopyResults.CopyStatus(record.lid1Status(),
                    record.segmentsProcessed(), record.bytes()).encode(), c.allocationLength());
            case COPY_STATUS_LID4 -> {
                if (!record.inProgress()) {
                    held.remove(c.listIdentifier(), record);
                }
                yield Responses.dataIn(new CopyResults.CopyStatusLid4(record.serviceAction(), record.lid4Status(),
                        record.completionStatus(), record.segmentsProcessed(), record.bytes(),
                        record.failure().map(FailedSegmentDetails::sense).orElse(new byte[0])).encode(),
                        c.allocationLength());
            }
            case COPY_DATA_LID4 -> {
                requireCompleted(record, c.listIdentifier());
                yield Responses.dataIn(CopyResults.noHeldData(), c.allocationLength());
            }
            default -> { // FAILED SEGMENT DETAILS
                requireCompleted(record, c.listIdentifier());
                if (record.failure().isEmpty()) {
                    yield Responses.dataIn(FailedSegmentDetails.none(), c.allocationLength());
                }
                held.remove(c.listIdentifier(), record);
                yield Responses.dataIn(record.failure().get().encode(), c.allocationLength());
            }
        };
    }

    private static void requireCompleted(CopyStatusRecord record, long listId) {
        if (record.inProgress()) {
            throw new CheckCondition(AdditionalSense.OPERATION_IN_PROGRESS, "list " + listId
                    + " is still being copied");
        }
    }

}
