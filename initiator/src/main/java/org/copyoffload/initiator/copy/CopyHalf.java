package org.copyoffload.initiator.copy;

/**
 * One half of a copy, as the proposal's REQ_OP_COPY_SRC and REQ_OP_COPY_DST bios are: one device, one offset, one
 * length. Both halves of a copy share one {@link CopyContext} (the proposal's {@code bi_private}), which is where
 * each half's mapping ends up, so that they can be paired again once both are mapped onto base devices.
 */
public record CopyHalf(Side side, BlockDevice device, long offset, long length, CopyContext context) {
    public enum Side { SOURCE, DESTINATION }

    public CopyHalf {
        if (offset < 0 || length <= 0 || offset > device.size() - length) {
            throw new IllegalArgumentException(side + " range at " + offset + " of " + length + " bytes lies outside "
                    + device.name() + " (" + device.size() + " bytes)");
        }
        if (offset % device.blockSize() != 0 || length % device.blockSize() != 0) {
            throw new IllegalArgumentException(side + " range at " + offset + " of " + length + " bytes is not "
                    + "aligned to the " + device.blockSize() + "-byte blocks of " + device.name());
        }
    }
}
