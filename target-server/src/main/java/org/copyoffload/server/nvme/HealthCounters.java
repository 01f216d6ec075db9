package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters behind the SMART / Health Information log (NVMe Base 2.1, 5.1.12.1.3, Figure 207), kept per
 * subsystem since the log describes the whole NVM subsystem's media.
 *
 * <p>What counts (for the NVM command set): Data Units Read are the blocks of Compare, Read and Verify; Host
 * Read Commands are Compare and Read; Data Units Written and Host Write Commands are Write alone (Write Zeroes
 * shall not count). Zone Append, the zoned write of host data, counts as a Write. Copy moves no host data and
 * counts in neither.
 */
final class HealthCounters {
    /** 293 K, 20 °C: a plausible composite temperature (reported in kelvins). */
    static final int TEMPERATURE_KELVIN = 293;
    /** Critical Warning bit 1: a temperature crossed an over- or under-temperature threshold. */
    static final int CRITICAL_WARNING_TEMPERATURE = 1 << 1;
    private final LongAdder bytesRead = new LongAdder();
    private final LongAdder bytesWritten = new LongAdder();
    private final LongAdder readCommands = new LongAdder();
    private final LongAdder writeCommands = new LongAdder();
    private final LongAdder mediaErrors = new LongAdder();
    private final long startNanos = System.nanoTime();

    /** A Read or Compare whose blocks were read from the media (a miscompare still read them). */
    void read(long bytes) {
        readCommands.increment();
        bytesRead.add(bytes);
    }

    /** A Verify: its blocks are data read, but it is not a host read command. */
    void verified(long bytes) {
        bytesRead.add(bytes);
    }

    /** A Write or Zone Append whose data reached the store. */
    void written(long bytes) {
        writeCommands.increment();
        bytesWritten.add(bytes);
    }

    void mediaError() {
        mediaErrors.increment();
    }

    ByteBuf encode(long errorLogEntries, int criticalWarning) {
        ByteBuf b = Unpooled.buffer(512);
        b.writeZero(512);
        b.setByte(0, criticalWarning);
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
