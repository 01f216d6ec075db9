package org.copyoffload.bench;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongFunction;

/**
 * Keeps {@code depth} operations in flight for a fixed time: each completion starts the next one, as fio's
 * iodepth does. Counts completed operations and bytes; the first failure ends the run.
 */
final class ClosedLoop {
    record Result(long operations, long bytes, double seconds, double cpuSeconds) {
        /** CPU time of the whole process (host and target) per GB moved: what a figure costs, whatever else runs. */
        double cpuSecondsPerGb() {
            return bytes == 0 ? 0 : cpuSeconds / (bytes / 1e9);
        }

        double iops() {
            return operations / seconds;
        }

        double bytesPerSecond() {
            return bytes / seconds;
        }
    }

    private ClosedLoop() {
    }

    /** {@code operation.apply(sequence)} starts one operation and returns a future of the bytes it moved. */
    static Result run(int depth, Duration duration, LongFunction<CompletableFuture<Long>> operation)
            throws InterruptedException {
        return run(depth, Long.MAX_VALUE, duration, operation);
    }

    /** As {@link #run(int, Duration, LongFunction)}, stopping after {@code limit} operations at the latest. */
    static Result run(int depth, long limit, Duration duration, LongFunction<CompletableFuture<Long>> operation)
            throws InterruptedException {
        AtomicLong sequence = new AtomicLong();
        AtomicLong operations = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch drained = new CountDownLatch(depth);
        long cpuStart = ProcessCpu.nanos();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int i = 0; i < depth; i++) {
            issue(operation, limit, sequence, operations, bytes, failure, drained, end);
        }
        if (!drained.await(duration.toMillis() + 60_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("operations did not complete within a minute of the run's end");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException("an operation failed", failure.get());
        }
        return new Result(operations.get(), bytes.get(), seconds, (ProcessCpu.nanos() - cpuStart) / 1e9);
    }

    private static void issue(LongFunction<CompletableFuture<Long>> operation, long limit, AtomicLong sequence,
                              AtomicLong operations, AtomicLong bytes, AtomicReference<Throwable> failure,
                              CountDownLatch drained, long end) {
        long seq = sequence.getAndIncrement();
        if (seq >= limit || System.nanoTime() >= end || failure.get() != null) {
            drained.countDown();
            return;
        }
        operation.apply(seq).whenComplete((n, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            } else {
                operations.incrementAndGet();
                bytes.addAndGet(n);
            }
            issue(operation, limit, sequence, operations, bytes, failure, drained, end);
        });
    }
}
