package org.copyoffload.initiator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.Epoll;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportTest {

    /** The watermark is the kernel's SO_RCVLOWAT: below it, bytes that arrived do not wake the event loop. */
    @Test
    void aConnectionIsNotWokenForLessThanItsReceiveWatermark() throws Exception {
        assumeTrue(Epoll.isAvailable(), "SO_RCVLOWAT is set through the epoll transport");
        BlockingQueue<Integer> reads = new LinkedBlockingQueue<>();
        CompletableFuture<ChannelHandlerContext> context = new CompletableFuture<>();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Transport transport = new Transport("watermark-test", 1)) {
            Channel ch = transport.bootstrap(Duration.ofSeconds(5)).handler(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    context.complete(ctx);
                }

                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    reads.add(b.readableBytes());
                    b.release();
                }
            }).connect(server.getLocalSocketAddress()).sync().channel();
            try (Socket peer = server.accept()) {
                ChannelHandlerContext ctx = context.get(5, TimeUnit.SECONDS);
                OutputStream out = peer.getOutputStream();
                ch.eventLoop().submit(() -> transport.receiveWatermark().wakeAfter(ctx, 65536)).sync();
                out.write(new byte[1000]);
                assertThat(reads.poll(300, TimeUnit.MILLISECONDS)).as("1000 bytes, under the watermark").isNull();
                out.write(new byte[64536]);
                Integer first = reads.poll(5, TimeUnit.SECONDS);
                assertThat(first).as("a read once 64 KiB arrived").isNotNull();
                // A read may take part of what woke it; like the decoder, the handler lowers the watermark to what
                // it still expects, and the kernel reports the rest at once.
                ch.eventLoop().submit(() -> transport.receiveWatermark().wakeAfter(ctx, 1)).sync();
                out.write(7);
                int received = first;
                for (Integer n; received < 65537 && (n = reads.poll(5, TimeUnit.SECONDS)) != null; ) {
                    received += n;
                }
                assertThat(received).isEqualTo(65537);
            } finally {
                ch.close().sync();
            }
        }
    }
}
