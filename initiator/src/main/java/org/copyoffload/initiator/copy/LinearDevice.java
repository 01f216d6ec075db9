package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Concatenated segments of other devices, like dm-linear with one table line per segment. */
public final class LinearDevice implements MappedDevice {
    /** {@code length} bytes of {@code device} from {@code offset}. */
    public record Segment(BlockDevice device, long offset, long length) {
    }

    private final String name;
    private final List<Segment> segments;
    private final long[] starts;
    private final long size;
    private final int blockSize;

    public LinearDevice(String name, List<Segment> segments) {
        if (segments.isEmpty()) {
            throw new IllegalArgumentException(name + ": no segments");
        }
        this.name = name;
        this.segments = List.copyOf(segments);
        this.blockSize = segments.stream().mapToInt(s -> s.device().blockSize()).max().orElseThrow();
        this.starts = new long[segments.size()];
        long at = 0;
        for (int k = 0; k < segments.size(); k++) {
            Segment s = segments.get(k);
            if (s.length() <= 0 || s.offset() < 0 || s.offset() > s.device().size() - s.length()
                    || s.offset() % blockSize != 0 || s.length() % blockSize != 0) {
                throw new IllegalArgumentException(name + ": segment " + k + " (" + s.length() + " bytes at "
                        + s.offset() + " of " + s.device().name() + ") is outside it or not aligned to "
                        + blockSize + "-byte blocks");
            }
            starts[k] = at;
            at += s.length();
        }
        this.size = at;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public List<Extent> map(long offset, long length) {
        MappedIo.check(this, offset, length);
        List<Extent> out = new ArrayList<>();
        int k = segmentAt(offset);
        long at = offset;
        long end = offset + length;
        while (at < end) {
            Segment s = segments.get(k);
            long within = at - starts[k];
            long n = Math.min(end - at, s.length() - within);
            out.add(new Extent(s.device(), s.offset() + within, n));
            at += n;
            k++;
        }
        return out;
    }

    private int segmentAt(long offset) {
        int lo = 0;
        int hi = starts.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= offset) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    public boolean requiresSequentialWrites() {
        return segments.stream().anyMatch(s -> s.device().requiresSequentialWrites());
    }

    @Override
    public Optional<String> forbidsCopy() {
        return Optional.empty();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        return MappedIo.read(this, offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        return MappedIo.write(this, offset, data);
    }
}
