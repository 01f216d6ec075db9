package org.copyoffload.server.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads a small {@code /proc} or {@code /sys} file with one read from offset 0. Sysctl files ({@code /proc/sys},
 * Linux's proc_dointvec) answer every read at a non-zero offset with end-of-file, and {@code Files.readString}, which
 * reads a single byte first when a file's size is 0 (as every proc file's is), then returns "1" for "10".
 */
public final class ProcFile {
    /** Larger than any value these files hold; a page, as the kernel formats them. */
    private static final int MAX_BYTES = 4096;

    private ProcFile() {
    }

    /** The file's text as one read returns it (at most 4 KiB). */
    public static String read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer buf = ByteBuffer.allocate(MAX_BYTES);
            int n = ch.read(buf, 0);
            return n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.US_ASCII);
        }
    }
}
