package org.copyoffload.server.volume;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.server.config.ConfigException;
import org.copyoffload.server.config.ServerConfig;

/** Opens every configured volume (creating sparse files where missing) and closes them together. */
public final class VolumeSet implements AutoCloseable {
    private final Map<String, Volume> volumes = new LinkedHashMap<>();

    public static VolumeSet open(ServerConfig config) {
        VolumeSet set = new VolumeSet();
        try {
            Files.createDirectories(config.dataDir());
            for (ServerConfig.Volume v : config.volumes()) {
                Files.createDirectories(v.file().getParent());
                try {
                    set.volumes.put(v.name(), new Volume(v.name(), FileBlockStore.open(v.file(), v.size(), true), v.blockSize()));
                } catch (IOException | IllegalArgumentException e) {
                    throw new ConfigException("volumes." + v.name(), "cannot open " + v.file() + ": " + e.getMessage());
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
            try {
                v.store().close();
            } catch (IOException ignored) {
                // Closing a store only releases descriptors; acknowledged data is already durable or cached.
            }
        }
        volumes.clear();
    }
}
