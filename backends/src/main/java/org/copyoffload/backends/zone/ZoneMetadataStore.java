package org.copyoffload.backends.zone;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.copyoffload.backends.store.BlockStore;

/**
 * Crash-safe persistence of zone states and write pointers, in a file next to the volume.
 *
 * <h2>Format (little-endian)</h2>
 * <ul>
 * <li>Header, bytes 0..63: magic {@code "COZONEMD"}, version (int, 1), block size (int), reserved (int), zone size
 * (long), zone capacity (long), zone count (int), reserved up to byte 60, CRC32C of bytes 0..59 at byte 60.</li>
 * <li>Zone {@code z} owns the 64 bytes at {@code 4096 + 64 z}: two 32-byte copies ("slots") of its record. A record
 * is: tag {@code "ZREC"} (int), zone index (int), generation (long), write pointer (long), state code (byte), 3
 * reserved bytes, CRC32C of bytes 0..27. Generation {@code g} always goes to slot {@code g & 1}, so an update
 * never overwrites the newest valid copy: the two copies are in one 64-byte aligned piece, inside one sector.</li>
 * </ul>
 * At open the valid copy (CRC, tag, index, slot, state and write pointer consistent) with the highest generation
 * wins; a copy torn by a crash fails its CRC and the older one is used. A zone with no valid copy, a bad header, or a
 * header whose geometry differs from the configuration is reported with a {@link ZoneMetadataException} naming the
 * file and the zone: nothing is ever reset silently. Nor is a missing file replaced by an all-Empty one while the
 * volume holds data (see {@link #openOrCreate}).
 *
 * <p>Opened zones are stored as Closed (or Empty when nothing was written; so is a Closed zone with nothing
 * written), as a controller restart leaves them.
 *
 * <h2>Guarantee</h2>
 * <ul>
 * <li>{@link #record(Zone, boolean) record(zone, true)} writes the record and fdatasyncs before it returns: after
 * {@code kill -9} or power loss that zone's state and write pointer are those of this call or of a later one, never
 * older.</li>
 * <li>{@link #record(Zone, boolean) record(zone, false)} only keeps the snapshot in memory; {@link #flush()} (and
 * {@link #close()}) writes every kept snapshot and fdatasyncs. So no write pointer reaches the disk unless a durable
 * record or a flush put it there.</li>
 * <li>Hence, if the caller records a write pointer durably only once all data below it is on stable storage (FUA
 * data, or data flushed before), and flushes the data store before this store, then after {@code kill -9} or power
 * loss the metadata never claims a write pointer beyond durable data, and never loses an advance whose durable
 * record (or flush) returned. Writes that were acknowledged without FUA and not flushed may be lost (volatile write
 * cache semantics); their data may then lie beyond the recovered write pointer and must read as zeros or be
 * overwritten.</li>
 * </ul>
 * With a {@link ZoneModel}: record {@link ZoneChange#persist()} snapshots ({@link #recordAll}) and the snapshots
 * {@link ZoneModel#completeWrite} returns, after the data they cover was written (durably for FUA); those carry the
 * committed write pointer, never one above data still in flight.
 *
 * <p>Calls for the same zone must come in the order of the changes (the caller serialises them per zone); calls for
 * different zones may run concurrently.
 */
public final class ZoneMetadataStore implements Closeable {
    static final long MAGIC = 0x444D_454E_4F5A_4F43L; // "COZONEMD" little-endian
    static final int VERSION = 1;
    static final int HEADER_BYTES = 64;
    static final int RECORDS_OFFSET = 4096;
    static final int RECORD_BYTES = 32;
    static final int ZONE_BYTES = 2 * RECORD_BYTES;
    static final int TAG = 0x4345_525A; // "ZREC" little-endian

    private final Path file;
    private final ZoneGeometry geometry;
    private final FileChannel channel;
    private final long[] generations;
    private final List<Zone> loaded;
    private final Map<Integer, Zone> pending = new LinkedHashMap<>();
    private final Object[] zoneLocks;

    private ZoneMetadataStore(Path file, ZoneGeometry geometry, FileChannel channel, long[] generations,
            List<Zone> loaded) {
        this.file = file;
        this.geometry = geometry;
        this.channel = channel;
        this.generations = generations;
        this.loaded = List.copyOf(loaded);
        this.zoneLocks = new Object[geometry.zoneCount()];
        for (int i = 0; i < zoneLocks.length; i++) {
            zoneLocks[i] = new Object();
        }
    }

