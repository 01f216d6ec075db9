package org.copyoffload.server.nvme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.server.config.NvmeVersion;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.memory.DataBudget;
import org.copyoffload.server.memory.DirtyPageHeadroom;
import org.copyoffload.server.volume.VolumeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NVMe side of the server, independent of the transport: subsystems (plus the discovery subsystem),
 * the listeners discovery advertises, the executor that runs I/O against the stores and the scheduler
 * behind keep-alive timers.
 */
public final class NvmeTarget implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NvmeTarget.class);

    private final TargetSettings settings;
    private final DataBudget writeData;
    private final Map<String, NvmeSubsystem> subsystems = new LinkedHashMap<>();
    private final NvmeSubsystem discovery;
    private volatile List<AdvertisedListener> listeners = List.of();
    private final Map<NvmeSubsystem, HealthCounters> health = new ConcurrentHashMap<>();
    /** Unnamed virtual threads: naming one per command costs more than the page-cache read it does. */
    private final ExecutorService ioExecutor = Executors.newVirtualThreadPerTaskExecutor();
    /** The largest write done on an event loop: the size up to which reads of cached data are, too. */
    static final int MAX_INLINE_WRITE = NvmIoCommands.INLINE_READ_MAX_BYTES;
    private final DirtyPageHeadroom headroom = DirtyPageHeadroom.system();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("nvme-timers").daemon().factory());
    private final AtomicLong discoveryGeneration = new AtomicLong(1);
    private final AdminCommands admin;
    private final NvmIoCommands io;
    private final FabricsCommands fabrics;
    private volatile CommandObserver observer = CommandObserver.NONE;
    private volatile CopyEngine copyEngine = new CopyEngine(scratchStores(Path.of(System.getProperty("java.io.tmpdir"))));

    public NvmeTarget(TargetSettings settings, Collection<NvmeSubsystem> subsystems, DataBudget writeData) {
        this.settings = settings;
        this.writeData = writeData;
        for (NvmeSubsystem s : subsystems) {
            this.subsystems.put(s.nqn(), s);
        }
        this.discovery = new NvmeSubsystem(ConfigLoader.DISCOVERY_NQN, "copyoffload-disc", "copyoffload discovery",
                NvmeVersion.V2_1, true, true, List.of(), false, List.of());
        this.admin = new AdminCommands(this);
        this.io = new NvmIoCommands(this);
        this.fabrics = new FabricsCommands(this);
    }

    /** Builds the subsystems and namespaces of a configuration over already opened volumes. */
    public static NvmeTarget fromConfig(ServerConfig config, VolumeSet volumes) {
        ServerConfig.Nvme n = config.nvme();
        TargetSettings settings = new TargetSettings(n.mdts(), n.maxQueueEntries(), n.maxIoQueues(),
                n.inCapsuleDataSize(), n.maxH2cData(), n.maxWriteDataPerConnection(), n.setupTimeout(),
                n.maxKeepAliveTimeout());
        List<NvmeSubsystem> subsystems = config.subsystems().stream().map(s -> new NvmeSubsystem(s.nqn(), s.serial(),
                s.model(), s.version() != null ? s.version() : n.version(), false, s.allowAnyHost(), s.allowedHosts(),
                s.crossNamespaceCopyAtConnect(), s.namespaces().stream().map(ns -> new NvmeNamespace(s.nqn(), ns.nsid(),
                        volumes.get(ns.volume()), ns.copyLimits())).toList(), s.hostSecrets(), s.dhchap()))
                .toList();
        NvmeTarget target = new NvmeTarget(settings, subsystems, new DataBudget(n.maxWriteData()));
        target.scratchDirectory(config.dataDir());
        return target;
    }

    /**
     * Scratch space for copies whose sources overlap what they write: sparse files in {@code dir}, on the
     * volumes' filesystem so copy_file_range can serve them, unlinked at once so a crash leaves nothing behind.
     */
    public static CopyEngine.TemporaryStores scratchStores(Path dir) {
        return size -> {
            Path file = Files.createTempFile(dir, ".copy-", ".scratch");
            try {
                return FileBlockStore.open(file, size, true);
            } finally {
                Files.deleteIfExists(file);
            }
        };
    }

    public CopyEngine copyEngine() {
        return copyEngine;
    }

    public void scratchDirectory(Path dir) {
        this.copyEngine = new CopyEngine(scratchStores(dir));
    }

    public TargetSettings settings() {
        return settings;
    }

    /** Solicited write data buffered in the whole target, across connections. */
    public DataBudget writeData() {
        return writeData;
    }

    public NvmeSubsystem subsystem(String nqn) {
        return ConfigLoader.DISCOVERY_NQN.equals(nqn) ? discovery : subsystems.get(nqn);
    }

    public Collection<NvmeSubsystem> subsystems() {
        return subsystems.values();
    }

    public NvmeSubsystem discoverySubsystem() {
        return discovery;
    }

    List<AdvertisedListener> listeners() {
        return listeners;
    }

    /** Sets what the discovery log page reports; a change is a new discovery log generation. */
    public void advertise(List<AdvertisedListener> value) {
        listeners = List.copyOf(value);
        discoveryGeneration.incrementAndGet();
    }

    long discoveryGeneration() {
        return discoveryGeneration.get();
    }

    HealthCounters health(NvmeSubsystem subsystem) {
        return health.computeIfAbsent(subsystem, s -> new HealthCounters());
    }

    public ExecutorService ioExecutor() {
        return ioExecutor;
    }

    /**
     * Where a write of {@code bytes} into {@code store} runs: on the calling thread (the connection's event loop)
     * when the store buffers writes in the local page cache, dirty memory is far from the kernel's throttling and
     * the write is at most {@value #MAX_INLINE_WRITE} bytes (so a loop is held for tens of microseconds at most);
     * else on the I/O executor, as durable writes always are.
     */
    public java.util.concurrent.Executor writeExecutor(BlockStore store, long bytes, boolean durable) {
        return store.buffersWritesInPageCache() ? headroom.executorFor(bytes, durable, MAX_INLINE_WRITE, ioExecutor)
                : ioExecutor;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public AdminCommands admin() {
        return admin;
    }

    public NvmIoCommands io() {
        return io;
    }

    public FabricsCommands fabrics() {
        return fabrics;
    }

    public CommandObserver observer() {
        return observer;
    }

    public void observer(CommandObserver value) {
        this.observer = value;
    }

    /**
     * Makes the namespaces durable (Flush of one or all namespaces, controller shutdown, target shutdown): a zoned
     * namespace through its zone metadata, which syncs the data first. Every namespace is tried even after one
     * fails, so one bad disk does not leave the others' data in the cache.
     *
     * @throws FlushFailedException naming every namespace whose flush failed
     */
    public void flush(Collection<NvmeNamespace> namespaces) throws FlushFailedException {
        FlushFailedException failed = null;
        for (NvmeNamespace ns : namespaces) {
            try {
                if (ns.isZoned()) {
                    ns.zones().sync();
                } else {
                    ns.volume().store().flush();
                }
            } catch (IOException e) {
                log.error("flush of namespace {} ({}) failed: {}", ns.nsid(), ns.volume().name(), e.toString());
                if (failed == null) {
                    failed = new FlushFailedException(ns.nsid(), e);
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** A flush that did not reach stable storage; {@link #nsid()} is the first namespace that failed. */
    public static final class FlushFailedException extends IOException {
        private final int nsid;

        FlushFailedException(int nsid, IOException cause) {
            super("flush of namespace " + Integer.toUnsignedString(nsid) + " failed: " + cause.getMessage(), cause);
            this.nsid = nsid;
        }

        public int nsid() {
            return nsid;
        }
    }

    @Override
    public void close() {
        for (NvmeSubsystem s : subsystems.values()) {
            for (NvmeController c : List.copyOf(s.controllers())) {
                c.close("target shutting down");
            }
            try {
                flush(s.namespaces());
            } catch (FlushFailedException e) {
                log.error("stopping with data of {} that may not be on stable storage: {}", s.nqn(), e.getMessage());
            }
        }
        for (NvmeController c : List.copyOf(discovery.controllers())) {
            c.close("target shutting down");
        }
        scheduler.shutdownNow();
        ioExecutor.shutdown();
    }
}
