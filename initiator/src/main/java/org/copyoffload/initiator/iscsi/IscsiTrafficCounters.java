package org.copyoffload.initiator.iscsi;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.copyoffload.initiator.nvme.TrafficSnapshot.Tally;
import org.copyoffload.protocol.iscsi.IscsiOpcode;

/**
 * Bytes and PDUs sent and received on one iSCSI connection, by opcode, as they cross the socket: BHS, AHS,
 * digests, data and padding all count, and the data segments' bytes are also counted apart. A connection's counters may feed a parent's as well. Thread-safe;
 * {@link #snapshot()} is a copy.
 */
public final class IscsiTrafficCounters {
    /** Bucket of bytes whose opcode is not one of RFC 7143's (a malformed PDU from the target). */
    static final int UNKNOWN = 64;

    private final IscsiTrafficCounters parent;
    private final LongAdder[] sentBytes = adders();
    private final LongAdder[] sentPdus = adders();
    private final LongAdder[] receivedBytes = adders();
    private final LongAdder[] receivedPdus = adders();
    private final LongAdder[] sentData = adders();
    private final LongAdder[] receivedData = adders();

    public IscsiTrafficCounters() {
        this(null);
    }

    /** Counters that also add everything to {@code parent}. */
    public IscsiTrafficCounters(IscsiTrafficCounters parent) {
        this.parent = parent;
    }

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[UNKNOWN + 1];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /**
     * One PDU of {@code bytes} wire bytes sent, {@code data} of them its data segment, whose BHS byte 0 has this
     * opcode in its low six bits.
     */
    void sent(int opcode, long bytes, long data) {
        int bucket = bucket(opcode);
        sentBytes[bucket].add(bytes);
        sentData[bucket].add(data);
        sentPdus[bucket].increment();
        if (parent != null) {
            parent.sent(opcode, bytes, data);
        }
    }

    void received(int opcode, long bytes, long data) {
        int bucket = bucket(opcode);
        receivedBytes[bucket].add(bytes);
        receivedData[bucket].add(data);
        receivedPdus[bucket].increment();
        if (parent != null) {
            parent.received(opcode, bytes, data);
        }
    }

    private static int bucket(int opcode) {
        return IscsiOpcode.lookup(opcode).map(IscsiOpcode::code).orElse(UNKNOWN);
    }

    public IscsiTrafficSnapshot snapshot() {
        return new IscsiTrafficSnapshot(tallies(sentPdus, sentBytes, sentData),
                tallies(receivedPdus, receivedBytes, receivedData), tally(sentPdus, sentBytes, sentData, UNKNOWN),
                tally(receivedPdus, receivedBytes, receivedData, UNKNOWN));
    }

    private static Map<IscsiOpcode, Tally> tallies(LongAdder[] pdus, LongAdder[] bytes, LongAdder[] data) {
        Map<IscsiOpcode, Tally> m = new EnumMap<>(IscsiOpcode.class);
        for (IscsiOpcode op : IscsiOpcode.values()) {
            m.put(op, tally(pdus, bytes, data, op.code()));
        }
        return m;
    }

    private static Tally tally(LongAdder[] pdus, LongAdder[] bytes, LongAdder[] data, int bucket) {
        return new Tally(pdus[bucket].sum(), bytes[bucket].sum(), data[bucket].sum());
    }
}
