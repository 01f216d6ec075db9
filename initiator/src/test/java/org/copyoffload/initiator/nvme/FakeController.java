package org.copyoffload.initiator.nvme;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.identify.LbaFormat;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduEncoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;

/**
 * A loopback NVMe/TCP controller that speaks just enough for the host's tests: IC exchange, Connect,
 * properties, Identify, Number of Queues, features, Keep Alive, the Discovery log, and one namespace
 * of {@link #BLOCKS} 512-byte blocks with Read (C2HData in several PDUs), Write (in-capsule or by R2T in
 * several pieces) and Flush. Knobs change its behaviour; faults keyed by SLBA make it misbehave; the
 * lists record what the host sent.
 */
final class FakeController implements AutoCloseable {
    static final String SUBNQN = "nqn.2024-01.org.copyoffload:fake";
    static final int LBA_SIZE = 512;
    static final int BLOCKS = 4096;
    static final int NSID = 1;
    static final int CNTLID = 7;

    /** Misbehaviours, triggered by a Read or Write of one SLBA. */
    enum Fault { TERM_REQ, CLOSE, C2H_OUT_OF_ORDER, C2H_TOO_LONG, R2T_OUT_OF_RANGE, RESPONSE_UNKNOWN_CID, BAD_DATA_DIGEST, BAD_HEADER_DIGEST, NO_RESPONSE }

    record Command(int qid, SubmissionQueueEntry sqe, int inCapsuleLength) {
        boolean is(int opcode) {
            return sqe.opcode() == opcode && !sqe.isFabrics();
        }

        boolean isFabrics(FabricsCommandType type) {
            return sqe.isFabrics() && sqe.fabricsCommandType() == type.code();
        }
    }

    record H2c(int qid, int cccid, int ttag, int dataOffset, int dataLength, boolean last) {
    }

    record R2tSent(int cccid, int offset, int length) {
    }

    record Connect(ConnectCommand command, ConnectData data) {
    }

    // ---- knobs: set them before the host connects ----
    volatile int maxH2cData = 8192;
    volatile int cpda;
    volatile int ioccsz = (64 + 4096) / 16;
    volatile int c2hChunk = 8192;
    volatile boolean c2hSuccess;
    volatile int r2tChunk = 32768;
    volatile boolean r2tReversed;
    volatile int mdts = 5;
    volatile int mqes = 1023;
    volatile boolean capIoCommandSets;
    volatile int readyAfterPolls = 2;
    volatile int grantQueues = 64;
    volatile boolean holdIo;
    volatile boolean ignoreShutdown;
    volatile boolean discovery;
    volatile long discoveryGenctr = 1;
    volatile List<DiscoveryLogEntry> discoveryEntries = List.of();
    /** Bump the generation counter after this many more full-page reads. */
    final AtomicInteger bumpGenctrAfterPageReads = new AtomicInteger(-1);
    final Map<Long, Fault> faults = new ConcurrentHashMap<>();

    // ---- what the host did ----
    final List<Command> commands = new CopyOnWriteArrayList<>();
    final List<Connect> connects = new CopyOnWriteArrayList<>();
    final List<NvmeTcpPdu.IcReq> icReqs = new CopyOnWriteArrayList<>();
    final List<H2c> h2c = new CopyOnWriteArrayList<>();
    final List<R2tSent> r2ts = new CopyOnWriteArrayList<>();
    final List<NvmeTcpPdu.TermReq> hostTermReqs = new CopyOnWriteArrayList<>();
    final List<String> violations = new CopyOnWriteArrayList<>();
    final List<Runnable> held = new CopyOnWriteArrayList<>();
    final AtomicLong wireIn = new AtomicLong();
    final AtomicLong wireOut = new AtomicLong();
    final AtomicInteger open = new AtomicInteger();
    /** When each Keep Alive arrived ({@link System#nanoTime()}). */
    final List<Long> keepAlives = new CopyOnWriteArrayList<>();

    final byte[] media = new byte[BLOCKS * LBA_SIZE];
    private final Map<Integer, Integer> features = new ConcurrentHashMap<>();
    private volatile int cc;
    private final AtomicInteger cstsPolls = new AtomicInteger();

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;

