package org.copyoffload.initiator;

/**
 * Tags of one queue or connection (NVMe CIDs, iSCSI task slots): a FIFO of free tags, so a freed tag waits
 * behind all others before it is used again and a late or duplicated response is less likely to match a
 * newer command. Confined to the owner's event loop.
 */
public final class TagAllocator {
    private final int[] ring;
    private int head;
    private int free;

    public TagAllocator(int capacity) {
        if (capacity < 1 || capacity > 0x10000) {
            throw new IllegalArgumentException("tag capacity " + capacity);
        }
        ring = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            ring[i] = i;
        }
        free = capacity;
    }

    public int capacity() {
        return ring.length;
    }

    public boolean hasFree() {
        return free > 0;
    }

    public int inUse() {
        return ring.length - free;
    }

    public int allocate() {
        if (free == 0) {
            throw new IllegalStateException("no free tag");
        }
        int cid = ring[head];
        head = (head + 1) % ring.length;
        free--;
        return cid;
    }

    public void release(int cid) {
        if (free == ring.length) {
            throw new IllegalStateException("tag " + cid + " released twice");
        }
        ring[(head + free) % ring.length] = cid;
        free++;
    }
}
