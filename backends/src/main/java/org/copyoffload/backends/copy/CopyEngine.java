package org.copyoffload.backends.copy;

import java.io.IOException;
import java.util.List;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.StoreCopier;

/**
 * Carries out a copy of several source segments, from one or more stores, into one contiguous destination
 * range: the engine behind NVMe Copy and, later, SCSI EXTENDED COPY. The result is as if every source were
 * read before anything was written. Segments go one after another through {@link StoreCopier} (copy_file_range
 * between files, a bounded buffer otherwise) unless a segment reads bytes that an earlier segment has already
 * overwritten; then all sources are first gathered into a temporary store, so memory stays bounded for any length.
 */
public final class CopyEngine {
    /** Makes a scratch store of the given size; the engine closes it when the copy is done. */
    @FunctionalInterface
    public interface TemporaryStores {
        BlockStore create(long size) throws IOException;
    }

    /** How a copy was carried out, for metrics and tests. */
    public enum Plan { DIRECT, THROUGH_TEMPORARY }

    private final TemporaryStores temporaries;

    public CopyEngine(TemporaryStores temporaries) {
        this.temporaries = temporaries;
    }

    /** Bytes of all segments together. */
    public static long totalLength(List<CopySegment> segments) {
        long total = 0;
        for (CopySegment s : segments) {
            total = Math.addExact(total, s.length());
        }
        return total;
    }

    /**
     * The plan for these segments: direct unless some segment's source overlaps the destination bytes of an
     * earlier segment in the same store (a segment overlapping its own destination is fine: StoreCopier
     * copies like memmove).
     */
    public static Plan plan(List<CopySegment> segments, BlockStore destination, long destinationOffset) {
        long written = destinationOffset;
        for (int k = 0; k < segments.size(); k++) {
            CopySegment s = segments.get(k);
            if (s.source() == destination && s.length() > 0 && written > destinationOffset
                    && s.offset() < written && s.end() > destinationOffset) {
                return Plan.THROUGH_TEMPORARY;
            }
            written += s.length();
        }
        return Plan.DIRECT;
    }

    /**
     * Copies the segments, in order, to {@code destination} starting at {@code destinationOffset}.
     *
     * @param durable on return the copied bytes are on stable storage (one flush at the end)
     * @return the plan that was used
     * @throws CopyFailedException naming how many segments were copied before the failure
     */
    public Plan copy(List<CopySegment> segments, BlockStore destination, long destinationOffset, boolean durable)
            throws CopyFailedException {
        Plan plan = plan(segments, destination, destinationOffset);
        if (plan == Plan.DIRECT) {
            long at = destinationOffset;
            for (int k = 0; k < segments.size(); k++) {
                CopySegment s = segments.get(k);
                copyOne(s.source(), s.offset(), destination, at, s.length(), k);
                at += s.length();
            }
        } else {
            viaTemporary(segments, destination, destinationOffset);
        }
        if (durable) {
            try {
                destination.flush();
            } catch (IOException e) {
                throw new CopyFailedException(0, e);
            }
        }
        return plan;
    }

    private void viaTemporary(List<CopySegment> segments, BlockStore destination, long destinationOffset)
            throws CopyFailedException {
        long total = totalLength(segments);
        BlockStore temporary;
        try {
            temporary = temporaries.create(Math.max(1, total));
        } catch (IOException e) {
            throw new CopyFailedException(0, e);
        }
        try (temporary) {
            long at = 0;
            for (CopySegment s : segments) {
                // Nothing has reached the destination yet: a failure here copied no segment.
                copyOne(s.source(), s.offset(), temporary, at, s.length(), 0);
                at += s.length();
            }
            at = 0;
            for (int k = 0; k < segments.size(); k++) {
                long length = segments.get(k).length();
                copyOne(temporary, at, destination, destinationOffset + at, length, k);
                at += length;
            }
        } catch (IOException e) {
            if (e instanceof CopyFailedException c) {
                throw c;
            }
            throw new CopyFailedException(0, e); // closing the scratch store failed after a full copy
        }
    }

    private static void copyOne(BlockStore src, long srcOffset, BlockStore dst, long dstOffset, long length, int index)
            throws CopyFailedException {
        try {
            StoreCopier.copy(src, srcOffset, dst, dstOffset, length, false);
        } catch (IOException e) {
            throw new CopyFailedException(index, e);
        }
    }
}
