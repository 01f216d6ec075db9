package org.copyoffload.initiator.iscsi;

import org.copyoffload.initiator.ReceivedPdus;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;

/**
 * A bare iSCSI initiator connection for protocol tests of a target: it sends whatever PDUs or bytes it is
 * given and queues every decoded PDU that comes back (a {@link IscsiPdu.Malformed} when the target sends
 * something the decoder rejects), so a target's error handling can be checked from outside.
 *
 * <p>Nothing is negotiated here: digests start off, as during login (RFC 7143 13.1), and the test switches
 * them on with {@link #digests} once its login has negotiated them, before it sends or expects the next PDU.
 * Received PDUs with data are the taker's to release; those never taken are released on close.
 */
public final class RawIscsiConnection implements AutoCloseable {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final EventLoopGroup group;
    private final Channel channel;
    private final IscsiCodecSettings settings;
    private final ReceivedPdus<IscsiPdu> received;

    private RawIscsiConnection(EventLoopGroup group, Channel channel, IscsiCodecSettings settings,
                               ReceivedPdus<IscsiPdu> received) {
        this.group = group;
        this.channel = channel;
        this.settings = settings;
        this.received = received;
    }

    /** Opens the TCP connection; nothing is sent yet. */
    public static RawIscsiConnection open(InetSocketAddress address, Duration timeout) {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("raw-iscsi", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        IscsiCodecSettings settings = IscsiCodecSettings.initiator();
        ReceivedPdus<IscsiPdu> received = new ReceivedPdus<>(IscsiPdu.class);
        ChannelFuture connect = new Bootstrap()
                .group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                // PDUs are small and a test waits for each answer: no Nagle delay
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IscsiPduDecoder(settings), new IscsiPduEncoder(settings),
                                received.collector(pdu -> { }));
                    }
                })
                .connect(address);
        if (!connect.awaitUninterruptibly(timeout.toMillis() + 1000) || !connect.isSuccess()) {
            connect.channel().close();
            shutdown(group);
            throw new IllegalStateException("cannot connect to " + address
                    + (connect.cause() != null ? ": " + connect.cause() : ": timed out"), connect.cause());
        }
        return new RawIscsiConnection(group, connect.channel(), settings, received);
    }

    /** Sends a PDU, encoded with the settings in force (the PDU and its data are taken). */
    public void send(IscsiPdu pdu) {
        await(channel.writeAndFlush(pdu), "send " + pdu.opcode());
    }

    /** Sends bytes exactly as given (taken): truncated PDUs, bad digests, wrong lengths, anything. */
    public void send(ByteBuf bytes) {
        await(channel.writeAndFlush(bytes), "send raw bytes");
    }

    /** A PDU's bytes as the connection would send them now (the PDU is taken), to corrupt before {@link #send(ByteBuf)}. */
    public ByteBuf encode(IscsiPdu pdu) {
        try {
            return IscsiPduEncoder.encode(channel.alloc(), pdu, settings);
        } finally {
            ReferenceCountUtil.release(pdu);
        }
    }

    /** The codec settings in force; read them here, change them through {@link #configure} or {@link #digests}. */
    public IscsiCodecSettings settings() {
        return settings;
    }

    /** Changes the codec settings on the event loop, between two PDUs, and waits until that is done. */
    public void configure(Consumer<IscsiCodecSettings> change) {
        try {
            channel.eventLoop().submit(() -> change.accept(settings)).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while applying settings", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot apply settings", e);
        }
    }

    /** Switches CRC32C header and data digests on or off for both directions, as after login (RFC 7143 13.1). */
    public void digests(boolean header, boolean data) {
        configure(s -> s.headerDigest(header).dataDigest(data));
    }

    /** Everything decoded from the target, in order. */
    public BlockingQueue<IscsiPdu> received() {
        return received.queue();
    }

    /** The next received PDU, or null when none arrives in time. */
    public IscsiPdu poll(Duration timeout) {
        return received.poll(timeout);
    }

    /** The next received PDU, which must be of {@code type}; anything else (or nothing) throws. */
    public <T extends IscsiPdu> T expect(Class<T> type, Duration timeout) {
        return received.expect(type, timeout);
    }

    /** True once the target closed the connection (not when this side did). */
    public boolean isPeerClosed() {
        return received.isPeerClosed();
    }

    /** Waits for the target to close the connection; false when it is still open after {@code timeout}. */
    public boolean awaitPeerClose(Duration timeout) {
        return received.awaitPeerClose(timeout);
    }

    @Override
    public void close() {
        received.closing();
        channel.close().awaitUninterruptibly(CLOSE_WAIT.toMillis());
        shutdown(group);
        received.drain();
    }

    /** Stops the event loop, waiting a bounded time: closing must never hang. */
    private static void shutdown(EventLoopGroup group) {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static void await(ChannelFuture f, String what) {
        if (!f.awaitUninterruptibly(CLOSE_WAIT.toMillis())) {
            throw new IllegalStateException(what + " timed out");
        }
        if (!f.isSuccess()) {
            throw new IllegalStateException(what + " failed: " + f.cause(), f.cause());
        }
    }
}
