package org.copyoffload.protocol.iscsi;

import org.copyoffload.protocol.testing.DecoderHarness;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/** Settings for each side, samples, and encode/decode shortcuts that release what they allocate. */
final class IscsiPdus {
    static final int LIMIT = 1 << 18;

    private IscsiPdus() {
    }

    static IscsiCodecSettings target(boolean headerDigest, boolean dataDigest) {
        return IscsiCodecSettings.target().headerDigest(headerDigest).dataDigest(dataDigest).maxRecvDataSegmentLength(LIMIT);
    }

    static IscsiCodecSettings initiator(boolean headerDigest, boolean dataDigest) {
        return IscsiCodecSettings.initiator().headerDigest(headerDigest).dataDigest(dataDigest)
                .maxRecvDataSegmentLength(LIMIT);
    }

    /** The side that receives {@code pdu}, with the given digests. */
    static IscsiCodecSettings receiverOf(IscsiPdu pdu, boolean headerDigest, boolean dataDigest) {
        return pdu.opcode().fromInitiator() ? target(headerDigest, dataDigest) : initiator(headerDigest, dataDigest);
    }

    static IscsiCodecSettings senderOf(IscsiPdu pdu, boolean headerDigest, boolean dataDigest) {
        return pdu.opcode().fromInitiator() ? initiator(headerDigest, dataDigest) : target(headerDigest, dataDigest);
    }

    /** A leak-tracked (direct) buffer holding the bytes; the caller releases it. */
    static ByteBuf buf(byte[] bytes) {
        ByteBuf b = Unpooled.directBuffer(Math.max(bytes.length, 1));
        b.writeBytes(bytes);
        return b;
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    static byte[] encode(IscsiPdu pdu, IscsiCodecSettings settings) {
        ByteBuf encoded = IscsiPduEncoder.encode(ByteBufAllocator.DEFAULT, pdu, settings);
        try {
            return ByteBufUtil.getBytes(encoded);
        } finally {
            encoded.release();
        }
    }

    static List<Object> decode(IscsiCodecSettings settings, List<byte[]> pieces) {
        return DecoderHarness.decode(new IscsiPduDecoder(settings), pieces);
    }

    /**
     * The messages with every data buffer replaced by an untracked heap copy, for comparing with equals: under
     * paranoid leak detection every access to a tracked buffer records a stack trace.
     */
    static List<Object> untracked(List<?> messages) {
        return messages.stream().map(IscsiPdus::untracked).toList();
    }

    static Object untracked(Object msg) {
        return switch (msg) {
            case IscsiPdu.NopOut p -> new IscsiPdu.NopOut(p.immediate(), p.lun(), p.initiatorTaskTag(),
                    p.targetTransferTag(), p.cmdSn(), p.expStatSn(), copy(p.data()));
            case IscsiPdu.ScsiCommand p -> new IscsiPdu.ScsiCommand(p.immediate(), p.finalFlag(), p.read(), p.write(),
                    p.attributes(), p.lun(), p.initiatorTaskTag(), p.expectedDataTransferLength(), p.cmdSn(),
                    p.expStatSn(), p.cdb(), p.bidirectionalReadExpectedLength(), copy(p.data()));
            case IscsiPdu.LoginRequest p -> new IscsiPdu.LoginRequest(p.transit(), p.cont(), p.csg(), p.nsg(),
                    p.versionMax(), p.versionMin(), p.isid(), p.tsih(), p.initiatorTaskTag(), p.cid(), p.cmdSn(),
                    p.expStatSn(), copy(p.data()));
            case IscsiPdu.TextRequest p -> new IscsiPdu.TextRequest(p.immediate(), p.finalFlag(), p.cont(), p.lun(),
                    p.initiatorTaskTag(), p.targetTransferTag(), p.cmdSn(), p.expStatSn(), copy(p.data()));
            case IscsiPdu.DataOut p -> new IscsiPdu.DataOut(p.finalFlag(), p.lun(), p.initiatorTaskTag(),
                    p.targetTransferTag(), p.expStatSn(), p.dataSn(), p.bufferOffset(), copy(p.data()));
            case IscsiPdu.NopIn p -> new IscsiPdu.NopIn(p.lun(), p.initiatorTaskTag(), p.targetTransferTag(),
                    p.statSn(), p.expCmdSn(), p.maxCmdSn(), copy(p.data()));
            case IscsiPdu.ScsiResponse p -> new IscsiPdu.ScsiResponse(p.bidiOverflow(), p.bidiUnderflow(),
                    p.overflow(), p.underflow(), p.response(), p.status(), p.initiatorTaskTag(), p.snackTag(),
                    p.statSn(), p.expCmdSn(), p.maxCmdSn(), p.expDataSn(), p.bidiReadResidualCount(),
                    p.residualCount(), copy(p.data()));
            case IscsiPdu.LoginResponse p -> new IscsiPdu.LoginResponse(p.transit(), p.cont(), p.csg(), p.nsg(),
                    p.versionMax(), p.versionActive(), p.isid(), p.tsih(), p.initiatorTaskTag(), p.statSn(),
                    p.expCmdSn(), p.maxCmdSn(), p.statusClass(), p.statusDetail(), copy(p.data()));
            case IscsiPdu.TextResponse p -> new IscsiPdu.TextResponse(p.finalFlag(), p.cont(), p.lun(),
                    p.initiatorTaskTag(), p.targetTransferTag(), p.statSn(), p.expCmdSn(), p.maxCmdSn(), copy(p.data()));
            case IscsiPdu.DataIn p -> new IscsiPdu.DataIn(p.finalFlag(), p.acknowledge(), p.overflow(), p.underflow(),
                    p.statusPresent(), p.status(), p.lun(), p.initiatorTaskTag(), p.targetTransferTag(), p.statSn(),
                    p.expCmdSn(), p.maxCmdSn(), p.dataSn(), p.bufferOffset(), p.residualCount(), copy(p.data()));
            case IscsiPdu.AsyncMessage p -> new IscsiPdu.AsyncMessage(p.lun(), p.statSn(), p.expCmdSn(), p.maxCmdSn(),
                    p.asyncEvent(), p.asyncVCode(), p.parameter1(), p.parameter2(), p.parameter3(), copy(p.data()));
            case IscsiPdu.Reject p -> new IscsiPdu.Reject(p.reason(), p.statSn(), p.expCmdSn(), p.maxCmdSn(),
                    p.dataSn(), copy(p.data()));
            case IscsiPdu.Malformed m -> new IscsiPdu.Malformed(m.reason(), m.fatal(), m.description(), copy(m.header()));
            default -> msg;
        };
    }

    private static ByteBuf copy(ByteBuf data) {
        return Unpooled.wrappedBuffer(ByteBufUtil.getBytes(data));
    }

    static void release(List<?> messages) {
        for (Object msg : messages) {
            ReferenceCountUtil.release(msg);
        }
    }
}
