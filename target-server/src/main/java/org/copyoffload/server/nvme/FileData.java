package org.copyoffload.server.nvme;

import java.nio.channels.FileChannel;

/**
 * Read data left in its file, for the transport to send without copying it through user space
 * (sendfile). The transport reads it when the data goes out, not when the command completes.
 */
public record FileData(FileChannel channel, long position, int length) {
}
