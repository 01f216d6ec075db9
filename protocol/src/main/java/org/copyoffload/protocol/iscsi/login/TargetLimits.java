package org.copyoffload.protocol.iscsi.login;

import java.nio.charset.StandardCharsets;

/**
 * What the target offers and accepts in operational negotiation (RFC 7143, 13). Each value is the
 * target's side of the key's result function: for a Minimum key the most the target accepts, for
 * DefaultTime2Wait (Maximum) the least, for InitialR2T (OR) and ImmediateData (AND) the target's own
 * preference.
 *
 * @param headerDigestAllowed whether the target accepts CRC32C header digests (HeaderDigest, 13.1)
 * @param dataDigestAllowed whether the target accepts CRC32C data digests (DataDigest, 13.1)
 * @param maxRecvDataSegmentLength the largest data segment the target receives in one PDU, declared to the
 *     initiator (MaxRecvDataSegmentLength, 13.12; 512 to 2^24-1)
 * @param maxBurstLength the most solicited data, or unsolicited data, in one sequence (13.13)
 * @param firstBurstLength the most unsolicited data for one command (13.14); at most maxBurstLength
 * @param maxOutstandingR2T R2Ts the target may have outstanding per task (13.17; 1 to 65535)
 * @param initialR2T Yes: the initiator must wait for an R2T before sending data outside immediate data (13.10)
 * @param immediateData whether data may travel in the SCSI Command PDU (13.11)
 * @param maxConnections the most connections per session (13.2; 1 to 65535)
 * @param defaultTime2Wait seconds before a logout or reconnect attempt (13.15; 0 to 3600)
 * @param defaultTime2Retain seconds a task may be reassigned after a connection loss (13.16; 0 to 3600)
 * @param errorRecoveryLevel the highest error recovery level; this target implements only 0 (13.20)
 * @param targetAlias the TargetAlias declared to initiators (13.6), or null for none
 * @param targetPortalGroupTag the tag of the portal group serving the login (13.9; 0 to 65535)
 */
public record TargetLimits(
        boolean headerDigestAllowed,
        boolean dataDigestAllowed,
        int maxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        int maxOutstandingR2T,
        boolean initialR2T,
        boolean immediateData,
        int maxConnections,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int errorRecoveryLevel,
        String targetAlias,
        int targetPortalGroupTag) {

    /** The range of MaxRecvDataSegmentLength, MaxBurstLength and FirstBurstLength (RFC 7143, 13.12-13.14). */
    public static final int MIN_DATA_LENGTH = 512;
    public static final int MAX_DATA_LENGTH = (1 << 24) - 1;

    public TargetLimits {
        range("maxRecvDataSegmentLength", maxRecvDataSegmentLength, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        range("maxBurstLength", maxBurstLength, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        range("firstBurstLength", firstBurstLength, MIN_DATA_LENGTH, MAX_DATA_LENGTH);
        if (firstBurstLength > maxBurstLength) {
            // RFC 7143, 13.14: "FirstBurstLength MUST NOT exceed MaxBurstLength."
            throw new IllegalArgumentException("firstBurstLength = " + firstBurstLength
                    + " exceeds maxBurstLength = " + maxBurstLength + " (RFC 7143, 13.14)");
        }
        range("maxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        range("maxConnections", maxConnections, 1, 65535);
        range("defaultTime2Wait", defaultTime2Wait, 0, 3600);
        range("defaultTime2Retain", defaultTime2Retain, 0, 3600);
        if (errorRecoveryLevel != 0) {
            throw new IllegalArgumentException("errorRecoveryLevel = " + errorRecoveryLevel
                    + ": this target implements only error recovery level 0 (RFC 7143, 7.1.5, 13.20)");
        }
        range("targetPortalGroupTag", targetPortalGroupTag, 0, 65535);
        if (targetAlias != null) {
            int bytes = targetAlias.getBytes(StandardCharsets.UTF_8).length;
            if (targetAlias.isEmpty() || bytes > 255 || targetAlias.indexOf('\0') >= 0) {
                // RFC 7143, 6.1: a simple-value is at most 255 bytes; an iSCSI-local-name-value holds no NUL.
                throw new IllegalArgumentException("targetAlias = '" + targetAlias + "' (" + bytes
                        + " bytes) must be 1 to 255 bytes of UTF-8 without NUL (RFC 7143, 6.1, 13.6)");
            }
        }
    }

    /**
     * Linux LIO's defaults (drivers/target/iscsi/iscsi_target_parameters.h) except where noted:
     * digests CRC32C or None (LIO offers "CRC32C,None"); MaxRecvDataSegmentLength 262144, where LIO declares
     * 8192 but sends up to 262144 to "match the open-iscsi default", which is also what open-iscsi and libiscsi
     * declare; MaxBurstLength 262144, FirstBurstLength 65536, MaxOutstandingR2T 1, InitialR2T Yes,
     * ImmediateData Yes (all LIO's); MaxConnections 8, where LIO offers 1, because sessions here may have
     * several connections; DefaultTime2Wait 2, DefaultTime2Retain 20 (LIO's and RFC 7143's defaults);
     * ErrorRecoveryLevel 0; no TargetAlias; portal group tag 1 (LIO's first TPG).
     */
    public static TargetLimits defaults() {
        return new TargetLimits(true, true, 262144, 262144, 65536, 1, true, true, 8, 2, 20, 0, null, 1);
    }

    private static void range(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " = " + value + " is outside " + min + ".." + max
                    + " (RFC 7143, 13)");
        }
    }
}
