package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;

/**
 * The zoned half of {@code copyoffload bench}: Zone Append throughput (128 KiB) and 4 KiB Zone Append IOPS from
 * the Java host, beside plain Writes of the same sizes at the same queue depths to a conventional namespace of
 * the same size, in one run against one in-process target; then the crash test ({@link ZoneCrashCampaign}) with
 * its counts.
 */
final class ZnsBenchmark {
    private static final String NQN = "nqn.2026-01.org.copyoffload:bench-zns";
    private static final int LBA = 4096;
    /** 64 MiB zones, all writable: 16384 blocks each. */
    private static final long ZONE_BLOCKS = 16384;

    private final Path dir;
    private final long sizeBytes;
    private final int ioQueues;
    private final int seqDepth;
    private final int randomDepth;
    private final Duration duration;

    ZnsBenchmark(Path dir, long sizeBytes, int ioQueues, int seqDepth, int randomDepth, Duration duration) {
        this.dir = dir;
        this.sizeBytes = sizeBytes;
        this.ioQueues = ioQueues;
        this.seqDepth = seqDepth;
        this.randomDepth = randomDepth;
        this.duration = duration;
    }

    void run() throws Exception {
        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes:
                  - {name: conv, size: %d, block-size: 4096}
                  - {name: zns, size: %d, block-size: 4096, zoned: {zone-size: 64MiB, zone-capacity: 64MiB, max-active: 14, max-open: 14}}
                subsystems:
                  - nqn: %s
                    namespaces: [{nsid: 1, volume: conv}, {nsid: 2, volume: zns}]
                """.formatted(dir, sizeBytes, sizeBytes, NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(ioQueues).build())) {
            long blocks = sizeBytes / LBA;
            warmUp(host);
            ClosedLoop.Result seqWrite = writes(host, 32, seqDepth, blocks);
            ClosedLoop.Result seqAppend = appends(host, 32, seqDepth, blocks);
            ClosedLoop.Result smallWrite = writes(host, 1, randomDepth, blocks);
            ClosedLoop.Result smallAppend = appends(host, 1, randomDepth, blocks);
            print("Write 128 KiB, conventional namespace", seqWrite, seqDepth, null);
            print("Zone Append 128 KiB, zoned namespace", seqAppend, seqDepth, seqWrite);
            print("Write 4 KiB, conventional namespace", smallWrite, randomDepth, null);
            print("Zone Append 4 KiB, zoned namespace", smallAppend, randomDepth, smallWrite);
        }
    }

    private void print(String what, ClosedLoop.Result r, int depth, ClosedLoop.Result reference) {
        String ratio = reference == null ? "" : String.format(Locale.ROOT, ", %.2f of the conventional write",
                r.bytesPerSecond() / reference.bytesPerSecond());
        System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s %9.0f IOPS (QD %d over %d queue(s)%s)%n", what,
                r.bytesPerSecond() / 1e6, r.iops(), depth, ioQueues, ratio);
    }

    /** A few seconds of each kind first, so the measured runs do not pay for JIT compilation. */
    private void warmUp(NvmeTcpHost host) throws Exception {
        Duration oneSecond = Duration.ofSeconds(1);
        ClosedLoop.run(seqDepth, oneSecond, seq -> write(host, queue(seq), (seq * 32) % (sizeBytes / LBA - 32), 32));
        ZoneCursor cursor = new ZoneCursor(sizeBytes / LBA);
        ClosedLoop.run(seqDepth, cursor.limit(32), oneSecond, seq -> append(host, seq, cursor, 32));
    }

    /** Sequential Writes of {@code blocks} blocks at QD {@code depth}, into deallocated blocks. */
    private ClosedLoop.Result writes(NvmeTcpHost host, int blocks, int depth, long nsBlocks) throws Exception {
        CopyBenchmark.deallocate(host, 1, 0, nsBlocks);
        return ClosedLoop.run(depth, nsBlocks / blocks, duration, seq -> write(host, queue(seq), seq * blocks, blocks));
    }

    /** Zone Appends of {@code blocks} blocks at QD {@code depth}, filling one zone after the other from reset zones. */
    private ClosedLoop.Result appends(NvmeTcpHost host, int blocks, int depth, long nsBlocks) throws Exception {
        host.zoneSend(0, ZoneManagementSend.of(2, 0, ZoneSendAction.RESET, true)).join();
        ZoneCursor cursor = new ZoneCursor(nsBlocks);
        return ClosedLoop.run(depth, cursor.limit(blocks), duration, seq -> append(host, queue(seq), cursor, blocks));
    }

    private CompletableFuture<Long> write(NvmeTcpHost host, int queue, long lba, int blocks) {
        return host.write(queue, 1, lba, payload(lba, blocks), LBA, false).thenApply(v -> (long) blocks * LBA);
    }

    private CompletableFuture<Long> append(NvmeTcpHost host, long seq, ZoneCursor cursor, int blocks) {
        long zslba = cursor.zoneFor(blocks);
        return host.zoneAppend(queue(seq), 2, zslba, payload(seq, blocks), LBA, false).thenApply(lba -> (long) blocks * LBA);
    }

    private int queue(long seq) {
        return (int) (seq % ioQueues);
    }

    private static ByteBuf payload(long tag, int blocks) {
        ByteBuf data = ByteBufAllocator.DEFAULT.directBuffer(blocks * LBA);
        data.writeLong(tag).writeZero(blocks * LBA - 16).writeLong(~tag);
        return data;
    }

    /**
     * Which zone the next append goes to: the host counts the blocks it sent to the current zone and moves to the
     * next one when another append would not fit, as a log-structured writer does.
     */
    private static final class ZoneCursor {
        private final long zones;
        private long zone;
        private long used;

        ZoneCursor(long nsBlocks) {
            this.zones = nsBlocks / ZONE_BLOCKS;
        }

        /** How many appends of {@code blocks} fit all zones. */
        long limit(int blocks) {
            return zones * (ZONE_BLOCKS / blocks);
        }

        synchronized long zoneFor(int blocks) {
            if (used + blocks > ZONE_BLOCKS) {
                zone++;
                used = 0;
            }
            if (zone >= zones) {
                throw new IllegalStateException("all " + zones + " zones are full");
            }
            used += blocks;
            return zone * ZONE_BLOCKS;
        }
    }
}
