package org.copyoffload.protocol.iscsi.login;

/**
 * What an initiator proposes in operational negotiation (RFC 7143, 13): its side of each key's result function.
 *
 * @param headerDigest ask for CRC32C header digests (offered as "CRC32C,None", so a target without them still
 *     logs in; the result says what was agreed)
 * @param dataDigest ask for CRC32C data digests, likewise
 * @param maxRecvDataSegmentLength the largest data segment the initiator receives in one PDU (13.12, declared)
 * @param maxBurstLength the most data in one sequence (13.13, Minimum)
 * @param firstBurstLength the most unsolicited data per command (13.14, Minimum)
 * @param initialR2T Yes: no unsolicited Data-Out; No lets the initiator send up to FirstBurstLength unasked
 *     (13.10, OR: the target's Yes wins)
 * @param immediateData whether data may ride in the SCSI Command PDU (13.11, AND)
 * @param maxOutstandingR2T R2Ts the initiator accepts outstanding per task (13.17, Minimum)
 * @param defaultTime2Wait 13.15, Maximum
 * @param defaultTime2Retain 13.16, Minimum; 0 at error recovery level 0, as open-iscsi offers
 */
public record InitiatorOffer(boolean headerDigest, boolean dataDigest, int maxRecvDataSegmentLength,
                             int maxBurstLength, int firstBurstLength, boolean initialR2T, boolean immediateData,
                             int maxOutstandingR2T, int defaultTime2Wait, int defaultTime2Retain) {

    public InitiatorOffer {
        range("MaxRecvDataSegmentLength", maxRecvDataSegmentLength, TargetLimits.MIN_DATA_LENGTH,
                TargetLimits.MAX_DATA_LENGTH);
        range("MaxBurstLength", maxBurstLength, TargetLimits.MIN_DATA_LENGTH, TargetLimits.MAX_DATA_LENGTH);
        range("FirstBurstLength", firstBurstLength, TargetLimits.MIN_DATA_LENGTH, maxBurstLength);
        range("MaxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        range("DefaultTime2Wait", defaultTime2Wait, 0, 3600);
        range("DefaultTime2Retain", defaultTime2Retain, 0, 3600);
    }

    /**
     * No digests; MaxRecvDataSegmentLength 262144 (open-iscsi's and libiscsi's); MaxBurstLength 16776192 and
     * FirstBurstLength 262144 (open-iscsi's); InitialR2T No and ImmediateData Yes, so the target decides how much
     * data may go unsolicited; MaxOutstandingR2T 8; DefaultTime2Wait 2, DefaultTime2Retain 0.
     */
    public static InitiatorOffer defaults() {
        return new InitiatorOffer(false, false, 262144, 16776192, 262144, false, true, 8, 2, 0);
    }

    public InitiatorOffer withDigests(boolean header, boolean data) {
        return new InitiatorOffer(header, data, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength, initialR2T,
                immediateData, maxOutstandingR2T, defaultTime2Wait, defaultTime2Retain);
    }

    public InitiatorOffer withMaxRecvDataSegmentLength(int bytes) {
        return new InitiatorOffer(headerDigest, dataDigest, bytes, maxBurstLength, firstBurstLength, initialR2T,
                immediateData, maxOutstandingR2T, defaultTime2Wait, defaultTime2Retain);
    }

    public InitiatorOffer withBursts(int maxBurst, int firstBurst) {
        return new InitiatorOffer(headerDigest, dataDigest, maxRecvDataSegmentLength, maxBurst, firstBurst, initialR2T,
                immediateData, maxOutstandingR2T, defaultTime2Wait, defaultTime2Retain);
    }

    public InitiatorOffer withDataFlow(boolean initialR2t, boolean immediate, int maxOutstandingR2t) {
        return new InitiatorOffer(headerDigest, dataDigest, maxRecvDataSegmentLength, maxBurstLength, firstBurstLength,
                initialR2t, immediate, maxOutstandingR2t, defaultTime2Wait, defaultTime2Retain);
    }

    private static void range(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " = " + value + " is outside " + min + ".." + max + " (RFC 7143, 13)");
        }
    }
}
