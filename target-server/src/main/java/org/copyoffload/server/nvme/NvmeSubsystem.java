package org.copyoffload.server.nvme;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.copyoffload.server.config.NvmeVersion;
import org.copyoffload.server.config.ServerConfig;

/**
 * An NVM subsystem (or the discovery subsystem): its identity, namespaces, which hosts may connect,
 * and the controllers currently associated with hosts. Controller ids are allocated dynamically.
 */
public final class NvmeSubsystem {
    /** Dynamic controller ids come from 1..FFEFh (NVMe-oF 1.1, 4.2: FFF0h-FFFFh are reserved). */
    private static final int MAX_CNTLID = 0xFFEF;

    private final String nqn;
    private final String serial;
    private final String model;
    private final NvmeVersion version;
    private final boolean discovery;
    private final boolean allowAnyHost;
    private final Set<String> allowedHosts;
    private final boolean crossNamespaceCopyAtConnect;
    private final Map<String, ServerConfig.HostSecrets> hostSecrets;
    private final ServerConfig.Dhchap dhchap;
    private final TreeMap<Integer, NvmeNamespace> namespaces = new TreeMap<>();
    private final Map<Integer, NvmeController> controllers = new ConcurrentHashMap<>();
    private int nextCntlid = 1;

    public NvmeSubsystem(String nqn, String serial, String model, NvmeVersion version, boolean discovery,
                         boolean allowAnyHost, Collection<String> allowedHosts, boolean crossNamespaceCopyAtConnect,
                         List<NvmeNamespace> namespaces) {
        this(nqn, serial, model, version, discovery, allowAnyHost, allowedHosts, crossNamespaceCopyAtConnect, namespaces,
                Map.of(), ServerConfig.Dhchap.DEFAULT);
    }

    public NvmeSubsystem(String nqn, String serial, String model, NvmeVersion version, boolean discovery,
                         boolean allowAnyHost, Collection<String> allowedHosts, boolean crossNamespaceCopyAtConnect,
                         List<NvmeNamespace> namespaces, Map<String, ServerConfig.HostSecrets> hostSecrets,
                         ServerConfig.Dhchap dhchap) {
        this.hostSecrets = Map.copyOf(hostSecrets);
        this.dhchap = dhchap;
        this.nqn = nqn;
        this.serial = serial;
        this.model = model;
        this.version = version;
        this.discovery = discovery;
        this.allowAnyHost = allowAnyHost;
        this.allowedHosts = Set.copyOf(allowedHosts);
        this.crossNamespaceCopyAtConnect = crossNamespaceCopyAtConnect;
        for (NvmeNamespace ns : namespaces) {
            this.namespaces.put(ns.nsid(), ns);
        }
    }

    public String nqn() {
        return nqn;
    }

    public String serial() {
        return serial;
    }

    public String model() {
        return model;
    }

    public NvmeVersion version() {
        return version;
    }

    public boolean isDiscovery() {
        return discovery;
    }

    /** Copy (ONCS bit 8) came with NVMe 2.0 (TP4065); a 1.4 controller does not know the opcode. */
    public boolean copySupported() {
        return !discovery && version.atLeast(NvmeVersion.V2_0);
    }

    /**
     * OCFS: descriptor formats 0h/1h from NVMe 2.0, 2h/3h (cross-namespace, TP4130) from 2.1. Bit n is format n.
     */
    public int copyFormatsSupported() {
        if (!copySupported()) {
            return 0;
        }
        return version.atLeast(NvmeVersion.V2_1) ? 0xF : 0x3;
    }

    /**
     * Whether the subsystem has a zoned namespace: only then does it advertise the Zoned Namespace Command Set
     * (Identify CNS 1Ch, CNS 06h/07h with CSI 02h, Commands Supported and Effects for CSI 02h).
     */
    public boolean zonedSupported() {
        return namespaces.values().stream().anyMatch(NvmeNamespace::isZoned);
    }

    /** The CDFE bits a new controller starts with (Host Behavior Support bytes 5:4). */
    public int copyFormatsEnabledAtConnect() {
        return crossNamespaceCopyAtConnect ? copyFormatsSupported() & 0xC : 0;
    }

    public boolean allows(String hostNqn) {
        return discovery || allowAnyHost || allowedHosts.contains(hostNqn);
    }

    /** The DH-HMAC-CHAP secrets of a host that must authenticate, or null if it need not. */
    public ServerConfig.HostSecrets hostSecrets(String hostNqn) {
        return discovery ? null : hostSecrets.get(hostNqn);
    }

    /** The hashes and DH groups AUTH_Negotiate may choose, in order of preference. */
    public ServerConfig.Dhchap dhchap() {
        return dhchap;
    }

    public NvmeNamespace namespace(int nsid) {
        return namespaces.get(nsid);
    }

    public Collection<NvmeNamespace> namespaces() {
        return Collections.unmodifiableCollection(namespaces.values());
    }

    /** The largest NSID that could be valid; NN in Identify Controller. */
    public int maxNsid() {
        return namespaces.isEmpty() ? 0 : Math.max(namespaces.lastKey(), 32);
    }

    synchronized int allocateCntlid() {
        for (int i = 0; i < MAX_CNTLID; i++) {
            int id = nextCntlid;
            nextCntlid = nextCntlid == MAX_CNTLID ? 1 : nextCntlid + 1;
            if (!controllers.containsKey(id)) {
                return id;
            }
        }
        return -1;
    }

    void register(NvmeController controller) {
        controllers.put(controller.cntlid(), controller);
    }

    void unregister(NvmeController controller) {
        controllers.remove(controller.cntlid(), controller);
    }

    public NvmeController controller(int cntlid) {
        return controllers.get(cntlid);
    }

    public Collection<NvmeController> controllers() {
        return Collections.unmodifiableCollection(controllers.values());
    }
}
