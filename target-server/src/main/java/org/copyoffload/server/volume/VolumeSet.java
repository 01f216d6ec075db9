package org.copyoffload.server.volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.server.config.ConfigException;
import org.copyoffload.server.config.ServerConfig;

/** Opens every configured volume (creating sparse files where missing) and closes them together. */
public final class VolumeSet implements AutoCloseable {
    private final Map<String, Volume> volumes = new LinkedHashMap<>();

    public static VolumeSet open(ServerConfig config) {
        return open(config, UnaryOperator.identity());
    }

    /**
     * As {@link #open(ServerConfig)}, each file store passed through {@code wrap} before use (fault injection in
     * tests: a store that fails or stalls on purpose).
     */
    public static VolumeSet open(ServerConfig config, UnaryOperator<BlockStore> wrap) {
        VolumeSet set = new VolumeSet();
        try {
            Files.createDirectories(config.dataDir());
            for (ServerConfig.Volume v : config.volumes()) {
                Files.createDirectories(v.file().getParent());
                BlockStore store = null;
                try {
                    store = wrap.apply(FileBlockStore.open(v.file(), v.size(), true));
                    ZonedVolume zoned = v.zoned() == null ? null : ZonedVolume.open(v, store);
                    set.volumes.put(v.name(), new Volume(v.name(), store, v.blockSize(), zoned));
                } catch (IOException | IllegalArgumentException e) {
                    if (store != null) {
                        try {
                            store.close();
                        } catch (IOException ignored) {
                            // the volume is not in use yet
                        }
                    }
                    throw new ConfigException("volumes." + v.name(), "cannot open " + (v.zoned() == null ? v.file()
                            : v.file() + " with its zone metadata " + v.zonesFile()) + ": " + e.getMessage());
                }
            }
            return set;
        } catch (IOException e) {
            set.close();
            throw new UncheckedIOException("cannot create data directory " + config.dataDir(), e);
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
    }

    public Volume get(String name) {
        Volume v = volumes.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no volume " + name);
        }
        return v;
    }

    @Override
    public void close() {
        for (Volume v : volumes.values()) {
            if (v.zoned() != null) {
                try {
                    v.zoned().close();
                } catch (IOException e) {
                    org.slf4j.LoggerFactory.getLogger(VolumeSet.class).error("closing the zone metadata of {} failed: {}",
                            v.name(), e.toString());
                }
            }
            try {
                v.store().close();
            } catch (IOException ignored) {
                // Closing a store only releases descriptors; acknowledged data is already durable or cached.
            }
        }
        volumes.clear();
    }
}
