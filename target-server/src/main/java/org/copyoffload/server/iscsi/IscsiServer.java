package org.copyoffload.server.iscsi;

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
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.iscsi.IscsiCodecSettings;
import org.copyoffload.protocol.iscsi.IscsiPduDecoder;
import org.copyoffload.protocol.iscsi.IscsiPduEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The iSCSI portals: one Netty server channel per configured address, epoll where available. */
public final class IscsiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IscsiServer.class);

    private final IscsiTargetService service;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final Class<? extends ServerSocketChannel> channelClass;
    private final List<Channel> listeners = new ArrayList<>();

    public IscsiServer(IscsiTargetService service, int workerThreads) {
        this.service = service;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, io);
        this.workerGroup = new MultiThreadIoEventLoopGroup(workerThreads, io);
        this.channelClass = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Binds one portal; returns the bound address (port 0 picks a free port). */
    public InetSocketAddress bind(String address, int port, int portalGroupTag) throws InterruptedException {
        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 256)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Until login ends: no digests, 8 KiB data segments (RFC 7143, 13.12 default).
                        IscsiCodecSettings codec = new IscsiCodecSettings(true);
                        ch.pipeline()
                                .addLast("flush", new FlushConsolidationHandler(256, true))
                                .addLast("decoder", new IscsiPduDecoder(codec))
                                .addLast("encoder", new IscsiPduEncoder(codec))
                                .addLast("connection", new IscsiConnection(service, codec, portalGroupTag));
                    }
                });
        Channel ch = b.bind(address, port).sync().channel();
        listeners.add(ch);
        InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
        log.info("iSCSI listening on {}:{} (portal group {})", bound.getAddress().getHostAddress(), bound.getPort(),
                portalGroupTag);
        return bound;
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
