package org.copyoffload.server.iscsi;

import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.copyoffload.server.net.ConnectionGate;
import org.copyoffload.server.net.TcpListeners;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The iSCSI portals: one listener per configured address, each connection an {@link IscsiConnection}. */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    private final IscsiTargetService service;
    private final TcpListeners listeners;

    public IscsiServer(IscsiTargetService service, int workerThreads, ConnectionGate gate) {
        this.service = service;
        this.listeners = new TcpListeners(workerThreads, gate);
    }

    /** Binds one portal; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress bind(String address, int port, int portalGroupTag) throws InterruptedException {
        InetSocketAddress bound = listeners.bind(address, port, ch -> {
            // Until login ends: no digests, 8 KiB data segments (RFC 7143, 13.12 default).
            IscsiCodecSettings codec = new IscsiCodecSettings(true);
            ch.pipeline()
                    .addLast("flush", new FlushConsolidationHandler(256, true))
                    .addLast("decoder", new IscsiPduDecoder(codec, listeners.receiveWatermark()))
                    .addLast("encoder", new IscsiPduEncoder(codec))
                    .addLast("connection", new IscsiConnection(service, codec, portalGroupTag));
        });
        log.info("iSCSI listening on {}:{} (portal group {})", bound.getAddress().getHostAddress(), bound.getPort(),
                portalGroupTag);
        return bound;
    }

    @Override
    public void close() {
        listeners.close();
    }
}
