package org.copyoffload.server.net;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Work a storage thread, a timer or the stopping server hands to a connection's event loop. Once the loop has shut
 * down (the server is stopping) it refuses new tasks; its connections are then gone and nobody waits for an
 * answer, so the work is dropped after {@code ifGone} released what it held. Netty may shut a loop down without
 * firing channelInactive on its channels, so such a hand-over can come from any thread, even the one closing the
 * server, and must not throw there.
 */
public final class LoopTasks {
    private LoopTasks() {
    }

    /** Runs {@code task} on {@code loop}; if the loop refuses it, runs {@code ifGone} on the calling thread. */
    public static void execute(EventExecutor loop, Runnable task, Runnable ifGone) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            ifGone.run();
        }
    }

    /** As above, for work that holds nothing. */
    public static void execute(EventExecutor loop, Runnable task) {
        execute(loop, task, () -> { });
    }
}
