package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.Transport;
import org.copyoffload.initiator.ReceivedPdus;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;

/**
 * A bare NVMe/TCP host connection for protocol tests: it sends whatever PDUs or bytes it is given and
 * queues every decoded PDU that comes back (a {@link NvmeTcpPdu.Malformed} when the controller sends
 * something the decoder rejects), so a controller's error handling can be checked from outside.
 *
 * <p>Received PDUs with data are the taker's to release; those never taken are released on close. When
 * an ICResp arrives its digests and CPDA take effect for both directions at once, as a host would apply
 * them; {@link #negotiate} overrides that.
 */
public final class RawNvmeTcpConnection implements AutoCloseable {
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final Transport transport;
    private final Channel channel;
    private final NvmeTcpSettings settings;
    private final ReceivedPdus<NvmeTcpPdu> received;
    private final TrafficCounters traffic;

    private RawNvmeTcpConnection(Transport transport, Channel channel, NvmeTcpSettings settings,
                                 ReceivedPdus<NvmeTcpPdu> received, TrafficCounters traffic) {
        this.transport = transport;
        this.channel = channel;
        this.settings = settings;
        this.received = received;
        this.traffic = traffic;
    }

    /** Opens the TCP connection; nothing is sent yet. */
    public static RawNvmeTcpConnection open(InetSocketAddress address, Duration timeout) {
        Transport transport = new Transport("nvme-tcp-host", 1);
        NvmeTcpSettings settings = new NvmeTcpSettings(false, NvmeTcpQueue.MAX_RECEIVE_DATA, 0);
        ReceivedPdus<NvmeTcpPdu> received = new ReceivedPdus<>(NvmeTcpPdu.class);
        TrafficCounters traffic = new TrafficCounters();
        NvmeTcpPduEncoder encoder = new NvmeTcpPduEncoder(settings);
        ChannelFuture connect = transport.bootstrap(timeout)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new TrafficMeter(traffic), new NvmeTcpPduDecoder(settings), encoder,
                                // ICResp's digests and CPDA apply before the next PDU decodes, as a host applies them.
                                received.collector(pdu -> {
                                    if (pdu instanceof NvmeTcpPdu.IcResp r) {
                                        settings.negotiated(r.headerDigest(), r.dataDigest(), r.cpda());
                                    }
                                }));
                    }
                })
                .connect(address);
        if (!connect.awaitUninterruptibly(timeout.toMillis() + 1000) || !connect.isSuccess()) {
            connect.channel().close();
            transport.close();
            throw new NvmeTransportException("cannot connect to " + address
                    + (connect.cause() != null ? ": " + connect.cause() : ": timed out"), connect.cause());
        }
        return new RawNvmeTcpConnection(transport, connect.channel(), settings, received, traffic);
    }

    /** Sends a PDU, encoded with the settings in force (the PDU and its data are taken). */
    public void send(NvmeTcpPdu pdu) {
        await(channel.writeAndFlush(pdu), "send " + pdu.type());
    }

    /** Sends bytes exactly as given (taken): truncated PDUs, bad digests, wrong lengths, anything. */
    public void send(ByteBuf bytes) {
        await(channel.writeAndFlush(bytes), "send raw bytes");
    }

    /** A PDU's bytes as the connection would send them now, to corrupt before {@link #send(ByteBuf)}. */
    public ByteBuf encode(NvmeTcpPdu pdu) {
        try {
            return NvmeTcpPduEncoder.encode(channel.alloc(), pdu, settings);
        } finally {
            ReferenceCountUtil.release(pdu);
        }
    }

    /** Everything decoded from the controller, in order. */
    public BlockingQueue<NvmeTcpPdu> received() {
        return received.queue();
    }

    /** The next received PDU, or null when none arrives in time. */
    public NvmeTcpPdu poll(Duration timeout) {
        return received.poll(timeout);
    }

    /** The next received PDU, which must be of {@code type}; anything else (or nothing) throws. */
    public <T extends NvmeTcpPdu> T expect(Class<T> type, Duration timeout) {
        return received.expect(type, timeout);
    }

    /** Sends ICReq (PFV 0, HPDA 0, MAXR2T 0) and waits for the ICResp, whose settings then apply. */
    public NvmeTcpPdu.IcResp initialize(boolean headerDigest, boolean dataDigest, Duration timeout) {
        send(new NvmeTcpPdu.IcReq(0, 0, headerDigest, dataDigest, 0));
        return expect(NvmeTcpPdu.IcResp.class, timeout);
    }

    /**
     * Sends Fabrics Connect (CID 0, data in-capsule) and returns the CapsuleResp's CQE. With
     * {@code cntlid} FFFFh on QID 0 this is an admin queue; with a live controller's ID and a QID above 0,
     * an I/O queue of that controller, ready for hand-made commands.
     */
    public CompletionQueueEntry connect(int qid, int queueSize, int cntlid, HostOptions identity, Duration timeout) {
        ConnectData data = new ConnectData(identity.hostId(), cntlid, identity.subsystemNqn(), identity.hostNqn());
        ByteBuf buf = channel.alloc().buffer(ConnectData.SIZE);
        data.encode(buf);
        send(new NvmeTcpPdu.CapsuleCmd(new ConnectCommand(0, qid, queueSize - 1, 0, 0).toSqe(0), buf, true));
        return expect(NvmeTcpPdu.CapsuleResp.class, timeout).cqe();
    }

    /** Applies digests and the controller's CPDA now, on the event loop, before any later PDU. */
    public void negotiate(boolean headerDigest, boolean dataDigest, int cpda) {
        try {
            channel.eventLoop().submit(() -> settings.negotiated(headerDigest, dataDigest, cpda))
                    .get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new NvmeTransportException("cannot apply settings", e);
        }
    }

    /** True once the controller closed the connection (not when this side did). */
    public boolean isPeerClosed() {
        return received.isPeerClosed();
    }

    /** Waits for the controller to close the connection; false when it is still open after {@code timeout}. */
    public boolean awaitPeerClose(Duration timeout) {
        return received.awaitPeerClose(timeout);
    }

    public TrafficCounters traffic() {
        return traffic;
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
            throw new NvmeTransportException(what + " timed out");
        }
        if (!f.isSuccess()) {
            throw new NvmeTransportException(what + " failed: " + f.cause(), f.cause());
        }
    }
}
