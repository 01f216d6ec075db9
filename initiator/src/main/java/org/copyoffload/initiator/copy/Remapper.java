package org.copyoffload.initiator.copy;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps one half of a copy down a stack of mapping layers, one level at a time, until every piece lies on a base
 * device (the proposal repeats device-mapper mapping for stacked targets such as dm-crypt on dm-linear). Each half is
 * split at its own mapping boundaries; the pieces are recorded in the shared context.
 */
final class Remapper {
    /** Deeper than any real stack; a deeper one is a cycle. */
    static final int MAX_DEPTH = 64;

    private Remapper() {
    }

    static List<CopyContext.Piece> remap(CopyHalf half) {
        List<CopyContext.Piece> pieces = List.of(new CopyContext.Piece(0, half.device(), half.offset(), half.length(),
                null));
        for (int depth = 0; pieces.stream().anyMatch(p -> p.device() instanceof MappedDevice); depth++) {
            if (depth == MAX_DEPTH) {
                throw new IllegalStateException(half.side() + " of the copy is still on a mapping layer after "
                        + MAX_DEPTH + " levels: the stack has a cycle");
            }
            List<CopyContext.Piece> next = new ArrayList<>();
            for (CopyContext.Piece p : pieces) {
                if (!(p.device() instanceof MappedDevice layer)) {
                    next.add(p);
                    continue;
                }
                String forbidden = p.forbiddenBy() != null ? p.forbiddenBy()
                        : layer.forbidsCopy().map(why -> layer.name() + ": " + why).orElse(null);
                long logical = p.logical();
                for (MappedDevice.Extent e : layer.map(p.offset(), p.length())) {
                    next.add(new CopyContext.Piece(logical, e.device(), e.offset(), e.length(), forbidden));
                    logical += e.length();
                }
                if (logical != p.logical() + p.length()) {
                    throw new IllegalStateException(layer.name() + " mapped " + p.length() + " bytes at " + p.offset()
                            + " onto " + (logical - p.logical()) + " bytes");
                }
            }
            pieces = next;
        }
        half.context().mapped(half.side(), pieces);
        return pieces;
    }
}
