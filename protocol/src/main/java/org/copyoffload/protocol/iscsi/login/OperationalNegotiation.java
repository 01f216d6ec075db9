package org.copyoffload.protocol.iscsi.login;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The target's side of operational parameter negotiation: the LoginOperationalNegotiation stage (CSG=1)
 * and Text requests in full feature phase (RFC 7143, 6.2, 6.3, 6.6, 13). The initiator proposes, the
 * target answers each key with the result of the key's result function; the target itself proposes no
 * negotiable key, it only declares its own values ({@link #anyStageDeclarations()}, {@link #targetOffers()}).
 *
 * <p>How a key is answered (RFC 7143, 6.2):
 * <ul>
 *   <li>a value the key's result function accepts: the result (Minimum, Maximum, AND, OR, or for a
 *       list the first value in the initiator's order that the target supports, 6.2.1, 6.2.2);
 *       answers that 6.2.2 makes optional (AND with No, OR with Yes) are sent too: an answer is
 *       always allowed, and the initiator then need not work the result out itself;
 *   <li>a malformed value, one out of the key's range or a list without any value the target supports:
 *       {@code Reject}, and the key keeps its current value or default (6.2: "If the acceptor sends
 *       'Reject' as an answer, the negotiated key is left at its current value (or default if no value was
 *       set)"; the initiator then decides whether it can go on). A key the RFC knows but that is not
 *       admissible here (sent by the wrong side, in the wrong stage or phase) is answered the same way;
 *   <li>a key of section 13 that does not apply to this session, such as the data-transfer keys of a
 *       Discovery session ("Irrelevant when: SessionType=Discovery"): {@code Irrelevant};
 *   <li>a key the target does not know, including X- and X# extension keys: {@code NotUnderstood};
 *   <li>a declarative key (InitiatorName, TargetName, SessionType, InitiatorAlias): stored, not answered;
 *   <li>a key sent twice in one negotiation, or a proposal of one of the reserved constants Reject,
 *       Irrelevant or NotUnderstood: a protocol error, {@link LoginException} with INITIATOR_ERROR.
 * </ul>
 *
 * <p>Session-wide keys are answered as on a leading connection. Not thread-safe: one negotiation belongs
 * to one connection's login and is driven by one thread at a time.
 */
public final class OperationalNegotiation {
    public static final String REJECT = "Reject";
    public static final String IRRELEVANT = "Irrelevant";
    public static final String NOT_UNDERSTOOD = "NotUnderstood";

    /** The iSCSIProtocolLevel of an implementation of RFC 7143 without the RFC 7144 additions (RFC 7143, 13.24). */
    public static final int PROTOCOL_LEVEL = 1;

    /** RFC 7143, 6.1: "the maximum length of a simple-value (not its encoded representation) is 255 bytes". */
    static final int MAX_SIMPLE_VALUE_BYTES = 255;

    /** RFC 7143, 4.2.7.1: an iSCSI name is at most 223 bytes. */
    static final int MAX_ISCSI_NAME_BYTES = 223;

    private static final String YES = "Yes";
    private static final String NO = "No";
    private static final String NONE = "None";
    private static final String CRC32C = "CRC32C";
    private static final String RFC3720 = "RFC3720";

    private static final String HEADER_DIGEST = "HeaderDigest";
    private static final String DATA_DIGEST = "DataDigest";
    private static final String MAX_CONNECTIONS = "MaxConnections";
    private static final String SEND_TARGETS = "SendTargets";
    private static final String TARGET_NAME = "TargetName";
    private static final String INITIATOR_NAME = "InitiatorName";
    private static final String TARGET_ALIAS = "TargetAlias";
    private static final String INITIATOR_ALIAS = "InitiatorAlias";
    private static final String TARGET_ADDRESS = "TargetAddress";
    private static final String TARGET_PORTAL_GROUP_TAG = "TargetPortalGroupTag";
    private static final String INITIAL_R2T = "InitialR2T";
    private static final String IMMEDIATE_DATA = "ImmediateData";
    private static final String MAX_RECV_DATA_SEGMENT_LENGTH = "MaxRecvDataSegmentLength";
    private static final String MAX_BURST_LENGTH = "MaxBurstLength";
    private static final String FIRST_BURST_LENGTH = "FirstBurstLength";
    private static final String DEFAULT_TIME2WAIT = "DefaultTime2Wait";
    private static final String DEFAULT_TIME2RETAIN = "DefaultTime2Retain";
    private static final String MAX_OUTSTANDING_R2T = "MaxOutstandingR2T";
    private static final String DATA_PDU_IN_ORDER = "DataPDUInOrder";
    private static final String DATA_SEQUENCE_IN_ORDER = "DataSequenceInOrder";
    private static final String ERROR_RECOVERY_LEVEL = "ErrorRecoveryLevel";
    private static final String TASK_REPORTING = "TaskReporting";
    private static final String PROTOCOL_LEVEL_KEY = "iSCSIProtocolLevel";

    private final TargetLimits limits;
    private final boolean discovery;
    private boolean fullFeaturePhase;

    /** Keys the initiator sent in this negotiation: the whole login, or one Text request in full feature phase. */
    private final Set<String> received = new HashSet<>();
    /** Declarative keys the target has sent; the initiator may answer them, even with NotUnderstood. */
    private final Set<String> declaredByTarget = new HashSet<>();

    private String initiatorName;
    private String targetName;
    private String initiatorAlias;
    private SessionType sessionType;

    // Everything starts at the RFC 7143 section 13 defaults, which hold for keys nobody negotiates.
    private boolean headerDigest;
    private boolean dataDigest;
    private int initiatorMaxRecvDataSegmentLength = NegotiatedParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
    private int maxBurstLength = 262144;
    private int firstBurstLength = 65536;
    private boolean initialR2T = true;
    private boolean immediateData = true;
    private int maxOutstandingR2T = 1;
    private int errorRecoveryLevel;
    private int maxConnections = 1;
    private int defaultTime2Wait = 2;
    private int defaultTime2Retain = 20;
    private int protocolLevel;

    /**
     * @param limits what the target offers and accepts
     * @param discoverySession whether the login asked for SessionType=Discovery; the caller finds this in the
     *     first Login Request ({@link SessionType#of}) before the negotiation starts
     */
    public OperationalNegotiation(TargetLimits limits, boolean discoverySession) {
        this.limits = limits;
        this.discovery = discoverySession;
    }

    /**
     * Answers the keys of one Login Request in the operational stage, or of one Text request in full
     * feature phase (after {@link #enterFullFeaturePhase()}), in the order they came. SendTargets in full
     * feature phase is left out: the caller answers it from its list of targets.
     *
     * @throws LoginException INITIATOR_ERROR for a key sent twice, a reserved constant proposed as a value,
     *     a malformed InitiatorName or TargetName, or a SessionType other than the one the negotiation was
     *     set up for; SESSION_TYPE_NOT_SUPPORTED for an unknown SessionType
     */
    public List<TextKey> respond(List<TextKey> offered) throws LoginException {
        if (fullFeaturePhase) {
            // RFC 7143, 6.6: each Text negotiation in full feature phase stands alone.
            received.clear();
        }
        List<TextKey> answers = new ArrayList<>(offered.size());
        int firstBurstSlot = -1;
        long firstBurstOffer = -1;
        for (TextKey key : offered) {
            if (!received.add(key.name())) {
                // RFC 7143, 6.2: "Sending the key again would be a re-negotiation and is forbidden for many
                // keys"; an initiator proposes each key once per negotiation.
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        "key " + key.name() + " sent twice in one negotiation (second time: " + key + ")");
            }
            if (isReservedConstant(key.value())) {
                if (declaredByTarget.contains(key.name())) {
                    continue; // the initiator's answer to one of our declarations; nothing to negotiate
                }
                // RFC 7143, 6.2: the reserved constants "MUST ONLY be used as described here"; proposing one
                // is a protocol error.
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        key + ": " + key.value() + " is a reserved answer, not a value to propose (RFC 7143, 6.2)");
            }
            if (!fullFeaturePhase && key.name().equals(FIRST_BURST_LENGTH) && !discovery) {
                // Answered once all keys are seen: the result must not exceed MaxBurstLength (RFC 7143, 13.14),
                // which may come later in the same request.
                firstBurstOffer = number(key.value(), TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH);
                firstBurstSlot = answers.size();
                answers.add(null);
                continue;
            }
            TextKey answer = fullFeaturePhase ? answerInFullFeaturePhase(key) : answerInLogin(key);
            if (answer != null) {
                answers.add(answer);
            }
        }
        if (firstBurstSlot >= 0) {
            answers.set(firstBurstSlot, firstBurst(firstBurstOffer));
        }
        return List.copyOf(answers);
    }

    /**
     * Records the declarative keys of a Login Request in the security negotiation stage (InitiatorName,
     * InitiatorAlias, TargetName, SessionType: "Any-Stage" in RFC 7143, 13), so that {@link #initiatorName()}
     * and the others cover the whole login and a later repetition counts as a duplicate. Other keys are
     * ignored: {@link SecurityNegotiation} answers them. Nothing is answered: declarations need no answer.
     *
     * @throws LoginException as {@link #respond} for these keys
     */
    public void recordDeclarations(List<TextKey> securityStageRequest) throws LoginException {
        for (TextKey key : securityStageRequest) {
            switch (key.name()) {
                case INITIATOR_NAME, TARGET_NAME, INITIATOR_ALIAS, SessionType.KEY -> {
                    if (!received.add(key.name())) {
                        throw new LoginException(LoginStatus.INITIATOR_ERROR,
                                "key " + key.name() + " sent twice in one login (second time: " + key + ")");
                    }
                    declare(key);
                }
                default -> {
                    // not a declaration
                }
            }
        }
    }

    /**
     * The target's declarations that may go in any stage and belong in the response to the first Login
     * Request: TargetPortalGroupTag, which RFC 7143, 13.9 makes the target return "in the Login Response PDU
     * to the first Login Request PDU that has the C bit set to 0 when TargetName is given by the initiator",
     * and TargetAlias when one is configured (13.6); both for Normal sessions only, a Discovery session
     * having no target. Each is returned once; a later call returns what was not yet returned.
     */
    public List<TextKey> anyStageDeclarations() {
        List<TextKey> keys = new ArrayList<>(2);
        if (!discovery && !fullFeaturePhase) {
            declareOnce(keys, TARGET_PORTAL_GROUP_TAG, Integer.toString(limits.targetPortalGroupTag()));
        }
        if (!discovery && limits.targetAlias() != null) {
            declareOnce(keys, TARGET_ALIAS, limits.targetAlias());
        }
        return List.copyOf(keys);
    }

    /**
     * What the target must still declare although the initiator did not ask: {@link #anyStageDeclarations()}
     * and the target's MaxRecvDataSegmentLength, which is declarative (RFC 7143, 13.12) and which the
     * initiator would otherwise take as 8192. The caller adds these to the operational stage's last
     * response at the latest. Each key is returned once.
     */
    public List<TextKey> targetOffers() {
        List<TextKey> keys = new ArrayList<>(anyStageDeclarations());
        declareOnce(keys, MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(limits.maxRecvDataSegmentLength()));
        return List.copyOf(keys);
    }

    /**
     * The login is over: from now on {@link #respond} answers Text requests, each a negotiation of its own,
     * in which only the keys of use "ALL" (MaxRecvDataSegmentLength, InitiatorAlias) may change (RFC 7143,
     * 13: keys of use IO and LO are negotiated during login only).
     */
    public void enterFullFeaturePhase() {
        fullFeaturePhase = true;
        received.clear();
    }

    /** The negotiated values; what nobody negotiated holds its RFC 7143 default. */
    public NegotiatedParameters result() {
        int targetMaxRecv = declaredByTarget.contains(MAX_RECV_DATA_SEGMENT_LENGTH)
                ? limits.maxRecvDataSegmentLength()
                : NegotiatedParameters.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;
        // DataPDUInOrder and DataSequenceInOrder are OR with the target's Yes: always Yes (RFC 7143, 13.18, 13.19).
        // FirstBurstLength is capped again in case a later request lowered MaxBurstLength (13.14).
        return new NegotiatedParameters(headerDigest, dataDigest, initiatorMaxRecvDataSegmentLength, targetMaxRecv,
                maxBurstLength, Math.min(firstBurstLength, maxBurstLength), initialR2T, immediateData,
                maxOutstandingR2T, true, true, errorRecoveryLevel, maxConnections, defaultTime2Wait,
                defaultTime2Retain);
    }

    /** The negotiated iSCSIProtocolLevel (RFC 7143, 13.24), 0 when the initiator did not offer the key. */
    public int iscsiProtocolLevel() {
        return protocolLevel;
    }

    public Optional<SessionType> sessionType() {
        return Optional.ofNullable(sessionType);
    }

    public Optional<String> initiatorName() {
        return Optional.ofNullable(initiatorName);
    }

    public Optional<String> targetName() {
        return Optional.ofNullable(targetName);
    }

    public Optional<String> initiatorAlias() {
        return Optional.ofNullable(initiatorAlias);
    }

    private TextKey answerInLogin(TextKey key) throws LoginException {
        String name = key.name();
        String value = key.value();
        switch (name) {
            case HEADER_DIGEST, DATA_DIGEST -> {
                // RFC 7143, 13.1: list of CRC32C and None, first supported value in the initiator's order.
                boolean allowed = name.equals(HEADER_DIGEST) ? limits.headerDigestAllowed() : limits.dataDigestAllowed();
                String chosen = selectFromList(value, allowed ? List.of(CRC32C, NONE) : List.of(NONE));
                if (chosen == null) {
                    return reject(name);
                }
                if (name.equals(HEADER_DIGEST)) {
                    headerDigest = chosen.equals(CRC32C);
                } else {
                    dataDigest = chosen.equals(CRC32C);
                }
                return new TextKey(name, chosen);
            }
            case MAX_CONNECTIONS -> {
                // 13.2: LO, Minimum, 1 to 65535, Irrelevant when SessionType=Discovery.
                if (discovery) {
                    return irrelevant(name);
                }
                long offer = number(value, 1, 65535);
                if (offer < 0) {
                    return reject(name);
                }
                maxConnections = (int) ResultFunction.MINIMUM.apply(offer, limits.maxConnections());
                return numberAnswer(name, maxConnections);
            }
            case INITIAL_R2T -> {
                // 13.10: LO, OR, Irrelevant when SessionType=Discovery.
                if (discovery) {
                    return irrelevant(name);
                }
                Boolean offer = bool(value);
                if (offer == null) {
                    return reject(name);
                }
                initialR2T = ResultFunction.OR.apply(offer, limits.initialR2T());
                return boolAnswer(name, initialR2T);
            }
            case IMMEDIATE_DATA -> {
                // 13.11: LO, AND, Irrelevant when SessionType=Discovery.
                if (discovery) {
                    return irrelevant(name);
                }
                Boolean offer = bool(value);
                if (offer == null) {
                    return reject(name);
                }
                immediateData = ResultFunction.AND.apply(offer, limits.immediateData());
                return boolAnswer(name, immediateData);
            }
            case MAX_RECV_DATA_SEGMENT_LENGTH -> {
                return maxRecvDataSegmentLength(key);
            }
            case MAX_BURST_LENGTH -> {
                // 13.13: LO, Minimum, 512 to 2^24-1, Irrelevant when SessionType=Discovery.
                if (discovery) {
                    return irrelevant(name);
                }
                long offer = number(value, TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH);
                if (offer < 0) {
                    return reject(name);
                }
                maxBurstLength = (int) ResultFunction.MINIMUM.apply(offer, limits.maxBurstLength());
                return numberAnswer(name, maxBurstLength);
            }
            case FIRST_BURST_LENGTH -> {
                // Only reached on a Discovery session (13.14: Irrelevant when SessionType=Discovery); on a
                // Normal session respond() answers it after the whole request.
                return irrelevant(name);
            }
            case DEFAULT_TIME2WAIT -> {
                // 13.15: LO, Maximum, 0 to 3600.
                long offer = number(value, 0, 3600);
                if (offer < 0) {
                    return reject(name);
                }
                defaultTime2Wait = (int) ResultFunction.MAXIMUM.apply(offer, limits.defaultTime2Wait());
                return numberAnswer(name, defaultTime2Wait);
            }
            case DEFAULT_TIME2RETAIN -> {
                // 13.16: LO, Minimum, 0 to 3600.
                long offer = number(value, 0, 3600);
                if (offer < 0) {
                    return reject(name);
                }
                defaultTime2Retain = (int) ResultFunction.MINIMUM.apply(offer, limits.defaultTime2Retain());
                return numberAnswer(name, defaultTime2Retain);
            }
            case MAX_OUTSTANDING_R2T -> {
                // 13.17: LO, Minimum, 1 to 65535, Irrelevant when SessionType=Discovery.
                if (discovery) {
                    return irrelevant(name);
                }
                long offer = number(value, 1, 65535);
                if (offer < 0) {
                    return reject(name);
                }
                maxOutstandingR2T = (int) ResultFunction.MINIMUM.apply(offer, limits.maxOutstandingR2T());
                return numberAnswer(name, maxOutstandingR2T);
            }
            case DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER -> {
                // 13.18, 13.19: LO, OR, Irrelevant when SessionType=Discovery. The target wants data in order,
                // so the result is always Yes.
                if (discovery) {
                    return irrelevant(name);
                }
                return bool(value) == null ? reject(name) : new TextKey(name, YES);
            }
            case ERROR_RECOVERY_LEVEL -> {
                // 13.20: LO, Minimum, 0 to 2; this target implements level 0 only.
                long offer = number(value, 0, 2);
                if (offer < 0) {
                    return reject(name);
                }
                errorRecoveryLevel = (int) ResultFunction.MINIMUM.apply(offer, limits.errorRecoveryLevel());
                return numberAnswer(name, errorRecoveryLevel);
            }
            case TASK_REPORTING -> {
                // 13.23: LO, list of RFC3720, ResponseFence, FastAbort; Irrelevant when SessionType=Discovery.
                // This target implements the RFC 3720 semantics only.
                if (discovery) {
                    return irrelevant(name);
                }
                String chosen = selectFromList(value, List.of(RFC3720));
                return chosen == null ? reject(name) : new TextKey(name, chosen);
            }
            case PROTOCOL_LEVEL_KEY -> {
                // 13.24 (defined in RFC 7144): Minimum, 0 to 31; this target is level 1.
                long offer = number(value, 0, 31);
                if (offer < 0) {
                    return reject(name);
                }
                protocolLevel = (int) Math.min(offer, PROTOCOL_LEVEL);
                return numberAnswer(name, protocolLevel);
            }
            case INITIATOR_NAME, TARGET_NAME, INITIATOR_ALIAS, SessionType.KEY -> {
                return declare(key);
            }
            case SEND_TARGETS -> {
                // 13.3: use FFPO, full feature phase only.
                return reject(name);
            }
            case TARGET_ALIAS, TARGET_ADDRESS, TARGET_PORTAL_GROUP_TAG -> {
                // 13.6, 13.8, 13.9: "Senders: Target"; nothing for the initiator to propose.
                return reject(name);
            }
            case "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt" -> {
                // 13.25: markers are obsolete; IFMarker and OFMarker SHOULD, IFMarkInt and OFMarkInt MUST be
                // answered with Reject. (Linux LIO answers the first two with No, which 13.25 also allows;
                // open-iscsi and libiscsi ignore the answer.)
                return reject(name);
            }
            case "RDMAExtensions" -> {
                // iSER (RFC 7145) asks for RDMA; result function AND, and this target runs on TCP only, so the
                // result is No, as Linux LIO answers on TCP portals.
                return bool(value) == null ? reject(name) : new TextKey(name, NO);
            }
            case "InitiatorRecvDataSegmentLength", "TargetRecvDataSegmentLength", "MaxOutstandingUnexpectedPDUs" -> {
                // iSER keys (RFC 7145), meaningful only with RDMAExtensions=Yes, which this target never agrees to.
                return irrelevant(name);
            }
            case "AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N", "CHAP_R" -> {
                // Security keys belong to the security negotiation stage (RFC 7143, 6.3, 12).
                return reject(name);
            }
            default -> {
                // 6.2: "the answer for a key not understood MUST be key=NotUnderstood"; this includes the X- and
                // X# extension keys (13.22, and X#NodeArchitecture of 13.26), which need not be supported.
                return new TextKey(name, NOT_UNDERSTOOD);
            }
        }
    }

    private TextKey answerInFullFeaturePhase(TextKey key) throws LoginException {
        String name = key.name();
        switch (name) {
            case MAX_RECV_DATA_SEGMENT_LENGTH -> {
                // 13.12: use ALL; the initiator may declare a new value for what it receives.
                return maxRecvDataSegmentLength(key);
            }
            case INITIATOR_ALIAS -> {
                return declare(key);
            }
            case SEND_TARGETS -> {
                return null; // the caller answers with its targets (RFC 7143, 13.3, Appendix C)
            }
            case HEADER_DIGEST, DATA_DIGEST, MAX_CONNECTIONS, TARGET_NAME, INITIATOR_NAME, TARGET_ALIAS,
                    TARGET_ADDRESS, TARGET_PORTAL_GROUP_TAG, INITIAL_R2T, IMMEDIATE_DATA, MAX_BURST_LENGTH,
                    FIRST_BURST_LENGTH, DEFAULT_TIME2WAIT, DEFAULT_TIME2RETAIN, MAX_OUTSTANDING_R2T,
                    DATA_PDU_IN_ORDER, DATA_SEQUENCE_IN_ORDER, ERROR_RECOVERY_LEVEL, SessionType.KEY,
                    TASK_REPORTING, PROTOCOL_LEVEL_KEY, "IFMarker", "OFMarker", "IFMarkInt", "OFMarkInt",
                    "RDMAExtensions", "InitiatorRecvDataSegmentLength", "TargetRecvDataSegmentLength",
                    "MaxOutstandingUnexpectedPDUs", "AuthMethod", "CHAP_A", "CHAP_I", "CHAP_C", "CHAP_N",
                    "CHAP_R" -> {
                // Keys of use IO or LO are negotiated during login only (RFC 7143, 13); the values agreed then stay.
                return reject(name);
            }
            default -> {
                return new TextKey(name, NOT_UNDERSTOOD);
            }
        }
    }

    /**
     * MaxRecvDataSegmentLength is declarative in each direction (RFC 7143, 13.12): the initiator's value bounds
     * what the target sends; the target answers with its own declaration, once.
     */
    private TextKey maxRecvDataSegmentLength(TextKey key) {
        long value = number(key.value(), TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH);
        if (value < 0) {
            return reject(key.name());
        }
        initiatorMaxRecvDataSegmentLength = (int) value;
        if (declaredByTarget.add(MAX_RECV_DATA_SEGMENT_LENGTH)) {
            return new TextKey(MAX_RECV_DATA_SEGMENT_LENGTH, Integer.toString(limits.maxRecvDataSegmentLength()));
        }
        return null;
    }

    /** FirstBurstLength (13.14): Minimum of the offer, the target's limit and the negotiated MaxBurstLength. */
    private TextKey firstBurst(long offer) {
        if (offer < 0) {
            return reject(FIRST_BURST_LENGTH);
        }
        // 13.14 makes FirstBurstLength "Irrelevant when: ( InitialR2T=Yes and ImmediateData=No )"; the target
        // still answers with the number, which the RFC allows ("may answer Irrelevant") and which open-iscsi,
        // parsing the answer with strtoul, reads correctly where "Irrelevant" would read as 0.
        firstBurstLength = (int) ResultFunction.MINIMUM.apply(ResultFunction.MINIMUM.apply(offer, limits.firstBurstLength()),
                maxBurstLength);
        return numberAnswer(FIRST_BURST_LENGTH, firstBurstLength);
    }

    /** Stores a declarative key of the initiator; returns an answer only when the value is refused. */
    private TextKey declare(TextKey key) throws LoginException {
        String value = key.value();
        switch (key.name()) {
            case INITIATOR_NAME -> initiatorName = iscsiName(key);
            case TARGET_NAME -> targetName = iscsiName(key);
            case INITIATOR_ALIAS -> {
                // 13.7: an iSCSI-local-name-value, UTF-8 without NUL, at most 255 bytes as every simple-value (6.1).
                if (utf8Length(value) > MAX_SIMPLE_VALUE_BYTES) {
                    return reject(key.name());
                }
                initiatorAlias = value;
            }
            case SessionType.KEY -> {
                SessionType type = SessionType.parse(value).orElseThrow(() -> new LoginException(
                        LoginStatus.SESSION_TYPE_NOT_SUPPORTED,
                        key + " is neither Normal nor Discovery (RFC 7143, 13.21)"));
                if ((type == SessionType.DISCOVERY) != discovery) {
                    throw new LoginException(LoginStatus.INITIATOR_ERROR, key + " contradicts the "
                            + (discovery ? "Discovery" : "Normal") + " session this login started as");
                }
                sessionType = type;
            }
            default -> throw new IllegalStateException("not a declaration: " + key);
        }
        return null;
    }

    /**
     * An InitiatorName or TargetName: 1 to 223 bytes (RFC 7143, 4.2.7.1) of UTF-8 without spaces or control
     * characters. Whether it names a known target or an allowed initiator is the caller's check.
     */
    private static String iscsiName(TextKey key) throws LoginException {
        String value = key.value();
        int bytes = utf8Length(value);
        if (bytes == 0 || bytes > MAX_ISCSI_NAME_BYTES) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR,
                    key + ": an iSCSI name is 1 to " + MAX_ISCSI_NAME_BYTES + " bytes, this one " + bytes
                            + " (RFC 7143, 4.2.7.1)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR,
                        key + ": an iSCSI name holds no space or control character (RFC 7143, 4.2.7.2)");
            }
        }
        return value;
    }

    private void declareOnce(List<TextKey> keys, String name, String value) {
        if (declaredByTarget.add(name)) {
            keys.add(new TextKey(name, value));
        }
    }

    /**
     * The first value of the initiator's list (RFC 7143, 6.2.1: "in order of preference") that the target
     * supports, or null. Values the target does not understand are skipped, as 6.2.1 requires; an empty
     * list, an empty element or an element longer than a simple-value makes the list malformed (null).
     */
    static String selectFromList(String list, List<String> supported) {
        String[] items = list.split(",", -1);
        String chosen = null;
        for (String item : items) {
            if (item.isEmpty() || utf8Length(item) > MAX_SIMPLE_VALUE_BYTES) {
                return null;
            }
            if (chosen == null && supported.contains(item)) {
                chosen = item;
            }
        }
        return chosen;
    }

    /**
     * A numerical-value of RFC 7143, 6.1 — a decimal-constant (no leading zero) or a hex-constant (0x or 0X
     * and hex digits) — within min..max, or -1 when malformed or out of range.
     */
    static long number(String value, long min, long max) {
        long parsed;
        try {
            if (value.length() > 2 && value.charAt(0) == '0' && (value.charAt(1) == 'x' || value.charAt(1) == 'X')) {
                String digits = value.substring(2);
                if (!digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                    return -1;
                }
                parsed = Long.parseUnsignedLong(digits, 16);
            } else {
                if (value.isEmpty() || (value.length() > 1 && value.charAt(0) == '0')
                        || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return -1;
                }
                parsed = Long.parseUnsignedLong(value);
            }
        } catch (NumberFormatException tooLarge) {
            return -1; // 6.1: a numerical-value is less than 2^64
        }
        // A value of 2^63 or more parses negative; it is out of every range here.
        return parsed < min || parsed > max ? -1 : parsed;
    }

    /** A boolean-value of RFC 7143, 6.1: exactly Yes or No (case sensitive), else null. */
    private static Boolean bool(String value) {
        return switch (value) {
            case YES -> Boolean.TRUE;
            case NO -> Boolean.FALSE;
            default -> null;
        };
    }

    private static boolean isReservedConstant(String value) {
        return value.equals(REJECT) || value.equals(IRRELEVANT) || value.equals(NOT_UNDERSTOOD);
    }

    private static int utf8Length(String value) {
        return value.getBytes(StandardCharsets.UTF_8).length;
    }

    private static TextKey reject(String name) {
        return new TextKey(name, REJECT);
    }

    private static TextKey irrelevant(String name) {
        return new TextKey(name, IRRELEVANT);
    }

    private static TextKey numberAnswer(String name, int value) {
        return new TextKey(name, Integer.toString(value));
    }

    private static TextKey boolAnswer(String name, boolean value) {
        return new TextKey(name, value ? YES : NO);
    }
}
