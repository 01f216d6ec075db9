package org.copyoffload.server.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.Unpooled;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.nvme.tcp.NvmeTcpQueueHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Warnings about misbehaving peers: at most so many lines per interval, then one summary with the count. */
class RateLimitedWarningsTest {

    static ListAppender<ILoggingEvent> capture(String name) {
        Logger logger = (Logger) LoggerFactory.getLogger(name);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        return appender;
    }

    static void release(String name, ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(name)).detachAppender(appender);
    }

    @Test
    void aBurstLogsTheAllowanceAndTheNextIntervalSaysHowManyWereLeftOut() {
        String name = "test.rate." + System.nanoTime();
        ListAppender<ILoggingEvent> lines = capture(name);
        AtomicLong now = new AtomicLong();
        RateLimitedWarnings w = new RateLimitedWarnings(LoggerFactory.getLogger(name), "bad things", 5,
                Duration.ofSeconds(10), now::get);
        for (int i = 0; i < 1000; i++) {
            w.warn("bad thing {}", i);
        }
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("bad thing 0", "bad thing 1", "bad thing 2", "bad thing 3", "bad thing 4");
        now.addAndGet(Duration.ofSeconds(9).toNanos());
        w.flush();
        assertThat(lines.list).as("the interval is not over yet").hasSize(5);
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        w.flush();
        assertThat(lines.list).hasSize(6);
        assertThat(lines.list.get(5).getFormattedMessage()).startsWith("995 more bad things not logged one by one in "
                + "the last 10 s");
        assertThat(lines.list.get(5).getLevel()).isEqualTo(Level.WARN);
        // A new interval has a new allowance; a quiet one writes no summary.
        w.warn("bad thing {}", 1000);
        now.addAndGet(Duration.ofSeconds(10).toNanos());
        w.flush();
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).last().isEqualTo("bad thing 1000");
        // The summary of a full interval comes before the next interval's first line, if no timer wrote it.
        for (int i = 0; i < 7; i++) {
            w.warn("again {}", i);
        }
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        w.warn("later");
        List<String> tail = lines.list.subList(lines.list.size() - 2, lines.list.size()).stream()
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(tail.get(0)).startsWith("2 more bad things");
        assertThat(tail.get(1)).isEqualTo("later");
        release(name, lines);
    }

    @Test
    void anAllowanceOfNothingIsRefused() {
        assertThatThrownBy(() -> new RateLimitedWarnings(LoggerFactory.getLogger("x"), "x", 0, Duration.ofSeconds(1),
                System::nanoTime)).hasMessageContaining("at least one line");
        assertThatThrownBy(() -> new RateLimitedWarnings(LoggerFactory.getLogger("x"), "x", 1, Duration.ZERO,
                System::nanoTime)).hasMessageContaining("positive interval");
    }

    /** 200 connections that each send a garbage PDU: 200 terminations, a handful of lines; a good host still works. */
    @Test
    void aFloodOfGarbageConnectionsWritesAFewLinesAndTheTargetStillServes(@TempDir Path dir) throws Exception {
        String name = NvmeTcpQueueHandler.class.getName();
        ListAppender<ILoggingEvent> lines = capture(name);
        try (TestServer server = TestServer.start(dir)) {
            for (int i = 0; i < 200; i++) {
                try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
                    OutputStream out = s.getOutputStream();
                    // PDU type 0x7F does not exist: the target answers with a C2HTermReq and closes.
                    out.write(new byte[] {0x7F, 0, 8, 0, 8, 0, 0, 0});
                    out.flush();
                    s.getInputStream().read(new byte[64]);
                }
            }
            try (NvmeTcpHost host = server.connect(1)) {
                host.write(0, TestServer.NS_4K, 0, Unpooled.wrappedBuffer(new byte[4096]), 4096, false).get();
            }
        } finally {
            release(name, lines);
        }
        long terminations = lines.list.stream().filter(e -> e.getFormattedMessage().startsWith("terminating connection"))
                .count();
        // Other tests in this JVM may have used part of the interval's allowance already: at most, not exactly.
        assertThat(terminations).as("lines for 200 terminated connections")
                .isLessThanOrEqualTo(RateLimitedWarnings.DEFAULT_PER_INTERVAL);
    }
}
