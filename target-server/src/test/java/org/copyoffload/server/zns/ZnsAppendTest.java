package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.*;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeStatusException;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.zns.ZoneDescriptor;
import org.copyoffload.protocol.nvme.zns.ZoneManagementReceive;
import org.copyoffload.protocol.nvme.zns.ZoneManagementSend;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Concurrent Zone Appends on several queues get disjoint LBAs that tile the zone, and their data lands there. */
@ExtendWith(LeakDetectionExtension.class)
class ZnsAppendTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void concurrentAppendsTileTheZone(long seed) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L);
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(4)) {
            int zone = 12;
            List<byte[]> payloads = new ArrayList<>();
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            long total = 0;
            while (true) {
                int blocks = 1 + random.nextInt(3);
                if (total + blocks > ZCAP) {
                    break;
                }
                total += blocks;
                byte[] p = TestServer.randomBytes(random, blocks * BLOCK);
                payloads.add(p);
                futures.add(host.submitIo(random.nextInt(4), append(NS, zslba(zone), blocks, random.nextInt(8) == 0),
                        TestServer.buffer(p), 0));
            }
            TreeMap<Long, byte[]> byLba = new TreeMap<>();
            for (int i = 0; i < futures.size(); i++) {
                try (Completion c = Nvme.await(futures.get(i))) {
                    Nvme.assertSuccess(c);
                    assertThat(byLba.put(lbaOf(c), payloads.get(i))).as("LBA %d returned twice", lbaOf(c)).isNull();
                }
            }
            long expected = zslba(zone);
            for (var e : byLba.entrySet()) {
                assertThat(e.getKey()).isEqualTo(expected);
                int blocks = e.getValue().length / BLOCK;
                assertThat(Nvme.read(host, 0, NS, e.getKey(), blocks)).isEqualTo(e.getValue());
                expected += blocks;
            }
            assertThat(expected).isEqualTo(zslba(zone) + total);
            Descriptor d = zone(host, zone);
            assertThat(d.writePointer()).isEqualTo(zslba(zone) + total);
            assertThat(d.state()).isEqualTo(total == ZCAP ? 0xE : 0x2);
            assertThat(Arrays.asList(ZnsFixture.zones(server).model().committedWritePointer(zone)))
                    .containsExactly(zslba(zone) + total);
        }
    }

    /** The Java host's own zone calls (used by the crash test and the benchmark) against the target. */
    @Test
    void hostZoneCallsAppendReportAndReset() {
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            byte[] data = TestServer.randomBytes(new Random(7), 2 * BLOCK);
            assertThat(host.zoneAppend(0, NS, zslba(5), TestServer.buffer(data), BLOCK, true).join()).isEqualTo(zslba(5));
            assertThat(host.zoneAppend(0, NS, zslba(5), TestServer.buffer(data), BLOCK, false).join()).isEqualTo(zslba(5) + 2);
            var report = host.reportZones(0, NS, zslba(5), 128, 0, true).join();
            assertThat(report.numberOfZones()).isEqualTo(1);
            assertThat(report.zones().getFirst()).isEqualTo(ZoneDescriptor.sequential(
                    ZoneDescriptor.STATE_IMPLICITLY_OPENED, ZCAP, zslba(5), zslba(5) + 4));
            host.zoneSend(0, ZoneManagementSend.of(NS, zslba(5),
                    ZoneSendAction.RESET, false)).join();
            assertThat(host.reportZones(0, NS, 0, 4096, ZoneManagementReceive.EMPTY,
                    false).join().numberOfZones()).isEqualTo(ZONES);
            // A refused append fails the future with the status.
            assertThat(host.zoneAppend(0, NS, zslba(5) + 1, TestServer.buffer(data), BLOCK, false))
                    .failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                    .havingRootCause().isInstanceOf(NvmeStatusException.class);
        }
    }
}
