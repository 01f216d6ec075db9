package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.backends.zone.Zone;
import org.copyoffload.backends.zone.ZoneGeometry;
import org.copyoffload.backends.zone.ZoneLimits;
import org.copyoffload.backends.zone.ZoneMetadataStore;
import org.copyoffload.backends.zone.ZoneState;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.volume.ZonedVolume;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What reaches the zone metadata file while the server runs: nothing for a plain write, the write pointer after a
 * FUA write, a Flush or a zone action. Also the parsed zoned configuration and its defaults.
 */
@ExtendWith(LeakDetectionExtension.class)
class ZnsDurabilityTest {
    @TempDir
    Path dir;
    final Random random = new Random(3);

    /** The zones as a fresh reader of the metadata file sees them now (what a crash would leave). */
    private List<Zone> onDisk(TestServer server) throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.open(dir.resolve("zns.zones"), ZnsFixture.zones(server).geometry())) {
            return s.loadedZones();
        }
    }

    @Test
    void fuaFlushAndZoneActionsMakeTheWritePointerDurable() throws IOException {
        try (TestServer server = ZnsFixture.start(dir); NvmeTcpHost host = server.connect(1)) {
            Nvme.write(host, NS, zslba(0), TestServer.randomBytes(random, 3 * BLOCK), false);
            assertThat(onDisk(server).get(0).writePointer()).as("plain write: not yet durable").isEqualTo(zslba(0));
            Nvme.write(host, NS, zslba(0) + 3, TestServer.randomBytes(random, 2 * BLOCK), true);
            assertThat(onDisk(server).get(0)).as("after FUA")
                    .isEqualTo(new Zone(0, ZoneState.CLOSED, zslba(0), ZCAP, zslba(0) + 5));

            Nvme.write(host, NS, zslba(1), TestServer.randomBytes(random, BLOCK), false);
            assertThat(onDisk(server).get(1).writePointer()).isEqualTo(zslba(1));
            Nvme.ok(host, Nvme.flush(NS));
            assertThat(onDisk(server).get(1).writePointer()).as("after Flush").isEqualTo(zslba(1) + 1);

            sendOk(host, zslba(2), FINISH, false);
            assertThat(onDisk(server).get(2).state()).as("after Finish").isEqualTo(ZoneState.FULL);
            sendOk(host, zslba(0), RESET, false);
            assertThat(onDisk(server).get(0).state()).as("after Reset").isEqualTo(ZoneState.EMPTY);
            try (var c = ZnsFixture.append(host, 0, zslba(3), TestServer.randomBytes(random, BLOCK), true)) {
                Nvme.assertSuccess(c);
            }
            assertThat(onDisk(server).get(3).writePointer()).as("after FUA append").isEqualTo(zslba(3) + 1);
        }
    }

    @Test
    void zonedConfigurationAndDefaults() {
        ServerConfig c = ConfigLoader.parse(yaml(dir, ""), "test");
        ServerConfig.Volume v = c.volumes().get(0);
        assertThat(v.zoned()).isEqualTo(new ServerConfig.Zoned(16384, 16384, ZoneLimits.UNLIMITED, ZoneLimits.UNLIMITED));
        assertThat(v.zonesFile()).isEqualTo(dir.resolve("zns.zones").toAbsolutePath().normalize());
        assertThat(c.volumes().get(1).zoned()).isNull();
        ServerConfig explicit = ConfigLoader.parse(yaml(dir), "test");
        assertThat(explicit.volumes().get(0).zoned()).isEqualTo(new ServerConfig.Zoned(ZSZE, ZCAP, MAX_ACTIVE, MAX_OPEN));
        // Unlimited zones: MAR/MOR FFFFFFFFh.
        try (TestServer server = TestServer.start(dir, yaml(dir, "zone-size: 4MiB"));
             NvmeTcpHost host = server.connect(1)) {
            try (var id = Nvme.admin(host, Nvme.identify(0x05, NS, 2), null, 4096)) {
                Nvme.assertSuccess(id);
                assertThat(id.data().getIntLE(id.data().readerIndex() + 4)).isEqualTo(-1);
                assertThat(id.data().getIntLE(id.data().readerIndex() + 8)).isEqualTo(-1);
                assertThat(id.data().getLongLE(id.data().readerIndex() + 2816)).isEqualTo(1024);
            }
        }
    }

    /**
     * A Reset punches the zone's blocks only once the reset is in the metadata file: a crash between the two must
     * not leave metadata that says Closed over blocks that read as zeros.
     */
    @Test
    void aResetIsOnDiskBeforeItsBlocksArePunched() throws Exception {
        ServerConfig.Volume v = ConfigLoader.parse(ZnsFixture.yaml(dir), "test").volumes().getFirst();
        List<ZoneState> atPunch = new ArrayList<>();
        AtomicBoolean armed = new AtomicBoolean();
        try (var file = FileBlockStore.open(v.file(), v.size(), true)) {
            var store = new BlockStore() {
                @Override public long size() { return file.size(); }
                @Override public void read(long o, ByteBuffer d) throws IOException { file.read(o, d); }
                @Override public void write(long o, ByteBuffer s, boolean f) throws IOException { file.write(o, s, f); }
                @Override public void writeZeroes(long o, long l, boolean d, boolean f) throws IOException { file.writeZeroes(o, l, d, f); }
                @Override public void flush() throws IOException { file.flush(); }
                @Override public long allocatedBytes() throws IOException { return file.allocatedBytes(); }
                @Override public Optional<FileChannel> fileChannel() { return file.fileChannel(); }
                @Override public void close() { }

                @Override
                public void deallocate(long offset, long length) throws IOException {
                    if (armed.get() && offset == zslba(4) * BLOCK) {
                        try (ZoneMetadataStore s = ZoneMetadataStore.open(v.zonesFile(), zonedGeometry())) {
                            atPunch.add(s.loadedZones().get(4).state());
                        }
                    }
                    file.deallocate(offset, length);
                }
            };
            try (var zoned = ZonedVolume.open(v, store)) {
                var w = zoned.reserveWrite(zslba(4), 5).join();
                file.write(zslba(4) * BLOCK, ByteBuffer.wrap(TestServer.randomBytes(random, 5 * BLOCK)), false);
                zoned.complete(w, true);
                armed.set(true);
                zoned.manage(ZoneSendAction.RESET, zslba(4), false);
            }
        }
        assertThat(atPunch).containsExactly(ZoneState.EMPTY);
    }

    private static ZoneGeometry zonedGeometry() {
        return new ZoneGeometry(BLOCK, ZSZE, ZCAP, ZONES);
    }

    /**
     * Two appends to one zone whose data writes finish out of order: the later one, with FUA, is acknowledged only
     * once the earlier one completed, since only then does the recorded write pointer cover it.
     */
    @Test
    void aFuaWriteThatFinishesFirstWaitsForTheWritesBeforeIt() throws Exception {
        ServerConfig.Volume v = ConfigLoader.parse(ZnsFixture.yaml(dir), "test").volumes().getFirst();
        try (FileBlockStore file = FileBlockStore.open(v.file(), v.size(), true);
             ZonedVolume zoned = ZonedVolume.open(v, file)) {
            var first = zoned.reserveAppend(zslba(6), 2).join();
            var second = zoned.reserveAppend(zslba(6), 3).join();
            file.write(second.lba() * BLOCK, ByteBuffer.wrap(TestServer.randomBytes(random, 3 * BLOCK)), false);
            CompletableFuture<Void> acknowledged = CompletableFuture.runAsync(() -> {
                try {
                    zoned.complete(second, true);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            assertThat(acknowledged).as("FUA append acknowledged before the append reserved ahead of it").isNotDone();
            assertThat(zonesOnDisk(v).get(6).writePointer()).isEqualTo(zslba(6));
            file.write(first.lba() * BLOCK, ByteBuffer.wrap(TestServer.randomBytes(random, 2 * BLOCK)), false);
            zoned.complete(first, false);
            acknowledged.get(30, TimeUnit.SECONDS);
            assertThat(zonesOnDisk(v).get(6).writePointer()).isEqualTo(zslba(6) + 5);
        }
    }

    private static List<Zone> zonesOnDisk(ServerConfig.Volume v) throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.open(v.zonesFile(), zonedGeometry())) {
            return s.loadedZones();
        }
    }
}
