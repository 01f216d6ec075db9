package org.copyoffload.server.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP listeners of one transport (NVMe/TCP, iSCSI): an acceptor thread, {@code workerThreads} event loops
 * (epoll where available, else NIO), TCP_NODELAY on every connection, a {@link ConnectionGate} that closes what is
 * over its bounds, and a pipeline the transport sets up for the rest.
 */
public final class TcpListeners implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcpListeners.class);
    private static final RateLimitedWarnings REFUSED = RateLimitedWarnings.of(log, "connections refused over the limits");
    /** Linux's SO_RCVLOWAT (SOL_SOCKET 1, option 18), which epoll channels pass to setsockopt as it is. */
    private static final IntegerUnixChannelOption SO_RCVLOWAT = new IntegerUnixChannelOption("SO_RCVLOWAT", 1, 18);

    private final ConnectionGate gate;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerSocketChannel> channelClass;
    private final List<Channel> listeners = new ArrayList<>();

    public TcpListeners(int workerThreads, ConnectionGate gate) {
        this.gate = gate;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, io);
        this.workerGroup = new MultiThreadIoEventLoopGroup(workerThreads, io);
        this.channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Sets a connection's receive watermark on epoll sockets; NIO has no such option. */
    public ReceiveWatermark receiveWatermark() {
        return epoll() ? (ctx, bytes) -> ctx.channel().config().setOption(SO_RCVLOWAT, bytes) : ReceiveWatermark.NONE;
    }

    /** Receive buffers between 64 B and 256 KiB, sized by what the last reads of the connection filled. */
    public static io.netty.channel.RecvByteBufAllocator receiveBuffers() {
        return new io.netty.channel.AdaptiveRecvByteBufAllocator(64, 2048, 256 * 1024);
    }

    /** Binds one listener whose connections get {@code pipeline}; returns the bound address (port 0: a free one). */
    public InetSocketAddress bind(String address, int port, Consumer<SocketChannel> pipeline) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                // Reads of up to 256 KiB, not Netty's 64 KiB: a 128 KiB H2CData or Data-Out then takes one or two
                // recv calls instead of three or more (128 KiB writes: 0.97 -> 0.87 CPU s/GB, issue 17). The
                // buffer only grows for connections that fill it, so idle or chatty ones keep small buffers.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, receiveBuffers())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        java.net.InetAddress host = ch.remoteAddress().getAddress();
                        String refusal = gate.admit(host);
                        if (refusal != null) {
                            REFUSED.warn("refusing a connection from {}: {}", ch.remoteAddress(), refusal);
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> gate.release(host));
                        pipeline.accept(ch);
                    }
                });
        Channel ch = b.bind(address, port).sync().channel();
        listeners.add(ch);
        return (InetSocketAddress) ch.localAddress();
    }

    public boolean epoll() {
        return channelClass == EpollServerSocketChannel.class;
    }

    @Override
    public void close() {
        for (Channel ch : listeners) {
            ch.close().syncUninterruptibly();
        }
        bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