    FakeController() {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        NvmeTcpSettings settings = new NvmeTcpSettings(true, 1 << 20, 1 << 20);
                        ch.pipeline().addLast(new WireCounter(), new NvmeTcpPduDecoder(settings),
                                new NvmeTcpPduEncoder(settings), new Session(settings));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    HostOptions.Builder options() {
        return HostOptions.builder(address(), discovery ? HostOptions.DISCOVERY_NQN : SUBNQN)
                .connectTimeout(java.time.Duration.ofSeconds(5))
                .commandTimeout(java.time.Duration.ofSeconds(5));
    }

    List<Command> commands(int qid) {
        return commands.stream().filter(c -> c.qid() == qid).toList();
    }

    /** Sends the responses held back while {@link #holdIo} was set, oldest first. */
    void releaseHeld(int count) {
        for (int i = 0; i < count && !held.isEmpty(); i++) {
            held.removeFirst().run();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Counts bytes at the socket, to compare with the host's traffic counters. */
    private final class WireCounter extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            wireIn.addAndGet(((ByteBuf) msg).readableBytes());
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            wireOut.addAndGet(((ByteBuf) msg).readableBytes());
            ctx.write(msg, promise);
        }
    }

    /** A write waiting for its data by R2T: the ranges it asks for, one R2T at a time. */
    private static final class PendingWrite {
        final SubmissionQueueEntry sqe;
        final ByteBuf data;
        final int length;
        final int ttag;
        final List<int[]> ranges = new ArrayList<>();
        int next;
        int r2tEnd;
        int cursor;

        PendingWrite(SubmissionQueueEntry sqe, ByteBuf data, int length, int ttag, int chunk, boolean reversed) {
            this.sqe = sqe;
            this.data = data;
            this.length = length;
            this.ttag = ttag;
            for (int at = 0; at < length; at += chunk) {
                ranges.add(new int[] {at, Math.min(chunk, length - at)});
            }
            if (reversed) {
                java.util.Collections.reverse(ranges);
            }
        }
    }

    /** One connection: one queue. */
    private final class Session extends ChannelInboundHandlerAdapter {
        private final NvmeTcpSettings settings;
        private final Map<Integer, PendingWrite> writes = new HashMap<>();
        private int qid = -1;
        private int sqsize = 1;
        private int sqhd;
        private int nextTtag = 1;

        Session(NvmeTcpSettings settings) {
            this.settings = settings;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            open.incrementAndGet();
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open.decrementAndGet();
            writes.values().forEach(w -> w.data.release());
            writes.clear();
            ctx.fireChannelInactive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            switch (msg) {
                case NvmeTcpPdu.IcReq ic -> {
                    icReqs.add(ic);
                    settings.negotiated(ic.headerDigest(), ic.dataDigest(), ic.hpda());
                    ctx.writeAndFlush(new NvmeTcpPdu.IcResp(0, cpda, ic.headerDigest(), ic.dataDigest(), maxH2cData));
                }
                case NvmeTcpPdu.CapsuleCmd c -> {
                    try {
                        onCommand(ctx, c);
                    } finally {
                        c.release();
                    }
                }
                case NvmeTcpPdu.H2cData d -> {
                    try {
                        onH2c(ctx, d);
                    } finally {
                        d.release();
                    }
                }
                case NvmeTcpPdu.TermReq t -> {
                    hostTermReqs.add(new NvmeTcpPdu.TermReq(t.fromHost(), t.fes(), t.fei(), Unpooled.EMPTY_BUFFER));
                    t.release();
                    ctx.close();
                }
                case NvmeTcpPdu.Malformed m ->
                        ctx.writeAndFlush(new NvmeTcpPdu.TermReq(false, m.fes(), m.fei(), m.data()))
                                .addListener(ChannelFutureListener.CLOSE);
                default -> {
                    violations.add("unexpected " + msg);
                    ReferenceCountUtil.release(msg);
                }
            }
        }

        private void onCommand(ChannelHandlerContext ctx, NvmeTcpPdu.CapsuleCmd c) {
            SubmissionQueueEntry sqe = c.sqe();
            if (sqe.psdt() != 1) {
                violations.add("PSDT " + sqe.psdt() + " in " + sqe);
            }
            if (sqe.isFabrics() && sqe.fabricsCommandType() == FabricsCommandType.CONNECT.code()) {
                qid = ConnectCommand.from(sqe).qid();
            }
            commands.add(new Command(qid, sqe, c.data().readableBytes()));
            sqhd = (sqhd + 1) % sqsize;
            if (sqe.isFabrics()) {
                fabrics(ctx, sqe, c.data());
            } else if (qid == 0) {
                admin(ctx, sqe);
            } else {
                io(ctx, sqe, c.data());
            }
        }

        private void respond(ChannelHandlerContext ctx, int cid, NvmeStatus status, int dw0, int dw1) {
            ctx.writeAndFlush(new NvmeTcpPdu.CapsuleResp(new CompletionQueueEntry(dw0, dw1, sqhd, qid, cid, status)));
        }

        private void ok(ChannelHandlerContext ctx, int cid) {
            respond(ctx, cid, NvmeStatus.SUCCESS, 0, 0);
        }

        private void fabrics(ChannelHandlerContext ctx, SubmissionQueueEntry sqe, ByteBuf data) {
            int cid = sqe.cid();
            FabricsCommandType type = FabricsCommandType.lookup(sqe.fabricsCommandType()).orElseThrow();
            switch (type) {
                case CONNECT -> {
                    ConnectCommand command = ConnectCommand.from(sqe);
                    ConnectData connectData = ConnectData.decode(data);
                    connects.add(new Connect(command, connectData));
                    sqsize = command.sqsize() + 1;
                    String expected = discovery ? HostOptions.DISCOVERY_NQN : SUBNQN;
                    if (!connectData.subsystemNqn().equals(expected)) {
                        respond(ctx, cid, StatusCode.CONNECT_INVALID_PARAMETERS.dnr(), (1 << 16) | ConnectData.OFFSET_SUBNQN, 0);
                    } else if (command.qid() > 0 && connectData.cntlid() != CNTLID) {
                        respond(ctx, cid, StatusCode.CONNECT_INVALID_PARAMETERS.dnr(), (1 << 16) | ConnectData.OFFSET_CNTLID, 0);
                    } else {
                        respond(ctx, cid, NvmeStatus.SUCCESS, CNTLID, 0);
                    }
                }
                case PROPERTY_GET -> {
                    int offset = sqe.cdw11();
                    long value = switch (offset) {
                        case ControllerRegisters.CAP -> ControllerRegisters.capabilities(mqes, 1, !discovery,
                                capIoCommandSets, discovery);
                        case ControllerRegisters.VS -> ControllerRegisters.version(2, 1, 0);
                        case ControllerRegisters.CC -> Integer.toUnsignedLong(cc);
                        case ControllerRegisters.CSTS -> csts();
                        default -> 0;
                    };
                    respond(ctx, cid, NvmeStatus.SUCCESS, (int) value, (int) (value >>> 32));
                }
                case PROPERTY_SET -> {
                    if (sqe.cdw11() == ControllerRegisters.CC) {
                        cc = sqe.cdw12();
                        if (ControllerRegisters.ccShn(cc) != 0 && ignoreShutdown) {
                            return;
                        }
                    }
                    ok(ctx, cid);
                }
                default -> ok(ctx, cid);
            }
        }

        private long csts() {
            int polls = cstsPolls.incrementAndGet();
            int value = 0;
            if (ControllerRegisters.ccEnable(cc) && polls >= readyAfterPolls) {
                value |= ControllerRegisters.CSTS_RDY;
            }
            if (ControllerRegisters.ccShn(cc) != 0 && !ignoreShutdown) {
                value |= ControllerRegisters.CSTS_SHST_COMPLETE;
            }
            return value;
        }

        private void admin(ChannelHandlerContext ctx, SubmissionQueueEntry sqe) {
            int cid = sqe.cid();
            switch (AdminOpcode.lookup(sqe.opcode()).orElse(AdminOpcode.ABORT)) {
                case IDENTIFY -> {
                    int cns = sqe.cdw10() & 0xFF;
                    switch (cns) {
                        case Cns.CONTROLLER -> sendData(ctx, sqe, identifyController().encode());
                        case Cns.NAMESPACE -> {
                            if (sqe.nsid() != NSID) {
                                respond(ctx, cid, StatusCode.INVALID_NAMESPACE_OR_FORMAT.dnr(), 0, 0);
                            } else {
                                sendData(ctx, sqe, identifyNamespace().encode());
                            }
                        }
                        case Cns.ACTIVE_NAMESPACE_LIST -> {
                            ByteBuf list = Unpooled.buffer(Cns.STRUCTURE_SIZE);
                            list.writeZero(Cns.STRUCTURE_SIZE);
                            if (Integer.compareUnsigned(sqe.nsid(), NSID) < 0) {
                                list.setIntLE(0, NSID);
                            }
                            sendData(ctx, sqe, list);
                        }
                        default -> respond(ctx, cid, StatusCode.INVALID_FIELD_IN_COMMAND.dnr(), 0, 0);
                    }
                }
                case SET_FEATURES -> {
                    int fid = sqe.cdw10() & 0xFF;
                    if (fid == NvmeCommands.FID_NUMBER_OF_QUEUES) {
                        int asked = (sqe.cdw11() & 0xFFFF) + 1;
                        int granted = Math.min(asked, grantQueues) - 1;
                        respond(ctx, cid, NvmeStatus.SUCCESS, (granted << 16) | granted, 0);
                    } else {
                        features.put(fid, sqe.cdw11());
                        ok(ctx, cid);
                    }
                }
                case GET_FEATURES -> respond(ctx, cid, NvmeStatus.SUCCESS, features.getOrDefault(sqe.cdw10() & 0xFF, 0), 0);
                case KEEP_ALIVE -> {
                    keepAlives.add(System.nanoTime());
                    ok(ctx, cid);
                }
                case GET_LOG_PAGE -> getLogPage(ctx, sqe);
                default -> respond(ctx, cid, StatusCode.INVALID_COMMAND_OPCODE.dnr(), 0, 0);
            }
        }

        private void getLogPage(ChannelHandlerContext ctx, SubmissionQueueEntry sqe) {
            GetLogPageCommand cmd = GetLogPageCommand.from(sqe);
            if (cmd.lid() != LogPageId.DISCOVERY) {
                respond(ctx, sqe.cid(), StatusCode.INVALID_LOG_PAGE.dnr(), 0, 0);
                return;
            }
            ByteBuf page = new DiscoveryLogPage(discoveryGenctr, discoveryEntries).encode();
            int length = (int) cmd.lengthBytes();
            ByteBuf out = Unpooled.buffer(length);
            out.writeZero(length);
            int offset = (int) cmd.offset();
            int n = Math.max(0, Math.min(length, page.readableBytes() - offset));
            out.setBytes(0, page, offset, n);
            page.release();
            if (offset == 0 && length > DiscoveryLogPage.HEADER_SIZE
                    && bumpGenctrAfterPageReads.getAndDecrement() == 0) {
                discoveryGenctr++;
            }
            sendData(ctx, sqe, out);
        }

        private void io(ChannelHandlerContext ctx, SubmissionQueueEntry sqe, ByteBuf inCapsule) {
            int cid = sqe.cid();
            NvmOpcode op = NvmOpcode.lookup(sqe.opcode()).orElse(null);
            if (op == NvmOpcode.FLUSH) {
                later(ctx, () -> ok(ctx, cid));
                return;
            }
            if (op != NvmOpcode.READ && op != NvmOpcode.WRITE) {
                respond(ctx, cid, StatusCode.INVALID_COMMAND_OPCODE.dnr(), 0, 0);
                return;
            }
            if (sqe.nsid() != NSID) {
                respond(ctx, cid, StatusCode.INVALID_NAMESPACE_OR_FORMAT.dnr(), 0, 0);
                return;
            }
            long slba = Integer.toUnsignedLong(sqe.cdw10()) | ((long) sqe.cdw11() << 32);
            int blocks = (sqe.cdw12() & 0xFFFF) + 1;
            if (slba + blocks > BLOCKS) {
                respond(ctx, cid, StatusCode.LBA_OUT_OF_RANGE.dnr(), 0, 0);
                return;
            }
            int length = blocks * LBA_SIZE;
            if (sqe.sgl().lengthUnsigned() != length) {
                violations.add("SGL length " + sqe.sgl().length() + " for " + length + " bytes");
            }
            Fault fault = faults.get(slba);
            if (fault != null && fault != Fault.BAD_DATA_DIGEST && fault != Fault.C2H_OUT_OF_ORDER
                    && fault != Fault.C2H_TOO_LONG && fault != Fault.R2T_OUT_OF_RANGE) {
                misbehave(ctx, cid, fault);
                return;
            }
            if (op == NvmOpcode.READ) {
                if (sqe.sgl().identifier() != SglDescriptor.TRANSPORT_DATA_BLOCK) {
                    violations.add("read with SGL " + sqe.sgl());
                }
                // The media is only written on this event loop, so a view of it stays valid until sent.
                ByteBuf data = Unpooled.wrappedBuffer(media, (int) slba * LBA_SIZE, length);
                if (fault == Fault.C2H_OUT_OF_ORDER || fault == Fault.C2H_TOO_LONG) {
                    ctx.writeAndFlush(new NvmeTcpPdu.C2hData(cid, fault == Fault.C2H_OUT_OF_ORDER ? LBA_SIZE : 0,
                            true, false, fault == Fault.C2H_OUT_OF_ORDER ? data : Unpooled.wrappedBuffer(data,
                            Unpooled.buffer(LBA_SIZE).writeZero(LBA_SIZE)), true));
                } else if (fault == Fault.BAD_DATA_DIGEST) {
                    ByteBuf wire = NvmeTcpPduEncoder.encode(ctx.alloc(), new NvmeTcpPdu.C2hData(cid, 0, true, false, data, true), settings);
                    data.release();
                    int last = wire.writerIndex() - 1;
                    wire.setByte(last, wire.getByte(last) ^ 0x5A);
                    ctx.write(wire);
                    ok(ctx, cid);
                } else {
                    later(ctx, () -> sendData(ctx, sqe, data));
                }
                return;
            }
            int sglType = sqe.sgl().identifier();
            if (sglType == SglDescriptor.IN_CAPSULE) {
                if (inCapsule.readableBytes() != length) {
                    violations.add("in-capsule " + inCapsule.readableBytes() + " bytes for " + length);
                }
                synchronized (media) {
                    inCapsule.getBytes(inCapsule.readerIndex(), media, (int) slba * LBA_SIZE, length);
                }
                later(ctx, () -> ok(ctx, cid));
                return;
            }
            ByteBuf buffer = ctx.alloc().buffer(length);
            buffer.writerIndex(length);
            PendingWrite w = new PendingWrite(sqe, buffer, length, nextTtag++ & 0xFFFF, r2tChunk, r2tReversed);
            writes.put(cid, w);
            if (fault == Fault.R2T_OUT_OF_RANGE) {
                ctx.writeAndFlush(new NvmeTcpPdu.R2t(cid, w.ttag, length - LBA_SIZE, 2 * LBA_SIZE));
                return;
            }
            nextR2t(ctx, cid, w);
        }

        private void nextR2t(ChannelHandlerContext ctx, int cid, PendingWrite w) {
            int[] range = w.ranges.get(w.next++);
            int offset = range[0];
            int length = range[1];
            w.cursor = offset;
            w.r2tEnd = offset + length;
            r2ts.add(new R2tSent(cid, offset, length));
            ctx.writeAndFlush(new NvmeTcpPdu.R2t(cid, w.ttag, offset, length));
        }

        private void onH2c(ChannelHandlerContext ctx, NvmeTcpPdu.H2cData d) {
            int length = d.data().readableBytes();
            h2c.add(new H2c(qid, d.cccid(), d.ttag(), d.dataOffset(), length, d.last()));
            PendingWrite w = writes.get(d.cccid());
            if (w == null || w.ttag != d.ttag()) {
                violations.add("H2CData for unknown CID/TTAG " + d.cccid() + "/" + d.ttag());
                return;
            }
            if (!d.dataDigestValid()) {
                violations.add("bad data digest in H2CData");
            }
            if (length > maxH2cData) {
                violations.add("H2CData of " + length + " bytes, MAXH2CDATA " + maxH2cData);
            }
            if (d.dataOffset() != w.cursor) {
                violations.add("H2CData DATAO " + d.dataOffset() + ", expected " + w.cursor);
            }
            int end = d.dataOffset() + length;
            if (end > w.r2tEnd) {
                violations.add("H2CData to " + end + " beyond the R2T's end " + w.r2tEnd);
            }
            if (d.last() != (end == w.r2tEnd)) {
                violations.add("LAST_PDU " + d.last() + " at " + end + " of R2T ending " + w.r2tEnd);
            }
            if (end > w.length) {
                return;
            }
            w.data.setBytes(d.dataOffset(), d.data());
            w.cursor = end;
            if (w.cursor < w.r2tEnd) {
                return;
            }
            if (w.next < w.ranges.size()) {
                nextR2t(ctx, d.cccid(), w);
                return;
            }
            writes.remove(d.cccid());
            long slba = Integer.toUnsignedLong(w.sqe.cdw10()) | ((long) w.sqe.cdw11() << 32);
            synchronized (media) {
                w.data.getBytes(0, media, (int) slba * LBA_SIZE, w.length);
            }
            w.data.release();
            int cid = d.cccid();
            later(ctx, () -> ok(ctx, cid));
        }

        private void misbehave(ChannelHandlerContext ctx, int cid, Fault fault) {
            switch (fault) {
                case TERM_REQ -> ctx.writeAndFlush(new NvmeTcpPdu.TermReq(false,
                                FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED, 0x1234, Unpooled.EMPTY_BUFFER))
                        .addListener(ChannelFutureListener.CLOSE);
                case CLOSE -> ctx.close();
                case RESPONSE_UNKNOWN_CID -> ok(ctx, 0xFFF0);
                case BAD_HEADER_DIGEST -> {
                    ByteBuf wire = NvmeTcpPduEncoder.encode(ctx.alloc(), new NvmeTcpPdu.CapsuleResp(
                            new CompletionQueueEntry(0, 0, sqhd, qid, cid, NvmeStatus.SUCCESS)), settings);
                    wire.setByte(24, wire.getByte(24) ^ 0x01);
                    ctx.writeAndFlush(wire);
                }
                case NO_RESPONSE -> { }
                default -> throw new IllegalStateException(fault.toString());
            }
        }

        /** Runs an I/O response now, or holds it back while {@link #holdIo} is set. */
        private void later(ChannelHandlerContext ctx, Runnable response) {
            if (holdIo) {
                held.add(() -> ctx.executor().execute(response));
            } else {
                response.run();
            }
        }

        /** Sends read data in C2HData PDUs of {@link #c2hChunk} bytes, then CapsuleResp unless SUCCESS is used. */
        private void sendData(ChannelHandlerContext ctx, SubmissionQueueEntry sqe, ByteBuf data) {
            int cid = sqe.cid();
            int wanted = (int) sqe.sgl().lengthUnsigned();
            int length = Math.min(wanted, data.readableBytes());
            boolean success = c2hSuccess;
            for (int at = 0; at < length; ) {
                int n = Math.min(c2hChunk, length - at);
                boolean last = at + n == length;
                ctx.write(new NvmeTcpPdu.C2hData(cid, at, last, last && success, data.retainedSlice(at, n), true));
                at += n;
            }
            data.release();
            if (!success || length == 0) {
                respond(ctx, cid, NvmeStatus.SUCCESS, 0, 0);
            } else {
                ctx.flush();
            }
        }
    }

    IdentifyController identifyController() {
        return new IdentifyController(0x1b36, 0x1af4, "FAKE0001", "copyoffload fake controller", "1.0",
                6, 0, 0, mdts, CNTLID, ControllerRegisters.version(2, 1, 0), 0, IdentifyController.CTRATT_HOST_ID_128,
                discovery ? IdentifyController.CNTRLTYPE_DISCOVERY : IdentifyController.CNTRLTYPE_IO,
                0, 3, 3, 0, 0, 0, 0, 0, 0, 10, 0x66, 0x44, 0, discovery ? 0 : 1, 0, 0, 0, 0, 0, 0, 0,
                1 | (1 << 20), 0, discovery ? HostOptions.DISCOVERY_NQN : SUBNQN, ioccsz, 1, 0, 0, 1, 0);
    }

    static IdentifyNamespace identifyNamespace() {
        return new IdentifyNamespace(BLOCKS, BLOCKS, BLOCKS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, new byte[16], new byte[8], List.of(LbaFormat.ofBlockSize(LBA_SIZE)));
    }

    /** Fills the media with a pattern that differs at every byte of a block. */
    void fillPattern() {
        synchronized (media) {
            for (int i = 0; i < media.length; i++) {
                media[i] = (byte) (i * 31 + (i >>> 9));
            }
        }
    }

    byte[] mediaRange(long slba, int blocks) {
        byte[] out = new byte[blocks * LBA_SIZE];
        synchronized (media) {
            System.arraycopy(media, (int) slba * LBA_SIZE, out, 0, out.length);
        }
        return out;
    }

    static List<String> names(List<Command> commands) {
        List<String> out = new ArrayList<>();
        for (Command c : commands) {
            SubmissionQueueEntry s = c.sqe();
            out.add(s.isFabrics()
                    ? FabricsCommandType.lookup(s.fabricsCommandType()).map(Enum::name).orElse("FABRICS?")
                    : c.qid() == 0 ? AdminOpcode.lookup(s.opcode()).map(Enum::name).orElse("ADMIN?")
                    : NvmOpcode.lookup(s.opcode()).map(Enum::name).orElse("IO?"));
        }
        return out;
    }
}
