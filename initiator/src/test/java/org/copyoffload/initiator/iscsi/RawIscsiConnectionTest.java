package org.copyoffload.initiator.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RawIscsiConnectionTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private final EchoTarget target = new EchoTarget();

    @AfterEach
    void stop() {
        target.close();
    }

    private static IscsiPdu.LoginRequest login() {
        return new IscsiPdu.LoginRequest(true, false, 1, 3, 0, 0, 0x400001370000L, 0, 1, 0, 1, 0,
                Unpooled.copiedBuffer("InitiatorName=iqn.2026-01.test:raw\0", StandardCharsets.US_ASCII));
    }

    private static IscsiPdu.NopOut ping(int itt, byte[] data) {
        return new IscsiPdu.NopOut(true, 0, itt, IscsiPdu.RESERVED_TAG, 2, 1, Unpooled.wrappedBuffer(data));
    }

    @Test
    void loginThenPingWithDigestsSwitchedOnAfterLogin() {
        target.headerDigest = true;
        target.dataDigest = true;
        try (RawIscsiConnection raw = RawIscsiConnection.open(target.address(), WAIT)) {
            raw.send(login());
            IscsiPdu.LoginResponse response = raw.expect(IscsiPdu.LoginResponse.class, WAIT);
            try {
                assertThat(response.transit()).isTrue();
                assertThat(response.nsg()).isEqualTo(3);
                assertThat(response.isid()).isEqualTo(0x400001370000L);
            } finally {
                response.release();
            }
            raw.digests(true, true);
            assertThat(raw.settings().headerDigest()).isTrue();
            raw.send(ping(7, new byte[] {1, 2, 3, 4, 5}));
            IscsiPdu.NopIn echo = raw.expect(IscsiPdu.NopIn.class, WAIT);
            try {
                assertThat(echo.initiatorTaskTag()).isEqualTo(7);
                assertThat(ByteBufUtil.getBytes(echo.data())).containsExactly(1, 2, 3, 4, 5);
            } finally {
                echo.release();
            }
            assertThat(raw.isPeerClosed()).isFalse();
        }
    }

    @Test
    void aBadHeaderDigestIsRejectedAndTheTargetCloses() {
        target.headerDigest = true;
        try (RawIscsiConnection raw = RawIscsiConnection.open(target.address(), WAIT)) {
            raw.send(login());
            raw.expect(IscsiPdu.LoginResponse.class, WAIT).release();
            raw.digests(true, false);
            ByteBuf bytes = raw.encode(ping(8, new byte[3]));
            bytes.setByte(48, bytes.getByte(48) ^ 1);
            raw.send(bytes);
            IscsiPdu.Reject reject = raw.expect(IscsiPdu.Reject.class, WAIT);
            try {
                assertThat(reject.reason()).isEqualTo(RejectReason.PROTOCOL_ERROR.code());
                assertThat(reject.data().readableBytes()).isEqualTo(48);
                assertThat(reject.data().getInt(16)).as("the rejected BHS's ITT").isEqualTo(8);
            } finally {
                reject.release();
            }
            assertThat(raw.awaitPeerClose(WAIT)).isTrue();
            assertThat(raw.isPeerClosed()).isTrue();
        }
    }

    @Test
    void anUnknownOpcodeIsRejectedAndTheConnectionGoesOn() {
        try (RawIscsiConnection raw = RawIscsiConnection.open(target.address(), WAIT)) {
            ByteBuf bytes = raw.encode(ping(9, new byte[6]));
            bytes.setByte(0, 0x07);
            raw.send(bytes);
            IscsiPdu.Reject reject = raw.expect(IscsiPdu.Reject.class, WAIT);
            try {
                assertThat(reject.reason()).isEqualTo(RejectReason.COMMAND_NOT_SUPPORTED.code());
            } finally {
                reject.release();
            }
            raw.send(ping(10, new byte[] {9}));
            IscsiPdu.NopIn echo = raw.expect(IscsiPdu.NopIn.class, WAIT);
            echo.release();
            assertThat(echo.initiatorTaskTag()).isEqualTo(10);
            assertThat(raw.poll(Duration.ofMillis(50))).isNull();
        }
    }

    @Test
    void aTruncatedPduIsSentAsIs() {
        try (RawIscsiConnection raw = RawIscsiConnection.open(target.address(), WAIT)) {
            ByteBuf bytes = raw.encode(ping(11, new byte[4]));
            raw.send(bytes.retainedSlice(0, 40));
            bytes.release();
            assertThat(raw.poll(Duration.ofMillis(100))).isNull();
            assertThat(raw.isPeerClosed()).isFalse();
            assertThatThrownBy(() -> raw.expect(IscsiPdu.NopIn.class, Duration.ofMillis(10)))
                    .hasMessageContaining("no NopIn");
        }
    }

    @Test
    void connectingToNothingFails() {
        InetSocketAddress address = target.address();
        target.close();
        assertThatThrownBy(() -> RawIscsiConnection.open(address, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot connect");
    }

    /**
     * Just enough target: answers a Login Request with a final Login Response, echoes NOP-Outs, and answers
     * decoder verdicts with a Reject, closing after a fatal one. After the Login Response it turns on the
     * digests set in {@link #headerDigest} and {@link #dataDigest}, as a login that negotiated them would.
     */
    static final class EchoTarget implements AutoCloseable {
        private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        private final Channel server;
        private boolean closed;
        volatile boolean headerDigest;
        volatile boolean dataDigest;

        EchoTarget() {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            IscsiCodecSettings settings = IscsiCodecSettings.target();
                            ch.pipeline().addLast(new IscsiPduDecoder(settings), new IscsiPduEncoder(settings),
                                    new Session(settings, EchoTarget.this));
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.localAddress();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                server.close().syncUninterruptibly();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }

        private static final class Session extends SimpleChannelInboundHandler<IscsiPdu> {
            private final IscsiCodecSettings settings;
            private final EchoTarget target;
            private int statSn;

            Session(IscsiCodecSettings settings, EchoTarget target) {
                this.settings = settings;
                this.target = target;
            }

            @Override
            protected void channelRead0(ChannelHandlerContext ctx, IscsiPdu pdu) {
                switch (pdu) {
                    case IscsiPdu.LoginRequest r -> {
                        ctx.writeAndFlush(new IscsiPdu.LoginResponse(true, false, 1, 3, 0, 0, r.isid(), 1,
                                r.initiatorTaskTag(), statSn++, r.cmdSn() + 1, r.cmdSn() + 32, 0, 0, Unpooled.EMPTY_BUFFER));
                        // written (and encoded) above without digests; they apply from the next PDU on
                        settings.headerDigest(target.headerDigest).dataDigest(target.dataDigest);
                    }
                    case IscsiPdu.NopOut n -> {
                        ctx.writeAndFlush(new IscsiPdu.NopIn(n.lun(), n.initiatorTaskTag(), IscsiPdu.RESERVED_TAG,
                                statSn++, n.cmdSn(), n.cmdSn() + 32, n.data().retain()));
                    }
                    case IscsiPdu.Malformed m -> {
                        ChannelFutureListener then = m.fatal() ? ChannelFutureListener.CLOSE
                                : ChannelFutureListener.CLOSE_ON_FAILURE;
                        ctx.writeAndFlush(m.toReject(statSn++, 0, 0)).addListener(then);
                    }
                    default -> { }
                }
            }
        }
    }
}
