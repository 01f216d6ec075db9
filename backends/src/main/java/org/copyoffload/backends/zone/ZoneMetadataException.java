package org.copyoffload.backends.zone;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The zone metadata file is corrupt, does not match the configuration, or is missing next to a volume that holds
 * data; the message names the file (and zone).
 */
public final class ZoneMetadataException extends IOException {
    private final Path file;
    private final int zone;

    ZoneMetadataException(Path file, int zone, String message) {
        super("zone metadata file " + file + (zone >= 0 ? ", zone " + zone : "") + ": " + message);
        this.file = file;
        this.zone = zone;
    }

    public Path file() {
        return file;
    }

    /** The zone whose record is bad, or -1 for the header or the whole file. */
    public int zone() {
        return zone;
    }
}
