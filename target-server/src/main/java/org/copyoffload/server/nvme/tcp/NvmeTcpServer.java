package org.copyoffload.server.nvme.tcp;

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
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.server.nvme.TargetSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The NVMe/TCP listeners: one Netty server channel per configured address, epoll where available. */
public final class NvmeTcpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NvmeTcpServer.class);

    private final NvmeTarget target;
    private final NvmeTcpMetrics metrics;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerSocketChannel> channelClass;
    private final List<Channel> listeners = new ArrayList<>();

    public NvmeTcpServer(NvmeTarget target, NvmeTcpMetrics metrics, int workerThreads) {
        this.target = target;
        this.metrics = metrics;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, io);
        this.workerGroup = new MultiThreadIoEventLoopGroup(workerThreads, io);
        this.channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        log.debug("NVMe/TCP transport: {}", epoll ? "epoll" : "NIO");
    }

    /** Binds one listener; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress bind(String address, int port) throws InterruptedException {
        TargetSettings t = target.settings();
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Before Connect only ICReq and a Connect capsule with its 1 KiB of data may arrive.
                        NvmeTcpSettings settings = new NvmeTcpSettings(true, t.maxH2cData(),
                                TargetSettings.ADMIN_IN_CAPSULE_DATA);
                        settings.listener(metrics);
                        ch.pipeline()
                                .addLast("flush", new FlushConsolidationHandler(256, true))
                                .addLast("decoder", new NvmeTcpPduDecoder(settings))
                                .addLast("encoder", new NvmeTcpPduEncoder(settings))
                                .addLast("queue", new NvmeTcpQueueHandler(target, settings, metrics));
                    }
                });
        Channel ch = b.bind(address, port).sync().channel();
        listeners.add(ch);
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        log.info("NVMe/TCP listening on {}:{}", bound.getAddress().getHostAddress(), bound.getPort());
        return bound;
    }

    @Override
    public void close() {
        for (Channel ch : listeners) {
            ch.close().syncUninterruptibly();
        }
        bossGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        workerGroup.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
