package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.copy.BlockCopier;
import org.copyoffload.initiator.copy.CopyResult;
import org.copyoffload.initiator.copy.EncryptedFile;
import org.copyoffload.initiator.copy.FallbackReason;
import org.copyoffload.initiator.copy.LinearDevice;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host-side copy path against the real target over NVMe/TCP: what the driver offloads (inside a namespace, across
 * namespaces once CDFE is enabled), what it refuses and why (an NVMe 2.0 controller, CDFE not enabled, another
 * controller), small limits that split a copy into many commands, and the data that arrives in every case.
 */
@ExtendWith(LeakDetectionExtension.class)
class BlockCopyPathTest {
    static final String OLD_NQN = "nqn.2026-01.org.copyoffload:v20";
    @TempDir
    Path dir;

    TestServer start() {
        return start("");
    }

    /** {@code nvme} extra settings, e.g. {@code "nvme: {mdts: 2}\n"}. */
    TestServer start(String nvme) {
        String yaml = nvme + """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 8MiB, block-size: 4096}
                  - {name: b, size: 8MiB, block-size: 4096}
                  - {name: c, size: 8MiB, block-size: 4096}
                  - {name: d, size: 8MiB, block-size: 4096}
                  - {name: z, size: 8MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 1MiB}}
                subsystems:
                  - nqn: %s
                    nvme-version: "2.1"
                    namespaces:
                      - {nsid: 1, volume: a}
                      - {nsid: 2, volume: b, mssrl: 8, mcl: 24, msrc: 1}
                      - {nsid: 3, volume: z}
                  - nqn: %s
                    nvme-version: "2.0"
                    namespaces:
                      - {nsid: 1, volume: c}
                      - {nsid: 2, volume: d}
                """.formatted(dir, TestServer.NQN, OLD_NQN);
        return TestServer.start(dir, yaml);
    }

    /** Random blocks written 32 at a time (within MDTS). */
    static byte[] fill(NvmeTcpHost h, int nsid, long lba, int blocks, long seed) {
        return fill(h, nsid, lba, blocks, seed, 32);
    }

    /** Random blocks written {@code perCommand} at a time. */
    static byte[] fill(NvmeTcpHost h, int nsid, long lba, int blocks, long seed, int perCommand) {
        byte[] data = TestServer.randomBytes(new Random(seed), blocks * 4096);
        for (int at = 0; at < blocks; at += perCommand) {
            int n = Math.min(perCommand, blocks - at);
            Nvme.write(h, nsid, lba + at, java.util.Arrays.copyOfRange(data, at * 4096, (at + n) * 4096), false);
        }
        return data;
    }

    static byte[] read(NvmeTcpHost h, int nsid, long lba, int blocks) {
        return read(h, nsid, lba, blocks, 32);
    }

    static byte[] read(NvmeTcpHost h, int nsid, long lba, int blocks, int perCommand) {
        byte[] out = new byte[blocks * 4096];
        for (int at = 0; at < blocks; at += perCommand) {
            int n = Math.min(perCommand, blocks - at);
            System.arraycopy(TestServer.bytesOf(Nvme.await(h.read(0, nsid, lba + at, n, 4096))), 0, out, at * 4096,
                    n * 4096);
        }
        return out;
    }

