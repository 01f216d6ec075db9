package org.copyoffload.protocol.nvme.tls;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsProtocol;
import org.bouncycastle.tls.TlsServerProtocol;

/**
 * TLS 1.3 between the socket and the NVMe/TCP PDU codec (NVMe/TCP Transport 1.1, 3.6.1.4: the handshake comes before
 * ICReq, then every PDU travels in TLS records): Bouncy Castle's TLS protocol in non-blocking mode. Inbound it takes
 * TLS records and passes on the plaintext; outbound it takes {@link ByteBuf}s (never file regions: the plaintext has
 * to pass through here) and writes TLS records, holding writes that come before the handshake finished. Closing sends
 * close_notify; a close_notify received closes the connection. {@link #handshakeFuture()} completes with the peer's
 * result or fails with the handshake's error, after which the connection is closed.
 */
public final class TlsPskHandler extends ChannelDuplexHandler {
    private record PendingWrite(ByteBuf data, ChannelPromise promise) {
    }

    private final TlsProtocol protocol;
    private final NvmeTlsServer server;
    private final NvmeTlsClient client;
    private final TlsPeerResult peer;
    private final ArrayDeque<PendingWrite> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Promise<TlsPeerResult> handshake;
    private boolean started;
    private boolean established;
    private boolean failed;

    private TlsPskHandler(TlsProtocol protocol, NvmeTlsServer server, NvmeTlsClient client) {
        this.protocol = protocol;
        this.server = server;
        this.client = client;
        this.peer = server != null ? server : client;
    }

    public static TlsPskHandler server(NvmeTlsServer server) {
        return new TlsPskHandler(new TlsServerProtocol(), server, null);
    }

    public static TlsPskHandler client(NvmeTlsClient client) {
        return new TlsPskHandler(new TlsClientProtocol(), null, client);
    }

    /** Completes when the handshake has finished (the peer's result) or failed. */
    public Future<TlsPeerResult> handshakeFuture() {
        return handshake;
    }

    /** The negotiated identity and suite; null values before the handshake finished. */
    public TlsPeerResult result() {
        return peer;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        this.handshake = ctx.executor().newPromise();
        if (ctx.channel().isActive()) {
            start();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    private void start() {
        if (started) {
            return;
        }
        started = true;
        try {
            if (server != null) {
                ((TlsServerProtocol) protocol).accept(server);
            } else {
                ((TlsClientProtocol) protocol).connect(client);
            }
            sendOutput(true);
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        byte[] bytes;
        try {
            bytes = new byte[in.readableBytes()];
            in.readBytes(bytes);
        } finally {
            in.release();
        }
        if (failed) {
            return;
        }
        try {
            protocol.offerInput(bytes);
        } catch (IOException | RuntimeException e) {
            fail(e);
            return;
        }
        sendOutput(true);
        if (!established && !protocol.isHandshaking() && peer.cipherSuite() != null) {
            established = true;
            handshake.trySuccess(peer);
            flushPending();
        }
        int available = protocol.getAvailableInputBytes();
        if (available > 0) {
            byte[] plain = new byte[available];
            protocol.readInput(plain, 0, available);
            ctx.fireChannelRead(Unpooled.wrappedBuffer(plain));
        }
        if (protocol.isClosed() && ctx.channel().isActive()) {
            // The peer sent close_notify (Bouncy Castle answered it above): the connection is over.
            ctx.close();
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf data)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalArgumentException("a TLS connection sends buffers only, not "
                    + msg.getClass().getSimpleName()));
            return;
        }
        if (failed || protocol.isClosed()) {
            data.release();
            promise.setFailure(new ClosedChannelException());
        } else if (!established) {
            pending.add(new PendingWrite(data, promise));
        } else {
            encrypt(data, promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (established) {
            ctx.flush();
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (established && !protocol.isClosed() && ctx.channel().isActive()) {
            try {
                protocol.close();
                sendOutput(true);
            } catch (IOException e) {
                // Closing anyway: close_notify is a courtesy here.
            }
        }
        failPending(new ClosedChannelException());
        ctx.close(promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        failPending(new ClosedChannelException());
        handshake.tryFailure(new ClosedChannelException());
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failPending(new ClosedChannelException());
    }

    private void encrypt(ByteBuf data, ChannelPromise promise) {
        try {
            byte[] plain = new byte[data.readableBytes()];
            data.readBytes(plain);
            protocol.writeApplicationData(plain, 0, plain.length);
        } catch (IOException | RuntimeException e) {
            promise.setFailure(e);
            fail(e);
            return;
        } finally {
            data.release();
        }
        ByteBuf out = output();
        if (out != null) {
            ctx.write(out, promise);
        } else {
            promise.setSuccess();
        }
    }

    private void flushPending() {
        PendingWrite w;
        while ((w = pending.poll()) != null) {
            encrypt(w.data(), w.promise());
        }
        ctx.flush();
    }

    private void failPending(Throwable cause) {
        PendingWrite w;
        while ((w = pending.poll()) != null) {
            w.data().release();
            w.promise().tryFailure(cause);
        }
    }

    /** Writes what the protocol has to send (handshake messages, alerts, close_notify) and flushes it. */
    private void sendOutput(boolean flush) {
        ByteBuf out = output();
        if (out != null) {
            ctx.write(out, ctx.voidPromise());
            if (flush) {
                ctx.flush();
            }
        }
    }

    private ByteBuf output() {
        int n = protocol.getAvailableOutputBytes();
        if (n == 0) {
            return null;
        }
        ByteBuf out = ctx.alloc().buffer(n);
        out.writeBytes(protocolOutput(n));
        return out;
    }

    private byte[] protocolOutput(int n) {
        byte[] b = new byte[n];
        protocol.readOutput(b, 0, n);
        return b;
    }

    /** The handshake or a record failed: send the alert Bouncy Castle made, then close. */
    private void fail(Throwable cause) {
        if (failed) {
            return;
        }
        failed = true;
        sendOutput(true);
        failPending(cause);
        if (!handshake.tryFailure(cause)) {
            ctx.fireExceptionCaught(cause);
        }
        ctx.close();
    }
}
