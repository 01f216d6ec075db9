package org.copyoffload.backends.state;

import java.io.IOException;
import java.nio.file.Path;

/** A state file is corrupt or of another kind or version; the message names the file and what is wrong. */
public final class StateFileException extends IOException {
    private final Path file;

    public StateFileException(Path file, String message) {
        super("state file " + file + ": " + message);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
