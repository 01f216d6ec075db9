package org.copyoffload.initiator.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.zns.ZoneDescriptor;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneReport;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;

/**
 * Garbage collection of a log-structured writer on a zoned namespace, the proposal's headline case: victim zones are
 * filled, a fraction of their blocks stays valid (in runs, as overwrites leave them), and GC moves the valid blocks into
 * free zones at their write pointer and resets the victims. Once with NVMe Copy (the valid runs of a victim as the source
 * ranges of Copy commands whose SDLBA is the write pointer), once host-driven (READs and Zone Appends, 16 of each in
 * flight). Each run is checked by reading every moved block back from where it landed.
 */
public final class GcBench {
    /** Blocks per READ or WRITE of the host-driven GC and of the fill. */
    static final int IO_BLOCKS = 32;

    /**
     * What one GC pass cost. Bytes are all that crossed the wire each way; of them, the data bytes are the PDUs' data
     * (blocks read and appended, or the Copy commands' source range lists), the rest headers, padding and digests.
     * The JSON has every component under its own name, and the header bytes too.
     */
    public record Run(double seconds, long bytesSent, long bytesReceived, long dataBytesSent, long dataBytesReceived,
                      long pdusSent, long pdusReceived, double cpuSeconds, long blocksMoved, long commands,
                      boolean verified) {
        long wireBytes() {
            return bytesSent + bytesReceived;
        }

        /** Data bytes both ways. */
        long wireDataBytes() {
            return dataBytesSent + dataBytesReceived;
        }

        @JsonProperty("headerBytesSent")
        public long headerBytesSent() {
            return bytesSent - dataBytesSent;
        }

        @JsonProperty("headerBytesReceived")
        public long headerBytesReceived() {
            return bytesReceived - dataBytesReceived;
        }
    }

    /** One valid fraction: the same victims and valid runs collected both ways. */
    public record Point(double validFraction, Run offloaded, Run hostDriven) {
    }

    private final NvmeTcpHost host;
    private final int nsid;
    private final int victims;
    private final int blockSize;
    private final IdentifyNamespace identify;
    private final List<ZoneDescriptor> zones;

    public GcBench(NvmeTcpHost host, int nsid, int victims) {
        this.host = host;
        this.nsid = nsid;
        this.victims = victims;
        this.identify = host.identifyNamespace(nsid);
        this.blockSize = identify.currentFormat().blockSize();
        host.zoneSend(0, ZoneManagementSend.of(nsid, 0, ZoneSendAction.RESET, true)).join();
        // The first 256 zones are plenty: GC needs 2 x victims.
        ZoneReport report = host.reportZones(0, nsid, 0, 64 + 256 * ZoneDescriptor.SIZE, 0, false).join();
        this.zones = report.zones();
        if (zones.size() < 2 * victims) {
            throw new IllegalArgumentException("namespace " + nsid + " has " + zones.size() + " zones; " + victims
                    + " victims need " + 2 * victims + " (as many free zones to collect into)");
        }
    }

    public long zoneCapacityBlocks() {
        return zones.getFirst().capacity();
    }

    public List<Point> sweep(double[] fractions, long seed) {
        return sweep(fractions, seed, Progress.NONE);
    }

    /** The sweep, telling {@code progress} each GC pass (fill, collect, check; two per point) as it is done. */
    List<Point> sweep(double[] fractions, long seed, Progress progress) {
        List<Point> points = new ArrayList<>();
        try (Progress.Phase phase = progress.start("gc-bench passes", 2L * fractions.length, Progress.Unit.ONE)) {
            for (double f : fractions) {
                List<List<long[]>> valid = validRuns(f, new Random(seed + Math.round(f * 1000)));
                Run offloaded = pass(valid, true);
                phase.accept(1);
                Run hostDriven = pass(valid, false);
                phase.accept(1);
                points.add(new Point(f, offloaded, hostDriven));
            }
        }
        return points;
    }

    /** Per victim, runs {start block within the zone, blocks} that stay valid: about {@code fraction} of the blocks. */
    private List<List<long[]>> validRuns(double fraction, Random random) {
        long capacity = zoneCapacityBlocks();
        List<List<long[]>> all = new ArrayList<>();
        for (int v = 0; v < victims; v++) {
            List<long[]> runs = new ArrayList<>();
            long at = 0;
            while (at < capacity) {
                long run = Math.min(capacity - at, 1 + random.nextInt(64));
                if (random.nextDouble() < fraction) {
                    runs.add(new long[] {at, run});
                }
                at += run;
            }
            all.add(runs);
        }
        return all;
    }

