package org.copyoffload.initiator.iscsi;

import org.copyoffload.initiator.TrafficByKind;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.copyoffload.initiator.nvme.TrafficSnapshot.Tally;
import org.copyoffload.protocol.iscsi.IscsiOpcode;

/**
 * iSCSI traffic counted up to one moment, by opcode and direction; every opcode is present (zeros when unused).
 * {@link #minus} gives the traffic of an interval, e.g. one benchmark run.
 */
public record IscsiTrafficSnapshot(Map<IscsiOpcode, Tally> sent, Map<IscsiOpcode, Tally> received, Tally sentUnknown,
                                   Tally receivedUnknown)
        implements TrafficByKind<IscsiOpcode> {

    public IscsiTrafficSnapshot {
        sent = complete(sent);
        received = complete(received);
    }

    private static Map<IscsiOpcode, Tally> complete(Map<IscsiOpcode, Tally> m) {
        return TrafficByKind.complete(IscsiOpcode.class, m);
    }

    /** This snapshot less an earlier one of the same counters. */
    public IscsiTrafficSnapshot minus(IscsiTrafficSnapshot earlier) {
        return combine(earlier, Tally::minus);
    }

    public IscsiTrafficSnapshot plus(IscsiTrafficSnapshot other) {
        return combine(other, Tally::plus);
    }

    private IscsiTrafficSnapshot combine(IscsiTrafficSnapshot o, BinaryOperator<Tally> op) {
        return new IscsiTrafficSnapshot(TrafficByKind.combine(IscsiOpcode.class, sent, o.sent, op),
                TrafficByKind.combine(IscsiOpcode.class, received, o.received, op),
                op.apply(sentUnknown, o.sentUnknown),
                op.apply(receivedUnknown, o.receivedUnknown));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("IscsiTrafficSnapshot[sent ").append(bytesSent()).append(" B/")
                .append(pdusSent()).append(" PDUs, received ").append(bytesReceived()).append(" B/")
                .append(pdusReceived()).append(" PDUs");
        for (IscsiOpcode op : IscsiOpcode.values()) {
            Tally tx = sent.get(op);
            Tally rx = received.get(op);
            if (tx.pdus() != 0 || rx.pdus() != 0) {
                b.append(", ").append(op).append(op.fromInitiator() ? " tx=" + tx.pdus() + "/" + tx.bytes()
                        : " rx=" + rx.pdus() + "/" + rx.bytes());
            }
        }
        return b.append(']').toString();
    }
}
