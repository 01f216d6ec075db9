package org.copyoffload.server.nvme.tcp;

import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.copyoffload.protocol.nvme.tls.TlsPskKeys;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.net.ConnectionGate;
import org.copyoffload.server.net.TcpListeners;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.nvme.TargetSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The NVMe/TCP listeners: one per configured address, each connection an {@link NvmeTcpQueueHandler}. */
public final class NvmeTcpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NvmeTcpServer.class);

    private final NvmeTarget target;
    private final NvmeTcpMetrics metrics;
    private final TcpListeners listeners;

    public NvmeTcpServer(NvmeTarget target, NvmeTcpMetrics metrics, int workerThreads, ConnectionGate gate) {
        this.target = target;
        this.metrics = metrics;
        this.listeners = new TcpListeners(workerThreads, gate);
        log.debug("NVMe/TCP transport: {}", listeners.epoll() ? "epoll" : "NIO");
    }

    /** Binds one listener without TLS; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress bind(String address, int port) throws InterruptedException {
        return bind(address, port, ServerConfig.TlsMode.NONE, null);
    }

    /**
     * Binds one listener; with TLS optional or required, a {@link TlsStartGate} first in each pipeline starts TLS with
     * {@code keys} when the host does (NVMe/TCP Transport 1.1, 3.6.1.4: before ICReq).
     */
    public InetSocketAddress bind(String address, int port, ServerConfig.TlsMode tls, TlsPskKeys keys)
            throws InterruptedException {
        TargetSettings t = target.settings();
        InetSocketAddress bound = listeners.bind(address, port, ch -> {
            if (tls != ServerConfig.TlsMode.NONE) {
                ch.pipeline().addLast("tls-gate", new TlsStartGate(tls == ServerConfig.TlsMode.REQUIRED, keys, metrics));
            }
            // Before Connect only ICReq and a Connect capsule with its 1 KiB of data may arrive.
            NvmeTcpSettings settings = new NvmeTcpSettings(true, t.maxH2cData(), TargetSettings.ADMIN_IN_CAPSULE_DATA);
            settings.listener(metrics.forConnection(ch));
            ch.pipeline()
                    .addLast("flush", new FlushConsolidationHandler(256, true))
                    // Behind TLS the decoder's missing bytes are not the socket's: no watermark there.
                    .addLast("decoder", new NvmeTcpPduDecoder(settings,
                            tls == ServerConfig.TlsMode.NONE ? listeners.receiveWatermark() : ReceiveWatermark.NONE))
                    .addLast("encoder", new NvmeTcpPduEncoder(settings))
                    .addLast("queue", new NvmeTcpQueueHandler(target, settings, metrics));
        });
        log.info("NVMe/TCP listening on {}:{}{}", bound.getAddress().getHostAddress(), bound.getPort(),
                tls == ServerConfig.TlsMode.NONE ? "" : " (TLS " + tls.name().toLowerCase(java.util.Locale.ROOT) + ")");
        return bound;
    }

    @Override
    public void close() {
        listeners.close();
    }
}