    /** The file size for a geometry. */
    public static long fileSize(ZoneGeometry geometry) {
        return RECORDS_OFFSET + (long) ZONE_BYTES * geometry.zoneCount();
    }

    /** Makes the entries of a directory durable (fsync); a seam so that tests can make it fail. */
    @FunctionalInterface
    interface DirectorySync {
        void sync(Path directory) throws IOException;
    }

    /**
     * Creates a new metadata file with every zone Empty, durably (file and directory entry). If either cannot be
     * made durable the file is deleted and the create fails.
     *
     * @throws FileAlreadyExistsException if the file exists
     */
    public static ZoneMetadataStore create(Path file, ZoneGeometry geometry) throws IOException {
        return create(file, geometry, ZoneMetadataStore::fsyncDirectory);
    }

    static ZoneMetadataStore create(Path file, ZoneGeometry geometry, DirectorySync directorySync)
            throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            writeFully(ch, header(geometry), 0);
            ByteBuffer zones = ByteBuffer.allocate(ZONE_BYTES * 1024).order(ByteOrder.LITTLE_ENDIAN);
            List<Zone> all = new ArrayList<>(geometry.zoneCount());
            for (int z = 0; z < geometry.zoneCount(); z += 1024) {
                zones.clear();
                int n = Math.min(1024, geometry.zoneCount() - z);
                for (int k = 0; k < n; k++) {
                    Zone empty = new Zone(z + k, ZoneState.EMPTY, geometry.zoneStart(z + k), geometry.zoneCapacity(),
                            geometry.zoneStart(z + k));
                    all.add(empty);
                    zones.put(record(empty, 0));
                    zones.put(new byte[RECORD_BYTES]); // slot 1: no copy yet
                }
                zones.flip();
                writeFully(ch, zones, RECORDS_OFFSET + (long) ZONE_BYTES * z);
            }
            ch.force(true);
            Path directory = file.toAbsolutePath().getParent();
            try {
                directorySync.sync(directory);
            } catch (IOException e) {
                throw new IOException("zone metadata file " + file + ": fsync of its directory " + directory
                        + " failed, so a crash could lose the new file: " + e.getMessage(), e);
            }
            return new ZoneMetadataStore(file, geometry, ch, new long[geometry.zoneCount()], all);
        } catch (IOException | RuntimeException e) {
            try {
                ch.close();
                Files.deleteIfExists(file);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * Opens an existing metadata file and loads it.
     *
     * @throws NoSuchFileException    if it is missing
     * @throws ZoneMetadataException for a bad header, a geometry other than {@code geometry}, or a zone with no
     *                                valid record copy
     */
    public static ZoneMetadataStore open(Path file, ZoneGeometry geometry) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            checkHeader(file, ch, geometry);
            int n = geometry.zoneCount();
            long[] generations = new long[n];
            List<Zone> zones = new ArrayList<>(n);
            ByteBuffer buf = ByteBuffer.allocate(ZONE_BYTES * 1024).order(ByteOrder.LITTLE_ENDIAN);
            for (int z = 0; z < n; z += 1024) {
                int count = Math.min(1024, n - z);
                java.util.Arrays.fill(buf.array(), (byte) 0);
                buf.clear().limit(ZONE_BYTES * count);
                readUpTo(ch, buf, RECORDS_OFFSET + (long) ZONE_BYTES * z); // a short file leaves zeros: invalid copies
                for (int k = 0; k < count; k++) {
                    int zone = z + k;
                    Zone best = null;
                    long bestGen = -1;
                    String why0 = null;
                    for (int slot = 0; slot < 2; slot++) {
                        int at = k * ZONE_BYTES + slot * RECORD_BYTES;
                        Object r = parse(buf, at, zone, slot, geometry);
                        if (r instanceof Parsed p) {
                            if (p.generation > bestGen) {
                                best = p.zone;
                                bestGen = p.generation;
                            }
                        } else if (slot == 0) {
                            why0 = (String) r;
                        } else if (best == null) {
                            throw new ZoneMetadataException(file, zone, "no valid record copy (slot 0: " + why0
                                    + "; slot 1: " + r + "): the file is corrupt; refusing to guess the zone state");
                        }
                    }
                    generations[zone] = bestGen;
                    zones.add(best);
                }
            }
            return new ZoneMetadataStore(file, geometry, ch, generations, zones);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Opens the metadata file of a zoned volume, or creates it (every zone Empty) when it is missing and the volume
     * holds no data: a volume file just created, or one with no block allocated.
     *
     * @param dataFile the volume file, named in the message
     * @param data     the volume's store, whose {@link BlockStore#allocatedBytes()} tells whether it holds data
     * @throws ZoneMetadataException when the file is missing but the volume has allocated blocks: all-Empty
     *                               metadata would have the caller deallocate every zone, erasing the volume; also
     *                               as {@link #open}
     */
    public static ZoneMetadataStore openOrCreate(Path file, ZoneGeometry geometry, Path dataFile, BlockStore data)
            throws IOException {
        try {
            return open(file, geometry);
        } catch (NoSuchFileException missing) {
            // decided below: a new volume gets new metadata, a volume with data does not
        }
        long allocated = data.allocatedBytes();
        if (allocated > 0) {
            throw new ZoneMetadataException(file, -1, "missing, but the volume file " + dataFile + " holds "
                    + allocated + " allocated bytes: new metadata would mark every zone Empty and so erase the"
                    + " volume. Restore the metadata file (saved with the volume file), or delete " + dataFile
                    + " to start with an empty volume");
        }
        try {
            return create(file, geometry);
        } catch (FileAlreadyExistsException race) {
            return open(file, geometry);
        }
    }

    public Path file() {
        return file;
    }

    public ZoneGeometry geometry() {
        return geometry;
    }

    /** The zones as loaded at open (Empty for a new file), for {@link ZoneModel#restore}. */
    public List<Zone> loadedZones() {
        return loaded;
    }

    /** The generation of the newest stored copy of a zone's record (0 after create). */
    long generation(int zone) {
        synchronized (zoneLocks[zone]) {
            return generations[zone];
        }
    }

    /**
     * Persists a zone snapshot: durably before returning when {@code durable}, else at the next {@link #flush()}.
     * See the class comment for what the caller must have made durable first.
     */
    public void record(Zone zone, boolean durable) throws IOException {
        store(normalize(zone), durable);
        if (durable) {
            channel.force(false);
        }
    }

    /**
     * Records the {@link ZoneChange#persist()} snapshot of every change (e.g. the list a {@link ZoneModel} operation
     * returned), with one fdatasync.
     */
    public void recordAll(List<ZoneChange> changes, boolean durable) throws IOException {
        for (ZoneChange c : changes) {
            store(normalize(c.persist()), durable);
        }
        if (durable && !changes.isEmpty()) {
            channel.force(false);
        }
    }

    private void store(Zone zone, boolean durable) throws IOException {
        int z = zone.index();
        synchronized (zoneLocks[z]) {
            if (durable) {
                synchronized (pending) {
                    pending.remove(z); // superseded by this newer snapshot
                }
                writeRecord(zone);
            } else {
                synchronized (pending) {
                    pending.put(z, zone);
                }
            }
        }
    }

    /** Whether a non-durable snapshot of the zone waits for {@link #flush()}. */
    public boolean hasPending(int zone) {
        synchronized (pending) {
            return pending.containsKey(zone);
        }
    }

    /** Writes every kept snapshot and makes the file durable. Flush the data store first. */
    public void flush() throws IOException {
        List<Integer> zones;
        synchronized (pending) {
            zones = new ArrayList<>(pending.keySet());
        }
        for (int z : zones) {
            synchronized (zoneLocks[z]) {
                Zone latest;
                synchronized (pending) {
                    latest = pending.remove(z);
                }
                if (latest != null) {
                    writeRecord(latest);
                }
            }
        }
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        try (channel) {
            if (channel.isOpen()) {
                flush();
            }
        }
    }

    private Zone normalize(Zone zone) {
        int z = zone.index();
        long start = geometry.zoneStart(z);
        if (zone.startLba() != start || zone.capacity() != geometry.zoneCapacity() || zone.writePointer() < start
                || zone.writePointer() > start + geometry.zoneCapacity()) {
            throw new IllegalArgumentException("zone does not fit " + geometry + ": " + zone);
        }
        if (zone.state().isActive()) {
            ZoneState s = zone.writePointer() == start ? ZoneState.EMPTY : ZoneState.CLOSED;
            return new Zone(z, s, start, zone.capacity(), zone.writePointer());
        }
        return zone;
    }

    /** Called holding the zone's lock. */
    private void writeRecord(Zone zone) throws IOException {
        int z = zone.index();
        long gen = generations[z] + 1;
        writeFully(channel, record(zone, gen), RECORDS_OFFSET + (long) ZONE_BYTES * z + (gen & 1) * RECORD_BYTES);
        generations[z] = gen;
    }

    // ---------------------------------------------------------------- encoding

    static ByteBuffer header(ZoneGeometry g) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, MAGIC);
        b.putInt(8, VERSION);
        b.putInt(12, g.blockSize());
        b.putLong(20, g.zoneSize());
        b.putLong(28, g.zoneCapacity());
        b.putInt(36, g.zoneCount());
        b.putInt(60, crc(b, 0, 60));
        return b;
    }

    private static void checkHeader(Path file, FileChannel ch, ZoneGeometry expected) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int n = readUpTo(ch, b, 0);
        if (n < HEADER_BYTES) {
            throw new ZoneMetadataException(file, -1, "header truncated: the file has " + ch.size() + " bytes");
        }
        if (b.getLong(0) != MAGIC) {
            throw new ZoneMetadataException(file, -1, "bad magic 0x" + Long.toHexString(b.getLong(0))
                    + ": not a zone metadata file");
        }
        if (b.getInt(60) != crc(b, 0, 60)) {
            throw new ZoneMetadataException(file, -1, "header checksum mismatch: the header is corrupt");
        }
        if (b.getInt(8) != VERSION) {
            throw new ZoneMetadataException(file, -1, "unsupported version " + b.getInt(8) + " (expected " + VERSION
                    + ")");
        }
        ZoneGeometry stored;
        try {
            stored = new ZoneGeometry(b.getInt(12), b.getLong(20), b.getLong(28), b.getInt(36));
        } catch (IllegalArgumentException e) {
            throw new ZoneMetadataException(file, -1, "header holds an impossible geometry: " + e.getMessage());
        }
        if (!stored.equals(expected)) {
            throw new ZoneMetadataException(file, -1, "geometry mismatch: the file has " + stored
                    + " but the configuration says " + expected);
        }
    }

    static ByteBuffer record(Zone zone, long generation) {
        ByteBuffer b = ByteBuffer.allocate(RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, TAG);
        b.putInt(4, zone.index());
        b.putLong(8, generation);
        b.putLong(16, zone.writePointer());
        b.put(24, (byte) zone.state().code());
        b.putInt(28, crc(b, 0, 28));
        return b;
    }

    private record Parsed(Zone zone, long generation) {
    }

    /** A {@link Parsed} copy, or a String saying why it is invalid. */
    private static Object parse(ByteBuffer buf, int at, int zone, int slot, ZoneGeometry g) {
        if (buf.getInt(at + 28) != crc(buf, at, 28)) {
            return "checksum mismatch";
        }
        if (buf.getInt(at) != TAG || buf.getInt(at + 4) != zone) {
            return "tag or zone index wrong";
        }
        long gen = buf.getLong(at + 8);
        if (gen < 0 || (gen & 1) != slot) {
            return "generation " + gen + " does not belong in slot " + slot;
        }
        ZoneState state;
        try {
            state = ZoneState.fromCode(buf.get(at + 24) & 0xFF);
        } catch (IllegalArgumentException e) {
            return "unknown state code";
        }
        long start = g.zoneStart(zone);
        long end = start + g.zoneCapacity();
        long wp = buf.getLong(at + 16);
        boolean ok = switch (state) {
            case EMPTY -> wp == start;
            case CLOSED -> wp > start && wp < end;
            case FULL -> wp == end;
            case READ_ONLY, OFFLINE -> wp >= start && wp <= end;
            default -> false;
        };
        if (!ok) {
            return "state " + state + " with write pointer " + wp + " is inconsistent";
        }
        return new Parsed(new Zone(zone, state, start, g.zoneCapacity(), wp), gen);
    }

    private static int crc(ByteBuffer b, int from, int length) {
        CRC32C c = new CRC32C();
        c.update(b.duplicate().limit(from + length).position(from));
        return (int) c.getValue();
    }

    private static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long at = position;
        while (src.hasRemaining()) {
            at += ch.write(src, at);
        }
    }

    /** Reads until {@code dst} is full or the file ends; returns the bytes read (the rest of dst stays zero). */
    private static int readUpTo(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        int total = 0;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /**
     * fsync of a directory, so that a new entry in it survives a crash. Every failure fails the caller, EINVAL
     * too: ext4, xfs, btrfs, tmpfs, NFS and FUSE implement it, and on a filesystem that does not (EINVAL, e.g. CIFS
     * on some kernels) the new metadata file could vanish in a crash, which this class promises it will not.
     */
    private static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
