package org.copyoffload.backends.zone;

/** A snapshot of one zone: its index, state, first LBA (ZSLBA), capacity (ZCAP) and write pointer. */
public record Zone(int index, ZoneState state, long startLba, long capacity, long writePointer) {
    /** The first LBA past the writable part: a write must end at or before it. */
    public long writableEnd() {
        return startLba + capacity;
    }
}
