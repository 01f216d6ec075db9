package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters behind the SMART / Health Information log (NVMe Base 2.1, 5.1.12.1.3, Figure 207), kept per
 * subsystem since the log describes the whole NVM subsystem's media.
 */
final class HealthCounters {
    /** 293 K, 20 °C: a plausible composite temperature (reported in kelvins). */
    private static final int TEMPERATURE_KELVIN = 293;
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder readCommands = new LongAdder();
    private final LongAdder writeCommands = new LongAdder();
    private final LongAdder mediaErrors = new LongAdder();
    private final long startNanos = System.nanoTime();

    void read(long bytes) {
        readCommands.increment();
        bytesRead.add(bytes);
    }

    void written(long bytes) {
        writeCommands.increment();
        bytesWritten.add(bytes);
    }

    void mediaError() {
        mediaErrors.increment();
    }

    ByteBuf encode(long errorLogEntries) {
        ByteBuf b = Unpooled.buffer(512);
        b.writeZero(512);
        b.setShortLE(1, TEMPERATURE_KELVIN);
        b.setByte(3, 100);
        b.setByte(4, 10);
        // Data Units Read/Written count thousands of 512-byte units, rounded up.
        b.setLongLE(32, (bytesRead.sum() / 512 + 999) / 1000);
        b.setLongLE(48, (bytesWritten.sum() / 512 + 999) / 1000);
        b.setLongLE(64, readCommands.sum());
        b.setLongLE(80, writeCommands.sum());
        b.setLongLE(112, 1);
        b.setLongLE(128, TimeUnit.NANOSECONDS.toHours(System.nanoTime() - startNanos));
        b.setLongLE(160, mediaErrors.sum());
        b.setLongLE(176, errorLogEntries);
        return b;
    }
}
