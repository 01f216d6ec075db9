package org.copyoffload.protocol.nvme.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.copyoffload.protocol.testing.DecoderHarness;

/** Settings for each side, and encode/decode shortcuts that release what they allocate. */
final class Pdus {
    static final int LIMIT = 1 << 20;

    private Pdus() {
    }

    /** The target's settings: it receives host-to-controller PDUs and sends with the host's HPDA. */
    static NvmeTcpSettings controller(boolean headerDigest, boolean dataDigest, int peerPda) {
        NvmeTcpSettings s = new NvmeTcpSettings(true, LIMIT, LIMIT);
        s.negotiated(headerDigest, dataDigest, peerPda);
        return s;
    }

    static NvmeTcpSettings host(boolean headerDigest, boolean dataDigest, int peerPda) {
        NvmeTcpSettings s = new NvmeTcpSettings(false, LIMIT, LIMIT);
        s.negotiated(headerDigest, dataDigest, peerPda);
        return s;
    }

    /** The receiving side for a PDU type, with the same digests. */
    static NvmeTcpSettings receiverOf(PduType type, boolean headerDigest, boolean dataDigest) {
        return type.hostToController() ? controller(headerDigest, dataDigest, 0) : host(headerDigest, dataDigest, 0);
    }

    static byte[] encode(NvmeTcpPdu pdu, NvmeTcpSettings settings) {
        ByteBuf encoded = NvmeTcpPduEncoder.encode(ByteBufAllocator.DEFAULT, pdu, settings);
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
        }
    }

    static List<Object> decode(NvmeTcpSettings settings, List<byte[]> pieces) {
        return DecoderHarness.decode(settings, pieces);
    }

    /**
     * The messages with every data buffer replaced by an untracked heap copy, for comparing with equals: under
     * paranoid leak detection every access to a tracked buffer records a stack trace, and ByteBuf.equals reads
     * eight bytes at a time.
     */
    static List<Object> untracked(List<?> messages) {
        return messages.stream().map(Pdus::untracked).toList();
    }

    static Object untracked(Object msg) {
        return switch (msg) {
            case NvmeTcpPdu.TermReq t -> new NvmeTcpPdu.TermReq(t.fromHost(), t.fes(), t.fei(), copy(t.data()));
            case NvmeTcpPdu.CapsuleCmd c -> new NvmeTcpPdu.CapsuleCmd(c.sqe(), copy(c.data()), c.dataDigestValid());
            case NvmeTcpPdu.H2cData d -> new NvmeTcpPdu.H2cData(d.cccid(), d.ttag(), d.dataOffset(), d.last(),
                    copy(d.data()), d.dataDigestValid());
            case NvmeTcpPdu.C2hData d -> new NvmeTcpPdu.C2hData(d.cccid(), d.dataOffset(), d.last(), d.success(),
                    copy(d.data()), d.dataDigestValid());
            case NvmeTcpPdu.Malformed m -> new NvmeTcpPdu.Malformed(m.fes(), m.fei(), copy(m.data()), m.reason());
            default -> msg;
        };
    }

    private static ByteBuf copy(ByteBuf data) {
        return Unpooled.wrappedBuffer(ByteBufUtil.getBytes(data));
    }

    static void release(Object... messages) {
        DecoderHarness.releaseAll(List.of(messages));
    }
}
