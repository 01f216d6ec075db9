package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * The block layer's copy call of the proposal: {@link #copy} makes a source and a destination half, maps each down
 * its stack of layers onto base devices, pairs the pieces again by offset, and hands every run of pieces that lies on
 * devices able to copy between them to that device. What a device does not copy, because it cannot, refuses or stops
 * short, the host copies by READ + WRITE through the top devices (so an encrypting layer decrypts and re-encrypts),
 * and the result says how many bytes went which way and why. Success is never reported for bytes nobody copied: an
 * error of the fallback fails the copy.
 *
 * <p>The source and destination must not overlap on one top device.
 */
public final class BlockCopier {
    /** Bytes per READ and WRITE of the fallback. */
    public static final int DEFAULT_CHUNK = 128 << 10;
    /** Fallback READ + WRITE pairs in flight. */
    public static final int DEFAULT_DEPTH = 16;

    private final int chunk;
    private final int depth;
    private final LongConsumer progress;

    public BlockCopier() {
        this(DEFAULT_CHUNK, DEFAULT_DEPTH);
    }

    public BlockCopier(int chunk, int depth) {
        this(chunk, depth, bytes -> { });
    }

    /**
     * {@code progress} is told the bytes of every piece as it is done, offloaded or copied by the host, from whichever
     * thread completes it (so it must be thread-safe); over a whole copy the bytes add up to its length.
     */
    public BlockCopier(int chunk, int depth, LongConsumer progress) {
        if (chunk <= 0 || depth <= 0) {
            throw new IllegalArgumentException("chunk " + chunk + ", depth " + depth);
        }
        this.chunk = chunk;
        this.depth = depth;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** This copier, telling {@code progress} how many bytes are done (see the constructor). */
    public BlockCopier withProgress(LongConsumer progress) {
        return new BlockCopier(chunk, depth, progress);
    }

    /** Copies {@code length} bytes, offloaded wherever the devices allow it. */
    public CompletableFuture<CopyResult> copy(BlockDevice source, long sourceOffset, BlockDevice destination,
                                              long destinationOffset, long length) {
        return run(source, sourceOffset, destination, destinationOffset, length, false);
    }

    /** The same copy done entirely by READ + WRITE, the baseline offloading is measured against. */
    public CompletableFuture<CopyResult> copyHostDriven(BlockDevice source, long sourceOffset,
                                                        BlockDevice destination, long destinationOffset, long length) {
        return run(source, sourceOffset, destination, destinationOffset, length, true);
    }

    private CompletableFuture<CopyResult> run(BlockDevice source, long sourceOffset, BlockDevice destination,
                                              long destinationOffset, long length, boolean hostDriven) {
        List<Planned> plan;
        try {
            if (source == destination && sourceOffset < destinationOffset + length
                    && destinationOffset < sourceOffset + length) {
                throw new IllegalArgumentException("source and destination overlap on " + source.name());
            }
            CopyContext context = new CopyContext(length);
            CopyHalf src = new CopyHalf(CopyHalf.Side.SOURCE, source, sourceOffset, length, context);
            CopyHalf dst = new CopyHalf(CopyHalf.Side.DESTINATION, destination, destinationOffset, length, context);
            plan = hostDriven ? List.of(new Planned(0, length, null, null, 0, 0,
                    new CopyCapableDevice.Refusal(FallbackReason.FORCED_HOST_DRIVEN, "host-driven copy requested")))
                    : plan(Remapper.remap(src), Remapper.remap(dst));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        Copy copy = new Copy(source, sourceOffset, destination, destinationOffset, length);
        // Into a device that must be written in order (zoned), every piece is finished before the next: a fallback
        // range copied after a later offloaded one would not be at the write pointer.
        boolean inOrder = destination.requiresSequentialWrites();
        CompletableFuture<Void> steps = CompletableFuture.completedFuture(null);
        for (Planned p : plan) {
            steps = steps.thenCompose(v -> copy.offload(p));
            if (inOrder) {
                steps = steps.thenCompose(v -> copy.fallBack());
            }
        }
        return steps.thenCompose(v -> copy.fallBack()).thenApply(v -> copy.result());
    }

    /**
     * One run of the copy: on devices that may copy ({@code refusal} null), or to be copied by the host and why.
     * {@code logical} is the offset from the start of the copy.
     */
    record Planned(long logical, long length, CopyCapableDevice source, CopyCapableDevice destination,
                   long sourceOffset, long destinationOffset, CopyCapableDevice.Refusal refusal) {
        boolean continues(Planned next) {
            if (logical + length != next.logical) {
                return false;
            }
            if (refusal != null || next.refusal != null) {
                return Objects.equals(refusal, next.refusal);
            }
            return source == next.source && destination == next.destination
                    && sourceOffset + length == next.sourceOffset && destinationOffset + length == next.destinationOffset;
        }

        Planned joined(Planned next) {
            return new Planned(logical, length + next.length, source, destination, sourceOffset, destinationOffset,
                    refusal);
        }
    }

    /** Pairs the two halves' pieces by offset, lets the devices decide, and joins runs that continue each other. */
    static List<Planned> plan(List<CopyContext.Piece> source, List<CopyContext.Piece> destination) {
        List<Planned> plan = new ArrayList<>();
        // A driver's answer for one pair of devices holds for the whole copy (it may cost a command to find out).
        Map<List<BlockDevice>, Optional<CopyCapableDevice.Refusal>> answers = new HashMap<>();
        int i = 0;
        int j = 0;
        while (i < source.size() && j < destination.size()) {
            CopyContext.Piece s = source.get(i);
            CopyContext.Piece d = destination.get(j);
            long start = Math.max(s.logical(), d.logical());
            long end = Math.min(s.logical() + s.length(), d.logical() + d.length());
            Planned p = decide(start, end - start, s, s.offset() + (start - s.logical()), d,
                    d.offset() + (start - d.logical()), answers);
            if (!plan.isEmpty() && plan.getLast().continues(p)) {
                plan.set(plan.size() - 1, plan.getLast().joined(p));
            } else {
                plan.add(p);
            }
            if (s.logical() + s.length() == end) {
                i++;
            }
            if (d.logical() + d.length() == end) {
                j++;
            }
        }
        return plan;
    }

    private static Planned decide(long logical, long length, CopyContext.Piece s, long sourceOffset,
                                  CopyContext.Piece d, long destinationOffset,
                                  Map<List<BlockDevice>, Optional<CopyCapableDevice.Refusal>> answers) {
        CopyCapableDevice.Refusal refusal;
        String forbidden = s.forbiddenBy() != null ? s.forbiddenBy() : d.forbiddenBy();
        if (forbidden != null) {
            refusal = new CopyCapableDevice.Refusal(FallbackReason.MAPPING_FORBIDS, forbidden);
        } else if (s.device() instanceof CopyCapableDevice src && d.device() instanceof CopyCapableDevice dst) {
            refusal = answers.computeIfAbsent(List.of(src, dst), k -> dst.refusesCopyFrom(src)).orElse(null);
            if (refusal == null) {
                return new Planned(logical, length, src, dst, sourceOffset, destinationOffset, null);
            }
        } else if (s.device() != d.device()) {
            refusal = new CopyCapableDevice.Refusal(FallbackReason.DIFFERENT_DEVICES, s.device().name() + " to "
                    + d.device().name());
        } else {
            refusal = new CopyCapableDevice.Refusal(FallbackReason.NO_COPY_COMMAND, d.device().name()
                    + " cannot copy");
        }
        return new Planned(logical, length, null, null, 0, 0, refusal);
    }

    /** The state of one copy while it runs. */
    private final class Copy {
        private final BlockDevice source;
        private final long sourceOffset;
        private final BlockDevice destination;
        private final long destinationOffset;
        private final long length;
        private final List<CopyResult.Fallback> fallbacks = new ArrayList<>();
        /** How many of {@link #fallbacks} were copied already. */
        private int fallbacksDone;
        private long offloaded;

        Copy(BlockDevice source, long sourceOffset, BlockDevice destination, long destinationOffset, long length) {
            this.source = source;
            this.sourceOffset = sourceOffset;
            this.destination = destination;
            this.destinationOffset = destinationOffset;
            this.length = length;
        }

        CompletableFuture<Void> offload(Planned p) {
            if (p.refusal() != null) {
                fallback(p.logical(), p.length(), p.refusal());
                return CompletableFuture.completedFuture(null);
            }
            return p.destination().copyFrom(p.source(), p.sourceOffset(), p.destinationOffset(), p.length())
                    .thenAccept(outcome -> {
                        long copied = outcome.copied();
                        if (copied < 0 || copied > p.length()) {
                            throw new IllegalStateException(p.destination().name() + " reported " + copied
                                    + " bytes copied of " + p.length());
                        }
                        if (copied < p.length()) {
                            // A base device with smaller blocks than the top devices may stop inside one of theirs
                            // (a 512-byte namespace under a 4 KiB layer); the host reads and writes only whole
                            // blocks of both top devices, so it copies that block again from its start.
                            long align = alignment();
                            copied = Math.max(0, (p.logical() + copied) / align * align - p.logical());
                        }
                        synchronized (this) {
                            offloaded += copied;
                        }
                        progress.accept(copied);
                        if (copied < p.length()) {
                            fallback(p.logical() + copied, p.length() - copied, outcome.shortBecause());
                        }
                    });
        }

        private synchronized void fallback(long logical, long bytes, CopyCapableDevice.Refusal why) {
            fallbacks.add(new CopyResult.Fallback(logical, bytes, why.reason(), why.detail()));
        }

        /** READ + WRITE of every range that was not offloaded, {@code depth} chunks in flight. */
        CompletableFuture<Void> fallBack() {
            List<long[]> chunks = new ArrayList<>();
            int step = alignedChunk();
            List<CopyResult.Fallback> due;
            synchronized (this) {
                due = List.copyOf(fallbacks.subList(fallbacksDone, fallbacks.size()));
                fallbacksDone = fallbacks.size();
            }
            // The host reads and writes whole blocks of both top devices, but a fallback may start or end inside one
            // of the larger: at a piece boundary of the device with the smaller blocks. Such a range is widened to
            // whole blocks; the bytes it takes in were offloaded, and are written again, the same, counted once.
            long align = alignment();
            List<CopyResult.Fallback> sorted = new ArrayList<>(due);
            sorted.sort(java.util.Comparator.comparingLong(CopyResult.Fallback::offset));
            List<long[]> ranges = new ArrayList<>();
            for (CopyResult.Fallback f : sorted) {
                long from = f.offset() / align * align;
                long to = (f.offset() + f.length() + align - 1) / align * align;
                if (!ranges.isEmpty() && ranges.getLast()[1] >= from) {
                    ranges.getLast()[1] = Math.max(ranges.getLast()[1], to);
                } else {
                    ranges.add(new long[] {from, to});
                }
            }
            for (long[] r : ranges) {
                for (long at = r[0]; at < r[1]; at += step) {
                    long n = Math.min(step, r[1] - at);
                    chunks.add(new long[] {at, n, bytesIn(sorted, at, at + n)});
                }
            }
            if (chunks.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            if (destination.requiresSequentialWrites()) {
                return inOrder(chunks);
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            AtomicLong next = new AtomicLong();
            int workers = Math.min(depth, chunks.size());
            AtomicLong running = new AtomicLong(workers);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int k = 0; k < workers; k++) {
                readWriteNext(chunks, next, running, failure, done);
            }
            return done;
        }

        /**
         * One of the {@code depth} workers: takes the next chunk when its last one is done. Chunks that complete at
         * once (a device in memory) are taken in a loop, not by recursion, so any number of them needs no stack.
         */
        private void readWriteNext(List<long[]> chunks, AtomicLong next, AtomicLong running,
                                   AtomicReference<Throwable> failure, CompletableFuture<Void> done) {
            while (true) {
                long index = next.getAndIncrement();
                if (index >= chunks.size() || failure.get() != null) {
                    if (running.decrementAndGet() == 0) {
                        if (failure.get() != null) {
                            done.completeExceptionally(new CopyFailedException("the host-driven part of the copy from "
                                    + source.name() + " to " + destination.name() + " failed", failure.get()));
                        } else {
                            done.complete(null);
                        }
                    }
                    return;
                }
                long[] c = chunks.get((int) index);
                CompletableFuture<Void> chunk;
                try {
                    chunk = source.read(sourceOffset + c[0], (int) c[1])
                            .thenCompose((ByteBuf data) -> destination.write(destinationOffset + c[0], data))
                            .thenRun(() -> progress.accept(c[2]));
                } catch (RuntimeException e) {
                    chunk = CompletableFuture.failedFuture(e);
                }
                if (!chunk.isDone()) {
                    chunk.whenComplete((v, error) -> {
                        if (error != null) {
                            failure.compareAndSet(null, error);
                        }
                        readWriteNext(chunks, next, running, failure, done);
                    });
                    return;
                }
                if (chunk.isCompletedExceptionally()) {
                    chunk.exceptionally(error -> {
                        failure.compareAndSet(null, error);
                        return null;
                    });
                }
            }
        }

        /**
         * For a destination whose writes must come in order (zoned): chunk after chunk, each READ + WRITE done before
         * the next begins (what Linux's zone write locking allows per zone).
         */
        private CompletableFuture<Void> inOrder(List<long[]> chunks) {
            CompletableFuture<Void> all = CompletableFuture.completedFuture(null);
            for (long[] c : chunks) {
                all = all.thenCompose(v -> source.read(sourceOffset + c[0], (int) c[1])
                        .thenCompose((ByteBuf data) -> destination.write(destinationOffset + c[0], data))
                        .thenRun(() -> progress.accept(c[2])));
            }
            return all.handle((v, error) -> {
                if (error != null) {
                    throw new CopyFailedException("the host-driven part of the copy from " + source.name() + " to "
                            + destination.name() + " failed", error);
                }
                return null;
            });
        }

        /** The chunk size, rounded down to a multiple of both devices' blocks. */
        private int alignedChunk() {
            long lcm = alignment();
            return (int) Math.max(lcm, chunk / lcm * lcm);
        }

        /** Bytes of {@code fallbacks} between {@code from} and {@code to}: what a widened chunk copies for them. */
        private static long bytesIn(List<CopyResult.Fallback> fallbacks, long from, long to) {
            long n = 0;
            for (CopyResult.Fallback f : fallbacks) {
                n += Math.max(0, Math.min(to, f.offset() + f.length()) - Math.max(from, f.offset()));
            }
            return n;
        }

        /** The smallest number of bytes that is whole blocks of both top devices. */
        private long alignment() {
            long a = source.blockSize();
            long b = destination.blockSize();
            return a / gcd(a, b) * b;
        }

        synchronized CopyResult result() {
            return new CopyResult(length, offloaded, length - offloaded, fallbacks);
        }
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
