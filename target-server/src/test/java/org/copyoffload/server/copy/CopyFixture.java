package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.RawQueue;
import org.copyoffload.server.TestServer;

/**
 * What the Copy tests share: a YAML builder for servers with several subsystems (one per advertised version),
 * Copy submission over the Java host and over raw queues, data helpers that know each namespace's LBA size,
 * the reference model of Copy ("every source read first, then written"), and the metrics the target keeps.
 */
final class CopyFixture {
    static final String NQN_PREFIX = "nqn.2026-01.org.copyoffload:copy-";
    static final int FID_VOLATILE_WRITE_CACHE = 0x06;
    static final int FID_HOST_BEHAVIOR = 0x16;
    static final int HOST_BEHAVIOR_SIZE = 512;
    static final int CDFE_FORMAT_2 = 1 << 2;
    static final int CDFE_FORMAT_3 = 1 << 3;
    static final int COPY_OPCODE = 0x19;
    /** MDTS 8 with 4 KiB pages: the largest Read/Write the helpers send at once. */
    static final int MAX_TRANSFER = 1 << 20;

    static final CopyDescriptorFormat F0 = CopyDescriptorFormat.FORMAT_0;
    static final CopyDescriptorFormat F1 = CopyDescriptorFormat.FORMAT_1;
    static final CopyDescriptorFormat F2 = CopyDescriptorFormat.FORMAT_2;
    static final CopyDescriptorFormat F3 = CopyDescriptorFormat.FORMAT_3;

    private CopyFixture() {
    }

    static String nqn(String tag) {
        return NQN_PREFIX + tag;
    }

    // ---- configuration ----

    /**
     * A configuration: subsystems named {@code nqn(tag)}, each namespace on its own volume {@code TAG-nsN}
     * (file {@code TAG-nsN.img} in the data directory). Remembers every namespace's LBA size and block count.
     */
    static final class Config {
        private final Path dataDir;
        private final StringBuilder volumes = new StringBuilder();
        private final StringBuilder subsystems = new StringBuilder();
        private final StringBuilder nvme = new StringBuilder();
        private final Map<String, Map<Integer, Layout>> layouts = new LinkedHashMap<>();
        private String current;

        Config(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** Extra lines under {@code nvme:} (two-space indented keys), e.g. {@code "  in-capsule-data-size: 4096\n"}. */
        Config nvme(String lines) {
            nvme.append(lines);
            return this;
        }

        Config subsystem(String tag, String version, boolean crossNamespaceCopyAtConnect) {
            current = tag;
            layouts.put(tag, new HashMap<>());
            subsystems.append("  - nqn: ").append(nqn(tag)).append('\n')
                    .append("    nvme-version: \"").append(version).append("\"\n")
                    .append("    cross-namespace-copy-at-connect: ").append(crossNamespaceCopyAtConnect).append('\n')
                    .append("    namespaces:\n");
            return this;
        }

        /** A namespace of {@code bytes} with {@code lbaSize}-byte LBAs; {@code limits} e.g. "mssrl: 8, mcl: 20" or "". */
        Config namespace(int nsid, long bytes, int lbaSize, String limits) {
            String volume = current + "-ns" + nsid;
            volumes.append("  - {name: ").append(volume).append(", size: ").append(bytes)
                    .append(", block-size: ").append(lbaSize).append("}\n");
            subsystems.append("      - {nsid: ").append(nsid).append(", volume: ").append(volume)
                    .append(limits.isEmpty() ? "" : ", " + limits).append("}\n");
            layouts.get(current).put(nsid, new Layout(lbaSize, bytes / lbaSize));
            return this;
        }

        Config namespace(int nsid, long bytes, int lbaSize) {
            return namespace(nsid, bytes, lbaSize, "");
        }

        Layout layout(String tag, int nsid) {
            return layouts.get(tag).get(nsid);
        }

        Path volumeFile(String tag, int nsid) {
            return dataDir.resolve(tag + "-ns" + nsid + ".img");
        }

        String yaml() {
            return "data-dir: " + dataDir + "\n"
                    + "nvme:\n  version: \"2.1\"\n" + nvme
                    + "listeners:\n  - {address: 127.0.0.1, port: 0}\n"
                    + "metrics: {enabled: false}\n"
                    + "volumes:\n" + volumes
                    + "subsystems:\n" + subsystems;
        }

        TestServer start() {
            return TestServer.start(dataDir, yaml());
        }
    }

    /** LBA size and number of LBAs of a namespace. */
    record Layout(int lbaSize, long blocks) {
    }

    /** Hands out LBAs no other test of a class uses, 64 KiB aligned, per subsystem and namespace. */
    static final class Allocator {
        private final Map<String, AtomicLong> next = new HashMap<>();
        private final Config config;

