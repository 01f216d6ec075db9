package org.copyoffload.initiator.nvme;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.initiator.Await;

/** Bounded waits for the blocking helpers, failing with {@link NvmeTransportException}. */
final class Futures {
    private Futures() {
    }

    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        return Await.await(future, timeout, what, NvmeTransportException::new);
    }
}
