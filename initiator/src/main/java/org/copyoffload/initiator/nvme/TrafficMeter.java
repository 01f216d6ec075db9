package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Sits next to the socket and counts what goes out and what comes in, into {@link TrafficCounters}. One per channel: it
 * tracks PDU boundaries of both directions. What goes out counts once the socket has taken it (the write succeeded):
 * a write that fails, e.g. on a connection the target has just closed, never crossed the wire.
 */
final class TrafficMeter extends ChannelDuplexHandler {
    private final TrafficCounters counters;
    private final PduStreamCounter out;
    private final PduStreamCounter in;
    /** What the buffer being written holds, counted when its write succeeds. */
    private SentTally tally;

    TrafficMeter(TrafficCounters counters) {
        this.counters = counters;
        this.out = new PduStreamCounter(new PduStreamCounter.Sink() {
            @Override
            public void bytes(int bucket, long count) {
                tally.add(bucket, count, 0, 0);
            }

            @Override
            public void data(int bucket, long count) {
                tally.add(bucket, 0, count, 0);
            }

            @Override
            public void pdu(int bucket) {
                tally.add(bucket, 0, 0, 1);
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
        if (!(msg instanceof ByteBuf b)) {
            ctx.write(msg, promise);
            return;
        }
        SentTally sent = new SentTally();
        tally = sent;
        out.count(b);
        tally = null;
        ChannelPromise p = promise.unvoid();
        p.addListener(f -> {
            if (f.isSuccess()) {
                sent.applyTo(counters);
            }
        });
        ctx.write(msg, p);
    }

    /** Bytes, data bytes and PDUs of one written buffer, by bucket (a buffer holds few PDUs: a short list). */
    private static final class SentTally {
        private final java.util.List<long[]> entries = new java.util.ArrayList<>(2);

        void add(int bucket, long bytes, long data, long pdus) {
            long[] last = entries.isEmpty() ? null : entries.getLast();
            if (last != null && last[0] == bucket) {
                last[1] += bytes;
                last[2] += data;
                last[3] += pdus;
            } else {
                entries.add(new long[] {bucket, bytes, data, pdus});
            }
        }

        void applyTo(TrafficCounters counters) {
            for (long[] e : entries) {
                int bucket = (int) e[0];
                counters.sentBytes(bucket, e[1]);
                if (e[2] > 0) {
                    counters.sentData(bucket, e[2]);
                }
                for (long i = 0; i < e[3]; i++) {
                    counters.sentPdu(bucket);
                }
            }
        }
    }
}
