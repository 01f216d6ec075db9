package org.copyoffload.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;

/**
 * The whole server configuration, validated: volumes are defined once and exported by name as NVMe
 * namespaces of subsystems; listeners say where NVMe/TCP is served and what discovery advertises.
 */
public record ServerConfig(Path dataDir, List<Listener> listeners, Metrics metrics, Nvme nvme,
                           List<Volume> volumes, List<Subsystem> subsystems, Iscsi iscsi, ConnectionLimits limits) {

    /**
     * Open connections each transport's listeners take (NVMe/TCP and iSCSI apart): in all, and from one IP address.
     * Defaults: 4096 and 1024, far above what Linux hosts open (a controller takes a connection per CPU and one more).
     */
    public record ConnectionLimits(int connections, int connectionsPerHost) {
        public static final ConnectionLimits DEFAULT = new ConnectionLimits(4096, 1024);
    }

    public ServerConfig {
        listeners = List.copyOf(listeners);
        volumes = List.copyOf(volumes);
        subsystems = List.copyOf(subsystems);
    }

    /** The same with other iSCSI settings. */
    public ServerConfig withIscsi(Iscsi value) {
        return new ServerConfig(dataDir, listeners, metrics, nvme, volumes, subsystems, value, limits);
    }

    /**
     * The iSCSI side (RFC 7143): portals, targets with their LUNs, and the session limits offered in login. No
     * listeners: no iSCSI.
     */
    public record Iscsi(List<IscsiPortal> portals, IscsiLimits limits, Chap discoveryChap, List<IscsiTarget> targets) {
        public static final Iscsi NONE = new Iscsi(List.of(), IscsiLimits.DEFAULT, null, List.of());

        public Iscsi {
            portals = List.copyOf(portals);
            targets = List.copyOf(targets);
        }
    }

    /**
     * An iSCSI listener; SendTargets reports {@code advertiseAddress} and {@code advertisePort} (0: the bound
     * port; another when a port is forwarded, as a container's is); {@code portalGroupTag} is its TPGT.
     */
    public record IscsiPortal(String address, int port, String advertiseAddress, int advertisePort, int portalGroupTag) {
        public IscsiPortal(String address, int port, String advertiseAddress, int portalGroupTag) {
            this(address, port, advertiseAddress, 0, portalGroupTag);
        }
    }

    /**
     * What the target offers in login (RFC 7143, 13): data segment and burst sizes, R2T and immediate data
     * behaviour, connections per session; {@code queueDepth} is the CmdSN window (MaxCmdSN - ExpCmdSN + 1); the
     * solicited write data a connection and the target may hold; how long a connection may take to log in, after how
     * long a silent connection in full feature phase is pinged with NOP-In, and how long the ping may stay unanswered.
     */
    public record IscsiLimits(int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength,
                              int maxOutstandingR2T, boolean immediateData, boolean initialR2T, int maxConnections,
                              int queueDepth, long maxWriteDataPerConnection, long maxWriteData, Duration loginTimeout,
                              Duration nopInInterval, Duration nopInTimeout) {
        public static final IscsiLimits DEFAULT = new IscsiLimits(262144, 1 << 20, 65536, 1, true, true, 8, 128,
                32L << 20, 512L << 20, Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(30));
    }

    /**
     * CHAP credentials (RFC 7143, 12.1.3): the initiator must answer with {@code user}/{@code secret}; with a
     * {@code mutualUser}, the target answers the initiator's challenge with {@code mutualSecret}.
     */
    public record Chap(String user, String secret, String mutualUser, String mutualSecret) {
        public boolean mutual() {
            return mutualUser != null;
        }

        /** Without the secrets: a configuration may be logged. */
        @Override
        public String toString() {
            return "Chap[user=" + user + ", secret=(hidden)" + (mutual() ? ", mutualUser=" + mutualUser
                    + ", mutualSecret=(hidden)" : "") + "]";
        }
    }

    /**
     * An iSCSI target: its LUNs (volumes by name), who may log in, and CHAP if required: {@code initiatorChap} holds
     * the credentials of initiators that have their own (as LIO's per-ACL authentication), {@code chap} those of the
     * others.
     */
    public record IscsiTarget(String name, String alias, boolean allowAnyInitiator, List<String> allowedInitiators,
                              Chap chap, Map<String, Chap> initiatorChap, List<Lun> luns) {
        public IscsiTarget {
            allowedInitiators = List.copyOf(allowedInitiators);
            initiatorChap = Map.copyOf(initiatorChap);
            luns = List.copyOf(luns);
        }

        public IscsiTarget(String name, String alias, boolean allowAnyInitiator, List<String> allowedInitiators,
                           Chap chap, List<Lun> luns) {
            this(name, alias, allowAnyInitiator, allowedInitiators, chap, Map.of(), luns);
        }

        /** The CHAP credentials {@code initiatorName} must log in with: its own, else the target's (null: none). */
        public Chap chapFor(String initiatorName) {
            Chap own = initiatorName == null ? null : initiatorChap.get(initiatorName);
            return own != null ? own : chap;
        }
    }

    public record Lun(long lun, String volume) {
    }

    /**
     * An NVMe/TCP listener; {@code advertiseAddress} and {@code advertisePort} are what the discovery log page
     * reports (port 0: the bound port; another when a port is forwarded, as a container's is).
     */
    public record Listener(String address, int port, String advertiseAddress, int advertisePort, TlsMode tls,
                           List<TlsKey> tlsKeys) {
        public Listener {
            tlsKeys = List.copyOf(tlsKeys);
        }

        public Listener(String address, int port, String advertiseAddress, int advertisePort) {
            this(address, port, advertiseAddress, advertisePort, TlsMode.NONE, List.of());
        }

        public Listener(String address, int port, String advertiseAddress) {
            this(address, port, advertiseAddress, 0);
        }
    }

    /**
     * TLS on an NVMe/TCP listener (NVMe/TCP Transport 1.1, 3.6.1): none, optional (a host may start with TLS or with
     * ICReq) or required (a connection that starts with ICReq is closed).
     */
    public enum TlsMode { NONE, OPTIONAL, REQUIRED }

    /**
     * A configured PSK of one host for one subsystem, in the interchange format ({@code NVMeTLSkey-1:01:...:}), and
     * the HkdfLabel layout its retained and TLS PSKs are derived with (the host's nvme-cli decides).
     */
    public record TlsKey(String host, String subsystem, org.copyoffload.protocol.nvme.tls.ConfiguredPsk key,
                         org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm derivation) {
        @Override
        public String toString() {
            return "TlsKey[host=" + host + ", subsystem=" + subsystem + ", key=(hidden), derivation=" + derivation + "]";
        }
    }

    public record Metrics(boolean enabled, String address, int port) {
    }

    /**
     * Controller-wide NVMe settings: the advertised version (1.4, 2.0 or 2.1), MDTS as a power of two of
     * 4 KiB pages, queue sizes, in-capsule data size, MAXH2CDATA, and how many bytes of solicited write data
     * (R2T) may be buffered at once per connection and in the whole target, and the number of event-loop threads
     * serving the connections; {@code setupTimeout}: how long a new connection may take to send ICReq and Connect;
     * {@code maxKeepAliveTimeout}: the longest KATO a host may ask for.
     */
    public record Nvme(NvmeVersion version, int mdts, int maxQueueEntries, int maxIoQueues, int inCapsuleDataSize,
                       int maxH2cData, long maxWriteDataPerConnection, long maxWriteData, int eventLoops,
                       Duration setupTimeout, Duration maxKeepAliveTimeout) {
        public Nvme withVersion(NvmeVersion value) {
            return new Nvme(value, mdts, maxQueueEntries, maxIoQueues, inCapsuleDataSize, maxH2cData,
                    maxWriteDataPerConnection, maxWriteData, eventLoops, setupTimeout, maxKeepAliveTimeout);
        }
    }

    /**
     * A file-backed volume; {@code blockSize} is the LBA size it is exported with (512 or 4096); {@code zoned}
     * makes it a zoned namespace (null: conventional).
     */
    public record Volume(String name, Path file, long size, int blockSize, Zoned zoned) {
        public Volume(String name, Path file, long size, int blockSize) {
            this(name, file, size, blockSize, null);
        }

        /** The zone metadata file: NAME.zones next to the volume file. */
        public Path zonesFile() {
            return file.resolveSibling(name + ".zones");
        }
    }

    /**
     * The zone layout of a zoned volume: zone size and capacity in logical blocks (the size a power of two),
     * maximum active and open zones as counts ({@code ZoneLimits.UNLIMITED}: no limit).
     */
    /** {@code crossZoneRead}: reads may cross zone boundaries (OZCS RAZB, as QEMU's zoned.cross_read). */
    public record Zoned(long zoneSizeBlocks, long zoneCapacityBlocks, long maxActive, long maxOpen,
                        boolean crossZoneRead) {
        public Zoned(long zoneSizeBlocks, long zoneCapacityBlocks, long maxActive, long maxOpen) {
            this(zoneSizeBlocks, zoneCapacityBlocks, maxActive, maxOpen, false);
        }
    }

    /**
     * An NVM subsystem; an empty {@code allowedHosts} with {@code allowAnyHost} lets every host in.
     * {@code crossNamespaceCopyAtConnect} enables Copy descriptor formats 2h/3h in Host Behavior Support
     * when a controller is created, for hosts that cannot set that feature themselves (Linux 6.12).
     */
    public record Subsystem(String nqn, String serial, String model, NvmeVersion version, boolean allowAnyHost,
                            List<String> allowedHosts, boolean crossNamespaceCopyAtConnect, List<Namespace> namespaces,
                            Map<String, HostSecrets> hostSecrets, Dhchap dhchap) {
        public Subsystem {
            allowedHosts = List.copyOf(allowedHosts);
            namespaces = List.copyOf(namespaces);
            hostSecrets = Map.copyOf(hostSecrets);
        }

        public Subsystem(String nqn, String serial, String model, NvmeVersion version, boolean allowAnyHost,
                         List<String> allowedHosts, boolean crossNamespaceCopyAtConnect, List<Namespace> namespaces) {
            this(nqn, serial, model, version, allowAnyHost, allowedHosts, crossNamespaceCopyAtConnect, namespaces,
                    Map.of(), Dhchap.DEFAULT);
        }
    }

    /**
     * DH-HMAC-CHAP secrets of one allowed host (NVMe Base 2.1, 8.3.4.5): the host must prove {@code secret}; with a
     * {@code controllerSecret} the controller can prove itself too when the host asks (bidirectional). Their
     * toString shows no key.
     */
    public record HostSecrets(DhchapSecret secret, DhchapSecret controllerSecret) {
        public HostSecrets {
            java.util.Objects.requireNonNull(secret, "secret");
        }
    }

    /**
     * What a subsystem's controllers accept in AUTH_Negotiate, in order of preference: the first of {@code hashes}
     * and of {@code dhGroups} that the host offers is used.
     */
    public record Dhchap(List<DhchapHash> hashes, List<DhGroup> dhGroups) {
        /** SHA-256 first (what every host offers); a DH exchange before the NULL group, so a recorded exchange cannot be
         * used to guess the secret offline; small groups first, the larger ones cost seconds on slow hosts. */
        public static final Dhchap DEFAULT = new Dhchap(List.of(DhchapHash.SHA_256, DhchapHash.SHA_384, DhchapHash.SHA_512),
                List.of(DhGroup.FFDHE2048, DhGroup.FFDHE3072, DhGroup.FFDHE4096, DhGroup.FFDHE6144, DhGroup.FFDHE8192,
                        DhGroup.NULL));

        public Dhchap {
            hashes = List.copyOf(hashes);
            dhGroups = List.copyOf(dhGroups);
        }
    }

    /** A namespace: a volume under an NSID, with its Copy limits (NVM Command Set: MSSRL, MCL, MSRC). */
    public record Namespace(int nsid, String volume, CopyLimits copyLimits) {
        public Namespace(int nsid, String volume) {
            this(nsid, volume, CopyLimits.DEFAULT);
        }
    }

    /**
     * Copy limits of a namespace: MSSRL, the most logical blocks in one source range; MCL, the most logical
     * blocks in one Copy command; MSRC, the most source ranges (0's based, as Identify Namespace reports it).
     */
    public record CopyLimits(int mssrl, long mcl, int msrc) {
        /** Large enough for a 1 GiB copy of 4 KiB blocks in few ranges; fields at their widths' limits. */
        public static final CopyLimits DEFAULT = new CopyLimits(65535, 1L << 24, 255);

        public CopyLimits {
            if (mssrl < 1 || mssrl > 0xFFFF || mcl < 1 || mcl > 0xFFFF_FFFFL || msrc < 0 || msrc > 0xFF) {
                throw new IllegalArgumentException("copy limits out of range: " + mssrl + "/" + mcl + "/" + msrc);
            }
        }
    }
}
