package org.copyoffload.initiator;

import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * Bounded waits for the hosts' blocking helpers (NVMe/TCP and iSCSI): the command's own exception is rethrown rather
 * than a wrapper, and a result that arrives after the wait gave up is released, since nobody takes it any more.
 */
public final class Await {
    private Await() {
    }

    /**
     * @param failure makes the transport's exception from a message and a cause (null for a timeout)
     */
    public static <T> T await(CompletableFuture<T> future, Duration timeout, String what,
                              BiFunction<String, Throwable, ? extends RuntimeException> failure) {
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
            throw failure.apply(what + ": " + cause, cause);
        } catch (TimeoutException e) {
            future.thenAccept(Await::discard);
            throw failure.apply(what + " timed out after " + timeout.toMillis() + " ms", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.thenAccept(Await::discard);
            throw failure.apply(what + " interrupted", e);
        }
    }

    private static void discard(Object result) {
        if (result instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // nothing to do with a result nobody waits for
            }
        } else {
            ReferenceCountUtil.release(result);
        }
    }
}
