package org.copyoffload.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.NvmeTransportException;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.RawQueue;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.server.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Protocol-level fuzzing (issue 20): a raw host connects an I/O queue of a subsystem of its own, then sends a stream of
 * valid, framed PDUs (in-capsule writes, reads, flushes, Write Zeroes, stray H2CData) that is mutated (bits flipped,
 * bytes overwritten, inserted or cut, PDUs repeated) and arrives in random pieces. Whatever the target makes of it, a
 * well-behaved host on the other subsystem must still find the data it wrote before, and new hosts on both
 * subsystems must still connect, write and read back. Seeded: a failure names the seed that reproduces it.
 */
class MutatedPduStreamTest {
    static final String FUZZ_NQN = "nqn.2026-01.org.copyoffload:fuzz";

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.withYaml(dir -> TestServer.defaultYaml(Path(dir))
            .replace("volumes:\n", "volumes:\n  - {name: scratch, size: 16MiB, block-size: 4096}\n")
            .replace("subsystems:\n", "subsystems:\n  - nqn: " + FUZZ_NQN + "\n    namespaces:\n"
                    + "      - {nsid: 1, volume: scratch}\n"));

    static TestServer server;
    static NvmeTcpHost bystander;
    /** The fuzz subsystem's controller whose I/O queues the raw connections become, one QID per seed. */
    static NvmeTcpHost owner;
    static long sentinelLba;
    static byte[] sentinel;

    private static java.nio.file.Path Path(String dir) {
        return java.nio.file.Path.of(dir);
    }

