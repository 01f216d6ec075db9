package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Sits next to the socket and counts what goes out (when handed to the socket) and what comes in, into
 * {@link TrafficCounters}. One per channel: it tracks PDU boundaries of both directions.
 */
final class TrafficMeter extends ChannelDuplexHandler {
    private final PduStreamCounter out;
    private final PduStreamCounter in;

    TrafficMeter(TrafficCounters counters) {
        this.out = new PduStreamCounter(new PduStreamCounter.Sink() {
            @Override
            public void bytes(int bucket, long count) {
                counters.sentBytes(bucket, count);
            }

            @Override
            public void data(int bucket, long count) {
                counters.sentData(bucket, count);
            }

            @Override
            public void pdu(int bucket) {
                counters.sentPdu(bucket);
            }
        });
        this.in = new PduStreamCounter(new PduStreamCounter.Sink() {
            @Override
            public void bytes(int bucket, long count) {
                counters.receivedBytes(bucket, count);
            }

            @Override
            public void data(int bucket, long count) {
                counters.receivedData(bucket, count);
            }

            @Override
            public void pdu(int bucket) {
                counters.receivedPdu(bucket);
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            in.count(b);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) {
            out.count(b);
        }
        ctx.write(msg, promise);
    }
}
