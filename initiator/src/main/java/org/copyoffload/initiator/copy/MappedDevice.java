package org.copyoffload.initiator.copy;

import java.util.List;
import java.util.Optional;

/**
 * A mapping layer, as a device-mapper target is: each byte of it lies on some other device, found by {@link #map}.
 * A layer that stores the bytes it is given differently depending on where they lie (encryption whose IV is the
 * sector) forbids copying them as they are below it, and says why.
 */
public interface MappedDevice extends BlockDevice {
    /**
     * Where {@code length} bytes at {@code offset} lie on the devices below: extents in order, together exactly
     * {@code length} bytes, each on one device.
     */
    List<Extent> map(long offset, long length);

    /** Why bytes below this layer must not be copied as they are (the copy then falls back); empty if they may. */
    Optional<String> forbidsCopy();

    /** A range of a device below a mapping layer. */
    record Extent(BlockDevice device, long offset, long length) {
        public Extent {
            if (offset < 0 || length <= 0) {
                throw new IllegalArgumentException("extent offset " + offset + ", length " + length);
            }
        }
    }
}
