package org.copyoffload.backends.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;

/**
 * Copies ranges inside or between block stores with memmove semantics: overlapping ranges in one store end up as if
 * copied through a temporary. File to file goes through the kernel (copy_file_range); anything else through one
 * bounded buffer, never one the size of the copy.
 *
 * <p>Two stores opened over the same file count as different stores: such aliases must not overlap.
 */
public final class StoreCopier {
    static final int CHUNK_BYTES = 1 << 20;

    /** How a copy is carried out; package-private so tests can check that the kernel path is taken. */
    enum Strategy {
        /** Nothing to copy. */
        NOTHING,
        /** Source and destination are the same bytes. */
        IN_PLACE,
        /** copy_file_range between files (FileChannel.transferTo). */
        TRANSFER,
        /** Buffered, lowest chunk first. */
        FORWARD,
        /** Buffered, highest chunk first: the destination overlaps the source from above. */
        BACKWARD
    }

    private StoreCopier() {
    }

    /**
     * Copies {@code length} bytes from {@code src} at {@code srcOffset} to {@code dst} at {@code dstOffset}.
     *
     * @param durable on return the copied bytes are on stable storage
     * @throws IllegalArgumentException if either range lies outside its store
     */
    public static void copy(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length,
            boolean durable) throws IOException {
        copy(src, srcOffset, dst, dstOffset, length, durable, CHUNK_BYTES);
    }

    /** {@link #copy} with a chosen buffer size, so tests can cross many chunk boundaries cheaply. */
    static void copy(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length, boolean durable,
            int chunkBytes) throws IOException {
        Ranges.check(srcOffset, length, src.size());
        Ranges.check(dstOffset, length, dst.size());
        switch (strategy(src, srcOffset, dst, dstOffset, length)) {
            case NOTHING -> {
            }
            case IN_PLACE -> {
                if (durable) {
                    dst.flush(); // the bytes are already there, but maybe not yet on stable storage
                }
            }
            case TRANSFER -> ((FileBlockStore) dst).transferFrom((FileBlockStore) src, srcOffset, dstOffset, length,
                    durable);
            case FORWARD -> buffered(src, srcOffset, dst, dstOffset, length, durable, chunkBytes, false);
            case BACKWARD -> buffered(src, srcOffset, dst, dstOffset, length, durable, chunkBytes, true);
        }
    }

    static Strategy strategy(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length) {
        if (length == 0) {
            return Strategy.NOTHING;
        }
        boolean sameStore = src == dst;
        if (sameStore && srcOffset == dstOffset) {
            return Strategy.IN_PLACE;
        }
        boolean overlapping = sameStore && srcOffset < dstOffset + length && dstOffset < srcOffset + length;
        if (!overlapping && src instanceof FileBlockStore && dst instanceof FileBlockStore) {
            return Strategy.TRANSFER; // copy_file_range refuses overlapping ranges within one file
        }
        // With the destination above the source, going from the top reads every source chunk before any write
        // lands on it; below, going from the bottom does.
        return overlapping && dstOffset > srcOffset ? Strategy.BACKWARD : Strategy.FORWARD;
    }

    private static void buffered(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length,
            boolean durable, int chunkBytes, boolean fromTop) throws IOException {
        int bufferBytes = (int) Math.min(length, chunkBytes);
        // A native buffer lets file stores do their I/O without an extra copy; the arena frees it on return.
        try (Arena arena = Arena.ofConfined()) {
            ByteBuffer buffer = arena.allocate(bufferBytes).asByteBuffer();
            long done = 0;
            while (done < length) {
                int n = (int) Math.min(length - done, bufferBytes);
                long relative = fromTop ? length - done - n : done;
                buffer.clear().limit(n);
                src.read(srcOffset + relative, buffer);
                buffer.flip();
                dst.write(dstOffset + relative, buffer, durable);
                done += n;
            }
        }
    }
}
