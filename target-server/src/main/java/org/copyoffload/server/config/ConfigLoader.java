package org.copyoffload.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;
import java.util.Set;

/**
 * Reads and validates the YAML configuration. The embedded default (DESIGN.md: data in ./data, NVMe/TCP on
 * 127.0.0.1:4420, metrics on 127.0.0.1:9464) is itself a YAML resource read by the same code.
 */
public final class ConfigLoader {
    public static final String DEFAULT_RESOURCE = "/default-config.yaml";
    public static final String DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery";
    private static final int MAX_NSID = 1024;

    private ConfigLoader() {
    }

    public static ServerConfig loadDefault() {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("embedded default configuration missing from the jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "embedded default");
        } catch (IOException e) {
            throw new ConfigException("cannot read the embedded default configuration", e);
        }
    }

    public static ServerConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    public static ServerConfig parse(String yaml, String source) {
        JsonNode root;
        try {
            root = new YAMLMapper().readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() : ""), e);
        }
        try {
            return read(new ConfigNode("", root));
        } catch (ConfigException e) {
            throw new ConfigException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * I/O queue in-capsule data (IOCCSZ): writes up to 128 KiB come with their command, without an R2T round trip
     * (Linux sends in-capsule whatever IOCCSZ allows). 10-30 % faster 128 KiB writes than with 8 KiB (README,
     * Benchmarks); the write-data budgets bound what in-capsule data a connection and the target hold.
     */
    static final int DEFAULT_IN_CAPSULE_DATA = 131072;
    /** Write data one connection may hold: 32 one-MiB writes, or 256 of 128 KiB. */
    static final long DEFAULT_WRITE_DATA_PER_CONNECTION = 32L << 20;
    /** How long a new NVMe/TCP connection may take to send ICReq and Connect (idle sockets must not pile up). */
    static final Duration DEFAULT_SETUP_TIMEOUT = Duration.ofSeconds(15);
    /** Linux asks for 5 s (nvme-cli --keep-alive-tmo changes it); a controller of a vanished host lasts at most this. */
    static final Duration DEFAULT_MAX_KEEP_ALIVE_TIMEOUT = Duration.ofMinutes(5);
    /** Write data the whole target may hold, whatever the number of hosts and queues. */
    static final long DEFAULT_WRITE_DATA = 512L << 20;

    private static long bytes(ConfigNode node, String key, long fallback) {
        ByteSize size = node.parsed(key, null, ByteSize::parse);
        return size == null ? fallback : size.bytes();
    }

    private static ServerConfig read(ConfigNode root) {
        Path dataDir = root.parsed("data-dir", Path.of("data"), Path::of);

        ConfigNode nvmeNode = root.get("nvme");
        ServerConfig.Nvme nvme = new ServerConfig.Nvme(
                nvmeNode.parsed("version", NvmeVersion.V2_1, NvmeVersion::parse),
                nvmeNode.integer("mdts", 8, 1, 10),
                nvmeNode.integer("max-queue-entries", 128, 2, 1024),
                nvmeNode.integer("max-io-queues", 64, 1, 1024),
                nvmeNode.integer("in-capsule-data-size", DEFAULT_IN_CAPSULE_DATA, 0, 131072),
                nvmeNode.integer("max-h2c-data", 131072, 4096, 16 << 20),
                bytes(nvmeNode, "max-write-data-per-connection", DEFAULT_WRITE_DATA_PER_CONNECTION),
                bytes(nvmeNode, "max-write-data", DEFAULT_WRITE_DATA),
                nvmeNode.integer("event-loops", Math.max(2, Runtime.getRuntime().availableProcessors()), 1, 256),
                TimeSpan.read(nvmeNode, "setup-timeout", DEFAULT_SETUP_TIMEOUT, Duration.ofMillis(10), Duration.ofMinutes(10)),
                TimeSpan.read(nvmeNode, "max-keep-alive-timeout", DEFAULT_MAX_KEEP_ALIVE_TIMEOUT, Duration.ofSeconds(1),
                        Duration.ofHours(1)));
        if (nvme.inCapsuleDataSize() % 16 != 0) {
            throw new ConfigException("nvme.in-capsule-data-size", nvme.inCapsuleDataSize() + " is not a multiple of 16");
        }
        long maxTransfer = 4096L << nvme.mdts();
        // Each bound must let the largest single write through, or that write would wait forever.
        if (nvme.maxWriteDataPerConnection() < maxTransfer) {
            throw new ConfigException("nvme.max-write-data-per-connection", nvme.maxWriteDataPerConnection()
                    + " bytes is less than one maximal transfer (MDTS " + nvme.mdts() + ": " + maxTransfer + " bytes)");
        }
        if (nvme.maxWriteData() < nvme.maxWriteDataPerConnection()) {
            throw new ConfigException("nvme.max-write-data", nvme.maxWriteData()
                    + " bytes is less than max-write-data-per-connection (" + nvme.maxWriteDataPerConnection() + ")");
        }
        nvmeNode.rejectUnknownKeys();

        List<ServerConfig.Listener> listeners = new ArrayList<>();
        Set<String> endpoints = new HashSet<>();
        for (ConfigNode l : root.list("listeners")) {
            String address = l.string("address", "127.0.0.1");
            checkAddress(l.path() + ".address", address);
            int port = l.integer("port", 4420, 0, 65535);
            String advertise = l.string("advertise-address", address);
            checkAddress(l.path() + ".advertise-address", advertise);
            if (!endpoints.add(address + ":" + port)) {
                throw new ConfigException(l.path(), "listener " + address + ":" + port + " is defined twice");
            }
            int advertisePort = l.integer("advertise-port", 0, 0, 65535);
            ServerConfig.TlsMode tls = tlsMode(l);
            List<ServerConfig.TlsKey> tlsKeys = tlsKeys(l);
            if (tls == ServerConfig.TlsMode.NONE && !tlsKeys.isEmpty()) {
                throw new ConfigException(l.path() + ".tls-keys", "given, but tls is none");
            }
            if (tls != ServerConfig.TlsMode.NONE && tlsKeys.isEmpty()) {
                throw new ConfigException(l.path() + ".tls-keys", "is empty: tls " + tls.name().toLowerCase(Locale.ROOT)
                        + " needs at least one key");
            }
            listeners.add(new ServerConfig.Listener(address, port, advertise, advertisePort, tls, tlsKeys));
            l.rejectUnknownKeys();
        }

        ConfigNode m = root.get("metrics");
        String metricsAddress = m.string("address", "127.0.0.1");
        checkAddress("metrics.address", metricsAddress);
        ServerConfig.Metrics metrics = new ServerConfig.Metrics(m.bool("enabled", true), metricsAddress,
                m.integer("port", 9464, 0, 65535));
        m.rejectUnknownKeys();

        List<ServerConfig.Volume> volumes = new ArrayList<>();
        Set<String> volumeNames = new HashSet<>();
        Set<Path> volumeFiles = new HashSet<>();
        for (ConfigNode v : root.list("volumes")) {
            String name = v.requiredString("name");
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new ConfigException(v.path() + ".name", "'" + name + "' may use letters, digits, '.', '_' and '-' only");
            }
            if (!volumeNames.add(name)) {
                throw new ConfigException(v.path() + ".name", "volume '" + name + "' is defined twice");
            }
            Path file = v.parsed("file", Path.of(name + ".img"), Path::of);
            Path resolved = dataDir.resolve(file).toAbsolutePath().normalize();
            if (!volumeFiles.add(resolved)) {
                throw new ConfigException(v.path() + ".file", resolved + " is used by another volume");
            }
            long size = v.parsed("size", null, ByteSize::parse) instanceof ByteSize s ? s.bytes() : -1;
            if (size <= 0) {
                throw new ConfigException(v.path() + ".size", "is required and must be positive");
            }
            int blockSize = v.integer("block-size", 4096, 512, 4096);
            if (blockSize != 512 && blockSize != 4096) {
                throw new ConfigException(v.path() + ".block-size", blockSize + " is not 512 or 4096");
            }
            if (size % blockSize != 0) {
                throw new ConfigException(v.path() + ".size", size + " bytes is not a multiple of the block size " + blockSize);
            }
            ServerConfig.Zoned zoned = zoned(v.get("zoned"), size, blockSize);
            volumes.add(new ServerConfig.Volume(name, resolved, size, blockSize, zoned));
            v.rejectUnknownKeys();
        }

        List<ServerConfig.Subsystem> subsystems = new ArrayList<>();
        Set<String> nqns = new HashSet<>();
        for (ConfigNode s : root.list("subsystems")) {
            String nqn = s.requiredString("nqn");
            checkNqn(s.path() + ".nqn", nqn);
            if (nqn.equals(DISCOVERY_NQN)) {
                throw new ConfigException(s.path() + ".nqn", "the discovery NQN is served by the server itself");
            }
            if (!nqns.add(nqn)) {
                throw new ConfigException(s.path() + ".nqn", "subsystem " + nqn + " is defined twice");
            }
            String serial = s.string("serial", defaultSerial(nqn));
            checkAscii(s.path() + ".serial", serial, 20);
            String model = s.string("model", "copyoffload");
            checkAscii(s.path() + ".model", model, 40);
            NvmeVersion version = s.parsed("nvme-version", null, NvmeVersion::parse);
            boolean allowAny = s.bool("allow-any-host", true);
            List<String> hosts = new ArrayList<>();
            Map<String, ServerConfig.HostSecrets> hostSecrets = new HashMap<>();
            for (ConfigNode h : s.list("allowed-hosts")) {
                String hostNqn = allowedHost(h, hostSecrets);
                if (hosts.contains(hostNqn)) {
                    throw new ConfigException(h.path(), "host " + hostNqn + " is listed twice");
                }
                hosts.add(hostNqn);
            }
            ServerConfig.Dhchap dhchap = dhchap(s.get("dhchap"));
            if (!allowAny && hosts.isEmpty()) {
                throw new ConfigException(s.path() + ".allowed-hosts", "is empty while allow-any-host is false: no host could connect");
            }
            List<ServerConfig.Namespace> namespaces = new ArrayList<>();
            Set<Integer> nsids = new HashSet<>();
            for (ConfigNode n : s.list("namespaces")) {
                int nsid = n.integer("nsid", namespaces.size() + 1, 1, MAX_NSID);
                if (!nsids.add(nsid)) {
                    throw new ConfigException(n.path() + ".nsid", "NSID " + nsid + " is used twice in " + nqn);
                }
                String volume = n.requiredString("volume");
                if (!volumeNames.contains(volume)) {
                    throw new ConfigException(n.path() + ".volume", "no volume named '" + volume + "'");
                }
                ServerConfig.CopyLimits d = ServerConfig.CopyLimits.DEFAULT;
                int mssrl = n.integer("mssrl", d.mssrl(), 1, 0xFFFF);
                long mcl = n.parsed("mcl", d.mcl(), ConfigLoader::parseMcl);
                int msrc = n.integer("msrc", d.msrc(), 0, 0xFF);
                if (mcl < mssrl) {
                    throw new ConfigException(n.path() + ".mcl", mcl + " blocks is less than MSSRL " + mssrl);
                }
                namespaces.add(new ServerConfig.Namespace(nsid, volume, new ServerConfig.CopyLimits(mssrl, mcl, msrc)));
                n.rejectUnknownKeys();
            }
            boolean crossCopy = s.bool("cross-namespace-copy-at-connect", false);
            subsystems.add(new ServerConfig.Subsystem(nqn, serial, model, version, allowAny, hosts, crossCopy, namespaces,
                    hostSecrets, dhchap));
            s.rejectUnknownKeys();
        }
        // A TLS key names a subsystem this target serves (or discovery): another is a typo no host could use.
        for (int i = 0; i < listeners.size(); i++) {
            List<ServerConfig.TlsKey> keys = listeners.get(i).tlsKeys();
            for (int j = 0; j < keys.size(); j++) {
                String subsystem = keys.get(j).subsystem();
                if (!nqns.contains(subsystem) && !subsystem.equals(DISCOVERY_NQN)) {
                    throw new ConfigException("listeners[" + i + "].tls-keys[" + j + "].subsystem",
                            "no subsystem " + subsystem);
                }
            }
        }
        Map<String, ServerConfig.Volume> volumesByName = new HashMap<>();
        volumes.forEach(v -> volumesByName.put(v.name(), v));
        ServerConfig.Iscsi iscsi = iscsi(root.get("iscsi"), volumesByName);
        ServerConfig.ConnectionLimits limits = limits(root.get("limits"));
        root.rejectUnknownKeys();
        return new ServerConfig(dataDir.toAbsolutePath().normalize(), listeners, metrics, nvme, volumes, subsystems,
                iscsi, limits);
    }

    /** The {@code limits} mapping: connections per transport in all and per host. */
    private static ServerConfig.ConnectionLimits limits(ConfigNode node) {
        ServerConfig.ConnectionLimits d = ServerConfig.ConnectionLimits.DEFAULT;
        int connections = node.integer("connections", d.connections(), 1, 1 << 20);
        int perHost = node.integer("connections-per-host", Math.min(d.connectionsPerHost(), connections), 1, 1 << 20);
        if (perHost > connections) {
            throw new ConfigException(node.path() + ".connections-per-host", perHost + " exceeds connections "
                    + connections);
        }
        node.rejectUnknownKeys();
        return new ServerConfig.ConnectionLimits(connections, perHost);
    }

    /** The {@code iscsi} mapping; missing: no iSCSI. */
    private static ServerConfig.Iscsi iscsi(ConfigNode node, Map<String, ServerConfig.Volume> volumes) {
        if (node.isMissing()) {
            return ServerConfig.Iscsi.NONE;
        }
        List<ServerConfig.IscsiPortal> portals = new ArrayList<>();
        Set<String> endpoints = new HashSet<>();
        for (ConfigNode l : node.list("listeners")) {
            String address = l.string("address", "127.0.0.1");
            checkAddress(l.path() + ".address", address);
            int port = l.integer("port", 3260, 0, 65535);
            String advertise = l.string("advertise-address", address);
            checkAddress(l.path() + ".advertise-address", advertise);
            int advertisePort = l.integer("advertise-port", 0, 0, 65535);
            int tpgt = l.integer("portal-group-tag", 1, 1, 0xFFFF);
            if (!endpoints.add(address + ":" + port)) {
                throw new ConfigException(l.path(), "listener " + address + ":" + port + " is defined twice");
            }
            portals.add(new ServerConfig.IscsiPortal(address, port, advertise, advertisePort, tpgt));
            l.rejectUnknownKeys();
        }
        ServerConfig.IscsiLimits d = ServerConfig.IscsiLimits.DEFAULT;
        // Ranges from RFC 7143, 13: data segment and burst lengths 512..2^24-1, MaxOutstandingR2T 1..65535.
        int mrdsl = node.integer("max-recv-data-segment-length", d.maxRecvDataSegmentLength(), 512, 16777215);
        int maxBurst = node.integer("max-burst-length", d.maxBurstLength(), 512, 16777215);
        int firstBurst = node.integer("first-burst-length", d.firstBurstLength(), 512, 16777215);
        if (firstBurst > maxBurst) {
            throw new ConfigException(node.path() + ".first-burst-length", firstBurst
                    + " exceeds max-burst-length " + maxBurst);
        }
        ServerConfig.IscsiLimits limits = new ServerConfig.IscsiLimits(mrdsl, maxBurst, firstBurst,
                node.integer("max-outstanding-r2t", d.maxOutstandingR2T(), 1, 65535),
                node.bool("immediate-data", d.immediateData()),
                node.bool("initial-r2t", d.initialR2T()),
                node.integer("max-connections", d.maxConnections(), 1, 65535),
                node.integer("queue-depth", d.queueDepth(), 1, 4096),
                bytes(node, "max-write-data-per-connection", d.maxWriteDataPerConnection()),
                bytes(node, "max-write-data", d.maxWriteData()),
                TimeSpan.read(node, "login-timeout", d.loginTimeout(), Duration.ofMillis(10), Duration.ofMinutes(10)),
                TimeSpan.read(node, "nop-in-interval", d.nopInInterval(), Duration.ofMillis(10), Duration.ofHours(1)),
                TimeSpan.read(node, "nop-in-timeout", d.nopInTimeout(), Duration.ofMillis(10), Duration.ofHours(1)));
        if (limits.maxWriteDataPerConnection() < maxBurst) {
            throw new ConfigException(node.path() + ".max-write-data-per-connection", limits.maxWriteDataPerConnection()
                    + " bytes is less than one burst (max-burst-length " + maxBurst + ")");
        }
        if (limits.maxWriteData() < limits.maxWriteDataPerConnection()) {
            throw new ConfigException(node.path() + ".max-write-data", limits.maxWriteData()
                    + " bytes is less than max-write-data-per-connection (" + limits.maxWriteDataPerConnection() + ")");
        }
        ServerConfig.Chap discoveryChap = chap(node.get("discovery-chap"));
        List<ServerConfig.IscsiTarget> targets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode t : node.list("targets")) {
            String name = t.requiredString("name");
            checkIscsiName(t.path() + ".name", name);
            if (!names.add(name)) {
                throw new ConfigException(t.path() + ".name", "target " + name + " is defined twice");
            }
            String alias = t.string("alias", null);
            if (alias != null) {
                checkAscii(t.path() + ".alias", alias, 255);
            }
            boolean allowAny = t.bool("allow-any-initiator", true);
            List<String> initiators = new ArrayList<>();
            Map<String, ServerConfig.Chap> initiatorChap = new HashMap<>();
            for (ConfigNode i : t.list("allowed-initiators")) {
                String initiator = allowedInitiator(i, initiatorChap);
                if (initiators.contains(initiator)) {
                    throw new ConfigException(i.path(), "initiator " + initiator + " is listed twice");
                }
                initiators.add(initiator);
            }
            if (!allowAny && initiators.isEmpty()) {
                throw new ConfigException(t.path() + ".allowed-initiators",
                        "is empty while allow-any-initiator is false: no initiator could log in");
            }
            List<ServerConfig.Lun> luns = new ArrayList<>();
            Set<Long> numbers = new HashSet<>();
            for (ConfigNode l : t.list("luns")) {
                long lun = l.integer("lun", luns.size(), 0, 16383);
                if (!numbers.add(lun)) {
                    throw new ConfigException(l.path() + ".lun", "LUN " + lun + " is used twice in " + name);
                }
                String volume = l.requiredString("volume");
                ServerConfig.Volume v = volumes.get(volume);
                if (v == null) {
                    throw new ConfigException(l.path() + ".volume", "no volume named '" + volume + "'");
                }
                if (v.zoned() != null && v.zoned().zoneCapacityBlocks() != v.zoned().zoneSizeBlocks()) {
                    // ZBC-2 has no zone capacity: a zone is writable to its end (gap zones would be needed).
                    throw new ConfigException(l.path() + ".volume", "'" + volume + "' has a zone-capacity below its "
                            + "zone-size: a host managed zoned logical unit (ZBC) has no zone capacity");
                }
                luns.add(new ServerConfig.Lun(lun, volume));
                l.rejectUnknownKeys();
            }
            targets.add(new ServerConfig.IscsiTarget(name, alias, allowAny, initiators, chap(t.get("chap")),
                    initiatorChap, luns));
            t.rejectUnknownKeys();
        }
        if (!portals.isEmpty() && targets.isEmpty()) {
            throw new ConfigException(node.path() + ".targets", "is empty: iSCSI listeners would serve nothing");
        }
        node.rejectUnknownKeys();
        return new ServerConfig.Iscsi(portals, limits, discoveryChap, targets);
    }

    /**
     * One entry of {@code allowed-initiators}: an iSCSI name, or a mapping with {@code name} and the {@code chap}
     * credentials of that initiator alone (they replace the target's {@code chap} for it). Returns the name.
     */
    private static String allowedInitiator(ConfigNode i, Map<String, ServerConfig.Chap> initiatorChap) {
        if (i.isScalar()) {
            checkIscsiName(i.path(), i.text());
            return i.text();
        }
        String name = i.requiredString("name");
        checkIscsiName(i.path() + ".name", name);
        ServerConfig.Chap chap = chap(i.get("chap"));
        if (chap == null) {
            throw new ConfigException(i.path() + ".chap", "is required in a mapping (a plain name needs none)");
        }
        i.rejectUnknownKeys();
        initiatorChap.put(name, chap);
        return name;
    }

    /**
     * A {@code chap} mapping: user and secret the initiator must present, optionally mutual-user and
     * mutual-secret for the target. RFC 7143 12.1.3: secrets of at least 12 bytes (16 is advised); the two
     * secrets of mutual CHAP must differ.
     */
    private static ServerConfig.Chap chap(ConfigNode c) {
        if (c.isMissing()) {
            return null;
        }
        String user = c.requiredString("user");
        String secret = secret(c, "secret");
        if (secret == null) {
            throw new ConfigException(c.path() + ".secret", "is required (or secret-env, secret-file)");
        }
        checkChapSecret(c.path() + ".secret", secret);
        String mutualUser = c.string("mutual-user", null);
        String mutualSecret = secret(c, "mutual-secret");
        if ((mutualUser == null) != (mutualSecret == null)) {
            throw new ConfigException(c.path() + (mutualUser == null ? ".mutual-user" : ".mutual-secret"),
                    "is required with " + (mutualUser == null ? "mutual-secret" : "mutual-user"));
        }
        if (mutualSecret != null) {
            checkChapSecret(c.path() + ".mutual-secret", mutualSecret);
            if (mutualSecret.equals(secret)) {
                throw new ConfigException(c.path() + ".mutual-secret", "must differ from secret (RFC 7143, 12.1.3)");
            }
        }
        c.rejectUnknownKeys();
        return new ServerConfig.Chap(user, secret, mutualUser, mutualSecret);
    }

    private static ServerConfig.TlsMode tlsMode(ConfigNode l) {
        String mode = l.string("tls", "none");
        return switch (mode) {
            case "none" -> ServerConfig.TlsMode.NONE;
            case "optional" -> ServerConfig.TlsMode.OPTIONAL;
            case "required" -> ServerConfig.TlsMode.REQUIRED;
            default -> throw new ConfigException(l.path() + ".tls", "'" + mode + "' is not none, optional or required");
        };
    }

    /**
     * A listener's {@code tls-keys}: per host and subsystem a PSK in the interchange format ({@code key}, {@code key-env}
     * or {@code key-file}) and the {@code derivation} of its TLS PSK ({@code libnvme}, the default, or {@code rfc8446}).
     */
    private static List<ServerConfig.TlsKey> tlsKeys(ConfigNode l) {
        List<ServerConfig.TlsKey> keys = new ArrayList<>();
        Set<String> pairs = new HashSet<>();
        for (ConfigNode k : l.list("tls-keys")) {
            String host = k.requiredString("host");
            checkNqn(k.path() + ".host", host);
            String subsystem = k.requiredString("subsystem");
            checkNqn(k.path() + ".subsystem", subsystem);
            if (!pairs.add(host + " " + subsystem)) {
                throw new ConfigException(k.path(), "a second key for host " + host + " and subsystem " + subsystem);
            }
            String text = secret(k, "key");
            if (text == null) {
                throw new ConfigException(k.path() + ".key", "is required (or key-env, key-file)");
            }
            org.copyoffload.protocol.nvme.tls.ConfiguredPsk key;
            try {
                key = org.copyoffload.protocol.nvme.tls.ConfiguredPsk.parse(text.strip());
                // The identity must be sendable: NQNs of printable ASCII without spaces.
                org.copyoffload.protocol.nvme.tls.PskIdentity.retained(key.hash(), host, subsystem);
            } catch (org.copyoffload.protocol.nvme.tls.InvalidTlsKeyException e) {
                throw new ConfigException(k.path(), e.getMessage());
            }
            String derivation = k.string("derivation", "libnvme");
            org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm form = switch (derivation) {
                case "libnvme" -> org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm.LIBNVME;
                case "rfc8446" -> org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm.RFC8446;
                default -> throw new ConfigException(k.path() + ".derivation", "'" + derivation
                        + "' is not libnvme or rfc8446");
            };
            keys.add(new ServerConfig.TlsKey(host, subsystem, key, form));
            k.rejectUnknownKeys();
        }
        return keys;
    }

    /**
     * One entry of {@code allowed-hosts}: a host NQN, or a mapping with {@code nqn}, {@code dhchap-secret} and
     * optionally {@code dhchap-ctrl-secret} (each also as {@code -env}/{@code -file}) in the {@code DHHC-1:xx:...:}
     * representation nvme-cli prints. Returns the NQN; the secrets go into {@code secrets}.
     */
    private static String allowedHost(ConfigNode h, Map<String, ServerConfig.HostSecrets> secrets) {
        if (h.isScalar()) {
            checkNqn(h.path(), h.text());
            return h.text();
        }
        String hostNqn = h.requiredString("nqn");
        checkNqn(h.path() + ".nqn", hostNqn);
        String secret = secret(h, "dhchap-secret");
        String ctrlSecret = secret(h, "dhchap-ctrl-secret");
        h.rejectUnknownKeys();
        if (secret == null && ctrlSecret != null) {
            throw new ConfigException(h.path() + ".dhchap-ctrl-secret",
                    "needs dhchap-secret: the controller proves itself only to a host that authenticated");
        }
        if (secret != null) {
            DhchapSecret host = dhchapSecret(h.path() + ".dhchap-secret", secret);
            DhchapSecret ctrl = ctrlSecret == null ? null : dhchapSecret(h.path() + ".dhchap-ctrl-secret", ctrlSecret);
            if (ctrl != null && ctrl.sameAs(host)) {
                throw new ConfigException(h.path() + ".dhchap-ctrl-secret", "must differ from dhchap-secret");
            }
            secrets.put(hostNqn, new ServerConfig.HostSecrets(host, ctrl));
        }
        return hostNqn;
    }

    private static DhchapSecret dhchapSecret(String key, String text) {
        try {
            return DhchapSecret.parse(text);
        } catch (IllegalArgumentException e) {
            // The message describes the problem without quoting the secret.
            throw new ConfigException(key, e.getMessage());
        }
    }

    /** {@code dhchap: {hashes: [...], dh-groups: [...]}}: what AUTH_Negotiate may choose, in order of preference. */
    private static ServerConfig.Dhchap dhchap(ConfigNode d) {
        if (d.isMissing()) {
            return ServerConfig.Dhchap.DEFAULT;
        }
        List<DhchapHash> hashes = new ArrayList<>();
        List<String> hashNames = d.get("hashes").isMissing() ? null : d.strings("hashes");
        if (hashNames == null) {
            hashes.addAll(ServerConfig.Dhchap.DEFAULT.hashes());
        } else {
            for (int i = 0; i < hashNames.size(); i++) {
                String key = d.path() + ".hashes[" + i + "]";
                DhchapHash h = parseEnum(key, hashNames.get(i), DhchapHash::parse);
                if (hashes.contains(h)) {
                    throw new ConfigException(key, h.configName() + " is listed twice");
                }
                hashes.add(h);
            }
            if (hashes.isEmpty()) {
                throw new ConfigException(d.path() + ".hashes", "is empty: no host could authenticate");
            }
        }
        List<DhGroup> groups = new ArrayList<>();
        List<String> groupNames = null;
        if (!d.get("dh-groups").isMissing()) {
            // YAML reads a bare null as no value: here it names the NULL group.
            groupNames = new ArrayList<>();
            for (ConfigNode g : d.list("dh-groups")) {
                if (!g.isMissing() && !g.isScalar()) {
                    throw new ConfigException(g.path(), "expected a group name");
                }
                groupNames.add(g.isMissing() ? "null" : g.text());
            }
        }
        if (groupNames == null) {
            groups.addAll(ServerConfig.Dhchap.DEFAULT.dhGroups());
        } else {
            for (int i = 0; i < groupNames.size(); i++) {
                String key = d.path() + ".dh-groups[" + i + "]";
                DhGroup g = parseEnum(key, groupNames.get(i), DhGroup::parse);
                if (groups.contains(g)) {
                    throw new ConfigException(key, g.configName() + " is listed twice");
                }
                groups.add(g);
            }
            if (groups.isEmpty()) {
                throw new ConfigException(d.path() + ".dh-groups", "is empty: no host could authenticate");
            }
        }
        d.rejectUnknownKeys();
        return new ServerConfig.Dhchap(hashes, groups);
    }

    private static <T> T parseEnum(String key, String text, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    /**
     * A secret given as it is ({@code KEY}), by the name of an environment variable ({@code KEY-env}) or by a file that
     * holds it ({@code KEY-file}, one trailing newline dropped), so a configuration file need not contain it; null if
     * none of the three is there, an error if more than one is.
     */
    private static String secret(ConfigNode c, String key) {
        String literal = c.string(key, null);
        String env = c.string(key + "-env", null);
        String file = c.string(key + "-file", null);
        int given = (literal != null ? 1 : 0) + (env != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given > 1) {
            throw new ConfigException(c.path() + "." + key, "give one of " + key + ", " + key + "-env and " + key + "-file");
        }
        if (env != null) {
            String value = System.getenv(env);
            if (value == null) {
                throw new ConfigException(c.path() + "." + key + "-env", "environment variable " + env + " is not set");
            }
            return value;
        }
        if (file != null) {
            try {
                String value = java.nio.file.Files.readString(java.nio.file.Path.of(file), StandardCharsets.UTF_8);
                return value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                throw new ConfigException(c.path() + "." + key + "-file", "cannot read " + file + ": " + e.getMessage());
            }
        }
        return literal;
    }

    private static void checkChapSecret(String key, String secret) {
        int bytes = secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < 12 || bytes > 255) {
            throw new ConfigException(key, bytes + " bytes; a CHAP secret needs 12 to 255 (RFC 7143, 12.1.3)");
        }
    }

    /** RFC 7143, 4.2.7: iqn./eui./naa. names, at most 223 bytes, no spaces, lower case. */
    static void checkIscsiName(String key, String name) {
        boolean form = name.matches("iqn\\.[0-9]{4}-[0-9]{2}\\.[a-z0-9.-]+(:[^\\s]*)?")
                || name.matches("eui\\.[0-9A-F]{16}") || name.matches("naa\\.[0-9A-F]{16}([0-9A-F]{16})?");
        if (!form || name.getBytes(StandardCharsets.UTF_8).length > 223 || !name.equals(name.toLowerCase(java.util.Locale.ROOT))
                && name.startsWith("iqn.")) {
            throw new ConfigException(key, "'" + name + "' is not an iSCSI name (iqn.yyyy-mm.reverse.domain[:name], "
                    + "eui. or naa., at most 223 bytes)");
        }
    }

    /**
     * The {@code zoned} mapping of a volume: zone-size (default 64 MiB, or the volume size if smaller; a power of
     * two number of blocks dividing the volume size), zone-capacity (default the zone size), max-active and
     * max-open (default 0: no limit; max-open at most max-active), cross-zone-read (default false). Missing: a
     * conventional volume.
     */
    private static ServerConfig.Zoned zoned(ConfigNode z, long size, int blockSize) {
        if (z.isMissing()) {
            return null;
        }
        long zoneBytes = z.parsed("zone-size", null, ByteSize::parse) instanceof ByteSize s ? s.bytes()
                : Math.min(64L << 20, Long.highestOneBit(size));
        String key = z.path() + ".zone-size";
        if (zoneBytes <= 0 || zoneBytes % blockSize != 0 || Long.bitCount(zoneBytes / blockSize) != 1) {
            throw new ConfigException(key, zoneBytes + " bytes is not a power of two number of " + blockSize
                    + "-byte blocks");
        }
        if (size % zoneBytes != 0) {
            throw new ConfigException(key, zoneBytes + " bytes does not divide the volume size " + size);
        }
        long capBytes = z.parsed("zone-capacity", null, ByteSize::parse) instanceof ByteSize c ? c.bytes() : zoneBytes;
        if (capBytes <= 0 || capBytes % blockSize != 0 || capBytes > zoneBytes) {
            throw new ConfigException(z.path() + ".zone-capacity", capBytes + " bytes must be a positive multiple of "
                    + blockSize + " bytes and at most the zone size " + zoneBytes);
        }
        int maxActive = z.integer("max-active", 0, 0, Integer.MAX_VALUE);
        int maxOpen = z.integer("max-open", 0, 0, Integer.MAX_VALUE);
        long active = maxActive == 0 ? org.copyoffload.backends.zone.ZoneLimits.UNLIMITED : maxActive;
        long open = maxOpen == 0 ? org.copyoffload.backends.zone.ZoneLimits.UNLIMITED : maxOpen;
        if (open > active) {
            throw new ConfigException(z.path() + ".max-open", (maxOpen == 0 ? "no limit" : maxOpen)
                    + " exceeds max-active " + maxActive);
        }
        boolean crossZoneRead = z.bool("cross-zone-read", false);
        z.rejectUnknownKeys();
        return new ServerConfig.Zoned(zoneBytes / blockSize, capBytes / blockSize, active, open, crossZoneRead);
    }

    /** MCL is a 32-bit count of logical blocks, at least 1. */
    private static long parseMcl(String text) {
        long v;
        try {
            v = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number of logical blocks, got '" + text + "'");
        }
        if (v < 1 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(v + " is outside 1..4294967295");
        }
        return v;
    }

    /** A stable serial number per NQN, so a host sees the same subsystem across restarts. */
    static String defaultSerial(String nqn) {
        return String.format("CO%016x", (long) nqn.hashCode() * 0x9E3779B97F4A7C15L).substring(0, 18);
    }

    private static void checkAddress(String key, String address) {
        if (!address.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            throw new ConfigException(key, "'" + address + "' is not an IP address");
        }
        try {
            InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new ConfigException(key, "'" + address + "' is not an IP address");
        }
    }

    /** NVMe Base 2.1, 4.7: an NQN starts with "nqn." and is at most 223 bytes of UTF-8. */
    static void checkNqn(String key, String nqn) {
        if (!nqn.startsWith("nqn.") || nqn.getBytes(StandardCharsets.UTF_8).length > 223 || nqn.contains(" ")) {
            throw new ConfigException(key, "'" + nqn + "' is not an NQN (nqn.yyyy-mm.reverse.domain:name, at most 223 bytes)");
        }
    }

    private static void checkAscii(String key, String value, int max) {
        if (value.isEmpty() || value.length() > max || !value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new ConfigException(key, "'" + value + "' must be 1 to " + max + " printable ASCII characters");
        }
    }
}