        Allocator(Config config) {
            this.config = config;
        }

        synchronized long allocate(String tag, int nsid, long blocks) {
            Layout l = config.layout(tag, nsid);
            long step = 65536 / l.lbaSize();
            long rounded = (blocks + step - 1) / step * step;
            long start = next.computeIfAbsent(tag + "/" + nsid, k -> new AtomicLong(step)).getAndAdd(rounded + step);
            if (start + blocks > l.blocks()) {
                throw new IllegalStateException("namespace " + nsid + " of " + tag + " is used up by this test class");
            }
            return start;
        }
    }

    // ---- hosts ----

    static HostOptions.Builder options(TestServer server, String tag) {
        return server.options(nqn(tag));
    }

    static NvmeTcpHost connect(TestServer server, String tag, int ioQueues) {
        return server.connect(options(server, tag).ioQueues(ioQueues).build());
    }

    // ---- Copy commands ----

    static CopySourceRange r0(long slba, int blocks) {
        return CopySourceRange.of(F0, slba, blocks);
    }

    static CopySourceRange r2(int snsid, long slba, int blocks) {
        return CopySourceRange.of(F2, snsid, slba, blocks);
    }

    static CopyCommand.Builder command(int nsid, long sdlba, int desfmt, int ranges) {
        return CopyCommand.builder().nsid(nsid).sdlba(sdlba).desfmt(desfmt).ranges(ranges);
    }

    static SubmissionQueueEntry copySqe(int nsid, long sdlba, int desfmt, int ranges, boolean fua) {
        return command(nsid, sdlba, desfmt, ranges).fua(fua).build().toSqe(0);
    }

    /** The Copy for {@code ranges} (all of one format) with exactly their encoded list as data. */
    static Completion copy(NvmeTcpHost h, int nsid, long sdlba, List<CopySourceRange> ranges, boolean fua) {
        int desfmt = ranges.getFirst().format().code();
        return Nvme.io(h, copySqe(nsid, sdlba, desfmt, ranges.size(), fua), CopySourceRange.encodeList(ranges), 0);
    }

    static Completion copy(NvmeTcpHost h, int nsid, long sdlba, List<CopySourceRange> ranges) {
        return copy(h, nsid, sdlba, ranges, false);
    }

    /** Any Copy SQE with any data (null for none). */
    static Completion copy(NvmeTcpHost h, SubmissionQueueEntry sqe, ByteBuf data) {
        return Nvme.io(h, sqe, data, 0);
    }

    static void copyOk(NvmeTcpHost h, int nsid, long sdlba, List<CopySourceRange> ranges, boolean fua) {
        try (Completion c = copy(h, nsid, sdlba, ranges, fua)) {
            assertThat(c.status()).as("Copy to NSID %d at %d of %s", nsid, sdlba, ranges).isEqualTo(NvmeStatus.SUCCESS);
            assertThat(c.dw0()).as("Dword 0 of a successful Copy").isZero();
        }
    }

    static void copyOk(NvmeTcpHost h, int nsid, long sdlba, List<CopySourceRange> ranges) {
        copyOk(h, nsid, sdlba, ranges, false);
    }

    /** A rejected Copy: the status with DNR, and Dword 0 = 0 (no source range was copied). */
    static void assertRejected(Completion c, StatusCode code) {
        assertRejected(c.cqe(), code);
    }

    static void assertRejected(CompletionQueueEntry cqe, StatusCode code) {
        assertThat(cqe.status()).as("status").isEqualTo(code.dnr());
        assertThat(cqe.dw0()).as("Dword 0: no source range copied").isZero();
    }

    static void expectRejected(NvmeTcpHost h, int nsid, long sdlba, List<CopySourceRange> ranges, StatusCode code) {
        try (Completion c = copy(h, nsid, sdlba, ranges)) {
            assertRejected(c, code);
        }
    }

    static void expectRejected(NvmeTcpHost h, SubmissionQueueEntry sqe, ByteBuf data, StatusCode code) {
        try (Completion c = copy(h, sqe, data)) {
            assertRejected(c, code);
        }
    }

    /** The encoded list of {@code ranges} followed by {@code padding} zero bytes. */
    static ByteBuf padded(List<CopySourceRange> ranges, int padding) {
        ByteBuf b = CopySourceRange.encodeList(ranges);
        b.writeZero(padding);
        return b;
    }

    // ---- data ----

    static byte[] random(long seed, int length) {
        return TestServer.randomBytes(new Random(seed), length);
    }

