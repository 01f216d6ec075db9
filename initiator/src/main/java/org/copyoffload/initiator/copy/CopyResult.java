package org.copyoffload.initiator.copy;

import java.util.List;

/**
 * What a copy did: bytes the devices copied (offloaded), bytes the host copied by READ + WRITE, and for each range the
 * host copied, why. Offsets of the fallbacks are relative to the start of the copy.
 */
public record CopyResult(long length, long bytesOffloaded, long bytesByFallback, List<Fallback> fallbacks) {
    public CopyResult {
        fallbacks = List.copyOf(fallbacks);
        if (bytesOffloaded + bytesByFallback != length) {
            throw new IllegalArgumentException(bytesOffloaded + " offloaded and " + bytesByFallback
                    + " by fallback do not make " + length);
        }
    }

    /** A range copied by READ + WRITE, and why. */
    public record Fallback(long offset, long length, FallbackReason reason, String detail) {
    }
}
