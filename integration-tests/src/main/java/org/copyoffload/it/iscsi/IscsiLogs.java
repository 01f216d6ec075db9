package org.copyoffload.it.iscsi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the iSCSI harness keeps its logs and tables: {@code integration-tests/target/iscsi-logs/}, or the folder
 * given by {@code -Dcopyoffload.iscsi.logDir=DIR}.
 */
public final class IscsiLogs {

    private IscsiLogs() {
    }

    /** The log folder (not created here). */
    public static Path dir() {
        String explicit = System.getProperty("copyoffload.iscsi.logDir");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit).toAbsolutePath();
        }
        return moduleDir().resolve("target").resolve("iscsi-logs");
    }

    /** A file name made of letters, digits, dot, dash and underscore only. */
    public static String sanitize(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]+", "_");
        return s.isEmpty() ? "run" : s;
    }

    /**
     * The integration-tests module folder: Maven runs tests there (and sets {@code basedir}); from the repository
     * root it is {@code integration-tests/}.
     */
    public static Path moduleDir() {
        List<Path> candidates = new ArrayList<>();
        String basedir = System.getProperty("basedir");
        if (basedir != null) {
            candidates.add(Path.of(basedir));
        }
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd);
        candidates.add(cwd.resolve("integration-tests"));
        return candidates.stream()
                .filter(p -> Files.isRegularFile(p.resolve("guest").resolve("guest.sh")))
                .findFirst()
                .orElse(cwd)
                .toAbsolutePath();
    }
}