    /** Writes {@code data} (whole LBAs) at {@code slba}, at most MDTS at a time. */
    static void write(NvmeTcpHost h, int nsid, int lbaSize, long slba, byte[] data) {
        int perCommand = MAX_TRANSFER / lbaSize;
        int blocks = data.length / lbaSize;
        for (int done = 0; done < blocks; done += perCommand) {
            int n = Math.min(perCommand, blocks - done);
            ByteBuf b = Unpooled.wrappedBuffer(data, done * lbaSize, n * lbaSize);
            Nvme.await(h.write(0, nsid, slba + done, b, lbaSize, false));
        }
    }

    /** Writes random bytes over {@code blocks} LBAs and returns them. */
    static byte[] fill(NvmeTcpHost h, int nsid, int lbaSize, long slba, int blocks, long seed) {
        byte[] data = random(seed, blocks * lbaSize);
        write(h, nsid, lbaSize, slba, data);
        return data;
    }

    static byte[] read(NvmeTcpHost h, int nsid, int lbaSize, long slba, int blocks) {
        byte[] out = new byte[blocks * lbaSize];
        int perCommand = MAX_TRANSFER / lbaSize;
        for (int done = 0; done < blocks; done += perCommand) {
            int n = Math.min(perCommand, blocks - done);
            byte[] part = TestServer.bytesOf(Nvme.await(h.read(0, nsid, slba + done, n, lbaSize)));
            System.arraycopy(part, 0, out, done * lbaSize, part.length);
        }
        return out;
    }

    /**
     * LBAs {@code base .. base + blocks} of one namespace as the test believes them to be: the bytes written,
     * then changed by {@link Model#apply}.
     */
    static final class Region {
        final int nsid;
        final int lbaSize;
        final long base;
        final byte[] bytes;

        Region(int nsid, int lbaSize, long base, byte[] bytes) {
            this.nsid = nsid;
            this.lbaSize = lbaSize;
            this.base = base;
            this.bytes = bytes;
        }

        /** A region filled with random data on the namespace. */
        static Region filled(NvmeTcpHost h, int nsid, int lbaSize, long base, int blocks, long seed) {
            return new Region(nsid, lbaSize, base, fill(h, nsid, lbaSize, base, blocks, seed));
        }

        int blocks() {
            return bytes.length / lbaSize;
        }

        byte[] blocks(long slba, long count) {
            int from = Math.toIntExact((slba - base) * lbaSize);
            return Arrays.copyOfRange(bytes, from, from + Math.toIntExact(count * lbaSize));
        }

        /** The namespace holds what the region says, LBA by LBA (the first difference is named). */
        void assertOnDevice(NvmeTcpHost h, String what) {
            assertSame(read(h, nsid, lbaSize, base, blocks()), what);
        }

        void assertSame(byte[] actual, String what) {
            if (!Arrays.equals(actual, bytes)) {
                for (int b = 0; b < blocks(); b++) {
                    if (!Arrays.equals(actual, b * lbaSize, (b + 1) * lbaSize, bytes, b * lbaSize, (b + 1) * lbaSize)) {
                        throw new AssertionError(what + ": NSID " + nsid + " LBA " + (base + b) + " differs from the model"
                                + " (first of the differing LBAs in " + base + ".." + (base + blocks() - 1) + ")");
                    }
                }
                throw new AssertionError(what + ": lengths differ");
            }
        }
    }

    /** The reference semantics of Copy over regions: gather every source range, then write them at SDLBA. */
    static final class Model {
        private Model() {
        }

        static void apply(List<Region> regions, int dstNsid, long sdlba, List<CopySourceRange> ranges) {
            Region dst = find(regions, dstNsid, sdlba, CopySourceRange.totalBlocks(ranges));
            List<byte[]> gathered = new ArrayList<>();
            for (CopySourceRange r : ranges) {
                int snsid = r.format().namesSourceNamespace() ? r.snsid() : dstNsid;
                gathered.add(find(regions, snsid, r.slba(), r.blockCount()).blocks(r.slba(), r.blockCount()));
            }
            int at = Math.toIntExact((sdlba - dst.base) * dst.lbaSize);
            for (byte[] g : gathered) {
                System.arraycopy(g, 0, dst.bytes, at, g.length);
                at += g.length;
            }
        }

        private static Region find(List<Region> regions, int nsid, long slba, long blocks) {
            for (Region r : regions) {
                if (r.nsid == nsid && slba >= r.base && slba + blocks <= r.base + r.blocks()) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no region of NSID " + nsid + " holds LBAs " + slba + "+" + blocks);
        }
    }

    // ---- features, identify, logs ----

    static byte[] hostBehavior(NvmeTcpHost h, int sel) {
        try (Completion c = Nvme.admin(h, Nvme.getFeatures(FID_HOST_BEHAVIOR, sel, 0), null, HOST_BEHAVIOR_SIZE)) {
            Nvme.assertSuccess(c);
            return TestServer.bytesOf(c.data().retain());
        }
    }

