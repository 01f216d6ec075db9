package org.copyoffload.initiator.nvme;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.copyoffload.protocol.nvme.tcp.PduType;

/**
 * Bytes and PDUs sent and received, by PDU type, as they cross the socket: headers, padding, digests and
 * data all count, and the data bytes are also counted apart. Bytes that do not start with a known PDU type (raw tests sending garbage) count as
 * unknown. A queue's counters feed its host's as well. Thread-safe; {@link #snapshot()} is a copy.
 */
public final class TrafficCounters {
    private static final PduType[] TYPES = PduType.values();
    /** Index of the bucket for bytes whose PDU type is unknown. */
    static final int UNKNOWN = TYPES.length;

    private final TrafficCounters parent;
    private final Direction sent = new Direction();
    private final Direction received = new Direction();

    public TrafficCounters() {
        this(null);
    }

    /** Counters that also add everything to {@code parent} (a queue's to its host's). */
    public TrafficCounters(TrafficCounters parent) {
        this.parent = parent;
    }

    /** The bucket of a PDU type byte as it appears on the wire. */
    static int bucket(int typeCode) {
        PduType type = PduType.lookup(typeCode);
        return type == null ? UNKNOWN : type.ordinal();
    }

    void sentBytes(int bucket, long bytes) {
        sent.bytes[bucket].add(bytes);
        if (parent != null) {
            parent.sentBytes(bucket, bytes);
        }
    }

    void sentData(int bucket, long bytes) {
        sent.data[bucket].add(bytes);
        if (parent != null) {
            parent.sentData(bucket, bytes);
        }
    }

    void receivedData(int bucket, long bytes) {
        received.data[bucket].add(bytes);
        if (parent != null) {
            parent.receivedData(bucket, bytes);
        }
    }

    void sentPdu(int bucket) {
        sent.pdus[bucket].increment();
        if (parent != null) {
            parent.sentPdu(bucket);
        }
    }

    void receivedBytes(int bucket, long bytes) {
        received.bytes[bucket].add(bytes);
        if (parent != null) {
            parent.receivedBytes(bucket, bytes);
        }
    }

    void receivedPdu(int bucket) {
        received.pdus[bucket].increment();
        if (parent != null) {
            parent.receivedPdu(bucket);
        }
    }

    public TrafficSnapshot snapshot() {
        return new TrafficSnapshot(sent.tallies(), received.tallies(), sent.tally(UNKNOWN), received.tally(UNKNOWN));
    }

    private static final class Direction {
        final LongAdder[] bytes = adders();
        final LongAdder[] pdus = adders();
        final LongAdder[] data = adders();

        private static LongAdder[] adders() {
            LongAdder[] a = new LongAdder[UNKNOWN + 1];
            for (int i = 0; i < a.length; i++) {
                a[i] = new LongAdder();
            }
            return a;
        }

        TrafficSnapshot.Tally tally(int bucket) {
            return new TrafficSnapshot.Tally(pdus[bucket].sum(), bytes[bucket].sum(), data[bucket].sum());
        }

        Map<PduType, TrafficSnapshot.Tally> tallies() {
            Map<PduType, TrafficSnapshot.Tally> m = new EnumMap<>(PduType.class);
            for (PduType t : TYPES) {
                m.put(t, tally(t.ordinal()));
            }
            return m;
        }
    }
}