    private Run pass(List<List<long[]>> valid, boolean offload) {
        host.zoneSend(0, ZoneManagementSend.of(nsid, 0, ZoneSendAction.RESET, true)).join();
        for (int v = 0; v < victims; v++) {
            fill(zones.get(v));
        }
        TrafficSnapshot before = host.traffic().snapshot();
        long cpuBefore = processCpuNanos();
        long start = System.nanoTime();
        Destination dst = new Destination();
        long commands = 0;
        for (int v = 0; v < victims; v++) {
            ZoneDescriptor victim = zones.get(v);
            commands += offload ? collectByCopy(victim, valid.get(v), dst) : collectByHost(victim, valid.get(v), dst);
            host.zoneSend(0, ZoneManagementSend.of(nsid, victim.startLba(), ZoneSendAction.RESET, false)).join();
            commands++;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = (processCpuNanos() - cpuBefore) / 1e9;
        TrafficSnapshot wire = host.traffic().snapshot().minus(before);
        boolean verified = verify(valid, dst);
        return new Run(seconds, wire.bytesSent(), wire.bytesReceived(), wire.dataBytesSent(), wire.dataBytesReceived(),
                wire.pdusSent(), wire.pdusReceived(), cpu, dst.moved, commands, verified);
    }

    /** Where collected blocks go: free zones after the victims, each filled to capacity before the next. */
    private final class Destination {
        int zone = victims;
        long used;
        long moved;
        /** {destination LBA, source LBA, blocks} of everything moved, for the check. */
        final List<long[]> placed = java.util.Collections.synchronizedList(new ArrayList<>());

        /** The write pointer, and how many blocks fit before the zone is full. */
        long writePointer() {
            if (used == zoneCapacityBlocks()) {
                zone++;
                used = 0;
            }
            return zones.get(zone).startLba() + used;
        }

        long room() {
            writePointer();
            return zoneCapacityBlocks() - used;
        }

        void advance(long blocks) {
            used += blocks;
            moved += blocks;
        }
    }

    /** Copy commands of the victim's valid runs, each at most MSRC + 1 ranges of MSSRL and MCL blocks. */
    private long collectByCopy(ZoneDescriptor victim, List<long[]> runs, Destination dst) {
        ArrayDeque<long[]> left = new ArrayDeque<>();
        runs.forEach(r -> left.add(r.clone()));
        long commands = 0;
        while (!left.isEmpty()) {
            long sdlba = dst.writePointer();
            long limit = Math.min(dst.room(), identify.mcl());
            List<CopySourceRange> ranges = new ArrayList<>();
            long total = 0;
            while (!left.isEmpty() && ranges.size() <= identify.msrc() && total < limit) {
                long[] run = left.peekFirst();
                int n = (int) Math.min(Math.min(run[1], identify.mssrl()), limit - total);
                ranges.add(CopySourceRange.of(CopyDescriptorFormat.FORMAT_0, victim.startLba() + run[0], n));
                dst.placed.add(new long[] {sdlba + total, victim.startLba() + run[0], n});
                total += n;
                run[0] += n;
                run[1] -= n;
                if (run[1] == 0) {
                    left.removeFirst();
                }
            }
            CopyCommand cmd = CopyCommand.builder().nsid(nsid).sdlba(sdlba)
                    .descriptorFormat(CopyDescriptorFormat.FORMAT_0).ranges(ranges.size()).build();
            try (Completion c = host.submitIo(0, cmd.toSqe(0), CopySourceRange.encodeList(ranges), 0).join()) {
                if (!c.isSuccess()) {
                    throw new IllegalStateException("GC Copy to LBA " + sdlba + " failed: " + c.status());
                }
            }
            dst.advance(total);
            commands++;
        }
        return commands;
    }

    /**
     * READs of the valid runs and Zone Appends of what they return into the destination zone, 16 of each in flight:
     * the fastest honest host-driven GC (Writes at the write pointer could only go one at a time per zone). Each piece
     * is given its room in a destination zone before it is sent, so no append finds its zone full; where it lands is
     * what the append returns.
     */
    private long collectByHost(ZoneDescriptor victim, List<long[]> runs, Destination dst) {
        List<long[]> pieces = new ArrayList<>();
        for (long[] r : runs) {
            for (long at = 0; at < r[1]; at += IO_BLOCKS) {
                pieces.add(new long[] {victim.startLba() + r[0] + at, Math.min(IO_BLOCKS, r[1] - at)});
            }
        }
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(16);
        List<CompletableFuture<Void>> all = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong commands = new java.util.concurrent.atomic.AtomicLong();
        int queue = 0;
        for (long[] piece : pieces) {
            inFlight.acquireUninterruptibly();
            int blocks = (int) piece[1];
            // Room first: a piece that does not fit the rest of the zone is appended in two parts.
            List<long[]> parts = new ArrayList<>();
            int given = 0;
            while (given < blocks) {
                int n = (int) Math.min(blocks - given, dst.room());
                parts.add(new long[] {dst.zone, given, n});
                dst.advance(n);
                given += n;
            }
            int q = queue++ % Math.max(1, host.ioQueueCount());
            commands.incrementAndGet();
            CompletableFuture<Void> done = host.read(q, nsid, piece[0], blocks, blockSize).thenCompose(data -> {
                List<CompletableFuture<Long>> appends = new ArrayList<>();
                for (long[] part : parts) {
                    long zslba = zones.get((int) part[0]).startLba();
                    int from = (int) part[1];
                    int n = (int) part[2];
                    commands.incrementAndGet();
                    appends.add(host.zoneAppend(q, nsid, zslba, data.retainedSlice(data.readerIndex() + from * blockSize,
                            n * blockSize), blockSize, false).thenApply(lba -> {
                                dst.placed.add(new long[] {lba, piece[0] + from, n});
                                return lba;
                            }));
                }
                data.release();
                return CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new));
            }).whenComplete((v, e) -> inFlight.release());
            all.add(done);
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        return commands.get();
    }

