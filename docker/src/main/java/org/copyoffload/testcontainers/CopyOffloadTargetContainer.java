package org.copyoffload.testcontainers;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The copyoffload target (NVMe/TCP and iSCSI with copy offload) in a container, for JUnit tests:
 *
 * <pre>{@code
 * try (var target = new CopyOffloadTargetContainer("localhost/copyoffload-target:latest")) {
 *     target.start();
 *     var host = NvmeTcpHost.connect(HostOptions.builder(target.getNvmeAddress(), target.getNqn()).build());
 * }
 * }</pre>
 *
 * <p>Without configuration it runs the image's embedded default ({@link #DEFAULT_NQN} with two 4 GiB
 * conventional namespaces and a zoned one, {@link #DEFAULT_IQN} with LUN 0 and 1 on the conventional volumes and
 * LUN 2 on the zoned one). Fluent methods describe a configuration of one's own instead ({@link #withVolume},
 * {@link #withSubsystem}, {@link #withIscsiTarget}), which is rendered as YAML and copied to {@value #CONFIG_PATH}
 * at start; {@link #withConfigFile} and
 * {@link #withConfigYaml} take a whole file. Whatever the file says about listeners, the container listens on
 * {@link #NVME_PORT}, {@link #ISCSI_PORT} and {@link #METRICS_PORT} (mapped to free ports of the host) and
 * advertises {@link #getHost()}'s address and the mapped ports in NVMe discovery and iSCSI SendTargets (the
 * entrypoint waits for the mapped ports, copied in once the container runs, as KafkaContainer does with its
 * advertised listeners), so a host that follows discovery reaches the target. When that address is a
 * loopback address (a local engine), the ports are published on it only, not on every interface.
 *
 * <p>The container is ready when the image's health check passes: an NVMe/TCP ICReq is answered, the iSCSI
 * portal (if configured) accepts a connection, and {@code /metrics} answers 200; then the mapped ports are
 * checked from the test's side too ({@link CopyOffloadWaitStrategy}).
 */
public class CopyOffloadTargetContainer extends GenericContainer<CopyOffloadTargetContainer> {
    public static final DockerImageName DEFAULT_IMAGE_NAME = DockerImageName.parse("localhost/copyoffload-target");
    public static final int NVME_PORT = 4420;
    public static final int ISCSI_PORT = 3260;
    public static final int METRICS_PORT = 9464;
    /** Where a configuration file goes in the container (the image's entrypoint reads it if it exists). */
    public static final String CONFIG_PATH = "/etc/copyoffload/config.yaml";
    /** Where {@link #containerIsStarting} puts the mapped ports for the entrypoint. */
    private static final String ADVERTISED_PORTS_FILE = "/tmp/copyoffload-advertised-ports";
    /** The subsystem of the embedded default. */
    public static final String DEFAULT_NQN = "nqn.2026-01.org.copyoffload:default";
    /** The iSCSI target of the embedded default. */
    public static final String DEFAULT_IQN = "iqn.2026-01.org.copyoffload:default";

    private final Map<String, Volume> volumes = new LinkedHashMap<>();
    private final List<Subsystem> subsystems = new ArrayList<>();
    private final List<IscsiTarget> iscsiTargets = new ArrayList<>();
    private String nvmeVersion;
    private boolean iscsi = true;
    private Transferable configFile;
    private List<String> fileNqns = List.of();
    private List<String> fileIqns = List.of();

    public CopyOffloadTargetContainer(String image) {
        this(DockerImageName.parse(image));
    }

    public CopyOffloadTargetContainer(DockerImageName image) {
        super(image);
        image.assertCompatibleWith(DEFAULT_IMAGE_NAME);
        addExposedPorts(NVME_PORT, ISCSI_PORT, METRICS_PORT);
        waitingFor(new CopyOffloadWaitStrategy());
    }

    // ------------------------------------------------------------------------------------- configuration

    /** A volume (a file in the container's /data) that namespaces and LUNs export by name. */
    public CopyOffloadTargetContainer withVolume(Volume volume) {
        if (volumes.putIfAbsent(volume.name(), volume) != null) {
            throw new IllegalArgumentException("volume " + volume.name() + " is defined twice");
        }
        return self();
    }

    /** An NVMe subsystem; its namespaces name volumes given to {@link #withVolume}. */
    public CopyOffloadTargetContainer withSubsystem(Subsystem subsystem) {
        subsystems.add(Objects.requireNonNull(subsystem));
        return self();
    }

    /** An iSCSI target; its LUNs name conventional volumes given to {@link #withVolume}. */
    public CopyOffloadTargetContainer withIscsiTarget(IscsiTarget target) {
        iscsiTargets.add(Objects.requireNonNull(target));
        return self();
    }

    /** The NVMe version (1.4, 2.0 or 2.1) subsystems without their own advertise (default 2.1). */
    public CopyOffloadTargetContainer withNvmeVersion(String version) {
        this.nvmeVersion = Objects.requireNonNull(version);
        withEnv("COPYOFFLOAD_NVME_VERSION", version);
        return self();
    }

    /** No iSCSI portal even if the configuration has targets. */
    public CopyOffloadTargetContainer withoutIscsi() {
        this.iscsi = false;
        return self();
    }

    /**
     * A whole configuration file of one's own (see the README's "Configuration"), copied to {@value #CONFIG_PATH};
     * {@code nqns} and {@code iqns} are what {@link #getNqns()} and {@link #getIqns()} then report.
     */
    public CopyOffloadTargetContainer withConfigFile(MountableFile file, List<String> nqns, List<String> iqns) {
        this.configFile = file;
        this.fileNqns = List.copyOf(nqns);
        this.fileIqns = List.copyOf(iqns);
        return self();
    }

    /** A whole configuration as YAML text; see {@link #withConfigFile}. */
    public CopyOffloadTargetContainer withConfigYaml(String yaml, List<String> nqns, List<String> iqns) {
        this.configFile = Transferable.of(yaml);
        this.fileNqns = List.copyOf(nqns);
        this.fileIqns = List.copyOf(iqns);
        return self();
    }

    @Override
    protected void configure() {
        if (configFile != null && !(volumes.isEmpty() && subsystems.isEmpty() && iscsiTargets.isEmpty())) {
            throw new IllegalStateException("a configuration file and volumes/subsystems/iSCSI targets of the fluent "
                    + "configuration exclude each other");
        }
        if (configFile != null) {
            withCopyToContainer(configFile, CONFIG_PATH);
        } else if (!subsystems.isEmpty() || !iscsiTargets.isEmpty()) {
            withCopyToContainer(Transferable.of(renderYaml()), CONFIG_PATH);
        } else if (!volumes.isEmpty()) {
            throw new IllegalStateException("volumes without a subsystem or iSCSI target to export them");
        }
        if (!iscsi || (configured() && iscsiTargets.isEmpty())) {
            withEnv("COPYOFFLOAD_NO_ISCSI", "true");
        }
        String advertise = advertiseAddress();
        withEnv("COPYOFFLOAD_ADVERTISE_ADDRESS", advertise);
        // The mapped ports exist once the container runs: the entrypoint waits for them (containerIsStarting).
        withEnv("COPYOFFLOAD_WAIT_FOR", ADVERTISED_PORTS_FILE);
        if (isLoopback(advertise)) {
            // The test reaches the engine on loopback: publish the ports there only, not on every interface.
            withCreateContainerCmdModifier(cmd -> {
                Ports ports = new Ports();
                for (int port : List.of(NVME_PORT, ISCSI_PORT, METRICS_PORT)) {
                    ports.bind(ExposedPort.tcp(port), Ports.Binding.bindIp(advertise));
                }
                cmd.getHostConfig().withPortBindings(ports);
            });
        }
    }

    /** Hands the entrypoint the mapped ports, which NVMe discovery and iSCSI SendTargets then report. */
    @Override
    protected void containerIsStarting(InspectContainerResponse containerInfo) {
        String ports = "COPYOFFLOAD_ADVERTISE_NVME_PORT=" + getMappedPort(NVME_PORT) + "\n"
                + "COPYOFFLOAD_ADVERTISE_ISCSI_PORT=" + getMappedPort(ISCSI_PORT) + "\n# end\n";
        copyFileToContainer(Transferable.of(ports, 0644), ADVERTISED_PORTS_FILE);
    }

    private static boolean isLoopback(String address) {
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private boolean configured() {
        return !subsystems.isEmpty() || !iscsiTargets.isEmpty();
    }

    /** The host's address as an IP address (what the target advertises; it refuses names). */
    private String advertiseAddress() {
        try {
            return InetAddress.getByName(getHost()).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve the Docker host " + getHost(), e);
        }
    }

    /** The configuration file the fluent methods describe. */
    public String renderYaml() {
        StringBuilder y = new StringBuilder();
        y.append("# Rendered by CopyOffloadTargetContainer\n");
        y.append("data-dir: /data\n");
        if (nvmeVersion != null) {
            y.append("nvme:\n  version: \"").append(nvmeVersion).append("\"\n");
        }
        y.append("listeners:\n  - {address: 0.0.0.0, port: ").append(NVME_PORT).append("}\n");
        y.append("metrics: {enabled: true, address: 0.0.0.0, port: ").append(METRICS_PORT).append("}\n");
        y.append("volumes:\n");
        for (Volume v : volumes.values()) {
            y.append("  - {name: ").append(v.name()).append(", size: ").append(v.size())
                    .append(", block-size: ").append(v.blockSize());
            if (v.zoneSize() != null) {
                y.append(", zoned: {zone-size: ").append(v.zoneSize()).append('}');
            }
            y.append("}\n");
        }
        y.append("subsystems:").append(subsystems.isEmpty() ? " []\n" : "\n");
        for (Subsystem s : subsystems) {
            y.append("  - nqn: ").append(s.nqn()).append('\n');
            if (s.nvmeVersion() != null) {
                y.append("    nvme-version: \"").append(s.nvmeVersion()).append("\"\n");
            }
            y.append("    allow-any-host: ").append(s.allowedHosts().isEmpty()).append('\n');
            if (!s.allowedHosts().isEmpty()) {
                y.append("    allowed-hosts: [").append(String.join(", ", s.allowedHosts())).append("]\n");
            }
            y.append("    cross-namespace-copy-at-connect: ").append(s.crossNamespaceCopyAtConnect()).append('\n');
            y.append("    namespaces:\n");
            s.namespaces().forEach((nsid, volume) -> {
                checkVolume(volume, "namespace " + nsid + " of " + s.nqn());
                y.append("      - {nsid: ").append(nsid).append(", volume: ").append(volume).append("}\n");
            });
        }
        if (!iscsiTargets.isEmpty()) {
            y.append("iscsi:\n  listeners:\n    - {address: 0.0.0.0, port: ").append(ISCSI_PORT).append("}\n");
            y.append("  targets:\n");
            for (IscsiTarget t : iscsiTargets) {
                y.append("    - name: ").append(t.iqn()).append('\n');
                y.append("      allow-any-initiator: ").append(t.allowedInitiators().isEmpty()).append('\n');
                if (!t.allowedInitiators().isEmpty()) {
                    y.append("      allowed-initiators: [").append(String.join(", ", t.allowedInitiators())).append("]\n");
                }
                y.append("      luns:\n");
                t.luns().forEach((lun, volume) -> {
                    checkVolume(volume, "LUN " + lun + " of " + t.iqn());
                    y.append("        - {lun: ").append(lun).append(", volume: ").append(volume).append("}\n");
                });
            }
        }
        return y.toString();
    }

    private void checkVolume(String name, String user) {
        if (!volumes.containsKey(name)) {
            throw new IllegalStateException(user + " names volume " + name + ", which withVolume did not define");
        }
    }

    // --------------------------------------------------------------------------------------------- getters

    /** The host's NVMe/TCP port mapped to the container's {@link #NVME_PORT}. */
    public int getNvmePort() {
        return getMappedPort(NVME_PORT);
    }

    /** Where a host connects: {@link #getHost()} and {@link #getNvmePort()}. */
    public java.net.InetSocketAddress getNvmeAddress() {
        return new java.net.InetSocketAddress(getHost(), getNvmePort());
    }

    /** The host's iSCSI port mapped to the container's {@link #ISCSI_PORT} (if iSCSI is served). */
    public int getIscsiPort() {
        return getMappedPort(ISCSI_PORT);
    }

    /** The iSCSI portal as {@code host:port}. */
    public String getIscsiPortal() {
        return getHost() + ":" + getIscsiPort();
    }

    /** The Prometheus endpoint, e.g. {@code http://localhost:32771/metrics}. */
    public String getMetricsUrl() {
        return "http://" + getHost() + ":" + getMappedPort(METRICS_PORT) + "/metrics";
    }

    /** The NQNs of the served subsystems (the discovery subsystem aside). */
    public List<String> getNqns() {
        if (configFile != null) {
            return fileNqns;
        }
        return configured() ? subsystems.stream().map(Subsystem::nqn).toList() : List.of(DEFAULT_NQN);
    }

    /** The first of {@link #getNqns()}. */
    public String getNqn() {
        return getNqns().getFirst();
    }

    /** The IQNs of the served iSCSI targets (none when iSCSI is off). */
    public List<String> getIqns() {
        if (!iscsi) {
            return List.of();
        }
        if (configFile != null) {
            return fileIqns;
        }
        return configured() ? iscsiTargets.stream().map(IscsiTarget::iqn).toList() : List.of(DEFAULT_IQN);
    }

    /** Whether the container serves iSCSI (the wait strategy checks its port only then). */
    public boolean servesIscsi() {
        return !getIqns().isEmpty();
    }

    // ------------------------------------------------------------------------------------ configuration model

    /**
     * A volume: {@code size} as the YAML takes it ({@code 64MiB}, {@code 1GiB}), block size 512 or 4096;
     * {@code zoneSize} null for a conventional namespace, else the zone size of a zoned one.
     */
    public record Volume(String name, String size, int blockSize, String zoneSize) {
        public Volume {
            Objects.requireNonNull(name);
            Objects.requireNonNull(size);
        }

        public static Volume conventional(String name, String size, int blockSize) {
            return new Volume(name, size, blockSize, null);
        }

        public static Volume zoned(String name, String size, int blockSize, String zoneSize) {
            return new Volume(name, size, blockSize, Objects.requireNonNull(zoneSize));
        }
    }

    /** An NVMe subsystem: namespaces (NSID to volume name), its own NVMe version, allowed hosts, Copy options. */
    public record Subsystem(String nqn, Map<Integer, String> namespaces, String nvmeVersion, List<String> allowedHosts,
                            boolean crossNamespaceCopyAtConnect) {
        public Subsystem {
            namespaces = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(namespaces));
            allowedHosts = List.copyOf(allowedHosts);
        }

        /** A subsystem any host may connect to, without namespaces yet. */
        public static Subsystem of(String nqn) {
            return new Subsystem(nqn, Map.of(), null, List.of(), false);
        }

        public Subsystem withNamespace(int nsid, String volume) {
            Map<Integer, String> m = new LinkedHashMap<>(namespaces);
            if (m.put(nsid, volume) != null) {
                throw new IllegalArgumentException("NSID " + nsid + " of " + nqn + " is given twice");
            }
            return new Subsystem(nqn, m, nvmeVersion, allowedHosts, crossNamespaceCopyAtConnect);
        }

        /** The NVMe version this subsystem advertises (1.4, 2.0 or 2.1). */
        public Subsystem withNvmeVersion(String version) {
            return new Subsystem(nqn, namespaces, version, allowedHosts, crossNamespaceCopyAtConnect);
        }

        /** Only these host NQNs may connect. */
        public Subsystem withAllowedHosts(String... hostNqns) {
            return new Subsystem(nqn, namespaces, nvmeVersion, List.of(hostNqns), crossNamespaceCopyAtConnect);
        }

        /** Copy formats 2h/3h (across namespaces) enabled from Connect, without Set Features Host Behavior. */
        public Subsystem withCrossNamespaceCopyAtConnect() {
            return new Subsystem(nqn, namespaces, nvmeVersion, allowedHosts, true);
        }
    }

    /** An iSCSI target: LUNs (number to volume name) and the initiators allowed to log in (empty: any). */
    public record IscsiTarget(String iqn, Map<Integer, String> luns, List<String> allowedInitiators) {
        public IscsiTarget {
            luns = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(luns));
            allowedInitiators = List.copyOf(allowedInitiators);
        }

        public static IscsiTarget of(String iqn) {
            return new IscsiTarget(iqn, Map.of(), List.of());
        }

        public IscsiTarget withLun(int lun, String volume) {
            Map<Integer, String> m = new LinkedHashMap<>(luns);
            if (m.put(lun, volume) != null) {
                throw new IllegalArgumentException("LUN " + lun + " of " + iqn + " is given twice");
            }
            return new IscsiTarget(iqn, m, allowedInitiators);
        }

        public IscsiTarget withAllowedInitiators(String... initiatorIqns) {
            return new IscsiTarget(iqn, luns, List.of(initiatorIqns));
        }
    }
}
