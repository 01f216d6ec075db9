package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.TestServer.NS_4K;
import static org.copyoffload.server.TestServer.NS_512;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SMART / Health Information log (NVMe Base 2.1, 5.1.12.1.3) end to end: the I/O counters and Critical
 * Warning's temperature bit. The counters are kept per subsystem, so each test starts its own server: every
 * count is then known exactly, rounding included.
 */
@ExtendWith(LeakDetectionExtension.class)
class HealthLogTest {
    static final int NSID_ALL = 0xFFFFFFFF;

    @TempDir
    Path dir;

    /** The fields under test. The counters are 128-bit; their upper halves stay zero here. */
    record Health(int criticalWarning, int temperature, long dataUnitsRead, long dataUnitsWritten,
                  long hostReadCommands, long hostWriteCommands) {
        static Health of(NvmeTcpHost h) {
            ByteBuf b = h.getLogPage(NSID_ALL, LogPageId.SMART_HEALTH, 0, 0, 512);
            try {
                int at = b.readerIndex();
                for (int field = 32; field < 96; field += 16) {
                    assertThat(b.getLongLE(at + field + 8)).as("upper half of the counter at byte %d", field).isZero();
                }
                return new Health(b.getUnsignedByte(at), b.getUnsignedShortLE(at + 1), b.getLongLE(at + 32),
                        b.getLongLE(at + 48), b.getLongLE(at + 64), b.getLongLE(at + 80));
            } finally {
                b.release();
            }
        }
    }

    /** Data units are thousands of 512-byte units, rounded up; the temperature is the target's fixed 293 K. */
    static void expect(NvmeTcpHost h, long dataUnitsRead, long dataUnitsWritten, long hostReads, long hostWrites) {
        assertThat(Health.of(h)).isEqualTo(new Health(0, 293, dataUnitsRead, dataUnitsWritten, hostReads, hostWrites));
    }

    static void ok(NvmeTcpHost h, Completion c) {
        try (c) {
            Nvme.assertSuccess(c);
        }
    }

    @Test
    void ioCountersCountHostReadsAndWritesInThousandsOf512ByteUnitsRoundedUp() {
        try (TestServer server = TestServer.start(dir); NvmeTcpHost h = server.connect(1)) {
            expect(h, 0, 0, 0, 0);
            long lba = server.allocate(NS_4K, 256);
            long small = server.allocate(NS_512, 8);
            Random random = new Random(7);
            byte[] block = TestServer.randomBytes(random, 4096);

            // One 4 KiB block is 8 units of 512 bytes: a partial thousand, rounded up to 1.
            Nvme.write(h, NS_4K, lba, block, false);
            expect(h, 0, 1, 0, 1);
            // 124 more make 1,000 units: still 1.
            Nvme.write(h, NS_4K, lba + 1, TestServer.randomBytes(random, 124 * 4096), true);
            expect(h, 0, 1, 0, 2);
            // One 512-byte block: 1,001 units, 2.
            Nvme.write(h, NS_512, small, TestServer.randomBytes(random, 512), false);
            expect(h, 0, 2, 0, 3);

            // Write Zeroes (not a host write, 5.1.12.1.3), Dataset Management, Flush and a failed Write count nothing.
            Nvme.ok(h, Nvme.writeZeroes(NS_4K, lba + 200, 16, false));
            ok(h, Nvme.io(h, Nvme.datasetManagement(NS_4K, 1, true), Nvme.dsmRanges(new long[] {lba + 216, 8}), 0));
            Nvme.ok(h, Nvme.flush(NS_4K));
            Nvme.expectIo(h, Nvme.write(NS_4K, TestServer.blockCount(NS_4K), 1, false), TestServer.buffer(block), 0,
                    StatusCode.LBA_OUT_OF_RANGE, true);
            expect(h, 0, 2, 0, 3);

            // Reads of 3 blocks of 4 KiB and one of 512 bytes: 25 units; a failed Read counts nothing.
            Nvme.read(h, NS_4K, lba, 3);
            Nvme.read(h, NS_512, small, 1);
            Nvme.expectIo(h, Nvme.read(NS_4K, TestServer.blockCount(NS_4K), 1), null, 4096, StatusCode.LBA_OUT_OF_RANGE, true);
            expect(h, 1, 2, 2, 3);
            // Compare is a host read command, matching or not: 8 + 1 more units, 34.
            ok(h, Nvme.io(h, Nvme.compare(NS_4K, lba, 1), TestServer.buffer(block), 0));
            Nvme.expectIo(h, Nvme.compare(NS_512, small, 1), TestServer.buffer(new byte[512]), 0,
                    StatusCode.COMPARE_FAILURE, true);
            expect(h, 1, 2, 4, 3);
            // Verify reads its blocks but is no host read command: 250 blocks of 4 KiB are 2,000 units, 2,034 in all.
            Nvme.ok(h, Nvme.verify(NS_4K, lba, 250));
            expect(h, 3, 2, 4, 3);
        }
    }

