package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.ScsiStatusException;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.CopyResults;
import org.copyoffload.protocol.scsi.CopyResults.CopyManagerStatus;
import org.copyoffload.protocol.scsi.CopyResults.CopyStatus;
import org.copyoffload.protocol.scsi.DeviceIdentification;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ListIdUsage;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseKey;
import org.copyoffload.protocol.scsi.StandardInquiryData;
import org.copyoffload.protocol.scsi.ThirdPartyCopyVpdPage;
import org.copyoffload.protocol.scsi.VpdPage;

/**
 * A logical unit of an iSCSI target, as a base device whose driver offloads copies the way the proposal's SCSI disk
 * part would: EXTENDED COPY (LID1, SPC-4 6.4) between logical units of the one target the session reaches (inside
 * one unit, or between two of the same logical block length), sent to the destination unit. Source and destination
 * are named by identification CSCD descriptors (E4h, SPC-4 6.4.5.2) carrying each unit's NAA designator from its
 * Device Identification page; the data is described by block to block segment descriptors (02h, SPC-4 6.4.6.5),
 * split within the copy manager's operating parameters (RECEIVE COPY RESULTS OPERATING PARAMETERS, SPC-4 6.18.4) and
 * any lower caps of the host ({@link HostLimits}).
 *
 * <p>A failed EXTENDED COPY tells how far it got through RECEIVE COPY RESULTS COPY STATUS (SPC-4 6.18.2) under its
 * list identifier: the segments processed, checked against the transfer count and, for COPY ABORTED, against the
 * segment number in the sense data's COMMAND-SPECIFIC INFORMATION. Only those whole segments are reported copied;
 * when the status cannot be had, or does not belong to the failed command, nothing of that command is.
 *
 * <p>READ (16) and WRITE (16) move the data of the fallback, split by the unit's MAXIMUM TRANSFER LENGTH (Block
 * Limits, SBC-4 6.6.4) or, where it reports none, the session's MaxBurstLength.
 */
public final class IscsiLunDevice implements CopyCapableDevice {
    /** LIST IDENTIFIER of EXTENDED COPY (LID1) is one byte. */
    static final int LIST_IDENTIFIERS = 256;
    /** BLOCK DEVICE NUMBER OF BLOCKS of a 02h segment descriptor is 16 bits (SPC-4 Table 119). */
    static final long MAX_SEGMENT_BLOCKS = 0xFFFF;
    private static final int EXTENDED_COPY_LID1 = OperationCode.ExtendedCopy.LID1.code();
    private static final int COPY_STATUS = OperationCode.ReceiveCopyResults.COPY_STATUS.code();
    private static final int OPERATING_PARAMETERS = OperationCode.ReceiveCopyResults.OPERATING_PARAMETERS.code();
    private static final int PAGE_ALLOCATION = 1024;
    /** The largest single READ or WRITE this device sends, whatever the unit allows: buffers stay reasonable. */
    private static final int MAX_TRANSFER_CAP = 8 << 20;
    /** List identifiers are allocated per session: each EXTENDED COPY in flight on it has its own. */
    private static final Map<IscsiSession, ListIds> LIST_IDS = Collections.synchronizedMap(new WeakHashMap<>());

    private final IscsiSession session;
    private final int lun;
    private final String name;
    private final int blockSize;
    private final long size;
    private final int maxTransferBytes;
    private final HostLimits hostLimits;
    /** The unit's NAA designator (logical unit association), the one CSCD descriptors name it by; null if none. */
    private final byte[] naa;
    /** The copy manager's operating parameters; null when it does not copy. */
    private final CopyManagerLimits copyLimits;
    /** Whether RECEIVE COPY RESULTS COPY STATUS (84h/00h) is supported, so a failed copy can say how far it got. */
    private final boolean copyStatus;
    /** Why this unit cannot be the destination (or source) of an EXTENDED COPY; null when it can. */
    private final String noCopy;

