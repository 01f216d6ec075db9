package org.copyoffload.backends.copy;

import java.io.IOException;

/**
 * A copy stopped part-way. Segments before {@link #segmentsCopied()} are in the destination; the failed one
 * and those after it may be partly written, and nothing outside the destination range was touched. The cause
 * says what failed; copy_file_range does not tell a failed read from a failed write.
 */
public final class CopyFailedException extends IOException {
    private final int segmentsCopied;

    CopyFailedException(int segmentsCopied, IOException cause) {
        super("copy stopped at segment " + segmentsCopied + ": " + cause.getMessage(), cause);
        this.segmentsCopied = segmentsCopied;
    }

    public int segmentsCopied() {
        return segmentsCopied;
    }
}
