package org.copyoffload.server.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.copyoffload.backends.copy.CopyFailedException;
import org.copyoffload.backends.copy.CopySegment;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.CopyResults;
import org.copyoffload.protocol.scsi.CopyResults.FailedSegmentDetails;
import org.copyoffload.protocol.scsi.DeviceIdentification.Designator;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.ThirdPartyCopyVpdPage;

/**
 * SCSI third-party copy inside the target: EXTENDED COPY (LID1) with identification CSCD descriptors (E4h) and
 * block to block segments (02h), RECEIVE COPY RESULTS (COPY STATUS, OPERATING PARAMETERS, FAILED SEGMENT DETAILS)
 * and the Third-party Copy VPD page (SPC-4 6.4, 6.18, 7.8.17). The data never crosses the network: each segment is
 * one {@link org.copyoffload.backends.copy.CopyEngine} copy, copy_file_range between the volumes' files.
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
 */
final class ThirdPartyCopyCommands {
    /** SPC-4 Table 107 / 108: the descriptor type codes implemented, segment descriptors first. */
    static final List<Integer> DESCRIPTOR_TYPES = List.of(ExtendedCopyParameterList.BLOCK_TO_BLOCK_SEGMENT,
            ExtendedCopyParameterList.IDENTIFICATION_CSCD);
    static final int MAX_CSCD_DESCRIPTORS = 64;
    static final int MAX_SEGMENT_DESCRIPTORS = 64;

    private ThirdPartyCopyCommands() {
    }

    /**
     * The copy manager's limits for these logical units: 64 CSCD and 64 segment descriptors (MAXIMUM DESCRIPTOR LIST
     * LENGTH is what they take); MAXIMUM SEGMENT LENGTH the largest a 02h segment can ask for (65535 blocks of the
     * largest block size), so none is ever refused for its length; no inline or held data; DATA SEGMENT
     * GRANULARITY the smallest block. The concurrency fields say 255, the most the one-byte field holds: copies
     * are not counted, the I/O executor runs every one.
     */
    static CopyManagerLimits limits(Collection<LogicalUnit> units) {
        int largest = units.stream().mapToInt(LogicalUnit::blockSize).max().orElse(512);
        int smallest = units.stream().mapToInt(LogicalUnit::blockSize).min().orElse(512);
        long maxSegment = Math.min(0xFFFF_FFFFL, 0xFFFFL * largest);
        return new CopyManagerLimits(MAX_CSCD_DESCRIPTORS, MAX_SEGMENT_DESCRIPTORS,
                (long) MAX_CSCD_DESCRIPTORS * ExtendedCopyParameterList.CSCD_LENGTH
                        + (long) MAX_SEGMENT_DESCRIPTORS * ExtendedCopyParameterList.BLOCK_TO_BLOCK_LENGTH,
                maxSegment, 0, 255, 255, Integer.numberOfTrailingZeros(smallest), 0, 0, DESCRIPTOR_TYPES);
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
        return new ThirdPartyCopyVpdPage(commands, target.copyLimits());
    }

    // ---------------------------------------------------------------- EXTENDED COPY (LID1)

