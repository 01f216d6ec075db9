package org.copyoffload.server.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigException;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.config.NvmeVersion;
import org.copyoffload.server.config.ServerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code copyoffload serve}: runs the target until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serves NVMe/TCP and iSCSI from file-backed volumes.",
                "Without --config it runs the embedded default: data in ./data, NVMe/TCP on 127.0.0.1:4420 with the "
                        + "discovery subsystem and nqn.2026-01.org.copyoffload:default, iSCSI on 127.0.0.1:3260 with "
                        + "iqn.2026-01.org.copyoffload:default, metrics on 127.0.0.1:9464."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (default: the embedded default).")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder for volume files (default: data, or data-dir of the config).")
    Path dataDir;

    @Option(names = "--listen", paramLabel = "ADDRESS:PORT",
            description = "NVMe/TCP listener, replacing the configured ones (default: 127.0.0.1:4420).")
    String listen;

    @Option(names = "--advertise-address", paramLabel = "ADDRESS",
            description = "Address NVMe discovery and iSCSI SendTargets report for the listeners (default: the listen address).")
    String advertiseAddress;

    @Option(names = "--advertise-port", paramLabel = "PORT",
            description = "NVMe/TCP port discovery reports, when a forwarder (a container's port mapping) moves it (default: the bound port).")
    Integer advertisePort;

    @Option(names = "--advertise-iscsi-port", paramLabel = "PORT",
            description = "iSCSI port SendTargets reports, when a forwarder moves it (default: the bound port).")
    Integer advertiseIscsiPort;

    @Option(names = "--iscsi-listen", paramLabel = "ADDRESS:PORT",
            description = "iSCSI portal, replacing the configured ones (default: 127.0.0.1:3260).")
    String iscsiListen;

    @Option(names = "--no-iscsi", description = "Do not serve iSCSI.")
    boolean noIscsi;

    @Option(names = "--metrics", paramLabel = "ADDRESS:PORT", description = "Prometheus endpoint (default: 127.0.0.1:9464).")
    String metrics;

    @Option(names = "--no-metrics", description = "Do not serve /metrics.")
    boolean noMetrics;

    @Option(names = "--nvme-version", paramLabel = "1.4|2.0|2.1",
            description = "NVMe version advertised by subsystems without their own nvme-version (default: 2.1).")
    String nvmeVersion;

    @Override
    public Integer call() throws Exception {
        ServerConfig cfg;
        try {
            cfg = applyOverrides(config == null ? ConfigLoader.loadDefault() : ConfigLoader.load(config));
        } catch (ConfigException e) {
            System.err.println("copyoffload: bad configuration: " + e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (CopyoffloadServer server = CopyoffloadServer.start(cfg)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "shutdown"));
            stop.await();
        } catch (ConfigException e) {
            System.err.println("copyoffload: " + e.getMessage());
            return 2;
        } catch (java.net.BindException e) {
            System.err.println("copyoffload: cannot listen: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private ServerConfig applyOverrides(ServerConfig c) {
        Path data = c.dataDir();
        List<ServerConfig.Volume> volumes = c.volumes();
        if (dataDir != null) {
            Path oldDir = c.dataDir();
            data = dataDir.toAbsolutePath().normalize();
            Path newDir = data;
            volumes = volumes.stream().map(v -> new ServerConfig.Volume(v.name(),
                    v.file().startsWith(oldDir) ? newDir.resolve(oldDir.relativize(v.file())) : v.file(),
                    v.size(), v.blockSize(), v.zoned())).toList();
        }
        List<ServerConfig.Listener> listeners = c.listeners();
        if (listen != null) {
            HostPort hp = HostPort.parse("--listen", listen);
            listeners = List.of(new ServerConfig.Listener(hp.host(), hp.port(), hp.host()));
        }
        if (advertiseAddress != null) {
            listeners = listeners.stream().map(l -> new ServerConfig.Listener(l.address(), l.port(), advertiseAddress,
                    l.advertisePort())).toList();
        }
        if (advertisePort != null) {
            int port = checkPort("--advertise-port", advertisePort);
            listeners = listeners.stream().map(l -> new ServerConfig.Listener(l.address(), l.port(), l.advertiseAddress(),
                    port)).toList();
        }
        ServerConfig.Metrics m = c.metrics();
        if (metrics != null) {
            HostPort hp = HostPort.parse("--metrics", metrics);
            m = new ServerConfig.Metrics(true, hp.host(), hp.port());
        }
        if (noMetrics) {
            m = new ServerConfig.Metrics(false, m.address(), m.port());
        }
        ServerConfig.Nvme n = c.nvme();
        if (nvmeVersion != null) {
            NvmeVersion v;
            try {
                v = NvmeVersion.parse(nvmeVersion);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("--nvme-version", e.getMessage());
            }
            n = n.withVersion(v);
        }
        ServerConfig.Iscsi iscsi = c.iscsi();
        List<ServerConfig.IscsiPortal> portals = iscsi.portals();
        if (iscsiListen != null) {
            HostPort hp = HostPort.parse("--iscsi-listen", iscsiListen);
            int tpgt = portals.isEmpty() ? 1 : portals.get(0).portalGroupTag();
            portals = List.of(new ServerConfig.IscsiPortal(hp.host(), hp.port(), hp.host(), tpgt));
        }
        if (advertiseAddress != null) {
            portals = portals.stream().map(p -> new ServerConfig.IscsiPortal(p.address(), p.port(), advertiseAddress,
                    p.advertisePort(), p.portalGroupTag())).toList();
        }
        if (advertiseIscsiPort != null) {
            int port = checkPort("--advertise-iscsi-port", advertiseIscsiPort);
            portals = portals.stream().map(p -> new ServerConfig.IscsiPortal(p.address(), p.port(), p.advertiseAddress(),
                    port, p.portalGroupTag())).toList();
        }
        if (noIscsi) {
            portals = List.of();
        }
        if (!portals.isEmpty() && iscsi.targets().isEmpty()) {
            throw new ConfigException("--iscsi-listen", "the configuration has no iSCSI targets to serve");
        }
        iscsi = new ServerConfig.Iscsi(portals, iscsi.limits(), iscsi.discoveryChap(), iscsi.targets());
        return new ServerConfig(data, listeners, m, n, volumes, c.subsystems(), iscsi, c.limits());
    }

    private static int checkPort(String option, int port) {
        if (port < 1 || port > 65535) {
            throw new ConfigException(option, port + " is not a port (1-65535)");
        }
        return port;
    }

    record HostPort(String host, int port) {
        static HostPort parse(String option, String text) {
            int colon = text.lastIndexOf(':');
            try {
                if (colon <= 0) {
                    throw new NumberFormatException();
                }
                int port = Integer.parseInt(text.substring(colon + 1));
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return new HostPort(text.substring(0, colon).replace("[", "").replace("]", ""), port);
            } catch (NumberFormatException e) {
                throw new ConfigException(option, "'" + text + "' is not ADDRESS:PORT");
            }
        }
    }
}
