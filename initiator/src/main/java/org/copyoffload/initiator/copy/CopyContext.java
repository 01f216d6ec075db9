package org.copyoffload.initiator.copy;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What the two halves of one copy share: its length and, once each half is mapped, the pieces of it on base devices.
 */
public final class CopyContext {
    private final long length;
    private final Map<CopyHalf.Side, List<Piece>> mapped = new EnumMap<>(CopyHalf.Side.class);

    public CopyContext(long length) {
        this.length = length;
    }

    public long length() {
        return length;
    }

    /**
     * A piece of a half on a base device: {@code logical} bytes from the start of the copy, {@code length} bytes at
     * {@code offset} of {@code device}; {@code forbiddenBy} names the layer above it that forbids copying it as it is.
     */
    public record Piece(long logical, BlockDevice device, long offset, long length, String forbiddenBy) {
    }

    synchronized void mapped(CopyHalf.Side side, List<Piece> pieces) {
        long total = 0;
        for (Piece p : pieces) {
            if (p.logical() != total) {
                throw new IllegalStateException(side + " pieces are not contiguous at " + total);
            }
            total += p.length();
        }
        if (total != length) {
            throw new IllegalStateException(side + " mapped to " + total + " bytes, the copy has " + length);
        }
        mapped.put(side, List.copyOf(pieces));
    }

    /** The pieces of one half on base devices, in order; null until that half is mapped. */
    public synchronized List<Piece> pieces(CopyHalf.Side side) {
        return mapped.get(side);
    }
}
