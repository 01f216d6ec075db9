package org.copyoffload.initiator.nvme;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bounded waits for the blocking helpers, rethrowing the command's own exception rather than a wrapper. */
final class Futures {
    private Futures() {
    }

    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new NvmeTransportException(what + ": " + cause, cause);
        } catch (TimeoutException e) {
            // A late completion is dropped, and its data released, if nobody is waiting any more.
            future.thenAccept(Futures::discard);
            throw new NvmeTransportException(what + " timed out after " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.thenAccept(Futures::discard);
            throw new NvmeTransportException(what + " interrupted", e);
        }
    }

    private static void discard(Object result) {
        if (result instanceof Completion c) {
            c.close();
        }
    }
}
