package org.copyoffload.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.copyoffload.backends.store.BlockStore;
import io.micrometer.core.instrument.Gauge;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.iscsi.IscsiMetrics;
import org.copyoffload.server.iscsi.IscsiServer;
import org.copyoffload.server.iscsi.IscsiTargetService;
import org.copyoffload.server.metrics.CommandMetrics;
import org.copyoffload.server.metrics.MetricsEndpoint;
import org.copyoffload.server.net.ConnectionGate;
import org.copyoffload.protocol.nvme.tls.TlsPskKeys;
import org.copyoffload.server.nvme.AdvertisedListener;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.nvme.tcp.NvmeTcpMetrics;
import org.copyoffload.server.nvme.tcp.NvmeTcpServer;
import org.copyoffload.server.volume.VolumeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running server: volumes, the NVMe target, its NVMe/TCP listeners and the metrics endpoint. */
public final class CopyoffloadServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CopyoffloadServer.class);

    private final VolumeSet volumes;
    private final NvmeTarget target;
    private final NvmeTcpServer tcp;
    private final MetricsEndpoint metricsEndpoint;
    private final PrometheusMeterRegistry registry;
    private final List<InetSocketAddress> nvmeAddresses;
    private final IscsiTargetService iscsi;
    private final IscsiServer iscsiServer;
    private final List<InetSocketAddress> iscsiAddresses;

    private CopyoffloadServer(VolumeSet volumes, NvmeTarget target, NvmeTcpServer tcp, MetricsEndpoint metricsEndpoint,
                              PrometheusMeterRegistry registry, List<InetSocketAddress> nvmeAddresses,
                              IscsiTargetService iscsi, IscsiServer iscsiServer, List<InetSocketAddress> iscsiAddresses) {
        this.volumes = volumes;
        this.target = target;
        this.tcp = tcp;
        this.metricsEndpoint = metricsEndpoint;
        this.registry = registry;
        this.nvmeAddresses = List.copyOf(nvmeAddresses);
        this.iscsi = iscsi;
        this.iscsiServer = iscsiServer;
        this.iscsiAddresses = List.copyOf(iscsiAddresses);
    }

    /**
     * Starts everything the configuration describes. A listener port of 0 binds a free port; discovery then
     * advertises the port actually bound.
     */
    /** The connection bounds of one transport, and their refusals as {@code copyoffload_connections_refused_total}. */
    private static ConnectionGate gate(ServerConfig config, PrometheusMeterRegistry registry, String transport) {
        ConnectionGate gate = new ConnectionGate(config.limits().connections(), config.limits().connectionsPerHost());
        io.micrometer.core.instrument.FunctionCounter.builder("copyoffload.connections.refused", gate,
                        ConnectionGate::refused).tag("transport", transport)
                .description("connections closed on accept: over limits.connections or limits.connections-per-host")
                .register(registry);
        return gate;
    }

    public static CopyoffloadServer start(ServerConfig config) throws IOException, InterruptedException {
        return start(config, UnaryOperator.identity());
    }

    /** As {@link #start(ServerConfig)}, with every volume's store passed through {@code wrap} (fault injection). */
    public static CopyoffloadServer start(ServerConfig config, UnaryOperator<BlockStore> wrap)
            throws IOException, InterruptedException {
        VolumeSet volumes = VolumeSet.open(config, wrap);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NvmeTarget target = null;
        NvmeTcpServer tcp = null;
        MetricsEndpoint endpoint = null;
        IscsiTargetService iscsi = null;
        IscsiServer iscsiServer = null;
        try {
            NvmeTcpMetrics tcpMetrics = new NvmeTcpMetrics(registry);
            target = NvmeTarget.fromConfig(config, volumes);
            target.observer(new CommandMetrics(registry));
            List<AdvertisedListener> advertised = new ArrayList<>();
            List<InetSocketAddress> bound = new ArrayList<>();
            ConnectionGate nvmeGate = gate(config, registry, "nvme-tcp");
            tcp = new NvmeTcpServer(target, tcpMetrics, config.nvme().eventLoops(), nvmeGate);
            Gauge.builder("copyoffload.nvme.tcp.write.data.buffered", target.writeData(),
                            org.copyoffload.server.memory.DataBudget::used)
                    .baseUnit("bytes")
                    .description("solicited write data held in the target (bounded by nvme.max-write-data)")
                    .register(registry);
            int portId = 1;
            for (ServerConfig.Listener l : config.listeners()) {
                TlsPskKeys keys = new TlsPskKeys(l.tlsKeys().stream().map(k -> new TlsPskKeys.Entry(k.host(),
                        k.subsystem(), k.key(), k.derivation())).toList());
                InetSocketAddress addr = tcp.bind(l.address(), l.port(), l.tls(), keys);
                bound.add(addr);
                boolean v6 = InetAddress.getByName(l.advertiseAddress()) instanceof Inet6Address;
                int port = l.advertisePort() != 0 ? l.advertisePort() : addr.getPort();
                advertised.add(new AdvertisedListener(portId++, l.advertiseAddress(), port, v6,
                        l.tls() != ServerConfig.TlsMode.NONE, l.tls() == ServerConfig.TlsMode.REQUIRED));
            }
            // Discovery names the ports actually bound (a configured port 0 picks a free one).
            target.advertise(advertised);
            List<InetSocketAddress> iscsiBound = new ArrayList<>();
            if (!config.iscsi().portals().isEmpty()) {
                iscsi = new IscsiTargetService(config.iscsi(), volumes, new IscsiMetrics(registry),
                        config.dataDir());
                Gauge.builder("copyoffload.iscsi.write.data.buffered", iscsi, IscsiTargetService::writeDataBuffered)
                        .baseUnit("bytes").description("solicited write data held (bounded by iscsi.max-write-data)")
                        .register(registry);
                iscsiServer = new IscsiServer(iscsi, config.nvme().eventLoops(), gate(config, registry, "iscsi"));
                List<IscsiTargetService.AdvertisedPortal> portals = new ArrayList<>();
                for (ServerConfig.IscsiPortal p : config.iscsi().portals()) {
                    InetSocketAddress addr = iscsiServer.bind(p.address(), p.port(), p.portalGroupTag());
                    iscsiBound.add(addr);
                    portals.add(new IscsiTargetService.AdvertisedPortal(p.advertiseAddress(),
                            p.advertisePort() != 0 ? p.advertisePort() : addr.getPort(), p.portalGroupTag()));
                }
                iscsi.advertise(portals);
            }
            if (config.metrics().enabled()) {
                endpoint = new MetricsEndpoint(registry, config.metrics().address(), config.metrics().port());
            }
            log.info("serving {} subsystem(s) from {}", target.subsystems().size(), config.dataDir());
            return new CopyoffloadServer(volumes, target, tcp, endpoint, registry, bound, iscsi, iscsiServer, iscsiBound);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (iscsiServer != null) {
                iscsiServer.close();
            }
            if (iscsi != null) {
                iscsi.close();
            }
            if (tcp != null) {
                tcp.close();
            }
            if (target != null) {
                target.close();
            }
            volumes.close();
            throw e;
        }
    }

    public NvmeTarget target() {
        return target;
    }

    public List<InetSocketAddress> nvmeAddresses() {
        return nvmeAddresses;
    }

    /** The iSCSI portals bound, in configuration order; empty without iSCSI. */
    public List<InetSocketAddress> iscsiAddresses() {
        return iscsiAddresses;
    }

    public int metricsPort() {
        return metricsEndpoint == null ? -1 : metricsEndpoint.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        if (iscsiServer != null) {
            iscsiServer.close();
            iscsi.close();
        }
        tcp.close();
        target.close();
        volumes.close();
        log.info("stopped");
    }
}
