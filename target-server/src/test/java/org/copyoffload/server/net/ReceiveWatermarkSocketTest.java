package org.copyoffload.server.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The target's connections take SO_RCVLOWAT: a connection waiting for 64 KiB is not woken for a few bytes. */
class ReceiveWatermarkSocketTest {

    @Test
    void anAcceptedConnectionWaitsForItsWatermark() throws Exception {
        AtomicInteger received = new AtomicInteger();
        try (TcpListeners listeners = new TcpListeners(1, new ConnectionGate(4, 4))) {
            assumeTrue(listeners.epoll(), "SO_RCVLOWAT is set through the epoll transport");
            InetSocketAddress at = listeners.bind("127.0.0.1", 0, ch -> ch.pipeline().addLast(
                    new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            listeners.receiveWatermark().wakeAfter(ctx, 65536);
                        }

                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                            // Woken at 64 KiB, perhaps taking only part: expect any byte from now on, as the
                            // decoder would once a PDU is complete.
                            received.addAndGet(msg.readableBytes());
                            listeners.receiveWatermark().wakeAfter(ctx, 1);
                        }
                    }));
            try (Socket host = new Socket(at.getAddress(), at.getPort())) {
                host.getOutputStream().write(new byte[4096]);
                Thread.sleep(300);
                assertThat(received).as("4 KiB, under the watermark, wake nobody").hasValue(0);
                host.getOutputStream().write(new byte[61440]);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (received.get() < 65536 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(received).hasValue(65536);
            }
        }
    }
}
