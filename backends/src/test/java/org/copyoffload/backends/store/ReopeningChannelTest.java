package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReopeningChannelTest {
    @TempDir
    Path dir;

    private Path file;

    @BeforeEach
    void makeFile() throws IOException {
        file = Files.write(dir.resolve("f"), new byte[] {1, 2, 3, 4});
    }

    private static int readFirstByte(FileChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        channel.read(one, 0);
        return one.get(0);
    }

    @Test
    void aCallerWhoseChannelWasClosedUnderItRetriesOnAFreshOne() throws IOException {
        try (ReopeningChannel channel = ReopeningChannel.open(file, StandardOpenOption.READ)) {
            FileChannel first = channel.current();
            AtomicInteger attempts = new AtomicInteger();
            int value = channel.call(ch -> {
                if (attempts.getAndIncrement() == 0) {
                    ch.close(); // what another thread's interrupt does to a shared FileChannel
                    throw new AsynchronousCloseException();
                }
                return readFirstByte(ch);
            });
            assertThat(value).isEqualTo(1);
            assertThat(attempts).hasValue(2);
            assertThat(channel.current()).isNotSameAs(first);
            assertThat(channel.current().isOpen()).isTrue();
        }
    }

    @Test
    void theInterruptedCallerFailsAndTheNextCallerGetsAFreshChannel() throws IOException {
        try (ReopeningChannel channel = ReopeningChannel.open(file, StandardOpenOption.READ)) {
            Thread.currentThread().interrupt();
            try {
                assertThatThrownBy(() -> channel.call(ReopeningChannelTest::readFirstByte))
                        .isInstanceOf(ClosedByInterruptException.class);
            } finally {
                Thread.interrupted();
            }
            assertThat(channel.call(ReopeningChannelTest::readFirstByte)).isEqualTo(1);
        }
    }

    @Test
    void givesUpWhenTheChannelKeepsClosing() throws IOException {
        try (ReopeningChannel channel = ReopeningChannel.open(file, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> channel.call(ch -> {
                ch.close();
                throw new AsynchronousCloseException();
            })).isInstanceOf(AsynchronousCloseException.class);
        }
    }

    @Test
    void staysClosedOnceClosed() throws IOException {
        ReopeningChannel channel = ReopeningChannel.open(file, StandardOpenOption.READ);
        channel.close();
        assertThatThrownBy(channel::current).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> channel.call(ReopeningChannelTest::readFirstByte))
                .isInstanceOf(ClosedChannelException.class);
    }
}