    /** Fills a zone with blocks whose content names their LBA, so that moved blocks can be checked. */
    private void fill(ZoneDescriptor zone) {
        long capacity = zoneCapacityBlocks();
        for (long at = 0; at < capacity; at += IO_BLOCKS) {
            int n = (int) Math.min(IO_BLOCKS, capacity - at);
            ByteBuf data = Unpooled.buffer(n * blockSize);
            for (int b = 0; b < n; b++) {
                writeBlock(data, zone.startLba() + at + b);
            }
            host.write(0, nsid, zone.startLba() + at, data, blockSize, false).join();
        }
    }

    private void writeBlock(ByteBuf out, long lba) {
        for (int i = 0; i < blockSize; i += 8) {
            out.writeLong(lba * 0x9E3779B97F4A7C15L + i);
        }
    }

    /**
     * Reads everything moved back from where it was placed: each block must hold the victim block it came from, and
     * together the placements must be exactly the valid blocks.
     */
    private boolean verify(List<List<long[]>> valid, Destination dst) {
        java.util.Set<Long> expectedSources = new java.util.HashSet<>();
        for (int v = 0; v < victims; v++) {
            for (long[] r : valid.get(v)) {
                for (long b = 0; b < r[1]; b++) {
                    expectedSources.add(zones.get(v).startLba() + r[0] + b);
                }
            }
        }
        java.util.Set<Long> placedSources = new java.util.HashSet<>();
        ByteBuf expected = Unpooled.buffer(blockSize);
        try {
            for (long[] p : List.copyOf(dst.placed)) {
                ByteBuf got = host.read(0, nsid, p[0], (int) p[2], blockSize).join();
                try {
                    for (int b = 0; b < p[2]; b++) {
                        expected.clear();
                        writeBlock(expected, p[1] + b);
                        if (!ByteBufUtil.equals(got, got.readerIndex() + b * blockSize, expected, 0, blockSize)
                                || !placedSources.add(p[1] + b)) {
                            return false;
                        }
                    }
                } finally {
                    got.release();
                }
            }
        } finally {
            expected.release();
        }
        return placedSources.equals(expectedSources) && dst.moved == expectedSources.size();
    }

    private static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }
}
