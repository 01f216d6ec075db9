package org.copyoffload.backends.zone;

/**
 * One zone changed by an operation: its snapshot before and after, and {@code persist}, the snapshot to record in
 * the metadata: like {@code after} but with the committed write pointer (only writes whose data completed, see
 * {@link ZoneModel#completeWrite}).
 */
public record ZoneChange(Zone before, Zone after, Zone persist) {
    /**
     * For a reset: the blocks {@code [startLba, startLba + blocks)} that held data and must read as zeros before the
     * reset completes (including blocks of writes still in flight). 0 blocks when the zone had nothing written.
     */
    public long zeroStartLba() {
        return before.startLba();
    }

    public long zeroBlocks() {
        return before.writePointer() - before.startLba();
    }
}
