package org.copyoffload.backends.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A small piece of state kept in one file, replaced as a whole and crash-safe: a write goes to a temporary file
 * beside it, is fsynced, renamed over the old one, and the directory is fsynced, so after {@code kill -9} or power
 * loss the file holds either the old contents or the new ones, never a mixture, and a write that returned survives.
 *
 * <h2>Format (little-endian)</h2>
 * The 8-byte magic {@code "COSTATE1"}, the 8-byte ASCII kind the owner names (so that one kind of state is never
 * read as another), the payload's version (int) and length (int), the payload, then CRC32C of everything before it.
 * A file that is short, long, of another kind or version, or fails its CRC is reported with a
 * {@link StateFileException} naming the file: it is never silently ignored or replaced.
 *
 * <p>Not thread-safe: its owner serialises calls.
 */
public final class AtomicStateFile {
    static final long MAGIC = 0x3145_5441_5453_4F43L; // "COSTATE1" little-endian
    static final int HEADER = 24;
    /** State files are small; a larger one is not ours. */
    static final int MAX_PAYLOAD = 16 << 20;

    private final Path file;
    private final byte[] kind;
    private final int version;

    /**
     * @param file    where the state lives
     * @param kind    up to 8 ASCII characters saying what the payload is (e.g. {@code "SCSI-PR"})
     * @param version the payload format's version; a file of another version is refused
     */
    public AtomicStateFile(Path file, String kind, int version) {
        this.file = Objects.requireNonNull(file, "file");
        byte[] k = kind.getBytes(StandardCharsets.US_ASCII);
        if (k.length == 0 || k.length > 8) {
            throw new IllegalArgumentException("kind '" + kind + "': 1 to 8 ASCII characters");
        }
        this.kind = Arrays.copyOf(k, 8);
        this.version = version;
    }

    public Path file() {
        return file;
    }

    /**
     * The payload last written, or empty when there is no file.
     *
     * @throws StateFileException for a file that is not a valid state file of this kind and version
     */
    public Optional<byte[]> read() throws IOException {
        byte[] all;
        try {
            if (Files.size(file) > HEADER + MAX_PAYLOAD + 4L) {
                throw new StateFileException(file, Files.size(file) + " bytes: too large for a state file");
            }
            all = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (all.length < HEADER + 4) {
            throw new StateFileException(file, "only " + all.length + " bytes: truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getLong(0) != MAGIC) {
            throw new StateFileException(file, "bad magic: not a copyoffload state file");
        }
        byte[] k = Arrays.copyOfRange(all, 8, 16);
        if (!Arrays.equals(k, kind)) {
            throw new StateFileException(file, "holds '" + new String(k, StandardCharsets.US_ASCII).trim()
                    + "' state, expected '" + new String(kind, StandardCharsets.US_ASCII).trim() + "'");
        }
        int v = b.getInt(16);
        int length = b.getInt(20);
        if (length < 0 || HEADER + (long) length + 4 != all.length) {
            throw new StateFileException(file, "payload length " + length + " does not match the file's "
                    + all.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(all, 0, HEADER + length);
        if ((int) crc.getValue() != b.getInt(HEADER + length)) {
            throw new StateFileException(file, "CRC32C mismatch: the file is corrupt");
        }
        if (v != version) {
            throw new StateFileException(file, "version " + v + ", this program reads version " + version);
        }
        return Optional.of(Arrays.copyOfRange(all, HEADER, HEADER + length));
    }

    /** Replaces the file's contents with {@code payload}, durably (see the class comment), before returning. */
    public void write(byte[] payload) throws IOException {
        if (payload.length > MAX_PAYLOAD) {
            throw new IOException("state file " + file + ": payload of " + payload.length + " bytes is too large");
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).put(kind).putInt(version).putInt(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, HEADER + payload.length);
        b.putInt((int) crc.getValue()).flip();
        Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory();
    }

    /** Removes the file durably; nothing to do when there is none. */
    public void delete() throws IOException {
        if (Files.deleteIfExists(file)) {
            syncDirectory();
        }
    }

    private void syncDirectory() throws IOException {
        Path directory = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
