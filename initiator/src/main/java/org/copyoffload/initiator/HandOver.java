package org.copyoffload.initiator;

import io.netty.channel.EventLoop;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Commands handed to a connection's event loop from other threads: a lock-free queue drained by one task at a
 * time, so a burst of submissions costs one task and one flush. If the loop is gone, whoever finds that out fails
 * what was handed over. Shared by the NVMe/TCP queue and the iSCSI connection handlers.
 *
 * @param <T> the command type
 */
public final class HandOver<T> {
    /** Multi-consumer: the event loop drains it, and a submitter fails it if the loop is gone. */
    private final Queue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Consumer<T> take;
    private final Runnable afterDrain;
    private final Consumer<RejectedExecutionException> loopGone;

    /**
     * @param take       runs on the loop for each command, in submission order
     * @param afterDrain runs on the loop after each drain (the flush)
     * @param loopGone   runs when the loop refuses the drain task; it should call {@link #failAll}
     */
    public HandOver(Consumer<T> take, Runnable afterDrain, Consumer<RejectedExecutionException> loopGone) {
        this.take = take;
        this.afterDrain = afterDrain;
        this.loopGone = loopGone;
    }

    /** Hands {@code command} to {@code loop} (from a thread that is not the loop's). */
    public void add(EventLoop loop, T command) {
        queue.add(command);
        while (drainScheduled.compareAndSet(false, true)) {
            try {
                loop.execute(this::drain);
                return;
            } catch (RejectedExecutionException e) {
                loopGone.accept(e);
                drainScheduled.set(false);
                if (queue.isEmpty()) {
                    return;
                }
            }
        }
    }

    private void drain() {
        drainScheduled.set(false);
        T command;
        while ((command = queue.poll()) != null) {
            take.accept(command);
        }
        afterDrain.run();
    }

    /** Fails everything handed over and not yet taken. */
    public void failAll(Consumer<T> fail) {
        T command;
        while ((command = queue.poll()) != null) {
            fail.accept(command);
        }
    }
}
