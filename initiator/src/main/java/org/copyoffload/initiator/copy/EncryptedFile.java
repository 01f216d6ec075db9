package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A file whose contents are encrypted as fscrypt encrypts them: AES-XTS per data unit (one block of the file), with the
 * data unit's index in the file as the tweak, so the ciphertext does not depend on where the block lies on the device.
 * The file's blocks are placed on a block device (any stack of mapping layers) by an extent map, as a file system's
 * allocator places them. {@link #move} is what a log-structured file system's garbage collection or a defragmenter
 * does: it copies the ciphertext as it is through the copy path, which may offload it, and then changes only the map.
 * The proposal's note: "when using fscrypt, the contents of files can be copied without decrypting the data since
 * how data is encrypted depends on the file offset and not on the LBA". Contrast {@link CryptDevice} (dm-crypt's
 * plain64), below which ciphertext must not be copied.
 *
 * <p>Not thread-safe: one caller at a time, as one file system inode lock would allow.
 */
public final class EncryptedFile {
    private static final long UNPLACED = -1;

    private final BlockDevice device;
    private final XtsCipher cipher;
    private final int unit;
    /** Where each block of the file lies on the device (a byte offset), or {@link #UNPLACED}. */
    private final long[] placement;

    /**
     * @param key    the file's AES-XTS key (32 or 64 bytes): fscrypt derives one per file (or per policy)
     * @param blocks the file's size in blocks of the device's block size, the data unit
     */
    public EncryptedFile(BlockDevice device, byte[] key, int blocks) {
        if (device.blockSize() % 16 != 0) {
            throw new IllegalArgumentException("a data unit of " + device.blockSize() + " bytes is not whole AES blocks");
        }
        this.device = device;
        this.cipher = new XtsCipher(key.clone());
        this.unit = device.blockSize();
        this.placement = new long[blocks];
        Arrays.fill(placement, UNPLACED);
    }

    /** The file's size in blocks. */
    public int blocks() {
        return placement.length;
    }

    /** Where block {@code fileBlock} lies on the device (bytes), or -1 if it was never written. */
    public long deviceOffset(int fileBlock) {
        checkRange(fileBlock, 1);
        return placement[fileBlock];
    }

