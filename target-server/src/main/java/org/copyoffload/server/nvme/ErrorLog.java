package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;
import java.util.Deque;
import org.copyoffload.protocol.nvme.NvmeStatus;

/**
 * The Error Information log (NVMe Base 2.1, 5.1.12.1.2, Figure 205): the newest {@link #ENTRIES} errors,
 * newest first, each 64 bytes with a running error count that never repeats.
 */
final class ErrorLog {
    /** ELPE + 1. */
    static final int ENTRIES = 64;
    static final int ENTRY_SIZE = 64;
    /** Transport Type of the entries: 3h TCP (NVMe-oF 1.1, Figure 32 TRTYPE). */
    private static final int TRTYPE_TCP = 3;

    private record Entry(long count, int sqid, int cid, int statusField, int nsid, long lba) {
    }

    private final Deque<Entry> entries = new ArrayDeque<>();
    private long count;

    synchronized void record(int sqid, int cid, NvmeStatus status, int nsid, long lba) {
        count++;
        entries.addFirst(new Entry(count, sqid, cid, status.toField(), nsid, lba));
        if (entries.size() > ENTRIES) {
            entries.removeLast();
        }
    }

    synchronized ByteBuf encode() {
        ByteBuf b = Unpooled.buffer(ENTRIES * ENTRY_SIZE);
        b.writeZero(ENTRIES * ENTRY_SIZE);
        int i = 0;
        for (Entry e : entries) {
            int at = i++ * ENTRY_SIZE;
            b.setLongLE(at, e.count);
            b.setShortLE(at + 8, e.sqid);
            b.setShortLE(at + 10, e.cid);
            b.setShortLE(at + 12, e.statusField);
            b.setShortLE(at + 14, 0xFFFF);
            b.setLongLE(at + 16, e.lba);
            b.setIntLE(at + 24, e.nsid);
            b.setByte(at + 29, TRTYPE_TCP);
        }
        return b;
    }

    synchronized long count() {
        return count;
    }
}
