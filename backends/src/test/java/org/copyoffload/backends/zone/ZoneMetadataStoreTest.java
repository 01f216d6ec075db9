package org.copyoffload.backends.zone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.backends.zone.ZoneState.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.backends.store.MemoryBlockStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ZoneMetadataStoreTest {
    static final ZoneGeometry G = new ZoneGeometry(4096, 16, 12, 4);
    static final long VOLUME_BYTES = 4 * 16 * 4096L;

    @TempDir
    Path dir;

    Path file() {
        return dir.resolve("volume.zones");
    }

    Path volume() {
        return dir.resolve("volume.img");
    }

    static long recordOffset(int zone, int slot) {
        return ZoneMetadataStore.RECORDS_OFFSET + (long) ZoneMetadataStore.ZONE_BYTES * zone
                + (long) slot * ZoneMetadataStore.RECORD_BYTES;
    }

    static Zone zone(int z, ZoneState s, long wp) {
        return new Zone(z, s, z * 16L, 12, wp);
    }

    void flipByte(long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
            ch.write(b, offset);
        }
    }

    @Test
    void newFileIsAllEmptyAndHasTheDocumentedSize() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            assertThat(s.loadedZones()).containsExactly(zone(0, EMPTY, 0), zone(1, EMPTY, 16), zone(2, EMPTY, 32),
                    zone(3, EMPTY, 48));
        }
        assertThat(Files.size(file())).isEqualTo(ZoneMetadataStore.fileSize(G)).isEqualTo(4096 + 4 * 64);
        assertThatThrownBy(() -> ZoneMetadataStore.create(file(), G)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> ZoneMetadataStore.open(dir.resolve("missing"), G))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aFailedDirectoryFsyncFailsCreateAndLeavesNoFile() {
        List<Path> synced = new ArrayList<>();
        IOException refused = new IOException("Input/output error");
        assertThatThrownBy(() -> ZoneMetadataStore.create(file(), G, d -> {
            synced.add(d);
            throw refused;
        })).isInstanceOf(IOException.class).hasCause(refused).hasMessageContaining(file().toString())
                .hasMessageContaining("fsync of its directory " + dir).hasMessageContaining("Input/output error");
        assertThat(synced).containsExactly(dir.toAbsolutePath());
        assertThat(file()).doesNotExist();
    }

    @Test
    void openOrCreateCreatesTheMissingFileOfAVolumeWithNothingAllocated() throws IOException {
        try (FileBlockStore data = FileBlockStore.open(volume(), VOLUME_BYTES, true);
             ZoneMetadataStore s = ZoneMetadataStore.openOrCreate(file(), G, volume(), data)) {
            assertThat(s.loadedZones()).extracting(Zone::state).containsOnly(EMPTY);
        }
        assertThat(file()).exists();
    }

    /** All-Empty metadata would have the volume deallocate every zone at open: the data would be gone. */
    @Test
    void aMissingFileNextToAVolumeWithDataIsReportedNotCreated() throws IOException {
        try (FileBlockStore data = FileBlockStore.open(volume(), VOLUME_BYTES, true)) {
            data.write(20 * 4096L, ByteBuffer.wrap(new byte[4096]).put(0, (byte) 7), true);
            assertThatThrownBy(() -> ZoneMetadataStore.openOrCreate(file(), G, volume(), data))
                    .isInstanceOfSatisfying(ZoneMetadataException.class, e -> {
                        assertThat(e.file()).isEqualTo(file());
                        assertThat(e.zone()).isEqualTo(-1);
                        assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("missing")
                                .hasMessageContaining("volume file " + volume() + " holds ")
                                .hasMessageContaining("Restore the metadata file")
                                .hasMessageContaining("delete " + volume());
                    });
        }
        assertThat(file()).doesNotExist();
    }

    @Test
    void reopenRestoresStatesAndWritePointers() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            s.record(zone(0, IMPLICITLY_OPENED, 5), true);
            s.record(zone(1, FULL, 28), true);
            s.record(zone(2, READ_ONLY, 40), true);
            s.record(zone(2, OFFLINE, 40), true);
            s.record(zone(3, EXPLICITLY_OPENED, 48), true);
            s.record(zone(0, CLOSED, 7), true); // a third generation: slot 0 again
        }
        MemoryBlockStore data = new MemoryBlockStore(VOLUME_BYTES);
        data.write(0, ByteBuffer.wrap(new byte[] {1}), false);
        try (ZoneMetadataStore s = ZoneMetadataStore.openOrCreate(file(), G, volume(), data)) {
            assertThat(s.loadedZones()).containsExactly(zone(0, CLOSED, 7), zone(1, FULL, 28), zone(2, OFFLINE, 40),
                    zone(3, EMPTY, 48));
            assertThat(s.generation(0)).isEqualTo(2);
            assertThat(s.generation(2)).isEqualTo(2);
            ZoneModel m = ZoneModel.restore(G, ZoneLimits.unlimited(), s.loadedZones());
            assertThat(m.zones()).isEqualTo(s.loadedZones());
            assertThat(m.activeCount()).isEqualTo(1);
        }
    }

    /** What the command layer does for a write: reserve, persist the changes, write the data, persist the advance. */
    static void write(ZoneModel m, ZoneMetadataStore s, ZoneModel.WriteReservation w, boolean durable)
            throws IOException {
        s.recordAll(w.changes(), durable);
        // ... the data write goes here ...
        java.util.Optional<Zone> advanced = m.completeWrite(w);
        if (advanced.isPresent()) {
            s.record(advanced.get(), durable);
        }
    }

    @Test
    void roundTripThroughTheModel() throws Exception {
        ZoneModel m = new ZoneModel(G, new ZoneLimits(3, 2));
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            write(m, s, m.reserveWrite(0, 3), true);
            write(m, s, m.reserveAppend(16, 12), true);
            s.recordAll(m.open(32, false), true);
            write(m, s, m.reserveWrite(48, 1), true);
            write(m, s, m.reserveWrite(32, 2), true);
            write(m, s, m.reserveWrite(49, 1), false); // kept until close
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file(), G)) {
            ZoneModel back = ZoneModel.restore(G, new ZoneLimits(3, 2), s.loadedZones());
            assertThat(back.zones()).containsExactly(zone(0, CLOSED, 3), zone(1, FULL, 28), zone(2, CLOSED, 34),
                    zone(3, CLOSED, 50));
        }
    }

    @Test
    void aWriteStillInFlightIsNotPersisted() throws Exception {
        ZoneModel m = new ZoneModel(G, ZoneLimits.unlimited());
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            ZoneModel.WriteReservation first = m.reserveWrite(16, 2);
            s.recordAll(first.changes(), true);
            ZoneModel.WriteReservation second = m.reserveWrite(18, 10); // fills the zone
            s.recordAll(second.changes(), true);
            assertThat(m.completeWrite(second)).isEmpty(); // the first is still in flight
            s.recordAll(m.open(0, false), true);
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file(), G)) {
            assertThat(s.loadedZones().get(1)).isEqualTo(zone(1, EMPTY, 16));
            assertThat(s.loadedZones().get(0)).isEqualTo(zone(0, EMPTY, 0));
        }
    }

    @Test
    void nonDurableRecordsReachTheFileOnlyAtFlush() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            s.record(zone(1, CLOSED, 20), false);
            assertThat(s.hasPending(1)).isTrue();
            try (ZoneMetadataStore view = ZoneMetadataStore.open(file(), G)) {
                assertThat(view.loadedZones().get(1)).isEqualTo(zone(1, EMPTY, 16));
            }
            s.record(zone(1, CLOSED, 22), false);
            s.flush();
            assertThat(s.hasPending(1)).isFalse();
            assertThat(s.generation(1)).isEqualTo(1); // only the latest snapshot was written
            try (ZoneMetadataStore view = ZoneMetadataStore.open(file(), G)) {
                assertThat(view.loadedZones().get(1)).isEqualTo(zone(1, CLOSED, 22));
            }
            s.record(zone(1, CLOSED, 23), false);
            s.record(zone(1, CLOSED, 24), true); // supersedes the kept one
            assertThat(s.hasPending(1)).isFalse();
            s.flush();
            assertThat(s.generation(1)).isEqualTo(2);
        }
    }

    @Test
    void aTornNewestCopyFallsBackToThePreviousGeneration() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            s.record(zone(2, CLOSED, 33), true); // gen 1, slot 1
            s.record(zone(2, CLOSED, 35), true); // gen 2, slot 0
        }
        flipByte(recordOffset(2, 0) + 17); // inside the write pointer of the newest copy
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file(), G)) {
            assertThat(s.loadedZones().get(2)).isEqualTo(zone(2, CLOSED, 33));
            assertThat(s.generation(2)).isEqualTo(1);
            s.record(zone(2, CLOSED, 34), true); // rewrites the torn slot, never the good one
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file(), G)) {
            assertThat(s.loadedZones().get(2)).isEqualTo(zone(2, CLOSED, 34));
        }
    }

    @Test
    void aTruncatedFileFallsBackWhereAnOlderCopySurvives() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            s.record(zone(3, CLOSED, 50), true); // gen 1 in the last slot of the file
        }
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(recordOffset(3, 1) + 10); // the newest copy torn by the truncation
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file(), G)) {
            assertThat(s.loadedZones().get(3)).isEqualTo(zone(3, EMPTY, 48));
        }
    }

    @Test
    void aTruncationThroughBothCopiesIsReportedNamingTheZone() throws IOException {
        ZoneMetadataStore.create(file(), G).close();
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(recordOffset(3, 0) + 10);
        }
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), G)).isInstanceOfSatisfying(ZoneMetadataException.class,
                e -> {
                    assertThat(e.zone()).isEqualTo(3);
                    assertThat(e.file()).isEqualTo(file());
                    assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("zone 3");
                });
    }

    @Test
    void aCorruptRecordWithNoValidCopyIsReported() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            s.record(zone(1, CLOSED, 20), true);
        }
        flipByte(recordOffset(1, 0) + 3);
        flipByte(recordOffset(1, 1) + 20);
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), G)).isInstanceOf(ZoneMetadataException.class)
                .hasMessageContaining(file().toString()).hasMessageContaining("zone 1")
                .hasMessageContaining("no valid record copy");
    }

    @Test
    void aRecordWithAValidChecksumButImpossibleContentsIsRejected() throws IOException {
        ZoneMetadataStore.create(file(), G).close();
        // Full with the write pointer short of the capacity: well formed, but wrong
        ByteBuffer bad = ZoneMetadataStore.record(zone(0, FULL, 5), 1);
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.write(bad, recordOffset(0, 1));
            ch.write(ByteBuffer.allocate(32), recordOffset(0, 0));
        }
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), G)).isInstanceOf(ZoneMetadataException.class)
                .hasMessageContaining("zone 0").hasMessageContaining("inconsistent");
    }

    @Test
    void aCorruptHeaderIsReported() throws IOException {
        ZoneMetadataStore.create(file(), G).close();
        flipByte(21);
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), G)).isInstanceOfSatisfying(ZoneMetadataException.class,
                e -> {
                    assertThat(e.zone()).isEqualTo(-1);
                    assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("header checksum");
                });
        flipByte(21);
        flipByte(0);
        MemoryBlockStore empty = new MemoryBlockStore(VOLUME_BYTES);
        assertThatThrownBy(() -> ZoneMetadataStore.openOrCreate(file(), G, volume(), empty))
                .hasMessageContaining("bad magic");
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(30);
        }
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), G)).hasMessageContaining("header truncated");
        assertThat(Files.size(file())).as("never reset silently").isEqualTo(30);
    }

    @Test
    void aGeometryMismatchIsReported() throws IOException {
        ZoneMetadataStore.create(file(), G).close();
        ZoneGeometry other = new ZoneGeometry(4096, 16, 10, 4);
        assertThatThrownBy(() -> ZoneMetadataStore.open(file(), other)).isInstanceOf(ZoneMetadataException.class)
                .hasMessageContaining("geometry mismatch").hasMessageContaining(file().toString())
                .hasMessageContaining("zoneCapacity=12").hasMessageContaining("zoneCapacity=10");
    }

    @Test
    void recordRefusesAZoneOutsideTheGeometry() throws IOException {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(file(), G)) {
            assertThatThrownBy(() -> s.record(zone(0, CLOSED, 13), true)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 40).map(i -> 0x7E7A_0000L + i);
    }

    /**
     * Random durable updates, then a crash that tears the last record write at a random byte: reopening gives
     * either the last update or the one before it, and every other zone its last update.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void tornLastWriteRecoversTheLastOrThePreviousUpdate(long seed) throws IOException {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L);
        Path f = dir.resolve("torn-" + seed);
        Zone[] last = new Zone[4];
        Zone[] previous = new Zone[4];
        for (int z = 0; z < 4; z++) {
            last[z] = zone(z, EMPTY, z * 16L);
        }
        int tornZone;
        try (ZoneMetadataStore s = ZoneMetadataStore.create(f, G)) {
            int updates = 1 + r.nextInt(20);
            tornZone = -1;
            for (int k = 0; k < updates; k++) {
                int z = r.nextInt(4);
                long wp = z * 16L + 1 + r.nextInt(11);
                Zone next = zone(z, CLOSED, wp);
                s.record(next, true);
                previous[z] = last[z];
                last[z] = next;
                tornZone = z;
            }
            long gen = s.generation(tornZone);
            // tear the newest copy: keep a random prefix of it, garble the rest
            int keep = r.nextInt(32);
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                byte[] junk = new byte[32 - keep];
                r.nextBytes(junk);
                ch.write(ByteBuffer.wrap(junk), recordOffset(tornZone, (int) (gen & 1)) + keep);
            }
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(f, G)) {
            List<Zone> got = s.loadedZones();
            for (int z = 0; z < 4; z++) {
                if (z == tornZone) {
                    assertThat(got.get(z)).as("seed %d zone %d", seed, z).isIn(last[z], previous[z]);
                } else {
                    assertThat(got.get(z)).as("seed %d zone %d", seed, z).isEqualTo(last[z]);
                }
            }
        }
    }
}
