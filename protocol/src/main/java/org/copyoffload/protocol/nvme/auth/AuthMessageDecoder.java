package org.copyoffload.protocol.nvme.auth;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/** Decodes {@link AuthMessage}s field by field, in the order of their layouts (NVMe Base 2.1, 8.3.4.4 to 8.3.4.6). */
final class AuthMessageDecoder {
    private AuthMessageDecoder() {
    }

    static AuthMessage decode(ByteBuf buf) {
        int base = buf.readerIndex();
        int length = buf.readableBytes();
        need(length, AuthMessage.FAILURE_SIZE, "message length");
        int type = buf.getUnsignedByte(base);
        int id = buf.getUnsignedByte(base + 1);
        int tid = buf.getUnsignedShortLE(base + 4);
        if (type == AuthMessage.AUTH_TYPE_COMMON) {
            return switch (id) {
                case AuthMessage.ID_NEGOTIATE -> negotiate(buf, base, length, tid);
                case AuthMessage.ID_FAILURE1, AuthMessage.ID_FAILURE2 -> new AuthMessage.Failure(
                        id == AuthMessage.ID_FAILURE1, tid, buf.getUnsignedByte(base + 6), buf.getUnsignedByte(base + 7));
                default -> throw new ProtocolFieldException("AUTH_ID", id, "not a common authentication message (00h, F0h, F1h)");
            };
        }
        if (type != AuthMessage.AUTH_TYPE_DHCHAP) {
            throw new ProtocolFieldException("AUTH_TYPE", type, "neither common (00h) nor DH-HMAC-CHAP (01h) messages");
        }
        need(length, AuthMessage.DHCHAP_HEADER, "DH-HMAC-CHAP message length");
        return switch (id) {
            case AuthMessage.ID_CHALLENGE -> challenge(buf, base, length, tid);
            case AuthMessage.ID_REPLY -> reply(buf, base, length, tid);
            case AuthMessage.ID_SUCCESS1 -> success1(buf, base, length, tid);
            case AuthMessage.ID_SUCCESS2 -> new AuthMessage.Success2(tid);
            default -> throw new ProtocolFieldException("AUTH_ID", id, "not a DH-HMAC-CHAP message (01h to 04h)");
        };
    }

    private static AuthMessage.Negotiate negotiate(ByteBuf buf, int base, int length, int tid) {
        int scC = buf.getUnsignedByte(base + 6);
        int napd = buf.getUnsignedByte(base + 7);
        if (napd == 0) {
            throw new ProtocolFieldException("NAPD", napd, "no protocol descriptor");
        }
        need(length, AuthMessage.NEGOTIATE_HEADER + (long) napd * AuthMessage.DESCRIPTOR_SIZE, "NAPD " + napd + " descriptors");
        List<AuthMessage.DhchapDescriptor> descriptors = new ArrayList<>(napd);
        for (int i = 0; i < napd; i++) {
            int d = base + AuthMessage.NEGOTIATE_HEADER + i * AuthMessage.DESCRIPTOR_SIZE;
            int authId = buf.getUnsignedByte(d);
            if (authId != AuthMessage.AUTH_ID_DHCHAP) {
                throw new ProtocolFieldException("AUTHID[" + i + "]", authId, "not DH-HMAC-CHAP (01h)");
            }
            int halen = buf.getUnsignedByte(d + 2);
            int dhlen = buf.getUnsignedByte(d + 3);
            if (halen > AuthMessage.MAX_IDS) {
                throw new ProtocolFieldException("HALEN[" + i + "]", halen, "at most " + AuthMessage.MAX_IDS);
            }
            if (dhlen > AuthMessage.MAX_IDS) {
                throw new ProtocolFieldException("DHLEN[" + i + "]", dhlen, "at most " + AuthMessage.MAX_IDS);
            }
            List<Integer> hashes = new ArrayList<>(halen);
            for (int h = 0; h < halen; h++) {
                hashes.add((int) buf.getUnsignedByte(d + 4 + h));
            }
            List<Integer> groups = new ArrayList<>(dhlen);
            for (int g = 0; g < dhlen; g++) {
                groups.add((int) buf.getUnsignedByte(d + 4 + AuthMessage.MAX_IDS + g));
            }
            descriptors.add(new AuthMessage.DhchapDescriptor(hashes, groups));
        }
        return new AuthMessage.Negotiate(tid, scC, descriptors);
    }