    /**
     * Caps the host puts below what the target reports, as Linux lets a queue's copy_max_bytes be set below
     * copy_max_hw_bytes: the bytes one EXTENDED COPY carries, and the bytes of one segment descriptor.
     */
    public record HostLimits(long maxCopyBytes, long maxSegmentBytes) {
        public static final HostLimits NONE = new HostLimits(Long.MAX_VALUE, Long.MAX_VALUE);

        public HostLimits {
            if (maxCopyBytes <= 0 || maxSegmentBytes <= 0) {
                throw new IllegalArgumentException("host copy limits must be positive: " + maxCopyBytes + " bytes per"
                        + " command, " + maxSegmentBytes + " per segment");
            }
        }
    }

    private IscsiLunDevice(IscsiSession session, int lun, IscsiSession.Capacity capacity, int maxTransferBytes,
                           HostLimits hostLimits, byte[] naa, CopyManagerLimits copyLimits, boolean copyStatus,
                           String noCopy) {
        this.session = session;
        this.lun = lun;
        this.name = "iSCSI " + session.options().targetName() + " LUN " + lun;
        this.blockSize = capacity.blockLength();
        this.size = capacity.bytes();
        this.maxTransferBytes = maxTransferBytes;
        this.hostLimits = hostLimits;
        this.naa = naa;
        this.copyLimits = copyLimits;
        this.copyStatus = copyStatus;
        this.noCopy = noCopy;
    }

    /** Logical unit {@code lun} of the session's target, with the target's own limits. */
    public static IscsiLunDevice open(IscsiSession session, int lun) {
        return open(session, lun, HostLimits.NONE);
    }

    /**
     * Logical unit {@code lun} of the session's target: READ CAPACITY (16), standard INQUIRY, the VPD pages it has
     * of Device Identification (83h), Third-party Copy (8Fh) and Block Limits (B0h), and RECEIVE COPY RESULTS
     * OPERATING PARAMETERS where the Third-party Copy page lists it. Blocking; not on the session's event loop.
     *
     * @throws IllegalArgumentException if the unit is not a direct access block device
     */
    public static IscsiLunDevice open(IscsiSession session, int lun, HostLimits hostLimits) {
        Objects.requireNonNull(hostLimits, "hostLimits");
        IscsiSession.Capacity capacity = session.readCapacity16(lun);
        byte[] standard = session.inquiry(lun, false, 0, 96);
        if (standard.length < 8 || (standard[0] & 0xFF) != StandardInquiryData.DIRECT_ACCESS_BLOCK_DEVICE) {
            throw new IllegalArgumentException("LUN " + lun + " of " + session.options().targetName()
                    + " is not a direct access block device (peripheral 0x"
                    + (standard.length == 0 ? "?" : Integer.toHexString(standard[0] & 0xFF)) + ")");
        }
        Set<Integer> pages = vpdPages(session, lun);
        int maxTransfer = maxTransferBytes(session, lun, pages, capacity.blockLength());
        byte[] naa = null;
        if (pages.contains(VpdPage.DEVICE_IDENTIFICATION)) {
            naa = DeviceIdentification.logicalUnitNaa(session.inquiry(lun, true, VpdPage.DEVICE_IDENTIFICATION,
                    PAGE_ALLOCATION)).filter(d -> d.length <= ExtendedCopyParameterList.MAX_DESIGNATOR).orElse(null);
        }
        CopyManagerLimits limits = null;
        boolean copyStatus = false;
        String noCopy;
        // 3PC (SPC-4 6.6.2): the unit's copy manager takes EXTENDED COPY at all.
        if ((standard[5] & 0x08) == 0) {
            noCopy = "3PC is clear in the standard INQUIRY data";
        } else if (!pages.contains(VpdPage.THIRD_PARTY_COPY)) {
            noCopy = "no Third-party Copy VPD page (8Fh)";
        } else {
            String why;
            try {
                byte[] page = session.inquiry(lun, true, VpdPage.THIRD_PARTY_COPY, PAGE_ALLOCATION);
                Map<Integer, List<Integer>> commands = ThirdPartyCopyVpdPage.supportedCommands(page, page.length);
                List<Integer> out = commands.getOrDefault(OperationCode.EXTENDED_COPY.code(), List.of());
                List<Integer> in = commands.getOrDefault(OperationCode.RECEIVE_COPY_RESULTS.code(), List.of());
                copyStatus = in.contains(COPY_STATUS);
                if (!out.contains(EXTENDED_COPY_LID1)) {
                    why = "the Third-party Copy page lists no EXTENDED COPY (LID1) among " + commands;
                } else if (!in.contains(OPERATING_PARAMETERS)) {
                    why = "the Third-party Copy page lists no RECEIVE COPY RESULTS OPERATING PARAMETERS among "
                            + commands;
                } else {
                    limits = operatingParameters(session, lun);
                    why = descriptorsMissing(limits);
                }
            } catch (ScsiStatusException | IllegalArgumentException e) {
                why = e.getMessage();
            }
            noCopy = why != null ? why : naa == null
                    ? "no NAA designator of the logical unit in Device Identification (83h) to name it by" : null;
        }
        return new IscsiLunDevice(session, lun, capacity, maxTransfer, hostLimits, naa, noCopy == null ? limits : null,
                copyStatus, noCopy);
    }

