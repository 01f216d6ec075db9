package org.copyoffload.initiator.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.initiator.ReceivedPdus;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.copyoffload.protocol.iscsi.login.LoginException;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.iscsi.login.OperationalNegotiation;
import org.copyoffload.protocol.iscsi.login.TargetLimits;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;

/**
 * A scripted iSCSI target for the initiator's state tests: it accepts one connection, answers the login with the
 * protocol module's own target-side negotiation ({@link OperationalNegotiation}) and the StatSN and CmdSN window a
 * test chooses, and then leaves every PDU to the test: it queues what the initiator sends and sends what the test
 * gives it, so sequence numbers, R2Ts and Data-In can be played PDU by PDU.
 */
final class FakeIscsiTarget implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String TARGET = "iqn.2026-01.org.copyoffload:fake";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final IscsiCodecSettings settings = IscsiCodecSettings.target();
    private final ReceivedPdus<IscsiPdu> received = new ReceivedPdus<>(IscsiPdu.class);
    private final CompletableFuture<Channel> accepted = new CompletableFuture<>();
    private final Channel server;
    private Channel channel;
    /** The StatSN of the next status the test sends. */
    int statSn;
    int expCmdSn;
    int maxCmdSn;
    NegotiatedParameters negotiated;

    FakeIscsiTarget() {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IscsiPduDecoder(settings), new IscsiPduEncoder(settings),
                                received.collector(pdu -> { }));
                        accepted.complete(ch);
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    IscsiOptions options() {
        return IscsiOptions.of(address(), TARGET).withTimeouts(WAIT, WAIT);
    }

    /**
     * Logs {@code options} in: the session runs on another thread while this side answers AuthMethod=None, then the
     * operational keys as a target with {@code limits} would, starting StatSN at {@code firstStatSn} and offering a
     * window of {@code window} commands.
     */
    IscsiSession login(IscsiOptions options, TargetLimits limits, int firstStatSn, int window) throws Exception {
        CompletableFuture<IscsiSession> session = CompletableFuture.supplyAsync(() -> IscsiSession.login(options));
        channel = accepted.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        statSn = firstStatSn;
        IscsiPdu.LoginRequest security = expect(IscsiPdu.LoginRequest.class);
        OperationalNegotiation negotiation = new OperationalNegotiation(limits, false);
        try {
            assertThat(security.csg()).isZero();
            List<TextKey> keys = TextKeys.decode(security.data());
            negotiation.recordDeclarations(keys);
            assertThat(TextKeys.find(keys, "AuthMethod")).contains("None");
            expCmdSn = security.cmdSn();
            maxCmdSn = expCmdSn + window - 1;
            send(loginResponse(security, 0, 1, 0, List.of(new TextKey("AuthMethod", "None"))));
        } finally {
            security.release();
        }
        IscsiPdu.LoginRequest operational = expect(IscsiPdu.LoginRequest.class);
        try {
            assertThat(operational.csg()).isEqualTo(1);
            assertThat(operational.transit()).isTrue();
            List<TextKey> answers = new ArrayList<>(negotiation.respond(TextKeys.decode(operational.data())));
            answers.addAll(negotiation.targetOffers());
            negotiated = negotiation.result();
            IscsiPdu.LoginResponse last = loginResponse(operational, 1, 3, 1, answers);
            // The digests start with the first PDU after this one, on both sides (RFC 7143, 13.1).
            channel.eventLoop().submit(() -> {
                channel.writeAndFlush(last);
                settings.headerDigest(negotiated.headerDigest()).dataDigest(negotiated.dataDigest())
                        .maxRecvDataSegmentLength(negotiated.targetMaxRecvDataSegmentLength());
            }).syncUninterruptibly();
        } catch (LoginException e) {
            throw new AssertionError(e);
        } finally {
            operational.release();
        }
        return session.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private IscsiPdu.LoginResponse loginResponse(IscsiPdu.LoginRequest r, int csg, int nsg, int tsih,
                                                 List<TextKey> keys) {
        ByteBuf data = Unpooled.buffer();
        TextKeys.encode(keys, data);
        return new IscsiPdu.LoginResponse(true, false, csg, nsg, 0, 0, r.isid(), tsih, r.initiatorTaskTag(), statSn++,
                expCmdSn, maxCmdSn, 0, 0, data);
    }

    /** The next PDU from the initiator, which must be a {@code type}; the caller releases it. */
    <T extends IscsiPdu> T expect(Class<T> type) {
        return received.expect(type, WAIT);
    }

    /** Nothing more from the initiator within {@code wait}. */
    IscsiPdu poll(Duration wait) {
        return received.poll(wait);
    }

    void send(IscsiPdu pdu) {
        channel.writeAndFlush(pdu).syncUninterruptibly();
    }

    /** A SCSI Response to {@code itt} with the next StatSN and the window as it stands. */
    IscsiPdu.ScsiResponse response(int itt, int status, ByteBuf data) {
        return new IscsiPdu.ScsiResponse(false, false, false, false, 0, status, itt, 0, statSn++, expCmdSn, maxCmdSn, 0, 0,
                0, data);
    }

    boolean awaitInitiatorClose() {
        return received.awaitPeerClose(WAIT);
    }

    @Override
    public void close() {
        received.closing();
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        received.drain();
    }
}