    /**
     * EXTENDED COPY (LID1). A PARAMETER LIST LENGTH of zero is GOOD with nothing done (SPC-4 6.4.1). With LIST ID
     * USAGE 00b or 10b the list identifier is held for RECEIVE COPY RESULTS, and one still in progress on the same
     * nexus is OPERATION IN PROGRESS (SPC-4 6.4.3.2); with 11b nothing is held.
     */
    static CompletableFuture<ScsiResponse> extendedCopy(Request r) {
        ExtendedCopyCdb c = ExtendedCopyCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        if (c.parameterListLength() == 0) {
            return Responses.GOOD;
        }
        int length = (int) Math.min(c.parameterListLength(), r.dataOutLength());
        ExtendedCopyParameterList list = ExtendedCopyParameterList.decode(
                length == 0 ? new byte[0] : r.dataOutBytes(length), length, r.target().copyLimits());
        ConcurrentHashMap<Integer, CopyStatusRecord> held = list.listIdUsage().held() ? u.copies(r.nexus()) : null;
        if (held != null) {
            CopyStatusRecord before = held.get(list.listIdentifier());
            boolean taken = before == null
                    ? held.putIfAbsent(list.listIdentifier(), CopyStatusRecord.STARTED) != null
                    : before.status() == CopyResults.CopyManagerStatus.IN_PROGRESS
                      || !held.replace(list.listIdentifier(), before, CopyStatusRecord.STARTED);
            if (taken) {
                throw new CheckCondition(SenseData.of(AdditionalSense.OPERATION_IN_PROGRESS,
                        SenseData.FieldPointer.parameter(0, 7)), "LIST IDENTIFIER " + list.listIdentifier()
                        + " is in use by a copy in progress on this I_T nexus");
            }
        }
        Copy copy = new Copy(r.target(), u, list, held);
        CompletableFuture<ScsiResponse> result = u.submit("EXTENDED COPY of " + list.segments().size()
                + " segments (list " + list.listIdentifier() + ")", AdditionalSense.THIRD_PARTY_DEVICE_FAILURE,
                copy::run);
        if (held != null && result.isDone() && result.join().status() == ScsiStatus.BUSY) {
            // The executor refused the copy (shutting down): nothing was done, so nothing is held.
            held.remove(list.listIdentifier(), CopyStatusRecord.STARTED);
        }
        return result;
    }

    /** One EXTENDED COPY being processed: its segments in order, and its status for RECEIVE COPY RESULTS. */
    private static final class Copy {
        private final ScsiTarget target;
        private final LogicalUnit unit;
        private final ExtendedCopyParameterList list;
        private final ConcurrentHashMap<Integer, CopyStatusRecord> held;
        private CopyStatusRecord status = CopyStatusRecord.STARTED;

        Copy(ScsiTarget target, LogicalUnit unit, ExtendedCopyParameterList list,
             ConcurrentHashMap<Integer, CopyStatusRecord> held) {
            this.target = target;
            this.unit = unit;
            this.list = list;
            this.held = held;
        }

        private void publish(CopyStatusRecord next) {
            status = next;
            if (held != null) {
                held.put(list.listIdentifier(), next);
            }
        }

        ScsiResponse run() {
            try {
                return process();
            } catch (CheckCondition c) {
                throw c;
            } catch (RuntimeException e) {
                // A bug: the response will be INTERNAL TARGET FAILURE; the held status must not stay IN PROGRESS.
                CheckCondition c = new CheckCondition(AdditionalSense.INTERNAL_TARGET_FAILURE, e.toString());
                publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
                throw e;
            }
        }

