package org.copyoffload.protocol.iscsi.login;

/**
 * The outcome of operational negotiation for one connection and its session (RFC 7143, 13).
 *
 * @param headerDigest CRC32C header digests on every PDU of the full feature phase (13.1)
 * @param dataDigest CRC32C data digests (13.1)
 * @param initiatorMaxRecvDataSegmentLength the initiator's declared MaxRecvDataSegmentLength: the largest
 *     data segment the target may send it in one PDU (13.12)
 * @param targetMaxRecvDataSegmentLength the target's declared MaxRecvDataSegmentLength: the largest data
 *     segment the initiator may send in one PDU (13.12)
 * @param maxBurstLength the most data in one Data-In sequence or solicited Data-Out sequence (13.13)
 * @param firstBurstLength the most unsolicited data the initiator may send for one command (13.14)
 * @param initialR2T true: unsolicited data other than immediate data is not allowed (13.10)
 * @param immediateData true: data may travel in the SCSI Command PDU (13.11)
 * @param maxOutstandingR2T the most R2Ts outstanding per task (13.17)
 * @param dataPduInOrder Data PDUs of a sequence in increasing buffer offsets (13.18)
 * @param dataSequenceInOrder data sequences in increasing buffer offsets (13.19)
 * @param errorRecoveryLevel the session's error recovery level (13.20)
 * @param maxConnections the most connections in the session (13.2)
 * @param defaultTime2Wait seconds to wait before a logout or reconnect (13.15)
 * @param defaultTime2Retain seconds a task stays reassignable after a connection loss (13.16)
 */
public record NegotiatedParameters(
        boolean headerDigest,
        boolean dataDigest,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int errorRecoveryLevel,
        int maxConnections,
        int defaultTime2Wait,
        int defaultTime2Retain) {

    /** The default MaxRecvDataSegmentLength of a side that declared none (RFC 7143, 13.12). */
    public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;

    /**
     * The values that hold for every key nobody negotiated, RFC 7143 section 13: digests None (13.1),
     * MaxRecvDataSegmentLength 8192 each way (13.12), MaxBurstLength 262144 (13.13), FirstBurstLength 65536
     * (13.14), InitialR2T Yes (13.10), ImmediateData Yes (13.11), MaxOutstandingR2T 1 (13.17),
     * DataPDUInOrder Yes (13.18), DataSequenceInOrder Yes (13.19), ErrorRecoveryLevel 0 (13.20),
     * MaxConnections 1 (13.2), DefaultTime2Wait 2 (13.15), DefaultTime2Retain 20 (13.16).
     */
    public static NegotiatedParameters defaults() {
        return new NegotiatedParameters(false, false, DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH,
                DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH, 262144, 65536, true, true, 1, true, true, 0, 1, 2, 20);
    }
}