    static int cdfe(byte[] hostBehavior) {
        return (hostBehavior[4] & 0xFF) | (hostBehavior[5] & 0xFF) << 8;
    }

    static byte[] hostBehaviorWithCdfe(int cdfe) {
        byte[] b = new byte[HOST_BEHAVIOR_SIZE];
        b[4] = (byte) cdfe;
        b[5] = (byte) (cdfe >>> 8);
        return b;
    }

    /** Set Features Host Behavior Support with only CDFE set; returns the completion status. */
    static NvmeStatus setCdfe(NvmeTcpHost h, int cdfe) {
        try (Completion c = Nvme.admin(h, Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false),
                Unpooled.wrappedBuffer(hostBehaviorWithCdfe(cdfe)), 0)) {
            return c.status();
        }
    }

    static void enableCdfe(NvmeTcpHost h, int cdfe) {
        assertThat(setCdfe(h, cdfe)).as("Set Features Host Behavior Support CDFE 0x%x", cdfe).isEqualTo(NvmeStatus.SUCCESS);
    }

    /** The Commands Supported and Effects dword of an I/O opcode (NVM command set). */
    static int ioCommandEffects(NvmeTcpHost h, int opcode) {
        ByteBuf log = h.getLogPage(0, 0x05, 0, 0, 4096);
        try {
            return log.getIntLE(log.readerIndex() + 1024 + opcode * 4);
        } finally {
            log.release();
        }
    }

    // ---- metrics ----

    static double copyCommands(TestServer server, String format, String result) {
        Counter c = server.server().registry().find("copyoffload.nvme.copy.commands")
                .tag("format", format).tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    static double copiedBytes(TestServer server, String plan) {
        Counter c = server.server().registry().find("copyoffload.nvme.copy.bytes").tag("plan", plan).counter();
        return c == null ? 0 : c.count();
    }

    static DistributionSummary rangesPerCopy(TestServer server) {
        return server.server().registry().find("copyoffload.nvme.copy.ranges").summary();
    }

    // ---- a controller driven over raw queues (for controller resets) ----

    /** An enabled controller with one raw I/O queue; {@link #reset} clears CC.EN, sets it again and reconnects. */
    static final class RawController implements AutoCloseable {
        private final TestServer server;
        private final HostOptions id;
        private final RawQueue admin;
        private RawQueue io;
        private int cid;

        RawController(TestServer server, String tag) {
            this.server = server;
            this.id = options(server, tag).build();
            this.admin = RawQueue.admin(server, id, 32, 0, true);
            try {
                connectIo();
            } catch (RuntimeException | AssertionError e) {
                admin.close();
                throw e;
            }
        }

        private int nextCid() {
            cid = (cid + 1) & 0x7FFF;
            return cid;
        }

        private void connectIo() {
            CompletionQueueEntry q = admin.command(Nvme.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, 0, false)
                    .withCid(nextCid()));
            assertThat(q.status()).as("Number of Queues").isEqualTo(NvmeStatus.SUCCESS);
            io = RawQueue.io(server, id, admin.cntlid(), 1, 32, 0, false, false);
        }

        int cntlid() {
            return admin.cntlid();
        }

        byte[] hostBehavior(int sel) {
            return admin.readData(Nvme.getFeatures(FID_HOST_BEHAVIOR, sel, 0).withCid(nextCid()), HOST_BEHAVIOR_SIZE);
        }

        NvmeStatus setCdfe(int cdfe) {
            return admin.command(Nvme.setFeatures(FID_HOST_BEHAVIOR, 0, false).withCid(nextCid()),
                    Unpooled.wrappedBuffer(hostBehaviorWithCdfe(cdfe))).status();
        }

        CompletionQueueEntry copy(int nsid, long sdlba, List<CopySourceRange> ranges) {
            SubmissionQueueEntry sqe = copySqe(nsid, sdlba, ranges.getFirst().format().code(), ranges.size(), false);
            return io.command(sqe.withCid(nextCid()), CopySourceRange.encodeList(ranges));
        }

        /** CC.EN 1 to 0 (CSTS.RDY clears, the I/O queue goes), then 0 to 1 and a new I/O queue. */
        void reset() {
            io.close();
            admin.propertySet(ControllerRegisters.CC, ControllerRegisters.cc(false, ControllerRegisters.CC_CSS_NVM, 6, 4));
            assertThat(admin.propertyGet(ControllerRegisters.CSTS, 4) & ControllerRegisters.CSTS_RDY).as("CSTS.RDY after CC.EN 0")
                    .isZero();
            admin.enable();
            connectIo();
        }

        @Override
        public void close() {
            if (io != null) {
                io.close();
            }
            admin.close();
        }
    }
}
