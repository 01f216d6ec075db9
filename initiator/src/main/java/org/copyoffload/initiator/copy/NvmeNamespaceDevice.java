package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.identify.NamespaceIdDescriptor;

/**
 * A namespace of a controller the Java host is connected to, as a base device whose driver offloads copies the way
 * the Linux NVMe driver would: NVMe Copy inside the namespace (descriptor format 0h); across namespaces of the same
 * controller only with format 2h, which needs the controller to report NVMe 2.1 or later and 2h in OCFS, and the host
 * to have enabled 2h in Host Behavior Support (CDFE; {@link #enableCrossNamespaceCopy}). Commands respect MSSRL, MCL
 * and MSRC. A failed Copy's Dword 0 (the number of source ranges copied) tells how far it got.
 */
public final class NvmeNamespaceDevice implements CopyCapableDevice {
    /** NVMe 2.1, as the VS register encodes it. */
    static final int VERSION_2_1 = 0x020100;
    /** Command Set Identifier of the Zoned Namespace command set. */
    static final int CSI_ZONED = 2;
    private static final int FID_HOST_BEHAVIOR = 0x16;
    private static final int HOST_BEHAVIOR_BYTES = 512;

    private final NvmeTcpHost host;
    private final int nsid;
    private final String name;
    private final int blockSize;
    private final long size;
    private final int mssrl;
    private final long mcl;
    private final int msrc;
    private final IdentifyController controller;
    private final boolean zoned;
    /** Blocks per zone of a zoned namespace; commands never cross a zone's end (0: not zoned). */
    private final long zoneBlocks;
    /** Blocks per command at most: the controller's largest transfer (MDTS; 0 in Identify: no limit). */
    private final long maxBlocks;
    private final AtomicInteger nextQueue = new AtomicInteger();

    private NvmeNamespaceDevice(NvmeTcpHost host, int nsid, IdentifyNamespace ns, boolean zoned) {
        this.zoned = zoned;
        this.zoneBlocks = zoned ? zoneSize(host, nsid, ns.nsze()) : 0;
        this.host = host;
        this.nsid = nsid;
        this.controller = host.controller();
        this.name = controller.subnqn() + "/ns" + nsid + " (controller " + host.controllerId() + ")";
        this.blockSize = ns.currentFormat().blockSize();
        long maxTransfer = controller.maxTransferBytes();
        this.maxBlocks = maxTransfer == 0 ? Long.MAX_VALUE : Math.max(1, maxTransfer / blockSize);
        this.size = ns.nsze() * blockSize;
        this.mssrl = ns.mssrl();
        this.mcl = ns.mcl();
        this.msrc = ns.msrc();
    }

    /** The namespace {@code nsid} of the controller {@code host} is connected to (Identify Namespace once). */
    public static NvmeNamespaceDevice open(NvmeTcpHost host, int nsid) {
        return new NvmeNamespaceDevice(host, nsid, host.identifyNamespace(nsid), commandSet(host, nsid) == CSI_ZONED);
    }

    /** Blocks per zone: where the second zone starts, from a Report Zones of the first two. */
    private static long zoneSize(NvmeTcpHost host, int nsid, long nsze) {
        var report = host.reportZones(0, nsid, 0, 64 + 2 * org.copyoffload.protocol.nvme.zns.ZoneDescriptor.SIZE, 0,
                false).join();
        return report.zones().size() < 2 ? nsze : report.zones().get(1).startLba();
    }

    /** The namespace's command set (CSI) from its Namespace Identification Descriptors (CNS 03h); NVM if none. */
    private static int commandSet(NvmeTcpHost host, int nsid) {
        try (Completion c = host.submitAdmin(NvmeCommands.identify(Cns.NAMESPACE_ID_DESCRIPTORS, nsid, 0, 0), null,
                4096).join()) {
            if (!c.isSuccess() || c.data() == null) {
                return 0;
            }
            for (NamespaceIdDescriptor d : NamespaceIdDescriptor.decodeList(c.data())) {
                if (d.type() == NamespaceIdDescriptor.CSI) {
                    return d.id()[0] & 0xFF;
                }
            }
            return 0;
        }
    }