    @Test
    void insideANamespaceTheCopyIsOffloadedAndNoDataCrossesTheWire() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(2)) {
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            byte[] data = fill(h, 1, 0, 256, 1);
            TrafficSnapshot before = h.traffic().snapshot();
            CopyResult r = new BlockCopier().copy(a, 0, a, 1 << 20, 1 << 20).join();
            TrafficSnapshot wire = h.traffic().snapshot().minus(before);
            assertThat(r.bytesOffloaded()).isEqualTo(1 << 20);
            assertThat(r.fallbacks()).isEmpty();
            assertThat(wire.bytesSent() + wire.bytesReceived()).as("bytes on the wire").isLessThan(1024);
            assertThat(read(h, 1, 256, 256)).isEqualTo(data);
        }
    }

    @Test
    void acrossNamespacesItNeedsCdfeAndThenRespectsTheDestinationsLimits() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1)) {
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            NvmeNamespaceDevice b = NvmeNamespaceDevice.open(h, 2);
            byte[] data = fill(h, 1, 0, 100, 2);
            CopyResult refused = new BlockCopier().copy(a, 0, b, 0, 100 * 4096).join();
            assertThat(refused.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                    .isEqualTo(FallbackReason.FORMAT_NOT_ENABLED);
            assertThat(read(h, 2, 0, 100)).isEqualTo(data);

            NvmeNamespaceDevice.enableCrossNamespaceCopy(h);
            byte[] more = fill(h, 1, 200, 100, 3);
            TrafficSnapshot before = h.ioTraffic(0).snapshot();
            CopyResult r = new BlockCopier().copy(a, 200 * 4096, b, 300 * 4096, 100 * 4096).join();
            TrafficSnapshot wire = h.ioTraffic(0).snapshot().minus(before);
            assertThat(r.bytesOffloaded()).isEqualTo(100 * 4096);
            // MSSRL 8 and MSRC 1 (two ranges) make at most 16 blocks per command, below MCL 24: 7 commands.
            assertThat(wire.pdusSent()).as("Copy commands sent").isEqualTo(7);
            assertThat(read(h, 2, 300, 100)).isEqualTo(more);
        }
    }

    @Test
    void anEncryptedFilesBlocksMoveAcrossNamespacesOffloadedAndStillDecrypt() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1)) {
            NvmeNamespaceDevice.enableCrossNamespaceCopy(h);
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            NvmeNamespaceDevice c = NvmeNamespaceDevice.open(h, 2);
            LinearDevice linear = new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, 1 << 20),
                    new LinearDevice.Segment(c, 0, 1 << 20)));
            byte[] key = new byte[64];
            new Random(8).nextBytes(key);
            EncryptedFile file = new EncryptedFile(linear, key, 64);
            byte[] plain = TestServer.randomBytes(new Random(9), 64 * 4096);
            file.write(0, java.util.Arrays.copyOfRange(plain, 0, 32 * 4096), 0).join();
            file.write(32, java.util.Arrays.copyOfRange(plain, 32 * 4096, 64 * 4096), 100 * 4096).join();
            byte[] stored = read(h, 1, 0, 32);
            TrafficSnapshot before = h.traffic().snapshot();
            // From namespace 1 to namespace 2 (the linear device's second MiB): Copy with format 2h, no data moved.
            CopyResult r = file.move(0, 64, (256 + 16) * 4096, new BlockCopier()).join();
            TrafficSnapshot wire = h.traffic().snapshot().minus(before);
            assertThat(r.bytesOffloaded()).isEqualTo(64 * 4096);
            // The only data on the wire are the Copy commands' source range descriptors.
            assertThat(wire.dataBytesSent() + wire.dataBytesReceived()).as("data on the wire").isLessThan(64 * 4096 / 100);
            assertThat(read(h, 2, 16, 32)).as("the ciphertext as it was").isEqualTo(stored);
            assertThat(file.read(0, 64).join()).isEqualTo(plain);
        }
    }

    @Test
    void anNvme20ControllerAndAnotherControllerFallBackWithTheirReasons() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(1);
             NvmeTcpHost old = server.connect(server.options(OLD_NQN).ioQueues(1).build())) {
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            NvmeNamespaceDevice c = NvmeNamespaceDevice.open(old, 1);
            byte[] data = fill(h, 1, 0, 16, 4);
            CopyResult other = new BlockCopier().copy(a, 0, c, 0, 16 * 4096).join();
            assertThat(other.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                    .isEqualTo(FallbackReason.DIFFERENT_DEVICES);
            assertThat(read(old, 1, 0, 16)).isEqualTo(data);
            // Across namespaces of the NVMe 2.0 controller: no format 2h to do it with.
            NvmeNamespaceDevice d = NvmeNamespaceDevice.open(old, 2);
            CopyResult v20 = new BlockCopier().copy(c, 0, d, 0, 16 * 4096).join();
            assertThat(v20.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                    .isEqualTo(FallbackReason.NO_CROSS_NAMESPACE_FORMAT);
            assertThat(read(old, 2, 0, 16)).isEqualTo(data);
            // A linear device over both: of 32 blocks to blocks 48-79, the 16 landing on a are offloaded, the 16 on c not.
            LinearDevice linear = new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, 64 * 4096),
                    new LinearDevice.Segment(c, 0, 64 * 4096)));
            CopyResult mixed = new BlockCopier().copy(linear, 0, linear, 48 * 4096, 32 * 4096).join();
            assertThat(mixed.bytesOffloaded()).isEqualTo(16 * 4096);
            assertThat(mixed.fallbacks()).singleElement().satisfies(f -> {
                assertThat(f.reason()).isEqualTo(FallbackReason.DIFFERENT_DEVICES);
                assertThat(f.offset()).isEqualTo(16 * 4096);
            });
            assertThat(read(old, 1, 0, 16)).as("c got a's blocks 16-31").isEqualTo(read(h, 1, 16, 16));
        }
    }

    /**
     * A controller whose MDTS (16 KiB) is below the fallback's 128 KiB chunks: the device splits each READ and WRITE
     * into commands the controller takes (before, every one failed with Invalid Field), in order into a zone.
     */
    @Test
    void theFallbackSplitsItsReadsAndWritesAtTheControllersMdts() {
        try (TestServer server = start("nvme: {mdts: 2}\n"); NvmeTcpHost h = server.connect(2)) {
            assertThat(h.controller().maxTransferBytes()).isEqualTo(16384);
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            NvmeNamespaceDevice z = NvmeNamespaceDevice.open(h, 3);
            byte[] data = fill(h, 1, 0, 100, 100, 4);
            TrafficSnapshot before = h.traffic().snapshot();
            CopyResult r = new BlockCopier().copyHostDriven(a, 0, a, 512 * 4096, 100 * 4096).join();
            assertThat(r.bytesByFallback()).isEqualTo(100 * 4096);
            // 25 READs and 25 WRITEs of at most 4 blocks, each with its response.
            assertThat(h.traffic().snapshot().minus(before).pdusSent()).as("PDUs sent").isGreaterThanOrEqualTo(50);
            assertThat(read(h, 1, 512, 100, 4)).isEqualTo(data);
            assertThat(new BlockCopier().copyHostDriven(a, 0, z, 0, 100 * 4096).join().bytesByFallback())
                    .isEqualTo(100 * 4096);
            assertThat(read(h, 3, 0, 100, 4)).as("zoned").isEqualTo(data);
        }
    }

    @Test
    void intoAZonedNamespaceTheCopyGoesToTheWritePointerOffloadedOrInOrder() {
        try (TestServer server = start(); NvmeTcpHost h = server.connect(2)) {
            NvmeNamespaceDevice.enableCrossNamespaceCopy(h);
            NvmeNamespaceDevice a = NvmeNamespaceDevice.open(h, 1);
            NvmeNamespaceDevice z = NvmeNamespaceDevice.open(h, 3);
            assertThat(z.zoned()).isTrue();
            assertThat(a.zoned()).isFalse();
            byte[] data = fill(h, 1, 0, 256, 6);
            CopyResult offloaded = new BlockCopier().copy(a, 0, z, 0, 200 * 4096).join();
            assertThat(offloaded.bytesOffloaded()).isEqualTo(200 * 4096);
            // Forced host-driven: 56 blocks as 128 KiB writes, one at a time at the write pointer.
            CopyResult hostDriven = new BlockCopier().copyHostDriven(a, 200 * 4096, z, 200 * 4096, 56 * 4096).join();
            assertThat(hostDriven.bytesByFallback()).isEqualTo(56 * 4096);
            assertThat(read(h, 3, 0, 256)).isEqualTo(data);
            // Across a zone's end (zones of 256 blocks): the device splits Copy commands and writes there.
            byte[] more = fill(h, 1, 256, 300, 7);
            assertThat(new BlockCopier().copy(a, 256 * 4096, z, 256 * 4096, 300 * 4096).join().bytesOffloaded())
                    .isEqualTo(300 * 4096);
            assertThat(read(h, 3, 256, 300)).isEqualTo(more);
            assertThat(new BlockCopier().copyHostDriven(a, 256 * 4096, z, 1024 * 4096, 300 * 4096).join()
                    .bytesByFallback()).isEqualTo(300 * 4096);
            assertThat(read(h, 3, 1024, 300)).isEqualTo(more);
            // Not at the write pointer (zone 6 is empty, its write pointer at its start): refused, and the
            // fallback's write is refused too, so the copy fails rather than report success.
            assertThatThrownBy(() -> new BlockCopier().copy(a, 0, z, (6 * 256 + 10) * 4096, 8 * 4096).join())
                    .hasCauseInstanceOf(org.copyoffload.initiator.copy.CopyFailedException.class);
        }
    }
}