    /** Set Features Temperature Threshold (FID 04h): TMPSEL in CDW11 19:16, THSEL 21:20, TMPTH 15:0 in kelvins. */
    static void threshold(NvmeTcpHost h, int tmpsel, int thsel, int kelvin) {
        try (Completion c = Nvme.admin(h, Nvme.setFeatures(0x04, (thsel << 20) | (tmpsel << 16) | kelvin, false))) {
            Nvme.assertSuccess(c);
        }
    }

    static int criticalWarning(NvmeTcpHost h) {
        return Health.of(h).criticalWarning();
    }

    @Test
    void criticalWarningBit1FollowsTheTemperatureThresholdsTheHostSets() {
        int over = 0;
        int under = 1;
        int composite = 0;
        int allSensors = 0xF;
        try (TestServer server = TestServer.start(dir); NvmeTcpHost h = server.connect(0)) {
            // Defaults: over-temperature 343 K, under-temperature 0 K; the composite temperature is 293 K.
            assertThat(criticalWarning(h)).isZero();
            // At or above the over-temperature threshold.
            threshold(h, composite, over, 280);
            assertThat(criticalWarning(h)).isEqualTo(0x2);
            threshold(h, composite, over, 293);
            assertThat(criticalWarning(h)).as("at the threshold").isEqualTo(0x2);
            threshold(h, composite, over, 294);
            assertThat(criticalWarning(h)).isZero();
            // At or below the under-temperature threshold.
            threshold(h, composite, under, 300);
            assertThat(criticalWarning(h)).isEqualTo(0x2);
            threshold(h, composite, under, 293);
            assertThat(criticalWarning(h)).as("at the threshold").isEqualTo(0x2);
            threshold(h, composite, under, 292);
            assertThat(criticalWarning(h)).isZero();
            // Sensor 1 is not implemented: its threshold is never crossed. TMPSEL Fh sets the composite's too.
            threshold(h, 1, over, 250);
            assertThat(criticalWarning(h)).isZero();
            threshold(h, allSensors, over, 250);
            assertThat(criticalWarning(h)).isEqualTo(0x2);
            threshold(h, allSensors, over, 343);
            assertThat(criticalWarning(h)).isZero();
        }
    }

    @Test
    void zonedWritesAndZoneAppendCountButZonedWriteZeroesDoesNot() {
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: zns, size: 16MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 1MiB}}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: zns}
                """.formatted(dir, TestServer.NQN);
        int zoneBlocks = 256;
        try (TestServer server = TestServer.start(dir, yaml); NvmeTcpHost h = server.connect(1)) {
            byte[] two = TestServer.randomBytes(new Random(8), 2 * 4096);
            Nvme.write(h, 1, 0, two, false);
            expect(h, 0, 1, 0, 1);
            // 124 blocks zeroed at the write pointer: counted, they would make 1,008 units and a second command.
            Nvme.ok(h, Nvme.writeZeroes(1, 2, 124, false));
            expect(h, 0, 1, 0, 1);
            ok(h, Nvme.io(h, Nvme.rw(NvmOpcode.ZONE_APPEND, 1, zoneBlocks, 2, 0), TestServer.buffer(two), 0));
            expect(h, 0, 1, 0, 2);
        }
    }
}