    /** Whether the namespace is zoned (ZNS command set): writes then go to a zone's write pointer, in order. */
    public boolean zoned() {
        return zoned;
    }

    @Override
    public boolean requiresSequentialWrites() {
        return zoned;
    }

    public int nsid() {
        return nsid;
    }

    public NvmeTcpHost host() {
        return host;
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

    /**
     * Enables descriptor format 2h (and 3h where OCFS has it) in Host Behavior Support, keeping the rest of the
     * feature as it is, as a host does that wants to copy across namespaces. Returns the CDFE now in effect.
     */
    public static int enableCrossNamespaceCopy(NvmeTcpHost host) {
        int ocfs = host.controller().ocfs();
        int wanted = 0;
        for (CopyDescriptorFormat f : CopyDescriptorFormat.values()) {
            if (f.requiresHostEnable() && (ocfs & f.ocfsBit()) != 0) {
                wanted |= f.cdfeBit();
            }
        }
        ByteBuf current = hostBehavior(host);
        try {
            int cdfe = current.getUnsignedShortLE(current.readerIndex() + CopyDescriptorFormat.HOST_BEHAVIOR_CDFE_OFFSET);
            if ((cdfe & wanted) == wanted) {
                return cdfe;
            }
            ByteBuf set = Unpooled.buffer(HOST_BEHAVIOR_BYTES);
            set.writeBytes(current, current.readerIndex(), HOST_BEHAVIOR_BYTES);
            set.setShortLE(CopyDescriptorFormat.HOST_BEHAVIOR_CDFE_OFFSET, cdfe | wanted);
            try (Completion c = host.submitAdmin(NvmeCommands.setFeatures(0, FID_HOST_BEHAVIOR, false, 0), set, 0)
                    .join()) {
                if (!c.isSuccess()) {
                    throw new IllegalStateException("Set Features Host Behavior Support failed: " + c.status());
                }
            }
            return cdfe | wanted;
        } finally {
            current.release();
        }
    }

    /** CDFE as the controller has it now (Get Features 16h). */
    static int copyFormatsEnabled(NvmeTcpHost host) {
        ByteBuf b = hostBehavior(host);
        try {
            return b.getUnsignedShortLE(b.readerIndex() + CopyDescriptorFormat.HOST_BEHAVIOR_CDFE_OFFSET);
        } finally {
            b.release();
        }
    }

    private static ByteBuf hostBehavior(NvmeTcpHost host) {
        Completion c = host.submitAdmin(NvmeCommands.getFeatures(0, FID_HOST_BEHAVIOR, 0, 0), null,
                HOST_BEHAVIOR_BYTES).join();
        if (!c.isSuccess() || c.data() == null || c.data().readableBytes() < HOST_BEHAVIOR_BYTES) {
            c.close();
            throw new IllegalStateException("Get Features Host Behavior Support failed: " + c.status());
        }
        return c.data();
    }

    @Override
    public Optional<Refusal> refusesCopyFrom(CopyCapableDevice source) {
        if (!(source instanceof NvmeNamespaceDevice src) || src.host != host) {
            // Copy names namespaces of the controller it is sent to; another controller's are out of its reach.
            return Optional.of(new Refusal(FallbackReason.DIFFERENT_DEVICES, source.name() + " to " + name
                    + ": not the same controller"));
        }
        if ((controller.oncs() & IdentifyController.ONCS_COPY) == 0) {
            return Optional.of(new Refusal(FallbackReason.NO_COPY_COMMAND, name + ": ONCS 0x"
                    + Integer.toHexString(controller.oncs()) + " has no Copy"));
        }
        if (mssrl == 0 || mcl == 0) {
            return Optional.of(new Refusal(FallbackReason.LIMIT, name + ": MSSRL " + mssrl + ", MCL " + mcl));
        }
        if (src.nsid == nsid) {
            if ((controller.ocfs() & CopyDescriptorFormat.FORMAT_0.ocfsBit()) == 0) {
                return Optional.of(new Refusal(FallbackReason.NO_COPY_COMMAND, name + ": OCFS 0x"
                        + Integer.toHexString(controller.ocfs()) + " has no format 0h"));
            }
            return Optional.empty();
        }
        if (src.blockSize != blockSize) {
            return Optional.of(new Refusal(FallbackReason.DIFFERENT_DEVICES, src.name + " has " + src.blockSize
                    + "-byte blocks, " + name + " " + blockSize));
        }
        if (Integer.compareUnsigned(host.version(), VERSION_2_1) < 0
                || (controller.ocfs() & CopyDescriptorFormat.FORMAT_2.ocfsBit()) == 0) {
            return Optional.of(new Refusal(FallbackReason.NO_CROSS_NAMESPACE_FORMAT, String.format(
                    "%s: version %d.%d, OCFS 0x%x: no format 2h", name, host.version() >>> 16,
                    (host.version() >>> 8) & 0xFF, controller.ocfs())));
        }
        if ((copyFormatsEnabled(host) & CopyDescriptorFormat.FORMAT_2.cdfeBit()) == 0) {
            return Optional.of(new Refusal(FallbackReason.FORMAT_NOT_ENABLED, name
                    + ": format 2h not enabled in Host Behavior Support (CDFE)"));
        }
        return Optional.empty();
    }

    @Override
    public CompletableFuture<Outcome> copyFrom(CopyCapableDevice source, long sourceOffset, long destinationOffset,
                                               long length) {
        NvmeNamespaceDevice src = (NvmeNamespaceDevice) source;
        CopyDescriptorFormat format = src.nsid == nsid ? CopyDescriptorFormat.FORMAT_0 : CopyDescriptorFormat.FORMAT_2;
        // A range may not exceed the MSSRL of the namespace it is read from (QEMU and our target check that one, for
        // format 2h too); the destination's is kept as well, for a controller that checks its own.
        int rangeBlocks = Math.min(mssrl, src.mssrl);
        List<Command> commands = commands(format, src.nsid, sourceOffset / blockSize, destinationOffset / blockSize,
                length / blockSize, rangeBlocks);
        return next(commands, 0, 0);
    }

    /** One Copy command: its ranges, where it writes, and the bytes each range carries. */
    private record Command(List<CopySourceRange> ranges, long sdlba, long[] rangeBytes, CopyDescriptorFormat format) {
    }

    /** The copy cut into commands of at most MCL blocks and MSRC + 1 ranges of at most {@code rangeBlocks} each. */
    private List<Command> commands(CopyDescriptorFormat format, int sourceNsid, long slba, long sdlba, long blocks,
                                   int rangeBlocks) {
        List<Command> out = new ArrayList<>();
        long done = 0;
        int maxRanges = msrc + 1;
        while (done < blocks) {
            long inCommand = Math.min(blocks - done, mcl);
            if (zoneBlocks > 0) {
                // A Copy into a zoned namespace may not cross the end of a zone (ZNS 1.1, 3.4.1).
                inCommand = Math.min(inCommand, zoneBlocks - (sdlba + done) % zoneBlocks);
            }
            List<CopySourceRange> ranges = new ArrayList<>();
            List<Long> bytes = new ArrayList<>();
            long at = 0;
            while (at < inCommand && ranges.size() < maxRanges) {
                int n = (int) Math.min(inCommand - at, rangeBlocks);
                ranges.add(format.namesSourceNamespace() ? CopySourceRange.of(format, sourceNsid, slba + done + at, n)
                        : CopySourceRange.of(format, slba + done + at, n));
                bytes.add((long) n * blockSize);
                at += n;
            }
            out.add(new Command(ranges, sdlba + done, bytes.stream().mapToLong(Long::longValue).toArray(), format));
            done += at;
        }
        return out;
    }

    private CompletableFuture<Outcome> next(List<Command> commands, int index, long copied) {
        if (index == commands.size()) {
            return CompletableFuture.completedFuture(Outcome.all(copied));
        }
        Command command = commands.get(index);
        CopyCommand cmd = CopyCommand.builder().nsid(nsid).sdlba(command.sdlba()).descriptorFormat(command.format())
                .ranges(command.ranges().size()).build();
        ByteBuf list = CopySourceRange.encodeList(command.ranges());
        return host.submitIo(queue(), cmd.toSqe(0), list, 0).thenCompose(c -> {
            try (c) {
                if (c.isSuccess()) {
                    long all = 0;
                    for (long b : command.rangeBytes()) {
                        all += b;
                    }
                    return next(commands, index + 1, copied + all);
                }
                // Dword 0 of a failed Copy: the number of source ranges copied before the failure.
                int rangesCopied = Math.min(Math.max(c.dw0(), 0), command.ranges().size());
                long partial = 0;
                for (int r = 0; r < rangesCopied; r++) {
                    partial += command.rangeBytes()[r];
                }
                FallbackReason why = partial > 0 ? FallbackReason.PARTIAL_COPY : FallbackReason.DEVICE_REFUSED;
                return CompletableFuture.completedFuture(new Outcome(copied + partial, new Refusal(why,
                        name + ": Copy of " + command.ranges().size() + " range(s) at LBA " + command.sdlba()
                                + " failed with " + c.status().toStringForIo() + " after " + rangesCopied + " range(s)")));
            }
        });
    }

    private int queue() {
        return Math.floorMod(nextQueue.getAndIncrement(), host.ioQueueCount());
    }

    /** How many of {@code blocks} from {@code slba} one command may carry: at most MDTS, never past a zone's end. */
    private int firstCommandBlocks(long slba, int blocks) {
        long first = Math.min(blocks, maxBlocks);
        return (int) (zoneBlocks == 0 ? first : Math.min(first, zoneBlocks - slba % zoneBlocks));
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        try {
            MappedIo.check(this, offset, length);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long slba = offset / blockSize;
        int blocks = length / blockSize;
        int first = firstCommandBlocks(slba, blocks);
        if (first == blocks) {
            return host.read(queue(), nsid, slba, blocks, blockSize);
        }
        // Reads beyond MDTS are split, and so are reads crossing a zone's end (a controller may refuse them: ZNS RAZB).
        return host.read(queue(), nsid, slba, first, blockSize).thenCompose(head -> read(offset + (long) first
                * blockSize, length - first * blockSize).handle((tail, error) -> {
                    if (error != null) {
                        head.release();
                        throw error instanceof RuntimeException r ? r
                                : new java.util.concurrent.CompletionException(error);
                    }
                    return (ByteBuf) Unpooled.wrappedBuffer(head, tail);
                }));
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        try {
            MappedIo.check(this, offset, data.readableBytes());
        } catch (RuntimeException e) {
            data.release();
            return CompletableFuture.failedFuture(e);
        }
        long slba = offset / blockSize;
        int blocks = data.readableBytes() / blockSize;
        int first = firstCommandBlocks(slba, blocks);
        if (first == blocks) {
            return host.write(queue(), nsid, slba, data, blockSize, false);
        }
        // A write may neither exceed MDTS nor cross a zone's end: the rest follows once the first part is done (in
        // order, as a zone's write pointer needs).
        ByteBuf rest = data.retainedSlice(data.readerIndex() + first * blockSize, (blocks - first) * blockSize);
        ByteBuf head = data.readRetainedSlice(first * blockSize);
        data.release();
        return host.write(queue(), nsid, slba, head, blockSize, false)
                .handle((v, error) -> {
                    if (error != null) {
                        rest.release();
                        throw error instanceof RuntimeException r ? r
                                : new java.util.concurrent.CompletionException(error);
                    }
                    return null;
                })
                .thenCompose(v -> write(offset + (long) first * blockSize, rest));
    }

    @Override
    public String toString() {
        return name;
    }
}
