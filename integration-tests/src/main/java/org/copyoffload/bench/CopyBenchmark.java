package org.copyoffload.bench;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;

/**
 * The copy half of {@code copyoffload bench}: copy_file_range between two files (the reference, measured here),
 * the target's NVMe Copy inside one namespace and across two, and the same data copied by the Java host as
 * READ + WRITE over the same connection, with wall time and bytes on the wire for each.
 */
final class CopyBenchmark {
    private static final String NQN = "nqn.2026-01.org.copyoffload:bench-copy";
    private static final int LBA = 4096;
    /** MSSRL: blocks per source range; 65535 blocks of 4 KiB is just under 256 MiB. */
    private static final int MAX_RANGE_BLOCKS = 65535;

    private final Path dir;
    private final long size;
    private final int ioQueues;
    private final int depth;

    CopyBenchmark(Path dir, long size, int ioQueues, int depth) {
        this.dir = dir;
        this.size = size;
        this.ioQueues = ioQueues;
        this.depth = depth;
    }

    void run() throws Exception {
        fillSource(dir.resolve("a.img"));
        // The reference is taken before and after the target's copies; their mean is what the ratios use.
        double referenceBefore = copyFileRangeReference();

        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: %d, block-size: 4096}
                  - {name: b, size: %d, block-size: 4096}
                subsystems:
                  - nqn: %s
                    cross-namespace-copy-at-connect: true
                    namespaces: [{nsid: 1, volume: a}, {nsid: 2, volume: b}]
                """.formatted(dir, 2 * size, size, NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "bench"));
             NvmeTcpHost host = NvmeTcpHost.connect(HostOptions.builder(server.nvmeAddresses().getFirst(), NQN)
                     .ioQueues(ioQueues).commandTimeout(Duration.ofMinutes(10)).build())) {
            long blocks = size / LBA;
            Result inside = offloaded(host, CopyDescriptorFormat.FORMAT_0, 1, 1, blocks);
            Result across = offloaded(host, CopyDescriptorFormat.FORMAT_2, 1, 2, 0);
            Result hostDriven = readWrite(host, blocks);
            double referenceAfter = copyFileRangeReference();
            double reference = (referenceBefore + referenceAfter) / 2;
            System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s  (%s in %.2f s before, %.2f s after)%n",
                    "copy_file_range, file to file", size / reference / 1e6, human(size), referenceBefore, referenceAfter);
            report("NVMe Copy inside one namespace (format 0h)", inside, reference);
            report("NVMe Copy across namespaces (format 2h)", across, reference);
            report("READ + WRITE by the Java host, 128 KiB", hostDriven, reference);
            System.out.printf(Locale.ROOT, "%-44s %10.2f   (wall time, host-driven / offloaded across namespaces)%n",
                    "speed-up of offload", hostDriven.seconds / across.seconds);
        }
    }

    private record Result(double seconds, TrafficSnapshot traffic) {
    }

    private void report(String what, Result r, double reference) {
        System.out.printf(Locale.ROOT, "%-44s %10.0f MB/s  (%.2f s, ratio to copy_file_range %.2f, wire: %s sent %s received in %d+%d PDUs)%n",
                what, size / r.seconds / 1e6, r.seconds, reference / r.seconds, human(r.traffic.bytesSent()),
                human(r.traffic.bytesReceived()), r.traffic.pdusSent(), r.traffic.pdusReceived());
    }

    /** The source data, written straight into the volume file before the target opens it. */
    private void fillSource(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            byte[] random = new byte[1 << 20];
            ThreadLocalRandom.current().nextBytes(random);
            for (long at = 0; at < size; at += chunk.capacity()) {
                chunk.clear().put(random).flip();
                chunk.putLong(0, at);
                while (chunk.hasRemaining()) {
                    ch.write(chunk, at + chunk.position());
                }
            }
            ch.force(false);
        }
    }

    /** copy_file_range (FileChannel.transferTo) of the same size between two files on the same filesystem. */
    private double copyFileRangeReference() throws IOException {
        Path from = dir.resolve("a.img");
        Path to = dir.resolve("reference-copy.img");
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long start = System.nanoTime();
            long done = 0;
            while (done < size) {
                done += in.transferTo(done, size - done, out.position(done));
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            Files.deleteIfExists(to);
        }
    }

    /** One Copy command per MCL-sized piece, each with as many MSSRL-sized ranges as it needs. */
    private Result offloaded(NvmeTcpHost host, CopyDescriptorFormat format, int sourceNsid, int destinationNsid,
                             long destinationLba) {
        TrafficSnapshot before = host.traffic().snapshot();
        long start = System.nanoTime();
        long blocks = size / LBA;
        List<CopySourceRange> ranges = new ArrayList<>();
        for (long lba = 0; lba < blocks; lba += MAX_RANGE_BLOCKS) {
            int n = (int) Math.min(MAX_RANGE_BLOCKS, blocks - lba);
            ranges.add(format.namesSourceNamespace() ? CopySourceRange.of(format, sourceNsid, lba, n)
                    : CopySourceRange.of(format, lba, n));
        }
        CopyCommand cmd = CopyCommand.builder().nsid(destinationNsid).sdlba(destinationLba).descriptorFormat(format)
                .ranges(ranges.size()).build();
        ByteBuf descriptors = CopySourceRange.encodeList(ranges);
        try (Completion c = host.submitIo(0, cmd.toSqe(0), descriptors, 0).join()) {
            if (!c.isSuccess()) {
                throw new IllegalStateException("Copy failed: " + c.status());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(seconds, host.traffic().snapshot().minus(before));
    }

    /** The host-driven copy: 128 KiB READs from namespace 1, each followed by a WRITE to namespace 2. */
    private Result readWrite(NvmeTcpHost host, long blocks) throws InterruptedException {
        TrafficSnapshot before = host.traffic().snapshot();
        int chunkBlocks = 32;
        long chunks = blocks / chunkBlocks;
        long start = System.nanoTime();
        ClosedLoop.run(depth, chunks, Duration.ofHours(1), seq -> {
            int queue = (int) (seq % ioQueues);
            long lba = seq * chunkBlocks;
            CompletableFuture<ByteBuf> read = host.read(queue, 1, lba, chunkBlocks, LBA);
            return read.thenCompose(data -> host.write(queue, 2, lba, data, LBA, false))
                    .thenApply(v -> (long) chunkBlocks * LBA);
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(seconds, host.traffic().snapshot().minus(before));
    }

    private static String human(long bytes) {
        return bytes >= 1 << 20 ? String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
                : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