    private static AuthMessage.Challenge challenge(ByteBuf buf, int base, int length, int tid) {
        int hl = buf.getUnsignedByte(base + 6);
        int hashId = buf.getUnsignedByte(base + 8);
        int dhgid = buf.getUnsignedByte(base + 9);
        int dhvlen = buf.getUnsignedShortLE(base + 10);
        int seqnum = buf.getIntLE(base + 12);
        DhchapHash hash = DhchapHash.lookup(hashId).orElseThrow(() ->
                new ProtocolFieldException("HASHID", hashId, "not a DH-HMAC-CHAP hash (01h to 03h)"));
        if (hl != hash.length()) {
            throw new ProtocolFieldException("HL", hl, hash + " is " + hash.length() + " bytes");
        }
        DhGroup group = DhGroup.lookup(dhgid).orElseThrow(() ->
                new ProtocolFieldException("DHGID", dhgid, "not a DH-HMAC-CHAP group (00h to 05h)"));
        if (dhvlen != group.valueLength()) {
            throw new ProtocolFieldException("DHVLEN", dhvlen, group + " values are " + group.valueLength() + " bytes");
        }
        need(length, AuthMessage.DHCHAP_HEADER + hl + dhvlen, "HL + DHVLEN");
        byte[] c = bytes(buf, base + AuthMessage.DHCHAP_HEADER, hl);
        byte[] dh = bytes(buf, base + AuthMessage.DHCHAP_HEADER + hl, dhvlen);
        return new AuthMessage.Challenge(tid, hash, group, seqnum, c, dh);
    }

    private static AuthMessage.Reply reply(ByteBuf buf, int base, int length, int tid) {
        int hl = buf.getUnsignedByte(base + 6);
        int cvalid = buf.getUnsignedByte(base + 8);
        int dhvlen = buf.getUnsignedShortLE(base + 10);
        int seqnum = buf.getIntLE(base + 12);
        if (DhchapHash.ofLength(hl).isEmpty()) {
            throw new ProtocolFieldException("HL", hl, "not the length of a DH-HMAC-CHAP hash (32, 48, 64)");
        }
        if (cvalid > 1) {
            throw new ProtocolFieldException("CVALID", cvalid, "0 or 1");
        }
        if (dhvlen > DhGroup.MAX_VALUE_LENGTH) {
            throw new ProtocolFieldException("DHVLEN", dhvlen, "longer than any DH group's values (" + DhGroup.MAX_VALUE_LENGTH + ")");
        }
        need(length, AuthMessage.DHCHAP_HEADER + 2L * hl + dhvlen, "2 * HL + DHVLEN");
        int p = base + AuthMessage.DHCHAP_HEADER;
        byte[] r = bytes(buf, p, hl);
        byte[] c = cvalid == 1 ? bytes(buf, p + hl, hl) : null;
        byte[] dh = bytes(buf, p + 2 * hl, dhvlen);
        return new AuthMessage.Reply(tid, r, c, seqnum, dh);
    }

    private static AuthMessage.Success1 success1(ByteBuf buf, int base, int length, int tid) {
        int hl = buf.getUnsignedByte(base + 6);
        int rvalid = buf.getUnsignedByte(base + 8);
        if (DhchapHash.ofLength(hl).isEmpty()) {
            throw new ProtocolFieldException("HL", hl, "not the length of a DH-HMAC-CHAP hash (32, 48, 64)");
        }
        if (rvalid > 1) {
            throw new ProtocolFieldException("RVALID", rvalid, "0 or 1");
        }
        byte[] r = null;
        if (rvalid == 1) {
            need(length, AuthMessage.DHCHAP_HEADER + hl, "HL with RVALID");
            r = bytes(buf, base + AuthMessage.DHCHAP_HEADER, hl);
        }
        return new AuthMessage.Success1(tid, hl, r);
    }

    private static void need(int length, long needed, String what) {
        if (length < needed) {
            throw new ProtocolFieldException("length", length, what + " needs " + needed + " bytes");
        }
    }

    private static byte[] bytes(ByteBuf buf, int index, int length) {
        byte[] b = new byte[length];
        buf.getBytes(index, b);
        return b;
    }
}
