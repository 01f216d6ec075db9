package org.copyoffload.initiator;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.BinaryOperator;
import org.copyoffload.initiator.nvme.TrafficSnapshot.Tally;

/** The arithmetic of traffic snapshots by PDU kind, for NVMe/TCP PDU types and iSCSI opcodes alike. */
public final class Tallies {
    private Tallies() {
    }

    /** An unmodifiable copy with every kind present, zero where {@code m} has none. */
    public static <K extends Enum<K>> Map<K, Tally> complete(Class<K> kinds, Map<K, Tally> m) {
        Map<K, Tally> copy = new EnumMap<>(kinds);
        for (K k : kinds.getEnumConstants()) {
            copy.put(k, m.getOrDefault(k, Tally.ZERO));
        }
        return Collections.unmodifiableMap(copy);
    }

    /** Kind by kind, {@code op} of the two (both complete). */
    public static <K extends Enum<K>> Map<K, Tally> combine(Class<K> kinds, Map<K, Tally> a, Map<K, Tally> b,
                                                            BinaryOperator<Tally> op) {
        Map<K, Tally> m = new EnumMap<>(kinds);
        for (K k : kinds.getEnumConstants()) {
            m.put(k, op.apply(a.get(k), b.get(k)));
        }
        return m;
    }

    /** All kinds together, and what could not be told apart. */
    public static Tally total(Map<?, Tally> m, Tally unknown) {
        return m.values().stream().reduce(unknown, Tally::plus);
    }
}