    /**
     * Encrypts {@code plaintext} (whole blocks) as the file's blocks from {@code fileBlock} and writes it at
     * {@code deviceOffset}, where those blocks then lie.
     */
    public CompletableFuture<Void> write(int fileBlock, byte[] plaintext, long deviceOffset) {
        if (plaintext.length % unit != 0 || plaintext.length == 0) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(
                    plaintext.length + " bytes are not whole blocks of " + unit));
        }
        int count = plaintext.length / unit;
        try {
            checkRange(fileBlock, count);
            checkDevice(deviceOffset, plaintext.length);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        byte[] bytes = plaintext.clone();
        for (int i = 0; i < count; i++) {
            cipher.process(true, fileBlock + i, bytes, i * unit, unit);
        }
        return device.write(deviceOffset, Unpooled.wrappedBuffer(bytes)).thenRun(() -> {
            for (int i = 0; i < count; i++) {
                placement[fileBlock + i] = deviceOffset + (long) i * unit;
            }
        });
    }

    /** Reads and decrypts {@code count} blocks of the file from {@code fileBlock}; each must have been written. */
    public CompletableFuture<byte[]> read(int fileBlock, int count) {
        List<Run> runs;
        try {
            runs = runs(fileBlock, count);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        byte[] out = new byte[count * unit];
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (Run r : runs) {
            reads.add(device.read(r.deviceOffset, r.blocks * unit).thenAccept(data -> {
                try {
                    data.getBytes(data.readerIndex(), out, (r.fileBlock - fileBlock) * unit, r.blocks * unit);
                } finally {
                    data.release();
                }
            }));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (int i = 0; i < count; i++) {
                cipher.process(false, fileBlock + i, out, i * unit, unit);
            }
            return out;
        });
    }

    /**
     * Moves {@code count} blocks of the file from {@code fileBlock} to {@code newDeviceOffset}: their ciphertext is
     * copied as it is by {@code copier} (offloaded where the devices allow), one piece per run of blocks that lie
     * together, in file order; once all are copied the map points at the new place. If the copy fails, the map is
     * unchanged and the file reads as before.
     */
    public CompletableFuture<CopyResult> move(int fileBlock, int count, long newDeviceOffset, BlockCopier copier) {
        List<Run> runs;
        try {
            runs = runs(fileBlock, count);
            checkDevice(newDeviceOffset, (long) count * unit);
            long start = newDeviceOffset;
            long end = newDeviceOffset + (long) count * unit;
            for (Run r : runs) {
                if (r.deviceOffset < end && start < r.deviceOffset + (long) r.blocks * unit) {
                    throw new IllegalArgumentException("moving file blocks " + fileBlock + ".." + (fileBlock + count - 1)
                            + " to byte " + newDeviceOffset + " would overwrite them where they lie");
                }
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<List<CopyResult>> chain = CompletableFuture.completedFuture(new ArrayList<>());
        for (Run r : runs) {
            long to = newDeviceOffset + (long) (r.fileBlock - fileBlock) * unit;
            // One run after the other: a sequential (zoned) destination takes them in order.
            chain = chain.thenCompose(done -> copier.copy(device, r.deviceOffset, device, to, (long) r.blocks * unit)
                    .thenApply(result -> {
                        done.add(result);
                        return done;
                    }));
        }
        return chain.thenApply(results -> {
            for (int i = 0; i < count; i++) {
                placement[fileBlock + i] = newDeviceOffset + (long) i * unit;
            }
            return combine(results, runs);
        });
    }

    /** One result for the whole move: fallback offsets made relative to the start of the move. */
    private CopyResult combine(List<CopyResult> results, List<Run> runs) {
        long offloaded = 0;
        long byFallback = 0;
        List<CopyResult.Fallback> fallbacks = new ArrayList<>();
        long base = (long) runs.getFirst().fileBlock * unit;
        for (int i = 0; i < results.size(); i++) {
            CopyResult r = results.get(i);
            long at = (long) runs.get(i).fileBlock * unit - base;
            offloaded += r.bytesOffloaded();
            byFallback += r.bytesByFallback();
            for (CopyResult.Fallback f : r.fallbacks()) {
                fallbacks.add(new CopyResult.Fallback(at + f.offset(), f.length(), f.reason(), f.detail()));
            }
        }
        return new CopyResult(offloaded + byFallback, offloaded, byFallback, fallbacks);
    }

    /** Blocks of the file that lie one after the other on the device. */
    private record Run(int fileBlock, long deviceOffset, int blocks) {
    }

    private List<Run> runs(int fileBlock, int count) {
        checkRange(fileBlock, count);
        List<Run> runs = new ArrayList<>();
        for (int i = fileBlock; i < fileBlock + count; i++) {
            if (placement[i] == UNPLACED) {
                throw new IllegalArgumentException("file block " + i + " was never written");
            }
            Run last = runs.isEmpty() ? null : runs.getLast();
            if (last != null && last.deviceOffset + (long) last.blocks * unit == placement[i]) {
                runs.set(runs.size() - 1, new Run(last.fileBlock, last.deviceOffset, last.blocks + 1));
            } else {
                runs.add(new Run(i, placement[i], 1));
            }
        }
        return runs;
    }

    private void checkRange(int fileBlock, int count) {
        if (count <= 0 || fileBlock < 0 || fileBlock > placement.length - count) {
            throw new IllegalArgumentException("file blocks " + fileBlock + " + " + count + " outside a file of "
                    + placement.length + " blocks");
        }
    }

    private void checkDevice(long offset, long length) {
        if (offset < 0 || offset % unit != 0 || offset > device.size() - length) {
            throw new IllegalArgumentException("device byte " + offset + " + " + length + " is not whole blocks inside "
                    + device.name() + " (" + device.size() + " bytes)");
        }
    }
}
