package org.copyoffload.initiator.cli;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import org.copyoffload.initiator.copy.BlockCopier;
import org.copyoffload.initiator.copy.BlockDevice;
import org.copyoffload.initiator.copy.CopyResult;
import org.copyoffload.initiator.copy.CryptDevice;
import org.copyoffload.initiator.copy.LinearDevice;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.copy.StripedDevice;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;

/**
 * The same copy run through the copy path twice, offloaded where the devices allow it and forced host-driven, over one
 * host connection: wall time, bytes and PDUs on the wire each way, host CPU time, and a check of each result (the
 * destination's SHA-256 against the source's, read through the same stack).
 *
 * <p>Without a stack the source is one namespace and the destination another (or the same one, after the source
 * range). A stack is built bottom-up over the two namespaces: {@code linear} concatenates them, {@code striped} stripes
 * them in 1 MiB chunks, {@code crypt-plain64} encrypts what is below with AES-XTS by sector; the copy then goes from
 * the start of the top device to its middle.
 */
public final class CopyComparison {
    /**
     * One run: how it went and what it cost. Bytes are all that crossed the wire each way; of them, the data bytes are
     * the PDUs' data (what was read, written, or a Copy's descriptor list), the rest headers, padding and digests.
     */
    public record Run(String mode, CopyResult result, double seconds, long bytesSent, long bytesReceived,
                      long dataBytesSent, long dataBytesReceived, long pdusSent, long pdusReceived, double cpuSeconds,
                      boolean verified) {
        public long wireBytes() {
            return bytesSent + bytesReceived;
        }

        public long headerBytesSent() {
            return bytesSent - dataBytesSent;
        }

        public long headerBytesReceived() {
            return bytesReceived - dataBytesReceived;
        }

        public double megabytesPerSecond() {
            return result.length() / seconds / 1e6;
        }
    }

    /** Both runs. */
    public record Outcome(String stack, long size, Run offloaded, Run hostDriven) {
        public double wireRatio() {
            return (double) offloaded.wireBytes() / hostDriven.wireBytes();
        }

        public double timeRatio() {
            return offloaded.seconds() / hostDriven.seconds();
        }
    }

    private final NvmeTcpHost host;
    private final BlockDevice source;
    private final long sourceOffset;
    private final BlockDevice destination;
    private final long destinationOffset;
    private final String stack;
    private final Progress progress;

    private CopyComparison(NvmeTcpHost host, BlockDevice source, long sourceOffset, BlockDevice destination,
                           long destinationOffset, String stack, Progress progress) {
        this.host = host;
        this.source = source;
        this.sourceOffset = sourceOffset;
        this.destination = destination;
        this.destinationOffset = destinationOffset;
        this.stack = stack;
        this.progress = progress;
    }

    /** As {@link #on(NvmeTcpHost, int, int, String, long, Progress)}, telling no one how far it got. */
    public static CopyComparison on(NvmeTcpHost host, int sourceNsid, int destinationNsid, String stack, long size) {
        return on(host, sourceNsid, destinationNsid, stack, size, Progress.NONE);
    }

