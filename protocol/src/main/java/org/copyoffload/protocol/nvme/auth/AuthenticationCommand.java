package org.copyoffload.protocol.nvme.auth;

import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;

/**
 * Authentication Send (fabrics command type 05h) and Authentication Receive (06h) (NVMe Base 2.1, 6.2/6.3): CDW10
 * holds SPSP0 (bits 15:8), SPSP1 (bits 23:16) and SECP (bits 31:24); CDW11 the Transfer Length (Send) or Allocation
 * Length (Receive) in bytes. DH-HMAC-CHAP uses SECP E9h with SPSP0 01h and SPSP1 01h (NVMe Base 2.1, 8.3.4.5).
 */
public record AuthenticationCommand(boolean send, int secp, int spsp0, int spsp1, long length) {
    /** Security Protocol E9h: NVMe in-band authentication. */
    public static final int SECP_NVME_AUTHENTICATION = 0xE9;
    /** SPSP0 and SPSP1 of the authentication protocol messages. */
    public static final int SPSP_AUTHENTICATION_MESSAGES = 0x01;
    /** Byte offsets in the SQE, for error locations. */
    public static final int OFFSET_SPSP0 = 41;
    public static final int OFFSET_SPSP1 = 42;
    public static final int OFFSET_SECP = 43;
    public static final int OFFSET_LENGTH = 44;

    public AuthenticationCommand {
        if (length < 0 || length > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("length " + length + " outside 0..FFFFFFFFh");
        }
    }

    /** An Authentication Send or Receive for DH-HMAC-CHAP messages of {@code length} bytes. */
    public static AuthenticationCommand dhchap(boolean send, int length) {
        return new AuthenticationCommand(send, SECP_NVME_AUTHENTICATION, SPSP_AUTHENTICATION_MESSAGES,
                SPSP_AUTHENTICATION_MESSAGES, length);
    }

    public static AuthenticationCommand from(SubmissionQueueEntry sqe) {
        int type = sqe.fabricsCommandType();
        if (!sqe.isFabrics() || (type != FabricsCommandType.AUTHENTICATION_SEND.code()
                && type != FabricsCommandType.AUTHENTICATION_RECEIVE.code())) {
            throw new IllegalArgumentException("not an Authentication Send/Receive: opcode 0x"
                    + Integer.toHexString(sqe.opcode()) + " fctype 0x" + Integer.toHexString(type));
        }
        int cdw10 = sqe.cdw10();
        return new AuthenticationCommand(type == FabricsCommandType.AUTHENTICATION_SEND.code(), cdw10 >>> 24,
                (cdw10 >>> 8) & 0xFF, (cdw10 >>> 16) & 0xFF, Integer.toUnsignedLong(sqe.cdw11()));
    }

    /** Whether SECP/SPSP0/SPSP1 name the DH-HMAC-CHAP messages; the offset of the first field that does not, or -1. */
    public int invalidFieldOffset() {
        if (secp != SECP_NVME_AUTHENTICATION) {
            return OFFSET_SECP;
        }
        if (spsp0 != SPSP_AUTHENTICATION_MESSAGES) {
            return OFFSET_SPSP0;
        }
        if (spsp1 != SPSP_AUTHENTICATION_MESSAGES) {
            return OFFSET_SPSP1;
        }
        return -1;
    }

    public SubmissionQueueEntry toSqe(int cid, SglDescriptor sgl) {
        FabricsCommandType type = send ? FabricsCommandType.AUTHENTICATION_SEND : FabricsCommandType.AUTHENTICATION_RECEIVE;
        return SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                .cid(cid)
                .nsid(type.code())
                .sgl(sgl)
                .cdw10((secp << 24) | (spsp1 << 16) | (spsp0 << 8))
                .cdw11((int) length)
                .build();
    }
}
