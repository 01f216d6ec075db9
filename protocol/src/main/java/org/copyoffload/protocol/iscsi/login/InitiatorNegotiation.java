package org.copyoffload.protocol.iscsi.login;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The initiator's side of operational parameter negotiation (RFC 7143, 6.2, 13), the counterpart of
 * {@link OperationalNegotiation}: {@link #proposals()} are the keys of the first operational Login Request,
 * {@link #accept} reads each Login Response's keys, checks every answer against the key's range and
 * {@link ResultFunction} (an answer the function cannot give from the offer is the target's error), answers keys
 * the target proposes itself, and keeps the target's declarations; {@link #result()} is what was agreed, with the
 * RFC 7143 default for every key nobody negotiated or whose answer was Reject, Irrelevant or NotUnderstood (6.2:
 * "the negotiated key is left at its current value (or default if no value was set)").
 *
 * <p>Not thread-safe: it belongs to one connection's login.
 */
public final class InitiatorNegotiation {
    private static final String YES = "Yes";
    private static final String NO = "No";
    private static final String CRC32C = "CRC32C";
    private static final String NONE = "None";
    static final String HEADER_DIGEST = "HeaderDigest";
    static final String DATA_DIGEST = "DataDigest";
    static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    static final String MAX_BURST_LENGTH = "MaxBurstLength";
    static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    private static final String TARGET_ALIAS = "TargetAlias";
    private static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";
    private static final String TARGET_ADDRESS = "TargetAddress";

    private enum Kind { DIGEST, NUMBER, BOOLEAN }

    /** How one negotiated key of RFC 7143 section 13 is checked: its type, result function and range. */
    private record Rule(Kind kind, ResultFunction function, long min, long max, boolean dataTransfer) {
    }

    private static final Map<String, Rule> RULES = Map.ofEntries(
            Map.entry(HEADER_DIGEST, new Rule(Kind.DIGEST, null, 0, 0, false)),                         // 13.1
            Map.entry(DATA_DIGEST, new Rule(Kind.DIGEST, null, 0, 0, false)),                           // 13.1
            Map.entry("MaxConnections", new Rule(Kind.NUMBER, ResultFunction.MINIMUM, 1, 65535, true)),  // 13.2
            Map.entry("InitialR2T", new Rule(Kind.BOOLEAN, ResultFunction.OR, 0, 0, true)),              // 13.10
            Map.entry("ImmediateData", new Rule(Kind.BOOLEAN, ResultFunction.AND, 0, 0, true)),          // 13.11
            Map.entry(MAX_BURST_LENGTH, new Rule(Kind.NUMBER, ResultFunction.MINIMUM,
                    TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH, true)),                     // 13.13
            Map.entry(FIRST_BURST_LENGTH, new Rule(Kind.NUMBER, ResultFunction.MINIMUM,
                    TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH, true)),                     // 13.14
            Map.entry("DefaultTime2Wait", new Rule(Kind.NUMBER, ResultFunction.MAXIMUM, 0, 3600, false)), // 13.15
            Map.entry("DefaultTime2Retain", new Rule(Kind.NUMBER, ResultFunction.MINIMUM, 0, 3600, false)), // 13.16
            Map.entry("MaxOutstandingR2T", new Rule(Kind.NUMBER, ResultFunction.MINIMUM, 1, 65535, true)), // 13.17
            Map.entry("DataPDUInOrder", new Rule(Kind.BOOLEAN, ResultFunction.OR, 0, 0, true)),          // 13.18
            Map.entry("DataSequenceInOrder", new Rule(Kind.BOOLEAN, ResultFunction.OR, 0, 0, true)),     // 13.19
            Map.entry("ErrorRecoveryLevel", new Rule(Kind.NUMBER, ResultFunction.MINIMUM, 0, 2, false))); // 13.20

    private final InitiatorOffer offer;
    private final boolean discovery;
    /** Our value of every key: what we propose, and what we answer with when the target proposes it. */
    private final Map<String, String> ours = new HashMap<>();
    /** What we proposed, in order: keys whose answer we wait for. */
    private final Map<String, String> proposed = new LinkedHashMap<>();
    private final Set<String> answered = new HashSet<>();
    private final Map<String, String> agreed = new HashMap<>();
    private int targetMaxRecvDataSegmentLength = NegotiatedParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    private String targetAlias;
    private int targetPortalGroupTag = -1;
    private final List<String> targetAddresses = new ArrayList<>();

    public InitiatorNegotiation(InitiatorOffer offer, SessionType sessionType) {
        this.offer = offer;
        this.discovery = sessionType == SessionType.DISCOVERY;
        ours.put(HEADER_DIGEST, offer.headerDigest() ? CRC32C + "," + NONE : NONE);
        ours.put(DATA_DIGEST, offer.dataDigest() ? CRC32C + "," + NONE : NONE);
        ours.put("MaxConnections", "1");
        ours.put("InitialR2T", bool(offer.initialR2T()));
        ours.put("ImmediateData", bool(offer.immediateData()));
        ours.put(MAX_BURST_LENGTH, Integer.toString(offer.maxBurstLength()));
        ours.put(FIRST_BURST_LENGTH, Integer.toString(offer.firstBurstLength()));
        ours.put("DefaultTime2Wait", Integer.toString(offer.defaultTime2Wait()));
        ours.put("DefaultTime2Retain", Integer.toString(offer.defaultTime2Retain()));
        ours.put("MaxOutstandingR2T", Integer.toString(offer.maxOutstandingR2T()));
        // The initiator takes data in order (as every initiator here does), and recovers nothing beyond level 0.
        ours.put("DataPDUInOrder", YES);
        ours.put("DataSequenceInOrder", YES);
        ours.put("ErrorRecoveryLevel", "0");
        for (String key : List.of(HEADER_DIGEST, DATA_DIGEST, "InitialR2T", "ImmediateData", MAX_BURST_LENGTH,
                FIRST_BURST_LENGTH, "MaxOutstandingR2T", "MaxConnections", "DefaultTime2Wait", "DefaultTime2Retain",
                "DataPDUInOrder", "DataSequenceInOrder", "ErrorRecoveryLevel")) {
            if (!discovery || !RULES.get(key).dataTransfer()) {
                proposed.put(key, ours.get(key));
            }
        }
    }

    /**
     * The keys of the first Login Request of the operational stage: every key above (those of section 13 that
     * are "Irrelevant when: SessionType=Discovery" left out of a Discovery session) and the initiator's
     * MaxRecvDataSegmentLength declaration.
     */
    public List<TextKey> proposals() {
        List<TextKey> keys = new ArrayList<>();
        proposed.forEach((k, v) -> keys.add(new TextKey(k, v)));
        keys.add(new TextKey(MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(offer.maxRecvDataSegmentLength())));
        return List.copyOf(keys);
    }

    /**
     * Reads the keys of one Login Response (security or operational stage: declarations may come in either).
     *
     * @return the initiator's answers to keys the target proposed itself, to send in the next Login Request
     * @throws IscsiTextException naming the key when an answer is malformed, out of range, answered twice, or a
     *     value the key's result function cannot give from the initiator's offer
     */
    public List<TextKey> accept(List<TextKey> keys) {
        List<TextKey> replies = new ArrayList<>();
        for (TextKey key : keys) {
            String name = key.name();
            String value = key.value();
            switch (name) {
                case MAX_RECV_DATA_SEGMENT_LENGTH -> targetMaxRecvDataSegmentLength =
                        (int) number(key, TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH, "13.12");
                case TARGET_ALIAS -> targetAlias = value;
                case TARGET_PORTAL_GROUP_TAG -> targetPortalGroupTag = (int) number(key, 0, 65535, "13.9");
                case TARGET_ADDRESS -> targetAddresses.add(value);
                default -> {
                    Rule rule = RULES.get(name);
                    if (proposed.containsKey(name)) {
                        answer(key, rule);
                    } else if (isReservedConstant(value)) {
                        // An answer to nothing we sent, or to a declaration: nothing to agree on.
                    } else if (rule != null) {
                        replies.add(counterProposal(key, rule));
                    } else if (!SecurityKeys.isSecurityKey(name)) {
                        // 6.2: "the answer for a key not understood MUST be key=NotUnderstood".
                        replies.add(new TextKey(name, OperationalNegotiation.NOT_UNDERSTOOD));
                    }
                }
            }
        }
        return List.copyOf(replies);
    }

    /** Checks the target's answer to one of our proposals. */
    private void answer(TextKey key, Rule rule) {
        String name = key.name();
        if (!answered.add(name)) {
            throw new IscsiTextException(key + ": " + name + " answered twice in one login (RFC 7143, 6.2)");
        }
        String value = key.value();
        if (isReservedConstant(value)) {
            agreed.remove(name); // the key keeps its default
            return;
        }
        String offered = proposed.get(name);
        switch (rule.kind()) {
            case DIGEST -> {
                if (!List.of(offered.split(",")).contains(value)) {
                    throw new IscsiTextException(key + " is not one of the values offered, " + offered
                            + " (RFC 7143, 6.2.1, 13.1)");
                }
            }
            case NUMBER -> {
                long answer = number(key, rule.min(), rule.max(), "13");
                long ourValue = Long.parseLong(offered);
                if (!rule.function().admits(ourValue, answer)) {
                    throw new IscsiTextException(key + " cannot be the " + rule.function() + " of the offer " + offered
                            + " and a value of the target (RFC 7143, 6.2.2)");
                }
            }
            case BOOLEAN -> {
                boolean answer = parseBool(key);
                if (!rule.function().admits(offered.equals(YES), answer)) {
                    throw new IscsiTextException(key + " cannot be the " + rule.function() + " of the offer " + offered
                            + " and a value of the target (RFC 7143, 6.2.2)");
                }
            }
        }
        agreed.put(name, value);
    }

    /** The target proposes a key the initiator did not: answer with the result of our value and its. */
    private TextKey counterProposal(TextKey key, Rule rule) {
        String name = key.name();
        if (discovery && rule.dataTransfer()) {
            return new TextKey(name, OperationalNegotiation.IRRELEVANT);
        }
        String result;
        switch (rule.kind()) {
            case DIGEST -> {
                List<String> acceptable = List.of(ours.get(name).split(","));
                result = OperationalNegotiation.selectFromList(key.value(), acceptable);
            }
            case NUMBER -> {
                long theirs = OperationalNegotiation.number(key.value(), rule.min(), rule.max());
                result = theirs < 0 ? null
                        : Long.toString(rule.function().apply(Long.parseLong(ours.get(name)), theirs));
            }
            case BOOLEAN -> {
                Boolean theirs = key.value().equals(YES) ? Boolean.TRUE : key.value().equals(NO) ? Boolean.FALSE : null;
                result = theirs == null ? null : bool(rule.function().apply(ours.get(name).equals(YES), theirs));
            }
            default -> throw new IllegalStateException(rule.kind().toString());
        }
        if (result == null) {
            return new TextKey(name, OperationalNegotiation.REJECT);
        }
        agreed.put(name, result);
        return new TextKey(name, result);
    }

    /** What was agreed; keys nobody negotiated hold their RFC 7143 defaults. */
    public NegotiatedParameters result() {
        NegotiatedParameters d = NegotiatedParameters.defaults();
        int maxBurst = intResult(MAX_BURST_LENGTH, d.maxBurstLength());
        return new NegotiatedParameters(
                CRC32C.equals(agreed.get(HEADER_DIGEST)),
                CRC32C.equals(agreed.get(DATA_DIGEST)),
                offer.maxRecvDataSegmentLength(),
                targetMaxRecvDataSegmentLength,
                maxBurst,
                // 13.14: FirstBurstLength MUST NOT exceed MaxBurstLength.
                Math.min(intResult(FIRST_BURST_LENGTH, d.firstBurstLength()), maxBurst),
                boolResult("InitialR2T", d.initialR2T()),
                boolResult("ImmediateData", d.immediateData()),
                intResult("MaxOutstandingR2T", d.maxOutstandingR2T()),
                boolResult("DataPDUInOrder", d.dataPduInOrder()),
                boolResult("DataSequenceInOrder", d.dataSequenceInOrder()),
                intResult("ErrorRecoveryLevel", d.errorRecoveryLevel()),
                intResult("MaxConnections", d.maxConnections()),
                intResult("DefaultTime2Wait", d.defaultTime2Wait()),
                intResult("DefaultTime2Retain", d.defaultTime2Retain()));
    }

    /** TargetAlias, when the target declared one (13.6). */
    public Optional<String> targetAlias() {
        return Optional.ofNullable(targetAlias);
    }

    /** TargetPortalGroupTag as declared (13.9), or -1 when the target declared none. */
    public int targetPortalGroupTag() {
        return targetPortalGroupTag;
    }

    /** TargetAddress values the target sent during login (a redirection, 13.8). */
    public List<String> targetAddresses() {
        return List.copyOf(targetAddresses);
    }

    private int intResult(String name, int defaultValue) {
        String value = agreed.get(name);
        return value == null ? defaultValue : Integer.parseInt(value);
    }

    private boolean boolResult(String name, boolean defaultValue) {
        String value = agreed.get(name);
        if (value != null) {
            return value.equals(YES);
        }
        String offered = proposed.get(name);
        if (offered != null && !answered.contains(name)) {
            // 6.2.2: the acceptor may leave out an answer the offer already decides (AND with No, OR with Yes).
            Boolean decided = RULES.get(name).function().decidedBy(offered.equals(YES));
            if (decided != null) {
                return decided;
            }
        }
        return defaultValue;
    }

    private static long number(TextKey key, long min, long max, String section) {
        long value = OperationalNegotiation.number(key.value(), min, max);
        if (value < 0) {
            throw new IscsiTextException(key + " is not a number from " + min + " to " + max + " (RFC 7143, " + section
                    + ")");
        }
        return value;
    }

    private static boolean parseBool(TextKey key) {
        return switch (key.value()) {
            case YES -> true;
            case NO -> false;
            default -> throw new IscsiTextException(key + " is neither Yes nor No (RFC 7143, 6.1)");
        };
    }

    private static String bool(boolean value) {
        return value ? YES : NO;
    }

    private static boolean isReservedConstant(String value) {
        return value.equals(OperationalNegotiation.REJECT) || value.equals(OperationalNegotiation.IRRELEVANT)
                || value.equals(OperationalNegotiation.NOT_UNDERSTOOD);
    }

    /** Keys of the security stage and the initiator's own declarations, which are no operational answers. */
    private static final class SecurityKeys {
        private static final Set<String> KEYS = Set.of("AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R",
                "InitiatorName", "InitiatorAlias", "TargetName", SessionType.KEY);

        static boolean isSecurityKey(String name) {
            return KEYS.contains(name);
        }
    }
}
