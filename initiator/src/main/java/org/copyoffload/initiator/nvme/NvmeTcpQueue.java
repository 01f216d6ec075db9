package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.copyoffload.protocol.nvme.tls.TlsPskHandler;

/**
 * One queue of a host: its own TCP connection, initialized (ICReq/ICResp) and then connected to a
 * controller with the Fabrics Connect command.
 */
final class NvmeTcpQueue {
    /** In-capsule data on the admin queue, whatever IOCCSZ says: 8 KiB, as Linux's NVME_TCP_ADMIN_CCSZ. */
    static final int ADMIN_IN_CAPSULE = 8192;
    /** The largest C2HData payload accepted: far above any transfer this host asks for in one command. */
    static final int MAX_RECEIVE_DATA = 64 << 20;
    /** Connect response dword 0 bit 17, ATR: authentication (DH-HMAC-CHAP) is required before other commands. */
    static final int CONNECT_AUTHREQ_ATR = 1 << 17;

    private final int qid;
    private final int size;
    private final Channel channel;
    private final QueueHandler handler;
    private final TrafficCounters traffic;
    private final NvmeTcpPdu.IcResp icResp;

    private NvmeTcpQueue(int qid, int size, Channel channel, QueueHandler handler, TrafficCounters traffic,
                         NvmeTcpPdu.IcResp icResp) {
        this.qid = qid;
        this.size = size;
        this.channel = channel;
        this.handler = handler;
        this.traffic = traffic;
        this.icResp = icResp;
    }

    /** Connects the socket and exchanges ICReq/ICResp; the queue is then ready for the Connect command. */
    static NvmeTcpQueue open(Transport transport, HostOptions options, int qid, int queueSize, int inCapsuleLimit,
                             TrafficCounters traffic) {
        NvmeTcpSettings settings = new NvmeTcpSettings(false, MAX_RECEIVE_DATA, 0);
        NvmeTcpPduEncoder encoder = new NvmeTcpPduEncoder(settings);
        QueueHandler handler = new QueueHandler(qid, settings, options.headerDigest(), options.dataDigest(),
                queueSize, inCapsuleLimit);
        TlsPskHandler tls = options.tls() == null ? null
                : TlsPskHandler.client(options.tls().client(options.hostNqn(), options.subsystemNqn()));
        ChannelFuture connect = transport.bootstrap(options.connectTimeout())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            // TLS before ICReq (NVMe/TCP Transport 1.1, 3.6.1.4); the meter counts the PDUs inside.
                            ch.pipeline().addLast("tls", tls);
                        }
                        ch.pipeline().addLast("traffic", new TrafficMeter(traffic))
                                .addLast("decoder", new NvmeTcpPduDecoder(settings,
                                        tls == null ? transport.receiveWatermark() : ReceiveWatermark.NONE))
                                .addLast("encoder", encoder)
                                .addLast("queue", handler);
                    }
                })
                .connect(options.address());
        Duration timeout = options.connectTimeout();
        if (!connect.awaitUninterruptibly(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
            connect.channel().close();
            throw new NvmeTransportException("queue " + qid + ": connect to " + options.address() + " timed out");
        }
        if (!connect.isSuccess()) {
            throw new NvmeTransportException("queue " + qid + ": cannot connect to " + options.address() + ": "
                    + connect.cause(), connect.cause());
        }
        Channel channel = connect.channel();
        try {
            if (tls != null) {
                if (!tls.handshakeFuture().awaitUninterruptibly(timeout.toMillis())) {
                    throw new NvmeTransportException("queue " + qid + ": TLS handshake with " + options.address()
                            + " timed out");
                }
                if (!tls.handshakeFuture().isSuccess()) {
                    throw new NvmeTransportException("queue " + qid + ": TLS handshake with " + options.address()
                            + " failed: " + tls.handshakeFuture().cause(), tls.handshakeFuture().cause());
                }
            }
            NvmeTcpPdu.IcResp resp = Futures.await(handler.initialized(), timeout, "queue " + qid + " ICReq/ICResp");
            return new NvmeTcpQueue(qid, queueSize, channel, handler, traffic, resp);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Sends Fabrics Connect (NVMe-oF 1.1, 3.3) with the Connect data in the capsule and returns the
     * controller ID from the response.
     *
     * @param cntlid FFFFh on the admin queue for a dynamic controller, then the ID it returned
     * @param kato   keep alive timeout in ms: only meaningful on the admin queue
     */
    int connect(HostOptions options, int cntlid, int kato, Duration timeout) {
        ConnectCommand command = new ConnectCommand(0, qid, size - 1, 0, kato);
        ConnectData data = new ConnectData(options.hostId(), cntlid, options.subsystemNqn(), options.hostNqn());
        ByteBuf buf = channel.alloc().buffer(ConnectData.SIZE);
        data.encode(buf);
        int dw0;
        try (Completion c = Futures.await(submit(command.toSqe(0), buf, 0), timeout, "queue " + qid + " Connect")) {
            if (!c.isSuccess()) {
                // For Connect Invalid Parameters, dw0 holds IATTR (bit 16) and IPO (bits 15:0).
                throw new NvmeStatusException("Connect (QID " + qid + ", subnqn " + options.subsystemNqn() + ")", c.cqe());
            }
            dw0 = c.dw0();
        }
        if ((dw0 & CONNECT_AUTHREQ_ATR) != 0) {
            if (options.dhchap() == null) {
                throw new DhchapFailureException("queue " + qid + ": the controller requires DH-HMAC-CHAP and no "
                        + "secret was given", 0, true);
            }
            authenticate(options, timeout);
        }
        return dw0 & 0xFFFF;
    }

    /** One DH-HMAC-CHAP transaction on this queue (after Connect, or again to re-authenticate). */
    void authenticate(HostOptions options, Duration timeout) {
        new HostAuthentication(this, options.dhchap(), options.hostNqn(), options.subsystemNqn(), timeout).run();
    }

    CompletableFuture<Completion> submit(SubmissionQueueEntry sqe, ByteBuf dataOut, int dataInLength) {
        return handler.submit(sqe, dataOut, dataInLength);
    }

    int qid() {
        return qid;
    }

    /** Entries of the submission queue, as sent in Connect (1's based). */
    int size() {
        return size;
    }

    int depth() {
        return handler.depth();
    }

    TrafficCounters traffic() {
        return traffic;
    }

    NvmeTcpPdu.IcResp icResp() {
        return icResp;
    }

    Channel channel() {
        return channel;
    }

    boolean isOpen() {
        return channel.isActive() && handler.failure() == null;
    }

    /** Closes the connection, failing what is still pending; waits a bounded time for the socket to close. */
    void close(Duration timeout) {
        handler.closeByHost();
        channel.close();
        channel.closeFuture().awaitUninterruptibly(timeout.toMillis());
    }
}