    /** The page codes of Supported VPD Pages (00h). */
    private static Set<Integer> vpdPages(IscsiSession session, int lun) {
        byte[] p = session.inquiry(lun, true, VpdPage.SUPPORTED_VPD_PAGES, 255);
        Set<Integer> pages = new HashSet<>();
        int end = p.length < 4 ? 0 : Math.min(p.length, 4 + ((p[2] & 0xFF) << 8 | p[3] & 0xFF));
        for (int i = 4; i < end; i++) {
            pages.add(p[i] & 0xFF);
        }
        return pages;
    }

    /**
     * The most bytes per READ or WRITE: MAXIMUM TRANSFER LENGTH of Block Limits (bytes 8-11, in blocks) when
     * reported, else the session's MaxBurstLength; within {@link #MAX_TRANSFER_CAP}, whole blocks, at least one.
     */
    private static int maxTransferBytes(IscsiSession session, int lun, Set<Integer> pages, int blockSize) {
        long bytes = session.parameters().maxBurstLength();
        if (pages.contains(VpdPage.BLOCK_LIMITS)) {
            byte[] b = session.inquiry(lun, true, VpdPage.BLOCK_LIMITS, 64);
            if (b.length >= 12) {
                long blocks = ((b[8] & 0xFFL) << 24) | (b[9] & 0xFF) << 16 | (b[10] & 0xFF) << 8 | b[11] & 0xFF;
                if (blocks > 0) {
                    bytes = blocks * blockSize;
                }
            }
        }
        long capped = Math.min(bytes, MAX_TRANSFER_CAP) / blockSize * blockSize;
        return (int) Math.max(capped, blockSize);
    }

    private static CopyManagerLimits operatingParameters(IscsiSession session, int lun) {
        byte[] cdb = new ReceiveCopyResultsCdb(OPERATING_PARAMETERS, 0, PAGE_ALLOCATION).encode();
        try (var r = session.run("RECEIVE COPY RESULTS (OPERATING PARAMETERS)", lun, cdb, null, PAGE_ALLOCATION)) {
            byte[] b = ByteBufUtil.getBytes(r.data());
            return CopyResults.OperatingParameters.decode(b, b.length).limits();
        }
    }

    /** Why the implemented descriptor list does not serve this device (it needs E4h and 02h); null if it does. */
    private static String descriptorsMissing(CopyManagerLimits limits) {
        if (!limits.descriptorTypes().contains(ExtendedCopyParameterList.BLOCK_TO_BLOCK_SEGMENT)) {
            return "the copy manager implements no block to block segment descriptor (02h), only "
                    + hex(limits.descriptorTypes());
        }
        if (!limits.descriptorTypes().contains(ExtendedCopyParameterList.IDENTIFICATION_CSCD)) {
            return "the copy manager implements no identification CSCD descriptor (E4h), only "
                    + hex(limits.descriptorTypes());
        }
        return null;
    }

