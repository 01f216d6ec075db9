package org.copyoffload.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import org.copyoffload.initiator.nvme.NvmeTcpHost;

/**
 * One pass of writes over a whole namespace into deallocated blocks: how the zoned group measures its Write, and the
 * nvme group the same 128 KiB write for comparison. Dirty pages are written back first (sync), so no pass pays for an
 * earlier one's write-back, and the namespace is deallocated only then, just before the writes, so the memory that
 * frees is reused at once (memory left free for a few seconds goes back to this VM's host; README, Benchmarks).
 */
final class DeallocatedPass {
    private DeallocatedPass() {
    }

    /**
     * Deallocates namespace {@code nsid} ({@code nsBlocks} blocks), then keeps {@code depth} of {@code write} in flight
     * until {@code nsBlocks / blocksPerWrite} have completed (one pass, when {@code write} walks the namespace in
     * order from sequence 0) or {@code duration} has passed.
     */
    static ClosedLoop.Result run(NvmeTcpHost host, int nsid, long nsBlocks, int blocksPerWrite, int depth,
                                 Duration duration, LongFunction<CompletableFuture<Long>> write)
            throws IOException, InterruptedException {
        CopyBenchmark.settle();
        CopyBenchmark.deallocate(host, nsid, 0, nsBlocks);
        return ClosedLoop.run(depth, nsBlocks / blocksPerWrite, duration, write);
    }
}
