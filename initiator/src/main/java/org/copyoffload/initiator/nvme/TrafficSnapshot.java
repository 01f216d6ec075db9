package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.TrafficByKind;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.copyoffload.protocol.nvme.tcp.PduType;

/**
 * Traffic counted up to one moment, by PDU type and direction. Every PDU type is present (with zeros when
 * unused). {@link #minus} gives the traffic of an interval, e.g. one copy.
 */
public record TrafficSnapshot(Map<PduType, Tally> sent, Map<PduType, Tally> received, Tally sentUnknown,
                              Tally receivedUnknown)
        implements TrafficByKind<PduType> {

    /**
     * PDUs, their bytes on the wire, and of those the PDUs' data (NVMe/TCP: PLEN less PDO and the data digest;
     * iSCSI: the data segment without padding and digest); the rest are headers, padding and digests.
     */
    public record Tally(long pdus, long bytes, long dataBytes) {
        public static final Tally ZERO = new Tally(0, 0, 0);

        /** PDUs that carry no data. */
        public Tally(long pdus, long bytes) {
            this(pdus, bytes, 0);
        }

        /** Headers, padding and digests: the wire bytes that are not data. */
        public long headerBytes() {
            return bytes - dataBytes;
        }

        public Tally plus(Tally o) {
            return new Tally(pdus + o.pdus, bytes + o.bytes, dataBytes + o.dataBytes);
        }

        public Tally minus(Tally o) {
            return new Tally(pdus - o.pdus, bytes - o.bytes, dataBytes - o.dataBytes);
        }
    }

    public TrafficSnapshot {
        sent = complete(sent);
        received = complete(received);
    }

    private static Map<PduType, Tally> complete(Map<PduType, Tally> m) {
        return TrafficByKind.complete(PduType.class, m);
    }

    public static TrafficSnapshot empty() {
        return new TrafficSnapshot(Map.of(), Map.of(), Tally.ZERO, Tally.ZERO);
    }

    public TrafficSnapshot plus(TrafficSnapshot o) {
        return combine(o, Tally::plus);
    }

    /** This snapshot less an earlier one of the same counters. */
    public TrafficSnapshot minus(TrafficSnapshot earlier) {
        return combine(earlier, Tally::minus);
    }

    private TrafficSnapshot combine(TrafficSnapshot o, BinaryOperator<Tally> op) {
        return new TrafficSnapshot(TrafficByKind.combine(PduType.class, sent, o.sent, op),
                TrafficByKind.combine(PduType.class, received, o.received, op),
                op.apply(sentUnknown, o.sentUnknown), op.apply(receivedUnknown, o.receivedUnknown));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("TrafficSnapshot[sent ").append(bytesSent()).append(" B/")
                .append(pdusSent()).append(" PDUs, received ").append(bytesReceived()).append(" B/")
                .append(pdusReceived()).append(" PDUs");
        for (PduType t : PduType.values()) {
            Tally tx = sent.get(t);
            Tally rx = received.get(t);
            if (tx.pdus() != 0 || rx.pdus() != 0) {
                b.append(", ").append(t).append(" tx=").append(tx.pdus()).append('/').append(tx.bytes())
                        .append(" rx=").append(rx.pdus()).append('/').append(rx.bytes());
            }
        }
        return b.append(']').toString();
    }
}