    private static String hex(List<Integer> codes) {
        return codes.stream().map(c -> String.format("%02Xh", c)).toList().toString();
    }

    public IscsiSession session() {
        return session;
    }

    public int lun() {
        return lun;
    }

    /** The copy manager's operating parameters, if it copies. */
    public Optional<CopyManagerLimits> copyLimits() {
        return Optional.ofNullable(copyLimits);
    }

    /** The most bytes one READ (16) or WRITE (16) of this device carries. */
    public int maxTransferBytes() {
        return maxTransferBytes;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    /** Whether {@code other} is reached through the same target: the same session, or the same name and portal. */
    private boolean sameTarget(IscsiLunDevice other) {
        return other.session == session
                || Objects.equals(other.session.options().targetName(), session.options().targetName())
                && other.session.options().address().equals(session.options().address());
    }

    /** Whether {@code other} is this logical unit (perhaps opened through another session to the same target). */
    private boolean sameUnit(IscsiLunDevice other) {
        return other == this || sameTarget(other) && naa != null && Arrays.equals(naa, other.naa);
    }

    @Override
    public Optional<Refusal> refusesCopyFrom(CopyCapableDevice source) {
        if (!(source instanceof IscsiLunDevice src) || !sameTarget(src)) {
            // A copy manager resolves CSCD designators among its own target's logical units only.
            return Optional.of(new Refusal(FallbackReason.DIFFERENT_DEVICES, source.name() + " to " + name
                    + ": not logical units of one target"));
        }
        if (noCopy != null) {
            return Optional.of(new Refusal(FallbackReason.NO_COPY_COMMAND, name + ": " + noCopy));
        }
        if (src.naa == null) {
            return Optional.of(new Refusal(FallbackReason.NO_COPY_COMMAND, src.name
                    + ": no NAA designator to name it by in a CSCD descriptor"));
        }
        if (src.blockSize != blockSize) {
            // A 02h segment's blocks are the source's and the destination's alike (SPC-4 6.4.6.5); ours are whole.
            return Optional.of(new Refusal(FallbackReason.LIMIT, src.name + " has " + src.blockSize + "-byte blocks, "
                    + name + " " + blockSize + ": a block to block segment needs one length"));
        }
        String limit = limitsRefuse(copyLimits, hostLimits, blockSize, sameUnit(src) ? 1 : 2);
        return limit == null ? Optional.empty() : Optional.of(new Refusal(FallbackReason.LIMIT, name + ": " + limit));
    }

    /** Why the operating parameters leave no room for a copy needing {@code cscds} CSCD descriptors; null if none. */
    static String limitsRefuse(CopyManagerLimits limits, HostLimits host, int blockSize, int cscds) {
        if (limits.maxCscdDescriptors() < cscds) {
            return "MAXIMUM CSCD DESCRIPTOR COUNT " + limits.maxCscdDescriptors() + ", " + cscds + " needed";
        }
        if (segmentsPerCommand(limits, cscds) < 1) {
            return "MAXIMUM DESCRIPTOR LIST LENGTH " + limits.maxDescriptorListLength() + " leaves no room for a"
                    + " segment descriptor after " + cscds + " CSCD descriptor(s)";
        }
        if (maxSegmentBlocks(limits, host, blockSize) < 1) {
            return "MAXIMUM SEGMENT LENGTH " + limits.maxSegmentLength() + " (DATA SEGMENT GRANULARITY 2^"
                    + limits.dataSegmentGranularity() + ", host " + host + ") is below one " + blockSize + "-byte block";
        }
        return null;
    }

    /**
     * Segment descriptors per EXTENDED COPY: MAXIMUM SEGMENT DESCRIPTOR COUNT, and what MAXIMUM DESCRIPTOR LIST
     * LENGTH (CSCD and segment descriptors together, SPC-4 6.18.4) holds after the CSCD descriptors.
     */
    static int segmentsPerCommand(CopyManagerLimits limits, int cscds) {
        long room = limits.maxDescriptorListLength() - (long) cscds * ExtendedCopyParameterList.CSCD_LENGTH;
        long fit = room < 0 ? 0 : room / ExtendedCopyParameterList.BLOCK_TO_BLOCK_LENGTH;
        return (int) Math.min(limits.maxSegmentDescriptors(), fit);
    }

    /**
     * Blocks per segment descriptor: MAXIMUM SEGMENT LENGTH, the host's caps and the 16-bit NUMBER OF BLOCKS, in
     * whole units of DATA SEGMENT GRANULARITY where that is coarser than a block.
     */
    static long maxSegmentBlocks(CopyManagerLimits limits, HostLimits host, int blockSize) {
        long bytes = Math.min(limits.maxSegmentLength(), Math.min(host.maxSegmentBytes(), host.maxCopyBytes()));
        long blocks = Math.min(bytes / blockSize, MAX_SEGMENT_BLOCKS);
        int granularity = Math.min(limits.dataSegmentGranularity(), 62);
        long granule = 1L << granularity;
        if (granule > blockSize) {
            long perGranule = granule / blockSize;
            blocks = blocks / perGranule * perGranule;
        }
        return blocks;
    }

    /** One EXTENDED COPY: its segments in order, and the first LBAs and blocks they cover. */
    record Command(List<SegmentDescriptor> segments, long sourceLba, long destinationLba, long blocks) {
        Command {
            segments = List.copyOf(segments);
        }

        /** Blocks of the first {@code n} segments. */
        long blocksOf(int n) {
            long sum = 0;
            for (int i = 0; i < n; i++) {
                sum += segments.get(i).blocks();
            }
            return sum;
        }
    }

    /**
     * The copy of {@code blocks} blocks from {@code sourceLba} to {@code destinationLba} as EXTENDED COPY commands
     * within the limits: segments of at most {@link #maxSegmentBlocks}, at most {@link #segmentsPerCommand} of them
     * and at most the host's bytes per command in one command. With one CSCD descriptor both indexes are 0.
     */
    static List<Command> plan(CopyManagerLimits limits, HostLimits host, int blockSize, int cscds, long sourceLba,
                              long destinationLba, long blocks) {
        String refused = limitsRefuse(limits, host, blockSize, cscds);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        long perSegment = maxSegmentBlocks(limits, host, blockSize);
        int perCommand = segmentsPerCommand(limits, cscds);
        long commandBlocks = Math.min(perSegment * perCommand, host.maxCopyBytes() / blockSize);
        int destinationIndex = cscds == 1 ? 0 : 1;
        List<Command> out = new ArrayList<>();
        long done = 0;
        while (done < blocks) {
            long inCommand = Math.min(blocks - done, commandBlocks);
            List<SegmentDescriptor> segments = new ArrayList<>();
            for (long at = 0; at < inCommand; ) {
                int n = (int) Math.min(inCommand - at, perSegment);
                segments.add(new SegmentDescriptor(false, false, 0, destinationIndex, n, sourceLba + done + at,
                        destinationLba + done + at, 0));
                at += n;
            }
            out.add(new Command(segments, sourceLba + done, destinationLba + done, inCommand));
            done += inCommand;
        }
        return out;
    }

    /** An identification CSCD descriptor naming a block device by its NAA designator (binary, logical unit). */
    private static CscdDescriptor cscd(byte[] naa, int blockSize) {
        return new CscdDescriptor(false, StandardInquiryData.DIRECT_ACCESS_BLOCK_DEVICE, 0,
                DeviceIdentification.Designator.CODE_SET_BINARY,
                DeviceIdentification.Designator.ASSOCIATION_LOGICAL_UNIT, DeviceIdentification.Designator.TYPE_NAA, naa,
                false, blockSize, 0);
    }

    @Override
    public CompletableFuture<Outcome> copyFrom(CopyCapableDevice source, long sourceOffset, long destinationOffset,
                                               long length) {
        List<Command> commands;
        List<CscdDescriptor> cscds;
        try {
            Optional<Refusal> refusal = refusesCopyFrom(source);
            if (refusal.isPresent()) {
                return CompletableFuture.completedFuture(new Outcome(0, refusal.get()));
            }
            IscsiLunDevice src = (IscsiLunDevice) source;
            MappedIo.check(src, sourceOffset, length);
            MappedIo.check(this, destinationOffset, length);
            cscds = sameUnit(src) ? List.of(cscd(naa, blockSize))
                    : List.of(cscd(src.naa, src.blockSize), cscd(naa, blockSize));
            commands = plan(copyLimits, hostLimits, blockSize, cscds.size(), sourceOffset / blockSize,
                    destinationOffset / blockSize, length / blockSize);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return next(cscds, commands, 0, 0);
    }

    /** The commands from {@code index} on, one after the other; {@code copied} bytes are done before it. */
    private CompletableFuture<Outcome> next(List<CscdDescriptor> cscds, List<Command> commands, int index,
                                            long copied) {
        if (index == commands.size()) {
            return CompletableFuture.completedFuture(Outcome.all(copied));
        }
        Command command = commands.get(index);
        ListIds ids = LIST_IDS.computeIfAbsent(session, s -> new ListIds());
        int id = ids.allocate();
        // 10b: the copy manager holds the status under the list identifier for RECEIVE COPY RESULTS; with every
        // identifier taken, 11b holds nothing (LIST IDENTIFIER zero) and a failure tells nothing of its progress.
        ListIdUsage usage = id < 0 ? ListIdUsage.NONE : ListIdUsage.HOLD_NO_DATA;
        byte[] list = new ExtendedCopyParameterList(Math.max(id, 0), false, usage, 0, cscds, command.segments(),
                new byte[0]).encode();
        return session.executeGood("EXTENDED COPY", lun, new ExtendedCopyCdb(list.length).encode(),
                Unpooled.wrappedBuffer(list), 0).handle((r, error) -> {
                    if (error == null) {
                        r.close();
                        ids.free(id);
                        return next(cscds, commands, index + 1, copied + command.blocks() * blockSize);
                    }
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    // The identifier is not handed out again: the copy manager may still hold this command's
                    // status (or, after a lost connection, run it), and a later command refused before the copy
                    // manager took its list would find that status under the identifier as if it were its own.
                    String what = name + ": EXTENDED COPY (list identifier " + (id < 0 ? "none" : id) + ") of "
                            + command.segments().size() + " segment(s), LBA " + command.sourceLba() + " to LBA "
                            + command.destinationLba() + ", " + command.blocks() + " blocks, failed: "
                            + cause.getMessage();
                    if (!(cause instanceof ScsiStatusException failure) || id < 0 || !copyStatus) {
                        return CompletableFuture.completedFuture(new Outcome(copied, new Refusal(
                                FallbackReason.DEVICE_REFUSED, what + (cause instanceof ScsiStatusException ? ""
                                : "; no copy status to be had"))));
                    }
                    return copyStatus(id).handle((status, statusError) -> {
                        int segments = statusError != null ? 0 : segmentsCopied(command, status, failure,
                                blockSize);
                        long bytes = command.blocksOf(segments) * blockSize;
                        String detail = what + "; COPY STATUS " + (statusError != null
                                ? "unavailable: " + statusError.getMessage() : status) + ": " + segments
                                + " segment(s) taken as copied";
                        return new Outcome(copied + bytes, new Refusal(bytes > 0 ? FallbackReason.PARTIAL_COPY
                                : FallbackReason.DEVICE_REFUSED, detail));
                    });
                }).thenCompose(f -> f);
    }

    /** RECEIVE COPY RESULTS with service action COPY STATUS (LID1) for list identifier {@code id}. */
    private CompletableFuture<CopyStatus> copyStatus(int id) {
        int allocation = 64;
        return session.executeGood("RECEIVE COPY RESULTS (COPY STATUS)", lun,
                new ReceiveCopyResultsCdb(COPY_STATUS, id, allocation).encode(), null, allocation).thenApply(r -> {
                    try (r) {
                        byte[] b = ByteBufUtil.getBytes(r.data());
                        return CopyStatus.decode(b, b.length);
                    }
                });
    }

    /**
     * How many of the failed command's segments are certainly in the destination: SEGMENTS PROCESSED of a status
     * that says the copy completed with errors (one in progress or without errors is not this failed command's), no
     * more than COMMAND-SPECIFIC INFORMATION of a COPY ABORTED names (the segment being processed, SPC-4 6.4.5.1),
     * and no more whole segments than TRANSFER COUNT covers.
     */
    static int segmentsCopied(Command command, CopyStatus status, ScsiStatusException failure, int blockSize) {
        if (status.status() != CopyManagerStatus.COMPLETED_WITH_ERRORS) {
            return 0;
        }
        long n = Math.min(Math.max(status.segmentsProcessed(), 0), command.segments().size());
        Optional<SenseData> sense = failure.sense();
        if (sense.isPresent() && sense.get().key() == SenseKey.COPY_ABORTED
                && sense.get().commandSpecific().isPresent()) {
            n = Math.min(n, Math.max(sense.get().commandSpecific().getAsLong(), 0));
        }
        int segments = (int) n;
        while (segments > 0 && command.blocksOf(segments) * blockSize > status.bytesTransferred()) {
            segments--;
        }
        return segments;
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        try {
            MappedIo.check(this, offset, length);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (length <= maxTransferBytes) {
            return session.read16(lun, offset / blockSize, length / blockSize, blockSize);
        }
        List<CompletableFuture<ByteBuf>> parts = new ArrayList<>();
        for (int at = 0; at < length; at += maxTransferBytes) {
            int n = Math.min(maxTransferBytes, length - at);
            parts.add(session.read16(lun, (offset + at) / blockSize, n / blockSize, blockSize));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((v, error) -> {
            if (error != null) {
                parts.forEach(p -> p.thenAccept(ByteBuf::release));
                throw error instanceof RuntimeException r ? r : new CompletionException(error);
            }
            CompositeByteBuf all = Unpooled.compositeBuffer(parts.size());
            for (CompletableFuture<ByteBuf> p : parts) {
                all.addComponent(true, p.join());
            }
            return all;
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        int length = data.readableBytes();
        try {
            MappedIo.check(this, offset, length);
        } catch (RuntimeException e) {
            data.release();
            return CompletableFuture.failedFuture(e);
        }
        if (length <= maxTransferBytes) {
            return session.write16(lun, offset / blockSize, data, blockSize, false);
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int at = 0; at < length; at += maxTransferBytes) {
            int n = Math.min(maxTransferBytes, length - at);
            parts.add(session.write16(lun, (offset + at) / blockSize, data.retainedSlice(data.readerIndex() + at, n),
                    blockSize, false));
        }
        data.release();
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * The LIST IDENTIFIERs of one session's EXTENDED COPY commands (SPC-4 6.4.3.2: one in use by a copy in progress
     * on the I_T nexus may not be given to another). Handed out round robin; one whose command failed is never
     * freed (see {@link #next}), so after many failures a session runs out and copies go without a held status.
     */
    static final class ListIds {
        private final BitSet taken = new BitSet(LIST_IDENTIFIERS);
        private int next;

        /** A free identifier, or -1 if none is. */
        synchronized int allocate() {
            for (int i = 0; i < LIST_IDENTIFIERS; i++) {
                int id = (next + i) % LIST_IDENTIFIERS;
                if (!taken.get(id)) {
                    taken.set(id);
                    next = id + 1;
                    return id;
                }
            }
            return -1;
        }

        synchronized void free(int id) {
            if (id >= 0) {
                taken.clear(id);
            }
        }
    }
}
