package org.copyoffload.initiator;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.ReceiveWatermark;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's event loops and socket type (NVMe/TCP or iSCSI): native epoll where Netty can load it, NIO otherwise.
 */
public final class Transport implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Transport.class);
    /** Linux's SO_RCVLOWAT (SOL_SOCKET 1, option 18), which epoll channels pass to setsockopt as it is. */
    private static final IntegerUnixChannelOption SO_RCVLOWAT = new IntegerUnixChannelOption("SO_RCVLOWAT", 1, 18);
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelClass;

    /** @param name the event loop threads' name prefix, e.g. "nvme-tcp-host" */
    public Transport(String name, int threads) {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
        this.channelClass = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        log.debug("{} event loop(s) on {}", threads, epoll ? "epoll" : "NIO");
    }

    /** A client bootstrap: no Nagle delay, since commands are small and latency bound. */
    public Bootstrap bootstrap(Duration connectTimeout) {
        return new Bootstrap()
                .group(group)
                .channel(channelClass)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                // Reads of up to 256 KiB (Netty's default stops at 64 KiB): fewer recv calls per 128 KiB of data.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new io.netty.channel.AdaptiveRecvByteBufAllocator(64, 2048, 256 * 1024))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    }

    /** Sets a connection's SO_RCVLOWAT on epoll sockets; NIO has no such option. */
    public ReceiveWatermark receiveWatermark() {
        return channelClass == EpollSocketChannel.class
                ? (ctx, bytes) -> ctx.channel().config().setOption(SO_RCVLOWAT, bytes) : ReceiveWatermark.NONE;
    }

    public EventLoopGroup group() {
        return group;
    }

    /** Whether the calling thread is one of these event loops, where a blocking wait would deadlock. */
    public boolean inEventLoop() {
        for (EventExecutor e : group) {
            if (e.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code work} on the calling thread, or on a new daemon thread when called from one of these event loops. */
    public void runOffEventLoop(String threadName, Runnable work) {
        if (inEventLoop()) {
            Thread.ofPlatform().daemon().name(threadName).start(work);
        } else {
            work.run();
        }
    }

    /** Stops the event loops, waiting a bounded time: closing must never hang. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
