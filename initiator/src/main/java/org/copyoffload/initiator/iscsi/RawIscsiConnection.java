package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.copyoffload.initiator.ReceivedPdus;
import org.copyoffload.initiator.Transport;
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

    private final Transport transport;
    private final Channel channel;
    private final IscsiCodecSettings settings;
    private final ReceivedPdus<IscsiPdu> received;

    private RawIscsiConnection(Transport transport, Channel channel, IscsiCodecSettings settings,
                               ReceivedPdus<IscsiPdu> received) {
        this.transport = transport;
        this.channel = channel;
        this.settings = settings;
        this.received = received;
    }

    /** Opens the TCP connection; nothing is sent yet. */
    public static RawIscsiConnection open(InetSocketAddress address, Duration timeout) {
        Transport transport = new Transport("raw-iscsi", 1);
        IscsiCodecSettings settings = IscsiCodecSettings.initiator();
        ReceivedPdus<IscsiPdu> received = new ReceivedPdus<>(IscsiPdu.class);
        ChannelFuture connect = transport.bootstrap(timeout)
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
            transport.close();
            throw new IllegalStateException("cannot connect to " + address
                    + (connect.cause() != null ? ": " + connect.cause() : ": timed out"), connect.cause());
        }
        return new RawIscsiConnection(transport, connect.channel(), settings, received);
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
        transport.close();
        received.drain();
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
