package org.copyoffload.backends.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/**
 * A FileChannel that survives thread interrupts. An interrupt during any FileChannel call closes the channel for
 * every thread (InterruptibleChannel contract); for a long-lived volume shared by many I/O threads that would turn
 * one cancelled task into a dead volume. Here the interrupted caller still fails with ClosedByInterruptException,
 * but the next caller gets a freshly opened channel, and callers caught in the crossfire retry.
 */
final class ReopeningChannel implements Closeable {
    private static final int ATTEMPTS = 8; // bounded: a storm of interrupts elsewhere must not trap a caller

    /** One idempotent positional call (pread, pwrite, ...), safe to repeat after an asynchronous close. */
    @FunctionalInterface
    interface Call<T> {
        T apply(FileChannel channel) throws IOException;
    }

    private final Path path;
    private final OpenOption[] options;
    private volatile FileChannel channel;
    private volatile boolean closed;

    private ReopeningChannel(Path path, OpenOption[] options, FileChannel channel) {
        this.path = path;
        this.options = options.clone();
        this.channel = channel;
    }

    static ReopeningChannel open(Path path, OpenOption... options) throws IOException {
        return new ReopeningChannel(path, options, FileChannel.open(path, options));
    }

    /** The current channel, reopened if an interrupt closed it. */
    FileChannel current() throws IOException {
        FileChannel ch = channel;
        return ch.isOpen() ? ch : reopen(ch);
    }

    <T> T call(Call<T> call) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.apply(current());
            } catch (ClosedByInterruptException e) {
                throw e; // this thread was interrupted: its own call fails
            } catch (ClosedChannelException e) {
                // Another thread's interrupt closed the channel under us: go again on a fresh one.
                if (closed || attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private synchronized FileChannel reopen(FileChannel stale) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (channel == stale) {
            channel = FileChannel.open(path, options);
        }
        return channel;
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        channel.close();
    }
}