        private ScsiResponse process() {
            Set<LogicalUnit> written = new LinkedHashSet<>();
            List<SegmentDescriptor> segments = list.segments();
            for (int k = 0; k < segments.size(); k++) {
                SegmentDescriptor s = segments.get(k);
                LogicalUnit source = resolve(s.sourceIndex(), k);
                LogicalUnit destination = resolve(s.destinationIndex(), k);
                if (source.blockSize() != destination.blockSize()) {
                    throw aborted(AdditionalSense.INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION, k, source
                            + " and " + destination + " have different logical block lengths");
                }
                long blocks = s.blocks();
                if (!fits(source, s.sourceLba(), blocks) || !fits(destination, s.destinationLba(), blocks)) {
                    throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, blocks + " blocks from LBA "
                            + Long.toUnsignedString(s.sourceLba()) + " of " + source + " to LBA "
                            + Long.toUnsignedString(s.destinationLba()) + " of " + destination
                            + " reach past the end of a logical unit");
                }
                long bytes = blocks * source.blockSize();
                if (blocks > 0) {
                    copySegment(source, s.sourceLba(), destination, s.destinationLba(), blocks, k);
                    written.add(destination);
                }
                publish(status.progressed(bytes));
            }
            // Without FUA in the CDB, the copy is durable exactly when a WRITE would be: WCE = 0 (SBC-4 5.x).
            for (LogicalUnit d : written) {
                if (d.durable(false)) {
                    try {
                        d.store().flush();
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

        private static boolean fits(LogicalUnit u, long lba, long blocks) {
            long capacity = u.blockCount();
            return Long.compareUnsigned(lba, capacity) <= 0 && blocks <= capacity - lba;
        }

        private void copySegment(LogicalUnit source, long sourceLba, LogicalUnit destination, long destinationLba,
                                 long blocks, int k) {
            int bs = source.blockSize();
            try (RangeLock.Held _ = source.ranges().acquire(sourceLba, blocks, false);
                 RangeLock.Held __ = destination.ranges().acquire(destinationLba, blocks, false)) {
                target.copyEngine().copy(List.of(new CopySegment(source.store(), source.offset(sourceLba),
                        blocks * bs)), destination.store(), destination.offset(destinationLba), false);
            } catch (CopyFailedException e) {
                destination.mediaErrors.increment();
                throw aborted(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, k, "copy from " + source + " to "
                        + destination + ": " + e.getMessage());
            }
            source.blocksRead.add(blocks);
            destination.blocksWritten.add(blocks);
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
            if (d.peripheralDeviceType() != 0) {
                throw aborted(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE, k, "CSCD " + index
                        + " has peripheral device type " + d.peripheralDeviceType() + ", a 02h segment needs 00h");
            }
            for (LogicalUnit u : target.units()) {
                for (Designator designator : InquiryCommands.logicalUnitDesignators(u)) {
                    if (d.names(designator)) {
                        return u;
                    }
                }
            }
            throw aborted(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, k, "CSCD " + index + " (" + d
                    + ") names no logical unit of this target");
        }

        /** COPY ABORTED for segment {@code k}, recorded for FAILED SEGMENT DETAILS. */
        private CheckCondition aborted(AdditionalSense sense, int k, String why) {
            CheckCondition c = new CheckCondition(SenseData.withCommandSpecific(sense, k), "segment " + k + ": "
                    + why);
            publish(status.failed(new FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, unit.sense(c))));
            return c;
        }
    }

    // ---------------------------------------------------------------- RECEIVE COPY RESULTS

    /**
     * RECEIVE COPY RESULTS. OPERATING PARAMETERS ignores LIST IDENTIFIER; COPY STATUS and FAILED SEGMENT DETAILS
     * for a list identifier this nexus holds none of are INVALID FIELD IN CDB at LIST IDENTIFIER (libiscsi's
     * ReceiveCopyResults.CopyStatus asks so before any copy). FAILED SEGMENT DETAILS of a copy still in progress is
     * OPERATION IN PROGRESS; of a failed copy, its status and sense, after which the list identifier is released
     * (SPC-4 6.18.5: the details are discarded once transferred); of a copy without errors, no details.
     */
    static CompletableFuture<ScsiResponse> receiveCopyResults(Request r) {
        ReceiveCopyResultsCdb c = ReceiveCopyResultsCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        OperationCode.ReceiveCopyResults sa = OperationCode.ReceiveCopyResults.lookup(c.serviceAction())
                .orElseThrow(); // the command table dispatches only these
        if (sa == OperationCode.ReceiveCopyResults.OPERATING_PARAMETERS) {
            return Responses.dataIn(new CopyResults.OperatingParameters(r.target().copyLimits()).encode(),
                    c.allocationLength());
        }
        ConcurrentHashMap<Integer, CopyStatusRecord> held = u.copies(r.nexus());
        CopyStatusRecord record = Optional.ofNullable(held.get(c.listIdentifier())).orElseThrow(() ->
                CheckCondition.invalidField(ReceiveCopyResultsCdb.LIST_IDENTIFIER, c.listIdentifier(),
                        "no EXTENDED COPY with this list identifier is held for this I_T nexus"));
        if (sa == OperationCode.ReceiveCopyResults.COPY_STATUS) {
            return Responses.dataIn(new CopyResults.CopyStatus(record.status(), record.segmentsProcessed(),
                    record.bytes()).encode(), c.allocationLength());
        }
        if (record.status() == CopyResults.CopyManagerStatus.IN_PROGRESS) {
            throw new CheckCondition(AdditionalSense.OPERATION_IN_PROGRESS, "list " + c.listIdentifier()
                    + " is still being copied");
        }
        if (record.failure().isEmpty()) {
            return Responses.dataIn(FailedSegmentDetails.none(), c.allocationLength());
        }
        held.remove(c.listIdentifier(), record);
        return Responses.dataIn(record.failure().get().encode(), c.allocationLength());
    }
}
