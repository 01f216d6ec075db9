package org.copyoffload.server.nvme.tcp;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * A file region over a volume's own channel. {@link DefaultFileRegion} closes its channel when released; the
 * volume's channel is shared by every command, so this one leaves it open. It stays a DefaultFileRegion
 * because the epoll transport sends only that class with sendfile.
 */
final class SharedFileRegion extends DefaultFileRegion {
    SharedFileRegion(FileChannel channel, long position, long count) {
        super(channel, position, count);
    }

    @Override
    protected void deallocate() {
        // The channel belongs to the volume, which closes it.
    }
}
