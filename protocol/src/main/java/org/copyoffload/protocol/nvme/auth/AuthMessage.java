package org.copyoffload.protocol.nvme.auth;

import io.netty.buffer.ByteBuf;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * The messages of NVMe in-band authentication with DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.5 and 8.3.4.6), carried as the
 * data of Authentication Send (host to controller) and Authentication Receive (controller to host). Every message
 * starts with AUTH_TYPE (00h common messages, 01h DH-HMAC-CHAP messages), AUTH_ID and the transaction identifier
 * T_ID (bytes 5:4, little endian, as every multi-byte field). Byte arrays are copied in and out: the records are
 * immutable. {@link #decode} validates every field and names the one it refuses; bytes after a message are padding
 * (an Authentication Receive returns AL bytes) and ignored.
 */
public sealed interface AuthMessage {
    int AUTH_TYPE_COMMON = 0x00;
    int AUTH_TYPE_DHCHAP = 0x01;
    int ID_NEGOTIATE = 0x00;
    int ID_CHALLENGE = 0x01;
    int ID_REPLY = 0x02;
    int ID_SUCCESS1 = 0x03;
    int ID_SUCCESS2 = 0x04;
    int ID_FAILURE2 = 0xF0;
    int ID_FAILURE1 = 0xF1;
    /** Header sizes: AUTH_Negotiate before its descriptors, the DH-HMAC-CHAP messages, AUTH_Failure. */
    int NEGOTIATE_HEADER = 8;
    int DHCHAP_HEADER = 16;
    int FAILURE_SIZE = 8;
    /** A DH-HMAC-CHAP protocol descriptor: AUTHID, reserved, HALEN, DHLEN, 30 hash ids, 30 DH group ids. */
    int DESCRIPTOR_SIZE = 64;
    int MAX_IDS = 30;
    /** AUTHID of DH-HMAC-CHAP in a protocol descriptor. */
    int AUTH_ID_DHCHAP = 0x01;
    /** SC_C 00h: no secure channel concatenation. */
    int SC_C_NONE = 0x00;

    int tid();

    int authType();

    int authId();

    /** Encoded size in bytes. */
    int size();

    void encode(ByteBuf out);

    /** One DH-HMAC-CHAP protocol descriptor of AUTH_Negotiate: the hash functions and DH groups a host offers. */
    record DhchapDescriptor(List<Integer> hashIds, List<Integer> dhGroupIds) {
        public DhchapDescriptor {
            hashIds = List.copyOf(hashIds);
            dhGroupIds = List.copyOf(dhGroupIds);
            checkIds("HALEN", hashIds);
            checkIds("DHLEN", dhGroupIds);
        }

        private static void checkIds(String field, List<Integer> ids) {
            if (ids.size() > MAX_IDS) {
                throw new ProtocolFieldException(field, ids.size(), "at most " + MAX_IDS + " identifiers");
            }
            for (int id : ids) {
                if (id < 0 || id > 0xFF) {
                    throw new IllegalArgumentException("identifier " + id + " is not a byte");
                }
            }
        }
    }

    /** AUTH_Negotiate (8.3.4.4): SC_C and the protocol descriptors (NAPD of them). */
    record Negotiate(int tid, int scC, List<DhchapDescriptor> descriptors) implements AuthMessage {
        public Negotiate {
            checkU16("T_ID", tid);
            checkU8("SC_C", scC);
            descriptors = List.copyOf(descriptors);
            if (descriptors.isEmpty() || descriptors.size() > 0xFF) {
                throw new ProtocolFieldException("NAPD", descriptors.size(), "1..255 protocol descriptors");
            }
        }

        public int authType() {
            return AUTH_TYPE_COMMON;
        }

        public int authId() {
            return ID_NEGOTIATE;
        }

        public int size() {
            return NEGOTIATE_HEADER + DESCRIPTOR_SIZE * descriptors.size();
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeByte(scC).writeByte(descriptors.size());
            for (DhchapDescriptor d : descriptors) {
                out.writeByte(AUTH_ID_DHCHAP).writeByte(0).writeByte(d.hashIds().size()).writeByte(d.dhGroupIds().size());
                writeIds(out, d.hashIds());
                writeIds(out, d.dhGroupIds());
            }
        }

        private static void writeIds(ByteBuf out, List<Integer> ids) {
            for (int id : ids) {
                out.writeByte(id);
            }
            out.writeZero(MAX_IDS - ids.size());
        }
    }

    /** DH-HMAC-CHAP_Challenge (8.3.4.5.3): HASHID, DHGID, the sequence number S1, the challenge C1 and g^x mod p. */
    record Challenge(int tid, DhchapHash hash, DhGroup dhGroup, int seqnum, byte[] challenge, byte[] dhValue)
            implements AuthMessage {
        public Challenge {
            checkU16("T_ID", tid);
            if (challenge.length != hash.length()) {
                throw new ProtocolFieldException("HL", challenge.length, hash + " needs " + hash.length());
            }
            if (dhValue.length != dhGroup.valueLength()) {
                throw new ProtocolFieldException("DHVLEN", dhValue.length, dhGroup + " needs " + dhGroup.valueLength());
            }
            challenge = challenge.clone();
            dhValue = dhValue.clone();
        }

        @Override
        public byte[] challenge() {
            return challenge.clone();
        }

        @Override
        public byte[] dhValue() {
            return dhValue.clone();
        }

        public int authType() {
            return AUTH_TYPE_DHCHAP;
        }

        public int authId() {
            return ID_CHALLENGE;
        }

        public int size() {
            return DHCHAP_HEADER + challenge.length + dhValue.length;
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeByte(challenge.length).writeByte(0).writeByte(hash.id()).writeByte(dhGroup.id())
                    .writeShortLE(dhValue.length).writeIntLE(seqnum).writeBytes(challenge).writeBytes(dhValue);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Challenge c && c.tid == tid && c.hash == hash && c.dhGroup == dhGroup
                    && c.seqnum == seqnum && Arrays.equals(c.challenge, challenge) && Arrays.equals(c.dhValue, dhValue);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * tid + seqnum) + Arrays.hashCode(challenge);
        }

        @Override
        public String toString() {
            return "Challenge[tid=" + tid + ", hash=" + hash + ", dhGroup=" + dhGroup + ", seqnum=" + Integer.toUnsignedString(seqnum) + "]";
        }
    }

    /**
     * DH-HMAC-CHAP_Reply (8.3.4.5.4): the response R1, and for bidirectional authentication (CVALID) the challenge C2
     * with the sequence number S2, then g^y mod p. The C2 field is HL bytes even when CVALID is 0; {@code challenge}
     * is null then.
     */
    record Reply(int tid, byte[] response, byte[] challenge, int seqnum, byte[] dhValue) implements AuthMessage {
        public Reply {
            checkU16("T_ID", tid);
            if (DhchapHash.ofLength(response.length).isEmpty()) {
                throw new ProtocolFieldException("HL", response.length, "not the length of a DH-HMAC-CHAP hash (32, 48, 64)");
            }
            if (challenge != null && challenge.length != response.length) {
                throw new IllegalArgumentException("C2 of " + challenge.length + " bytes, R1 of " + response.length);
            }
            if (dhValue.length > DhGroup.MAX_VALUE_LENGTH) {
                throw new ProtocolFieldException("DHVLEN", dhValue.length, "longer than any DH group's values ("
                        + DhGroup.MAX_VALUE_LENGTH + ")");
            }
            response = response.clone();
            challenge = challenge == null ? null : challenge.clone();
            dhValue = dhValue.clone();
        }

        public boolean challengeValid() {
            return challenge != null;
        }

        @Override
        public byte[] response() {
            return response.clone();
        }

        @Override
        public byte[] challenge() {
            return challenge == null ? null : challenge.clone();
        }

        @Override
        public byte[] dhValue() {
            return dhValue.clone();
        }

        public int authType() {
            return AUTH_TYPE_DHCHAP;
        }

        public int authId() {
            return ID_REPLY;
        }

        public int size() {
            return DHCHAP_HEADER + 2 * response.length + dhValue.length;
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeByte(response.length).writeByte(0).writeByte(challenge != null ? 1 : 0).writeByte(0)
                    .writeShortLE(dhValue.length).writeIntLE(seqnum).writeBytes(response);
            if (challenge != null) {
                out.writeBytes(challenge);
            } else {
                out.writeZero(response.length);
            }
            out.writeBytes(dhValue);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Reply r && r.tid == tid && r.seqnum == seqnum && Arrays.equals(r.response, response)
                    && Arrays.equals(r.challenge, challenge) && Arrays.equals(r.dhValue, dhValue);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * tid + seqnum) + Arrays.hashCode(response);
        }

        @Override
        public String toString() {
            return "Reply[tid=" + tid + ", hl=" + response.length + ", cvalid=" + (challenge != null) + ", seqnum="
                    + Integer.toUnsignedString(seqnum) + ", dhvlen=" + dhValue.length + "]";
        }
    }

    /**
     * DH-HMAC-CHAP_Success1 (8.3.4.5.5): HL and, when the host asked for bidirectional authentication (RVALID), the
     * controller's response R2 ({@code response} null otherwise; the RVAL field is then HL zero bytes).
     */
    record Success1(int tid, int hashLength, byte[] response) implements AuthMessage {
        public Success1 {
            checkU16("T_ID", tid);
            if (DhchapHash.ofLength(hashLength).isEmpty()) {
                throw new ProtocolFieldException("HL", hashLength, "not the length of a DH-HMAC-CHAP hash (32, 48, 64)");
            }
            if (response != null && response.length != hashLength) {
                throw new IllegalArgumentException("RVAL of " + response.length + " bytes with HL " + hashLength);
            }
            response = response == null ? null : response.clone();
        }

        public boolean responseValid() {
            return response != null;
        }

        @Override
        public byte[] response() {
            return response == null ? null : response.clone();
        }

        public int authType() {
            return AUTH_TYPE_DHCHAP;
        }

        public int authId() {
            return ID_SUCCESS1;
        }

        public int size() {
            return DHCHAP_HEADER + hashLength;
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeByte(hashLength).writeByte(0).writeByte(response != null ? 1 : 0).writeZero(7);
            if (response != null) {
                out.writeBytes(response);
            } else {
                out.writeZero(hashLength);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Success1 s && s.tid == tid && s.hashLength == hashLength && Arrays.equals(s.response, response);
        }

        @Override
        public int hashCode() {
            return 31 * tid + hashLength;
        }

        @Override
        public String toString() {
            return "Success1[tid=" + tid + ", hl=" + hashLength + ", rvalid=" + (response != null) + "]";
        }
    }

    /** DH-HMAC-CHAP_Success2 (8.3.4.5.6): the host accepted the controller's response. */
    record Success2(int tid) implements AuthMessage {
        public Success2 {
            checkU16("T_ID", tid);
        }

        public int authType() {
            return AUTH_TYPE_DHCHAP;
        }

        public int authId() {
            return ID_SUCCESS2;
        }

        public int size() {
            return DHCHAP_HEADER;
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeZero(10);
        }
    }

    /**
     * AUTH_Failure1 (controller to host) or AUTH_Failure2 (host to controller) (8.3.4.6): reason code 01h and its
     * explanation. {@code explanation} keeps the raw byte: a peer may send one this code does not know.
     */
    record Failure(boolean failure1, int tid, int reasonCode, int explanation) implements AuthMessage {
        public Failure {
            checkU16("T_ID", tid);
            checkU8("RESCODE", reasonCode);
            checkU8("RCEXP", explanation);
        }

        public static Failure failure1(int tid, AuthFailureReason reason) {
            return new Failure(true, tid, AuthFailureReason.REASON_CODE_AUTHENTICATION_FAILURE, reason.code());
        }

        public static Failure failure2(int tid, AuthFailureReason reason) {
            return new Failure(false, tid, AuthFailureReason.REASON_CODE_AUTHENTICATION_FAILURE, reason.code());
        }

        /** The explanation, if it is one the specification defines. */
        public java.util.Optional<AuthFailureReason> reason() {
            return AuthFailureReason.lookup(explanation);
        }

        /** For messages: "authentication failed (01h)". */
        public String describeReason() {
            return reason().map(AuthFailureReason::description).orElse("unknown explanation")
                    + String.format(" (%02xh)", explanation);
        }

        public int authType() {
            return AUTH_TYPE_COMMON;
        }

        public int authId() {
            return failure1 ? ID_FAILURE1 : ID_FAILURE2;
        }

        public int size() {
            return FAILURE_SIZE;
        }

        public void encode(ByteBuf out) {
            header(out, this);
            out.writeByte(reasonCode).writeByte(explanation);
        }
    }

    private static void header(ByteBuf out, AuthMessage m) {
        out.writeByte(m.authType()).writeByte(m.authId()).writeShortLE(0).writeShortLE(m.tid());
    }

    private static void checkU16(String field, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new ProtocolFieldException(field, value, "not a 16-bit value");
        }
    }

    private static void checkU8(String field, int value) {
        if (value < 0 || value > 0xFF) {
            throw new ProtocolFieldException(field, value, "not a byte");
        }
    }

    /** Reads one message from the readable bytes of {@code in} (its reader index is not moved). */
    static AuthMessage decode(ByteBuf in) {
        return AuthMessageDecoder.decode(in);
    }

    /** The message as a new byte array. */
    static byte[] toBytes(AuthMessage m) {
        ByteBuf b = io.netty.buffer.Unpooled.buffer(m.size());
        try {
            m.encode(b);
            return io.netty.buffer.ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }
}
