package org.copyoffload.protocol.nvme.tcp;

import io.netty.buffer.ByteBuf;
import org.copyoffload.protocol.BufferCarrier;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * One NVMe/TCP PDU (NVMe/TCP Transport 1.1, 3.6). PDUs that carry data hold a {@link ByteBuf}; they are
 * {@link BufferCarrier}s: reference counted through it, and whoever takes one releases it.
 */
public sealed interface NvmeTcpPdu {

    PduType type();

    /** A PDU with a data buffer; reference counting goes to the buffer. */
    sealed interface WithData extends NvmeTcpPdu, BufferCarrier {
    }

    /** ICReq (3.6.2.2, Figure 26). HPDA is the host's required data alignment in dwords, 0's based. */
    record IcReq(int pfv, int hpda, boolean headerDigest, boolean dataDigest, int maxr2t) implements NvmeTcpPdu {
        @Override
        public PduType type() {
            return PduType.IC_REQ;
        }
    }

    /** ICResp (3.6.2.3, Figure 27). MAXH2CDATA is in bytes and at least 4096. */
    record IcResp(int pfv, int cpda, boolean headerDigest, boolean dataDigest, int maxH2cData) implements NvmeTcpPdu {
        @Override
        public PduType type() {
            return PduType.IC_RESP;
        }
    }

    /**
     * H2CTermReq or C2HTermReq (3.6.2.4/3.6.2.5). The data is the header of the PDU in error, up to
     * 128 bytes; FEI is the byte offset of the bad field (or the digest value for a header digest error).
     */
    record TermReq(boolean fromHost, FatalErrorStatus fes, int fei, ByteBuf data) implements WithData {
        public static final int MAX_DATA = 128;

        @Override
        public PduType type() {
            return fromHost ? PduType.H2C_TERM_REQ : PduType.C2H_TERM_REQ;
        }
    }

    /**
     * CapsuleCmd (3.6.2.6): a submission queue entry and its in-capsule data (empty when none).
     * {@code dataDigestValid} is false when a negotiated data digest did not match.
     */
    record CapsuleCmd(SubmissionQueueEntry sqe, ByteBuf data, boolean dataDigestValid) implements WithData {
        @Override
        public PduType type() {
            return PduType.CAPSULE_CMD;
        }
    }

    /** CapsuleResp (3.6.2.7). */
    record CapsuleResp(CompletionQueueEntry cqe) implements NvmeTcpPdu {
        @Override
        public PduType type() {
            return PduType.CAPSULE_RESP;
        }
    }

    /** H2CData (3.6.2.8): data solicited by an R2T, tagged with the controller's TTAG. */
    record H2cData(int cccid, int ttag, int dataOffset, boolean last, ByteBuf data, boolean dataDigestValid)
            implements WithData {
        @Override
        public PduType type() {
            return PduType.H2C_DATA;
        }
    }

    /** C2HData (3.6.2.9). {@code success} may be set only on the last PDU and only with SQ flow control disabled. */
    record C2hData(int cccid, int dataOffset, boolean last, boolean success, ByteBuf data, boolean dataDigestValid)
            implements WithData {
        @Override
        public PduType type() {
            return PduType.C2H_DATA;
        }
    }

    /** R2T (3.6.2.10): the controller asks for R2TL bytes at R2TO of command CCCID. */
    record R2t(int cccid, int ttag, int r2tOffset, int r2tLength) implements NvmeTcpPdu {
        @Override
        public PduType type() {
            return PduType.R2T;
        }
    }

    /**
     * Not a PDU on the wire: the decoder's verdict on bytes it could not accept. The receiver answers
     * with a termination request carrying {@code fes}, {@code fei} and the offending header, then closes.
     */
    record Malformed(FatalErrorStatus fes, int fei, ByteBuf data, String reason) implements WithData {
        @Override
        public PduType type() {
            return null;
        }
    }
}
