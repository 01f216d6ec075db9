package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiDigest;
import org.copyoffload.protocol.iscsi.IscsiPdu;

/**
 * Counts one connection's PDUs into {@link IscsiTrafficCounters}. It sits between the decoder and the encoder:
 * going out it sees each PDU's encoded bytes (one buffer per PDU) and counts them once the socket has taken them;
 * coming in it sees the decoded PDU and counts the bytes it took on the wire, from the data length and the digests in
 * force when it was decoded (the settings change only between PDUs, and target PDUs carry no AHS).
 */
final class IscsiTrafficMeter extends ChannelDuplexHandler {
    private final IscsiTrafficCounters counters;
    private final IscsiCodecSettings settings;

    IscsiTrafficMeter(IscsiTrafficCounters counters, IscsiCodecSettings settings) {
        this.counters = counters;
        this.settings = settings;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof IscsiPdu.Malformed m) {
            counters.received(m.rejectedOpcode() < 0 ? IscsiTrafficCounters.UNKNOWN : m.rejectedOpcode(),
                    IscsiPdu.BHS_LENGTH, 0);
        } else if (msg instanceof IscsiPdu pdu) {
            int data = pdu instanceof IscsiPdu.WithData w ? w.data().readableBytes() : 0;
            long bytes = IscsiPdu.BHS_LENGTH + (settings.headerDigest() ? IscsiDigest.LENGTH : 0) + data
                    + IscsiDigest.padding(data) + (settings.dataDigest() && data > 0 ? IscsiDigest.LENGTH : 0);
            counters.received(pdu.opcode().code(), bytes, data);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf b) || !b.isReadable()) {
            ctx.write(msg, promise);
            return;
        }
        int opcode = b.getUnsignedByte(b.readerIndex()) & 0x3F;
        long bytes = b.readableBytes();
        // BHS bytes 5-7: DataSegmentLength, the data without padding and digest (RFC 7143, 11.2.1.5).
        long data = b.readableBytes() >= IscsiPdu.BHS_LENGTH ? b.getUnsignedMedium(b.readerIndex() + 5) : 0;
        // Counted once the socket has taken it: a failed write never crossed the wire.
        ChannelPromise p = promise.unvoid();
        p.addListener(f -> {
            if (f.isSuccess()) {
                counters.sent(opcode, bytes, data);
            }
        });
        ctx.write(msg, p);
    }
}
