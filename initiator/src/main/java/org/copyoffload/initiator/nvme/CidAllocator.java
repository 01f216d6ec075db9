package org.copyoffload.initiator.nvme;

/**
 * Command identifiers of one queue: a FIFO of free CIDs, so a freed CID waits behind all others before it
 * is used again and a late or duplicated response is less likely to match a newer command. Confined to
 * the queue's event loop.
 */
final class CidAllocator {
    private final int[] ring;
    private int head;
    private int free;

    CidAllocator(int capacity) {
        if (capacity < 1 || capacity > 0x10000) {
            throw new IllegalArgumentException("CID capacity " + capacity);
        }
        ring = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            ring[i] = i;
        }
        free = capacity;
    }

    int capacity() {
        return ring.length;
    }

    boolean hasFree() {
        return free > 0;
    }

    int inUse() {
        return ring.length - free;
    }

    int allocate() {
        if (free == 0) {
            throw new IllegalStateException("no free CID");
        }
        int cid = ring[head];
        head = (head + 1) % ring.length;
        free--;
        return cid;
    }

    void release(int cid) {
        if (free == ring.length) {
            throw new IllegalStateException("CID " + cid + " released twice");
        }
        ring[(head + free) % ring.length] = cid;
        free++;
    }
}