    @BeforeAll
    static void start() {
        server = target.server();
        bystander = target.closeAfterClass(server.connect(1));
        owner = target.closeAfterClass(server.connect(server.options(FUZZ_NQN).ioQueues(0).build()));
        owner.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES,
                ((TestServer.MAX_IO_QUEUES - 1) << 16) | (TestServer.MAX_IO_QUEUES - 1));
        sentinelLba = server.allocate(TestServer.NS_4K, 4);
        sentinel = TestServer.randomBytes(new Random(20), 4 * 4096);
        Nvme.write(bystander, TestServer.NS_4K, sentinelLba, sentinel, false);
    }

    /** Over all seeds: commands the target answered, and connections it terminated (C2HTermReq). */
    static final AtomicInteger answered = new AtomicInteger();
    static final AtomicInteger terminated = new AtomicInteger();

    /** The mutations reach the target: it both answered commands and terminated connections over the seeds. */
    @AfterAll
    static void theTargetSawBothValidAndFatalInput() {
        assertThat(answered.get()).as("commands answered").isPositive();
        assertThat(terminated.get()).as("connections terminated").isPositive();
    }

    static LongStream seeds() {
        return LongStream.range(0, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void mutatedStreamsLeaveTheTargetServingAndTheDataIntact(long seed) {
        Random r = new Random(seed);
        boolean headerDigest = r.nextBoolean();
        boolean dataDigest = r.nextBoolean();
        try (RawQueue io = RawQueue.io(server, owner.options(), owner.controllerId(), (int) seed + 1, 32, 0,
                headerDigest, dataDigest)) {
            byte[] stream = mutate(r, stream(r, io.conn()));
            RawNvmeTcpConnection conn = io.conn();
            for (int at = 0; at < stream.length && !conn.isPeerClosed(); ) {
                int n = Math.min(stream.length - at, 1 + r.nextInt(600));
                try {
                    conn.send(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, at, at + n)));
                } catch (NvmeTransportException closedMeanwhile) {
                    // the target dropped the connection over an earlier piece: that is one of its answers
                    break;
                }
                at += n;
            }
            // Whatever comes back (responses, data, a termination request) until the target goes quiet or closes.
            for (NvmeTcpPdu pdu; !conn.isPeerClosed() && (pdu = conn.poll(Duration.ofMillis(150))) != null; ) {
                if (pdu instanceof NvmeTcpPdu.CapsuleResp) {
                    answered.incrementAndGet();
                } else if (pdu instanceof NvmeTcpPdu.TermReq) {
                    terminated.incrementAndGet();
                }
                ReferenceCountUtil.release(pdu);
            }
        }
        assertThat(Nvme.read(bystander, TestServer.NS_4K, sentinelLba, 4)).as("seed %d: the bystander's data", seed)
                .isEqualTo(sentinel);
        for (String nqn : List.of(TestServer.NQN, FUZZ_NQN)) {
            try (NvmeTcpHost host = server.connect(server.options(nqn).ioQueues(1).build())) {
                long lba = nqn.equals(FUZZ_NQN) ? 2048 + seed * 2 : server.allocate(TestServer.NS_4K, 2);
                byte[] data = TestServer.randomBytes(r, 2 * 4096);
                Nvme.write(host, 1, lba, data, false);
                assertThat(Nvme.read(host, 1, lba, 2)).as("seed %d: a new host on %s", seed, nqn).isEqualTo(data);
            }
        }
    }

    /** Valid PDUs, as this connection encodes them (its digests), for namespace 1 of the fuzz subsystem. */
    private static byte[] stream(Random r, RawNvmeTcpConnection conn) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int count = 2 + r.nextInt(6);
        for (int i = 0; i < count; i++) {
            int cid = i + 1;
            long slba = r.nextInt(1024);
            int blocks = 1 + r.nextInt(2);
            NvmeTcpPdu pdu = switch (r.nextInt(5)) {
                case 0 -> new NvmeTcpPdu.CapsuleCmd(Nvme.write(1, slba, blocks, r.nextBoolean()).withCid(cid)
                        .withSgl(SglDescriptor.inCapsule(blocks * 4096)),
                        Unpooled.wrappedBuffer(TestServer.randomBytes(r, blocks * 4096)), true);
                case 1 -> new NvmeTcpPdu.CapsuleCmd(Nvme.read(1, slba, blocks).withCid(cid)
                        .withSgl(SglDescriptor.transport(blocks * 4096)), Unpooled.EMPTY_BUFFER, true);
                case 2 -> new NvmeTcpPdu.CapsuleCmd(Nvme.writeZeroes(1, slba, blocks, false).withCid(cid),
                        Unpooled.EMPTY_BUFFER, true);
                case 3 -> new NvmeTcpPdu.CapsuleCmd(Nvme.write(1, slba, blocks, false).withCid(cid)
                        .withSgl(SglDescriptor.transport(blocks * 4096)), Unpooled.EMPTY_BUFFER, true);
                default -> new NvmeTcpPdu.H2cData(cid, r.nextInt(4), 0, true,
                        Unpooled.wrappedBuffer(TestServer.randomBytes(r, 512)), true);
            };
            ByteBuf encoded = conn.encode(pdu); // releases the PDU
            try {
                out.writeBytes(ByteBufUtil.getBytes(encoded));
            } finally {
                encoded.release();
            }
        }
        return out.toByteArray();
    }

    /** One to four mutations: mostly bit flips, some overwritten, inserted or cut bytes, a repeated stretch. */
    static byte[] mutate(Random r, byte[] stream) {
        List<Byte> b = new ArrayList<>(stream.length);
        for (byte x : stream) {
            b.add(x);
        }
        int mutations = 1 + r.nextInt(4);
        for (int m = 0; m < mutations && !b.isEmpty(); m++) {
            int at = r.nextInt(b.size());
            switch (r.nextInt(10)) {
                case 0, 1, 2, 3, 4 -> b.set(at, (byte) (b.get(at) ^ (1 << r.nextInt(8))));
                case 5, 6 -> b.set(at, (byte) r.nextInt(256));
                case 7 -> {
                    for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
                        b.add(at, (byte) r.nextInt(256));
                    }
                }
                case 8 -> b.subList(at, Math.min(b.size(), at + 1 + r.nextInt(64))).clear();
                default -> {
                    List<Byte> copy = new ArrayList<>(b.subList(at, Math.min(b.size(), at + 1 + r.nextInt(128))));
                    b.addAll(at, copy);
                }
            }
        }
        byte[] out = new byte[b.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(i);
        }
        return out;
    }
}
