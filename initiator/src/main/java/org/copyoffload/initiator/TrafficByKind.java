package org.copyoffload.initiator;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.copyoffload.initiator.nvme.TrafficSnapshot.Tally;

/**
 * Traffic counted by PDU kind and direction (NVMe/TCP PDU types, iSCSI opcodes): the totals every snapshot offers,
 * and the arithmetic its records share.
 *
 * @param <K> the PDU kinds
 */
public interface TrafficByKind<K extends Enum<K>> {
    /** Every kind, zero where none was sent. */
    Map<K, Tally> sent();

    Map<K, Tally> received();

    /** Bytes sent that did not start with a known kind. */
    Tally sentUnknown();

    Tally receivedUnknown();

    default Tally sent(K kind) {
        return sent().get(kind);
    }

    default Tally received(K kind) {
        return received().get(kind);
    }

    default long bytesSent() {
        return total(sent(), sentUnknown()).bytes();
    }

    default long bytesReceived() {
        return total(received(), receivedUnknown()).bytes();
    }

    /** Of {@link #bytesSent()}, the PDUs' data; the rest is headers, padding and digests. */
    default long dataBytesSent() {
        return total(sent(), sentUnknown()).dataBytes();
    }

    default long dataBytesReceived() {
        return total(received(), receivedUnknown()).dataBytes();
    }

    default long pdusSent() {
        return total(sent(), sentUnknown()).pdus();
    }

    default long pdusReceived() {
        return total(received(), receivedUnknown()).pdus();
    }

    /** An unmodifiable copy with every kind present, zero where {@code m} has none. */
    static <K extends Enum<K>> Map<K, Tally> complete(Class<K> kinds, Map<K, Tally> m) {
        Map<K, Tally> copy = new EnumMap<>(kinds);
        for (K k : kinds.getEnumConstants()) {
            copy.put(k, m.getOrDefault(k, Tally.ZERO));
        }
        return Collections.unmodifiableMap(copy);
    }

    /** Kind by kind, {@code op} of the two (both complete). */
    static <K extends Enum<K>> Map<K, Tally> combine(Class<K> kinds, Map<K, Tally> a, Map<K, Tally> b,
                                                     BinaryOperator<Tally> op) {
        Map<K, Tally> m = new EnumMap<>(kinds);
        for (K k : kinds.getEnumConstants()) {
            m.put(k, op.apply(a.get(k), b.get(k)));
        }
        return m;
    }

    /** All kinds together, and what could not be told apart. */
    static Tally total(Map<?, Tally> m, Tally unknown) {
        return m.values().stream().reduce(unknown, Tally::plus);
    }
}
