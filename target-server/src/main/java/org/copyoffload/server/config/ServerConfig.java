package org.copyoffload.server.config;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole server configuration, validated: volumes are defined once and exported by name as NVMe
 * namespaces of subsystems; listeners say where NVMe/TCP is served and what discovery advertises.
 */
public record ServerConfig(Path dataDir, List<Listener> listeners, Metrics metrics, Nvme nvme,
                           List<Volume> volumes, List<Subsystem> subsystems) {

    public ServerConfig {
        listeners = List.copyOf(listeners);
        volumes = List.copyOf(volumes);
        subsystems = List.copyOf(subsystems);
    }

    /** An NVMe/TCP listener; {@code advertiseAddress} is what the discovery log page reports. */
    public record Listener(String address, int port, String advertiseAddress) {
    }

    public record Metrics(boolean enabled, String address, int port) {
    }

    /**
     * Controller-wide NVMe settings: the advertised version (1.4, 2.0 or 2.1), MDTS as a power of two of
     * 4 KiB pages, queue sizes, in-capsule data size, MAXH2CDATA and the keep-alive granularity.
     */
    public record Nvme(NvmeVersion version, int mdts, int maxQueueEntries, int maxIoQueues, int inCapsuleDataSize,
                       int maxH2cData) {
    }

    /** A file-backed volume; {@code blockSize} is the LBA size it is exported with (512 or 4096). */
    public record Volume(String name, Path file, long size, int blockSize) {
    }

    /** An NVM subsystem; an empty {@code allowedHosts} with {@code allowAnyHost} lets every host in. */
    public record Subsystem(String nqn, String serial, String model, NvmeVersion version, boolean allowAnyHost,
                            List<String> allowedHosts, List<Namespace> namespaces) {
        public Subsystem {
            allowedHosts = List.copyOf(allowedHosts);
            namespaces = List.copyOf(namespaces);
        }
    }

    public record Namespace(int nsid, String volume) {
    }
}
