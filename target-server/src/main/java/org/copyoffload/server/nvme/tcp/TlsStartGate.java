package org.copyoffload.server.nvme.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.copyoffload.protocol.nvme.tls.NvmeTlsServer;
import org.copyoffload.protocol.nvme.tls.PskIdentity;
import org.copyoffload.protocol.nvme.tls.TlsPeerResult;
import org.copyoffload.protocol.nvme.tls.TlsPskHandler;
import org.copyoffload.protocol.nvme.tls.TlsPskKeys;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in the pipeline of a TLS listener: the first byte a host sends tells a TLS handshake record (16h, RFC 8446,
 * 5.1) from an ICReq (PDU type 0). TLS puts a {@link TlsPskHandler} in its place; ICReq goes on as plain NVMe/TCP on
 * an optional listener and is refused (the connection closed, as nvmet does) on a required one.
 */
final class TlsStartGate extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsStartGate.class);
    private static final RateLimitedWarnings PLAINTEXT = RateLimitedWarnings.of(log,
            "plaintext NVMe/TCP connections refused by TLS-required listeners");
    private static final RateLimitedWarnings FAILED = RateLimitedWarnings.of(log, "failed NVMe/TCP TLS handshakes");
    private static final int TLS_HANDSHAKE_RECORD = 0x16;

    private final boolean required;
    private final TlsPskKeys keys;
    private final NvmeTcpMetrics metrics;

    TlsStartGate(boolean required, TlsPskKeys keys, NvmeTcpMetrics metrics) {
        this.required = required;
        this.keys = keys;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || !in.isReadable()) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (in.getUnsignedByte(in.readerIndex()) == TLS_HANDSHAKE_RECORD) {
            NvmeTlsServer server = new NvmeTlsServer(keys);
            TlsPskHandler tls = TlsPskHandler.server(server);
            ctx.pipeline().replace(this, "tls", tls);
            tls.handshakeFuture().addListener(f -> handshakeDone(ctx, f.isSuccess() ? (TlsPeerResult) f.getNow() : null,
                    f.cause()));
            // The replaced context forwards to the TLS handler in its place.
            ctx.fireChannelRead(in);
        } else if (required) {
            ReferenceCountUtil.release(msg);
            metrics.tlsHandshake("plaintext_refused", "none");
            PLAINTEXT.warn("refusing a plaintext NVMe/TCP connection from {}: this listener requires TLS",
                    ctx.channel().remoteAddress());
            ctx.close();
        } else {
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(in);
        }
    }

    private void handshakeDone(ChannelHandlerContext ctx, TlsPeerResult result, Throwable cause) {
        if (result != null) {
            metrics.tlsHandshake("success", result.cipherSuite());
            PskIdentity id = result.identity();
            log.info("TLS from {}: {} with PSK identity {}", ctx.channel().remoteAddress(), result.cipherSuite(), id);
        } else if (!(cause instanceof java.nio.channels.ClosedChannelException)) {
            metrics.tlsHandshake("failure", "none");
            FAILED.warn("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
    }
}
