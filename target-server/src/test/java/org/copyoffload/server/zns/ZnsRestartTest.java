package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.server.zns.ZnsFixture.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zone states and write pointers across restarts; corrupt or missing metadata and bad zoned configuration stop
 * start-up.
 */
@ExtendWith(LeakDetectionExtension.class)
class ZnsRestartTest {
    @TempDir
    Path dir;
    final Random random = new Random(7);

    private byte[] data(int blocks) {
        return TestServer.randomBytes(random, blocks * BLOCK);
    }

    @Test
    void restartRestoresStatesAndWritePointers() throws IOException {
        byte[] a = data(5);
        byte[] e = data(2);
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            Nvme.write(host, NS, zslba(0), a, false);                 // implicitly opened
            Nvme.write(host, NS, zslba(2), data(3), false);
            sendOk(host, zslba(2), CLOSE, false);                     // closed
            sendOk(host, zslba(3), FINISH, false);                    // full
            Nvme.write(host, NS, zslba(4), e, true);                  // FUA
            Nvme.write(host, NS, zslba(5), data(1), false);
            ZnsFixture.zones(server).setReadOnly(5);                  // read only
            sendOk(host, zslba(6), OPEN, false);
            Nvme.write(host, NS, zslba(6), data((int) ZCAP), false);  // full by writes
            sendOk(host, zslba(1), OPEN, false);                      // explicitly opened, nothing written
            assertThat(ZnsFixture.zones(server).model().activeCount()).isEqualTo(MAX_ACTIVE);
        }
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            Report r = report(host, 0, 0, false, 64 + 64 * 8);
            assertThat(r.zones().stream().map(Descriptor::state).toList())
                    .containsExactly(0x4, 0x1, 0x4, 0xE, 0x4, 0xD, 0xE, 0x1);
            assertThat(r.zones().stream().map(d -> d.writePointer() - d.zslba()).toList())
                    .containsExactly(5L, 0L, 3L, ZCAP, 2L, 1L, ZCAP, 0L);
            assertThat(Nvme.read(host, 0, NS, zslba(0), 5)).isEqualTo(a);
            assertThat(Nvme.read(host, 0, NS, zslba(4), 2)).isEqualTo(e);
            // Writing goes on at the restored write pointer; the closed zones count as active (3, then 4 of 4).
            Nvme.write(host, NS, zslba(0) + 5, data(1), false);
            Nvme.write(host, NS, zslba(7), data(1), false);
            try (var c = Nvme.io(host, Nvme.write(NS, zslba(8), 1, false), TestServer.buffer(data(1)), 0)) {
                Nvme.assertStatus(c, org.copyoffload.protocol.nvme.StatusCode.TOO_MANY_ACTIVE_ZONES, true);
            }
        }
    }

    @Test
    void dataBeyondTheRecoveredWritePointerReadsAsZeros() throws IOException {
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            Nvme.write(host, NS, zslba(0), data(4), false);
        }
        // As if writes above the persisted write pointer had reached the data file before a crash.
        try (FileChannel ch = FileChannel.open(dir.resolve("zns.img"), StandardOpenOption.WRITE)) {
            byte[] junk = new byte[8 * BLOCK];
            Arrays.fill(junk, (byte) 0x5A);
            ch.write(ByteBuffer.wrap(junk), (zslba(0) + 4) * BLOCK);
            ch.write(ByteBuffer.wrap(junk), zslba(9) * BLOCK);
        }
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            assertThat(Nvme.read(host, 0, NS, zslba(0) + 4, 8)).containsOnly(0);
            assertThat(Nvme.read(host, 0, NS, zslba(9), 8)).containsOnly(0);
            assertThat(zone(host, 0).writePointer()).isEqualTo(zslba(0) + 4);
        }
    }

    @Test
    void corruptMetadataStopsStartUpNamingTheFile() throws IOException {
        try (TestServer server = ZnsFixture.start(dir)) {
            assertThat(server.connections()).isZero();
        }
        Path zones = dir.resolve("zns.zones");
        assertThat(zones).exists();
        // Both copies of zone 3's record destroyed.
        try (FileChannel ch = FileChannel.open(zones, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[64]).put(0, (byte) 1), 4096 + 64 * 3);
        }
        assertThatThrownBy(() -> ZnsFixture.start(dir)).hasMessageContaining(zones.toString())
                .hasMessageContaining("zone 3");
        // A bad header.
        try (FileChannel ch = FileChannel.open(zones, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9, 9}), 0);
        }
        assertThatThrownBy(() -> ZnsFixture.start(dir)).hasMessageContaining(zones.toString())
                .hasMessageContaining("magic");
        assertThat(zones).exists();
    }

    /** New metadata would say every zone is Empty, and start-up deallocates Empty zones: the data would be gone. */
    @Test
    void missingMetadataNextToAVolumeWithDataStopsStartUpAndErasesNothing() throws IOException {
        byte[] a = data(5);
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            Nvme.write(host, NS, zslba(0), a, true);
        }
        Path volume = dir.resolve("zns.img");
        Path zones = dir.resolve("zns.zones");
        Path saved = dir.resolve("zns.zones.saved");
        Files.move(zones, saved);
        assertThatThrownBy(() -> ZnsFixture.start(dir)).hasMessageContaining(zones.toString())
                .hasMessageContaining("missing").hasMessageContaining("volume file " + volume + " holds")
                .hasMessageContaining("Restore the metadata file").hasMessageContaining("delete " + volume);
        assertThat(zones).as("no all-Empty metadata created").doesNotExist();
        assertThat(readFile(volume, zslba(0) * BLOCK, 5 * BLOCK)).isEqualTo(a);
        // With its metadata restored the volume comes back as it was.
        Files.move(saved, zones);
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            assertThat(zone(host, 0).writePointer()).isEqualTo(zslba(0) + 5);
            assertThat(Nvme.read(host, 0, NS, zslba(0), 5)).isEqualTo(a);
        }
    }

    /** As after a crash between creating the volume file and its metadata on the first start. */
    @Test
    void missingMetadataNextToAVolumeWithNothingAllocatedIsCreated() throws IOException {
        ZnsFixture.start(dir).close();
        Path zones = dir.resolve("zns.zones");
        Files.delete(zones);
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            assertThat(zone(host, 0).state()).isEqualTo(0x1);
        }
        assertThat(zones).exists();
    }

    private static byte[] readFile(Path file, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b, offset + b.position()) >= 0) {
                // until full or the end of the file
            }
        }
        return b.array();
    }

    @Test
    void aGeometryChangeStopsStartUp() {
        ZnsFixture.start(dir).close();
        assertThatThrownBy(() -> TestServer.start(dir, yaml(dir, "zone-size: 2MiB")))
                .hasMessageContaining(dir.resolve("zns.zones").toString())
                .hasMessageContaining("geometry mismatch");
    }

    @Test
    void badZonedConfigurationNamesTheKey() {
        String[][] cases = {
                {"zone-size: 3MiB", "volumes[0].zoned.zone-size"},
                {"zone-size: 2KiB", "volumes[0].zoned.zone-size"},
                {"zone-size: 128MiB", "volumes[0].zoned.zone-size"},
                {"zone-size: 1MiB, zone-capacity: 2MiB", "volumes[0].zoned.zone-capacity"},
                {"zone-size: 1MiB, zone-capacity: 1000", "volumes[0].zoned.zone-capacity"},
                {"max-active: 4, max-open: 5", "volumes[0].zoned.max-open"},
                {"zone-sise: 1MiB", "volumes[0].zoned.zone-sise"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> TestServer.start(dir, yaml(dir, c[0]))).as(c[0]).hasMessageContaining(c[1]);
        }
    }
}