    /**
     * Sets the devices up: {@code stack} is a list of layers, top first, separated by colons ("" for none), built on
     * namespaces {@code sourceNsid} and {@code destinationNsid} of the host's controller. Every phase (fill, warm-up,
     * checksums, scrubs, both copies) tells {@code progress} its bytes as they are done.
     */
    static CopyComparison on(NvmeTcpHost host, int sourceNsid, int destinationNsid, String stack, long size,
                             Progress progress) {
        NvmeNamespaceDevice a = NvmeNamespaceDevice.open(host, sourceNsid);
        NvmeNamespaceDevice b = destinationNsid == sourceNsid ? a : NvmeNamespaceDevice.open(host, destinationNsid);
        if (stack.isEmpty()) {
            return new CopyComparison(host, a, 0, b, a == b ? size : 0, "none", progress);
        }
        List<String> layers = new ArrayList<>(List.of(stack.split(":")));
        java.util.Collections.reverse(layers);
        BlockDevice top = null;
        for (String layer : layers) {
            top = switch (layer) {
                case "linear" -> new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, a.size()),
                        new LinearDevice.Segment(b, 0, b.size())));
                case "striped" -> new StripedDevice("striped", List.of(a, b), 1 << 20);
                case "crypt-plain64" -> {
                    if (top == null) {
                        throw new IllegalArgumentException("crypt-plain64 needs a layer below it (linear or striped)");
                    }
                    byte[] key = new byte[64];
                    new Random(1).nextBytes(key);
                    yield new CryptDevice("crypt-plain64", top, key);
                }
                default -> throw new IllegalArgumentException("unknown layer '" + layer
                        + "' (linear, striped, crypt-plain64)");
            };
            if (top instanceof LinearDevice || top instanceof StripedDevice) {
                if (layers.indexOf(layer) != 0) {
                    throw new IllegalArgumentException(layer + " must be the lowest layer of the stack");
                }
            }
        }
        long half = top.size() / 2 / top.blockSize() * top.blockSize();
        if (size > half) {
            throw new IllegalArgumentException("the stack holds " + top.size() + " bytes: at most " + half
                    + " can be copied from its start to its middle");
        }
        return new CopyComparison(host, top, 0, top, half, stack, progress);
    }

    /** Writes {@code size} bytes of seeded random data into the source, through the stack. */
    public void fillSource(long size, int chunk) {
        Random random = new Random(42);
        byte[] block = new byte[chunk];
        try (Progress.Phase phase = progress.start("fill source", size, Progress.Unit.MIB)) {
            writeAll(source, sourceOffset, size, chunk, n -> {
                random.nextBytes(block);
                return Unpooled.copiedBuffer(block, 0, n);
            }, phase);
        }
    }

    /**
     * Writes {@code size} bytes at {@code offset} of {@code device} in chunks that {@code data} makes, 16 in flight,
     * telling {@code done} each chunk's bytes as it is written.
     */
    private static void writeAll(BlockDevice device, long offset, long size, int chunk, IntFunction<ByteBuf> data,
                                 LongConsumer done) {
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (long at = 0; at < size; at += chunk) {
            int n = (int) Math.min(chunk, size - at);
            pending.add(device.write(offset + at, data.apply(n)).thenRun(() -> done.accept(n)));
            if (pending.size() == 16) {
                pending.removeFirst().join();
            }
        }
        pending.forEach(CompletableFuture::join);
    }

    public Outcome run(long size) {
        return run(size, 0);
    }

    /**
     * As {@link #run(long)}, after {@code warmUpRounds} unmeasured host-driven copies of up to 256 MiB, so that the
     * baseline is not measured while the JIT still compiles the host's data path (a single cold 1 GiB run went at 694
     * MB/s here).
     */
    public Outcome run(long size, int warmUpRounds) {
        long warm = Math.min(size, 256L << 20);
        if (warmUpRounds > 0) {
            try (Progress.Phase phase = progress.start("warm-up", warm * warmUpRounds, Progress.Unit.MIB)) {
                for (int round = 0; round < warmUpRounds; round++) {
                    new BlockCopier().withProgress(phase).copyHostDriven(source, sourceOffset, destination,
                            destinationOffset, warm).join();
                }
            }
        }
        String expected;
        try (Progress.Phase phase = progress.start("SHA-256 source", size, Progress.Unit.MIB)) {
            expected = digest(source, sourceOffset, size, phase);
        }
        Run offloaded = measure("offloaded", size, false, expected);
        Run hostDriven = measure("host-driven", size, true, expected);
        return new Outcome(stack, size, offloaded, hostDriven);
    }

    private Run measure(String mode, long size, boolean forced, String expected) {
        // Both runs find the destination alike, written (with zeros) just before: the run after the other must copy
        // again rather than find the data there, and neither may pay alone for the target's first write of a block.
        try (Progress.Phase phase = progress.start("scrub destination", size, Progress.Unit.MIB)) {
            writeAll(destination, destinationOffset, size, 128 << 10, n -> Unpooled.buffer(n).writeZero(n), phase);
        }
        CopyResult result;
        double seconds;
        double cpu;
        TrafficSnapshot wire;
        // The bar is made before and closed after the measurement: its last redraw is not the copy's time.
        try (Progress.Phase phase = progress.start(mode + " copy", size, Progress.Unit.MIB)) {
            BlockCopier copier = new BlockCopier().withProgress(phase);
            TrafficSnapshot before = host.traffic().snapshot();
            long cpuBefore = processCpuNanos();
            long start = System.nanoTime();
            result = (forced ? copier.copyHostDriven(source, sourceOffset, destination, destinationOffset, size)
                    : copier.copy(source, sourceOffset, destination, destinationOffset, size)).join();
            seconds = (System.nanoTime() - start) / 1e9;
            cpu = (processCpuNanos() - cpuBefore) / 1e9;
            wire = host.traffic().snapshot().minus(before);
        }
        boolean verified;
        try (Progress.Phase phase = progress.start("verify " + mode, size, Progress.Unit.MIB)) {
            verified = digest(destination, destinationOffset, size, phase).equals(expected);
        }
        return new Run(mode, result, seconds, wire.bytesSent(), wire.bytesReceived(), wire.dataBytesSent(),
                wire.dataBytesReceived(), wire.pdusSent(), wire.pdusReceived(), cpu, verified);
    }

    private static long processCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    /**
     * SHA-256 of {@code size} bytes of {@code device} at {@code offset}, read 128 KiB at a time, 16 in flight; each
     * chunk's bytes are told to {@code done} as they are hashed.
     */
    static String digest(BlockDevice device, long offset, long size, LongConsumer done) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        int chunk = 128 << 10;
        List<CompletableFuture<ByteBuf>> pending = new ArrayList<>();
        long next = 0;
        while (next < size || !pending.isEmpty()) {
            while (next < size && pending.size() < 16) {
                pending.add(device.read(offset + next, (int) Math.min(chunk, size - next)));
                next += chunk;
            }
            ByteBuf b = pending.removeFirst().join();
            try {
                done.accept(b.readableBytes());
                sha.update(b.nioBuffer());
            } finally {
                b.release();
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
