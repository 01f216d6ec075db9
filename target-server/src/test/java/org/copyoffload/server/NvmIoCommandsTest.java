package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.Nvme.assertSuccess;
import static org.copyoffload.server.TestServer.NS_4K;
import static org.copyoffload.server.TestServer.NS_512;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The NVM command set's I/O commands (NVM Command Set 1.1, 3) over the Java host: every command on 512-byte
 * and 4 KiB LBAs, in-capsule and R2T transfers, MDTS, every way a command's fields can be wrong, and data
 * surviving a restart of the target.
 */
@ExtendWith(LeakDetectionExtension.class)
class NvmIoCommandsTest {
    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.defaults();
    static TestServer server;
    static NvmeTcpHost host;

    @BeforeAll
    static void start() {
        server = target.server();
        host = target.closeAfterClass(server.connect(2));
    }

    static int lba(int nsid) {
        return TestServer.lbaSize(nsid);
    }

    static byte[] random(long seed, int length) {
        return TestServer.randomBytes(new Random(seed), length);
    }

    // ---- Read and Write ----

    @ParameterizedTest(name = "NSID {0}: {1} blocks, FUA {2}")
    @CsvSource({
        "1, 1, false",      // 4 KiB in-capsule
        "1, 2, true",       // 8 KiB: the in-capsule limit
        "1, 3, false",      // 12 KiB by R2T
        "1, 32, true",      // 128 KiB: one H2CData PDU (MAXH2CDATA)
        "1, 33, false",     // 132 KiB: two H2CData PDUs
        "1, 256, true",     // 1 MiB: MDTS
        "2, 1, false",
        "2, 16, true",      // 8 KiB in-capsule
        "2, 17, false",     // R2T
        "2, 2048, false",   // 1 MiB: MDTS
    })
    void writeThenReadReturnsTheSameBytes(int nsid, int blocks, boolean fua) {
        long slba = server.allocate(nsid, blocks);
        byte[] data = random(nsid * 1000L + blocks, blocks * lba(nsid));
        Nvme.write(host, nsid, slba, data, fua);
        assertThat(Nvme.read(host, 0, nsid, slba, blocks)).isEqualTo(data);
        assertThat(Nvme.read(host, 1, nsid, slba, blocks)).as("through the other queue").isEqualTo(data);
        if (blocks > 2) {
            assertThat(Nvme.read(host, nsid, slba + 1, blocks - 2))
                    .isEqualTo(Arrays.copyOfRange(data, lba(nsid), (blocks - 1) * lba(nsid)));
        }
    }

    @Test
    void theFirstAndLastLbasAreUsable() {
        for (int nsid : new int[] {NS_4K, NS_512}) {
            long last = TestServer.blockCount(nsid) - 1;
            byte[] first = random(nsid, lba(nsid));
            byte[] end = random(nsid + 10, lba(nsid));
            Nvme.write(host, nsid, 0, first, false);
            Nvme.write(host, nsid, last, end, false);
            assertThat(Nvme.read(host, nsid, 0, 1)).isEqualTo(first);
            assertThat(Nvme.read(host, nsid, last, 1)).isEqualTo(end);
            Nvme.ok(host, Nvme.verify(nsid, last, 1));
        }
    }

    @Test
    void manyCommandsInFlightOnBothQueuesKeepTheirData() {
        int count = 96;
        long slba = server.allocate(NS_512, count * 4);
        byte[][] data = new byte[count][];
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            data[i] = random(500 + i, 4 * 512);
            writes.add(host.write(i % 2, NS_512, slba + 4L * i, TestServer.buffer(data[i]), 512, i % 3 == 0));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
        List<CompletableFuture<ByteBuf>> reads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            reads.add(host.read((i + 1) % 2, NS_512, slba + 4L * i, 4, 512));
        }
        for (int i = 0; i < count; i++) {
            assertThat(TestServer.bytesOf(Nvme.await(reads.get(i)))).as("command %d", i).isEqualTo(data[i]);
        }
    }

    @Test
    void aTransferBeyondMdtsIsInvalidFieldAndChangesNothing() {
        int blocks = TestServer.MAX_TRANSFER / 4096 + 1;
        long slba = server.allocate(NS_4K, blocks);
        byte[] before = random(77, blocks * 4096);
        Nvme.write(host, NS_4K, slba, Arrays.copyOf(before, TestServer.MAX_TRANSFER), false);
        Nvme.write(host, NS_4K, slba + blocks - 1, Arrays.copyOfRange(before, TestServer.MAX_TRANSFER, before.length), false);
        int length = blocks * 4096;
        Nvme.expectIo(host, Nvme.read(NS_4K, slba, blocks), null, length, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, Nvme.write(NS_4K, slba, blocks, false), TestServer.buffer(new byte[length]), 0,
                StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, Nvme.compare(NS_4K, slba, blocks), TestServer.buffer(before), 0,
                StatusCode.INVALID_FIELD_IN_COMMAND, true);
        int small = TestServer.MAX_TRANSFER / 512 + 1;
        long slba512 = server.allocate(NS_512, small);
        Nvme.expectIo(host, Nvme.write(NS_512, slba512, small, true), TestServer.buffer(new byte[small * 512]), 0,
                StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, Nvme.read(NS_512, slba512, small), null, small * 512, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        assertThat(Nvme.read(host, NS_4K, slba, blocks - 1)).isEqualTo(Arrays.copyOf(before, TestServer.MAX_TRANSFER));
        assertThat(Nvme.read(host, NS_4K, slba + blocks - 1, 1)).isEqualTo(Arrays.copyOfRange(before, TestServer.MAX_TRANSFER, length));
    }

    // ---- LBA range ----

    static Stream<Arguments> outOfRange() {
        List<Arguments> cases = new ArrayList<>();
        for (int nsid : new int[] {NS_4K, NS_512}) {
            long n = TestServer.blockCount(nsid);
            long[][] ranges = {
                {n, 1},                     // first LBA past the end
                {n - 1, 2},                 // starts inside, ends outside
                {n + 1000, 1},
                {-1L, 2},                   // SLBA 2^64 - 1: SLBA + NLB overflows
                {Long.MIN_VALUE, 1},        // SLBA 2^63
                {-2L, 1},
            };
            for (NvmOpcode op : new NvmOpcode[] {NvmOpcode.READ, NvmOpcode.WRITE, NvmOpcode.COMPARE,
                    NvmOpcode.WRITE_ZEROES, NvmOpcode.VERIFY}) {
                for (long[] r : ranges) {
                    cases.add(Arguments.of(op, nsid, r[0], (int) r[1]));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} NSID {1} SLBA {2} + {3}")
    @MethodSource("outOfRange")
    void lbasOutsideTheNamespaceAreLbaOutOfRange(NvmOpcode op, int nsid, long slba, int blocks) {
        SubmissionQueueEntry sqe = Nvme.rw(op, nsid, slba, blocks, 0);
        int bytes = blocks * lba(nsid);
        ByteBuf out = op == NvmOpcode.WRITE || op == NvmOpcode.COMPARE ? TestServer.buffer(new byte[bytes]) : null;
        int in = op == NvmOpcode.READ ? bytes : 0;
        try (Completion c = Nvme.io(host, sqe, out, in)) {
            assertStatus(c, StatusCode.LBA_OUT_OF_RANGE, true);
            assertThat(c.status().code()).isEqualTo(0x80);
        }
    }

    @Test
    void aBufferUnlikeTheCommandsLengthIsDataSglLengthInvalid() {
        long slba = server.allocate(NS_4K, 4);
        byte[] before = random(88, 4 * 4096);
        Nvme.write(host, NS_4K, slba, before, false);
        Nvme.expectIo(host, Nvme.read(NS_4K, slba, 2), null, 4096, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        Nvme.expectIo(host, Nvme.read(NS_4K, slba, 1), null, 8192, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        // In-capsule data too long, R2T data too short.
        Nvme.expectIo(host, Nvme.write(NS_4K, slba, 1, false), TestServer.buffer(new byte[8192]), 0,
                StatusCode.DATA_SGL_LENGTH_INVALID, true);
        Nvme.expectIo(host, Nvme.write(NS_4K, slba, 4, false), TestServer.buffer(new byte[3 * 4096]), 0,
                StatusCode.DATA_SGL_LENGTH_INVALID, true);
        Nvme.expectIo(host, Nvme.write(NS_4K, slba, 1, false), null, 0, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        Nvme.expectIo(host, Nvme.compare(NS_4K, slba, 2), TestServer.buffer(Arrays.copyOf(before, 4096)), 0,
                StatusCode.DATA_SGL_LENGTH_INVALID, true);
        assertThat(Nvme.read(host, NS_4K, slba, 4)).isEqualTo(before);
    }

    @ParameterizedTest(name = "opcode {0}")
    @ValueSource(ints = {0x03, 0x04, 0x06, 0x0D, 0x0E, 0x11, 0x15, 0x79, 0x7A, 0x7D, 0x80, 0x81, 0x82, 0xFF})
    void anUnknownIoOpcodeIsInvalidCommandOpcode(int opcode) {
        Nvme.expectIo(host, SubmissionQueueEntry.builder(opcode).nsid(NS_4K).build(), null, 0,
                StatusCode.INVALID_COMMAND_OPCODE, true);
        Nvme.ok(host, Nvme.flush(NS_4K));
    }

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {0, 3, TestServer.NN, TestServer.NN + 1, 0xFFFFFFFF})
    void aNamespaceThatIsNotActiveIsInvalidNamespaceOrFormat(int nsid) {
        Nvme.expectIo(host, Nvme.read(nsid, 0, 1), null, 4096, StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
        Nvme.expectIo(host, Nvme.write(nsid, 0, 1, false), TestServer.buffer(new byte[4096]), 0,
                StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
        Nvme.expectIo(host, Nvme.writeZeroes(nsid, 0, 1, false), null, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
        Nvme.expectIo(host, Nvme.verify(nsid, 0, 1), null, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
        Nvme.expectIo(host, Nvme.datasetManagement(nsid, 1, true), Nvme.dsmRanges(new long[] {0, 1}), 0,
                StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
    }

    // ---- Flush ----

    @Test
    void flushOneNamespaceOrAll() {
        Nvme.ok(host, Nvme.flush(NS_4K));
        Nvme.ok(host, Nvme.flush(NS_512));
        Nvme.ok(host, Nvme.flush(0xFFFFFFFF));
        for (int nsid : new int[] {0, 3, TestServer.NN + 1}) {
            Nvme.expectIo(host, Nvme.flush(nsid), null, 0, StatusCode.INVALID_NAMESPACE_OR_FORMAT, true);
        }
    }

    // ---- Write Zeroes ----

    @ParameterizedTest(name = "NSID {0}, DEAC {1}")
    @CsvSource({"1, false", "1, true", "2, false", "2, true"})
    void writeZeroesZeroesExactlyItsRange(int nsid, boolean deac) {
        int blocks = 32;
        long slba = server.allocate(nsid, blocks);
        byte[] data = random(nsid * 31L + (deac ? 1 : 0), blocks * lba(nsid));
        Nvme.write(host, nsid, slba, data, false);
        Nvme.ok(host, Nvme.writeZeroes(nsid, slba + 3, 7, deac));
        byte[] expected = data.clone();
        Arrays.fill(expected, 3 * lba(nsid), 10 * lba(nsid), (byte) 0);
        assertThat(Nvme.read(host, nsid, slba, blocks)).isEqualTo(expected);
    }

    @Test
    void writeZeroesIsNotBoundByMdts() {
        long slba = server.allocate(NS_512, 65537);
        byte[] edge = random(5, 512);
        Nvme.write(host, NS_512, slba + 65535, edge, false);
        Nvme.write(host, NS_512, slba + 65536, edge, false);
        Nvme.ok(host, Nvme.writeZeroes(NS_512, slba, 65536, false));
        assertThat(Nvme.read(host, NS_512, slba + 65535, 1)).isEqualTo(new byte[512]);
        assertThat(Nvme.read(host, NS_512, slba + 65536, 1)).isEqualTo(edge);
        Nvme.ok(host, Nvme.verify(NS_512, slba, 65536));
    }

    @Test
    void deallocationShowsInNamespaceUtilization() {
        int blocks = 512;
        long slba = server.allocate(NS_4K, blocks);
        Nvme.write(host, NS_4K, slba, random(6, blocks / 2 * 4096), true);
        Nvme.write(host, NS_4K, slba + blocks / 2, random(7, blocks / 2 * 4096), true);
        long before = host.identifyNamespace(NS_4K).nuse();
        Nvme.ok(host, Nvme.writeZeroes(NS_4K, slba, blocks / 2, true));
        long afterWriteZeroes = host.identifyNamespace(NS_4K).nuse();
        assertThat(afterWriteZeroes).isLessThanOrEqualTo(before - blocks / 2 + 4);
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 1, true),
                Nvme.dsmRanges(new long[] {slba + blocks / 2, blocks / 2}), 0)) {
            assertSuccess(c);
        }
        long afterDsm = host.identifyNamespace(NS_4K).nuse();
        assertThat(afterDsm).isLessThanOrEqualTo(afterWriteZeroes - blocks / 2 + 4);
        assertThat(Nvme.read(host, NS_4K, slba, 256)).isEqualTo(new byte[256 * 4096]);
        assertThat(Nvme.read(host, NS_4K, slba + 256, 256)).isEqualTo(new byte[256 * 4096]);
    }

    // ---- Dataset Management ----

    @Test
    void deallocatingSeveralRangesZeroesExactlyThem() {
        int blocks = 64;
        long slba = server.allocate(NS_512, blocks);
        byte[] data = random(8, blocks * 512);
        Nvme.write(host, NS_512, slba, data, false);
        long[][] ranges = {{slba + 2, 3}, {slba + 10, 5}, {slba + 40, 1}, {slba + 63, 1}};
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_512, ranges.length, true), Nvme.dsmRanges(ranges), 0)) {
            assertSuccess(c);
        }
        byte[] expected = data.clone();
        for (long[] r : ranges) {
            Arrays.fill(expected, (int) (r[0] - slba) * 512, (int) (r[0] - slba + r[1]) * 512, (byte) 0);
        }
        assertThat(Nvme.read(host, NS_512, slba, blocks)).isEqualTo(expected);
    }

    @Test
    void twoHundredFiftySixRangesInOneCommand() {
        int blocks = 512;
        long slba = server.allocate(NS_512, blocks);
        byte[] data = random(9, blocks * 512);
        Nvme.write(host, NS_512, slba, Arrays.copyOf(data, 256 * 512), false);
        Nvme.write(host, NS_512, slba + 256, Arrays.copyOfRange(data, 256 * 512, blocks * 512), false);
        long[][] ranges = new long[256][];
        byte[] expected = data.clone();
        for (int i = 0; i < 256; i++) {
            ranges[i] = new long[] {slba + 2L * i, 1};
            Arrays.fill(expected, 2 * i * 512, (2 * i + 1) * 512, (byte) 0);
        }
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_512, 256, true), Nvme.dsmRanges(ranges), 0)) {
            assertSuccess(c);
        }
        byte[] actual = new byte[blocks * 512];
        System.arraycopy(Nvme.read(host, NS_512, slba, 256), 0, actual, 0, 256 * 512);
        System.arraycopy(Nvme.read(host, NS_512, slba + 256, 256), 0, actual, 256 * 512, 256 * 512);
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void datasetManagementErrorsAndHintsChangeNothing() {
        int blocks = 16;
        long slba = server.allocate(NS_4K, blocks);
        byte[] data = random(10, blocks * 4096);
        Nvme.write(host, NS_4K, slba, data, false);
        long n = TestServer.blockCount(NS_4K);
        // Without AD the ranges are only hints.
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 1, false), Nvme.dsmRanges(new long[] {slba, blocks}), 0)) {
            assertSuccess(c);
        }
        // One range out of bounds: the command fails as a whole, before deallocating anything.
        for (long[] bad : new long[][] {{n, 1}, {n - 1, 2}, {-1L, 1}, {0, n + 1}}) {
            try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 2, true),
                    Nvme.dsmRanges(new long[] {slba, 4}, bad), 0)) {
                assertStatus(c, StatusCode.LBA_OUT_OF_RANGE, true);
            }
        }
        // Fewer ranges in the data than NR says.
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 3, true),
                Nvme.dsmRanges(new long[] {slba, 1}, new long[] {slba + 2, 1}), 0)) {
            assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        }
        // More data than NR ranges, as Linux sends (a 4 KiB buffer for every discard): the rest is ignored, the zero
        // ranges after the first are not deallocated (they would be LBA 0 + 0 blocks anyway).
        ByteBuf padded = Nvme.dsmRanges(new long[] {slba + 8, 2});
        padded.writeZero(4096 - padded.readableBytes());
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 1, true), padded, 0)) {
            assertSuccess(c);
        }
        byte[] after = data.clone();
        java.util.Arrays.fill(after, 8 * 4096, 10 * 4096, (byte) 0);
        assertThat(Nvme.read(host, NS_4K, slba, blocks)).as("blocks 8-9 deallocated, read as zeros").isEqualTo(after);
        Nvme.write(host, NS_4K, slba, data, false);
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS_4K, 1, true), null, 0)) {
            assertStatus(c, StatusCode.DATA_SGL_LENGTH_INVALID, true);
        }
        assertThat(Nvme.read(host, NS_4K, slba, blocks)).isEqualTo(data);
    }

    // ---- Compare and Verify ----

    @ParameterizedTest(name = "NSID {0}, {1} blocks")
    @CsvSource({"1, 1", "1, 8", "2, 4", "2, 64"})
    void compareSucceedsOnEqualDataAndFailsOnADifference(int nsid, int blocks) {
        long slba = server.allocate(nsid, blocks);
        byte[] data = random(nsid * 7L + blocks, blocks * lba(nsid));
        Nvme.write(host, nsid, slba, data, false);
        try (Completion c = Nvme.io(host, Nvme.compare(nsid, slba, blocks), TestServer.buffer(data), 0)) {
            assertSuccess(c);
        }
        byte[] different = data.clone();
        different[different.length / 2] ^= 0x10;
        try (Completion c = Nvme.io(host, Nvme.compare(nsid, slba, blocks), TestServer.buffer(different), 0)) {
            assertStatus(c, StatusCode.COMPARE_FAILURE, true);
            assertThat(c.status().sct()).isEqualTo(2);
            assertThat(c.status().sc()).isEqualTo(0x85);
        }
        assertThat(Nvme.read(host, nsid, slba, blocks)).isEqualTo(data);
    }

    @Test
    void verifyInRangeSucceeds() {
        Nvme.ok(host, Nvme.verify(NS_4K, 0, 1));
        Nvme.ok(host, Nvme.verify(NS_4K, 100, 4000));
        Nvme.ok(host, Nvme.verify(NS_4K, TestServer.blockCount(NS_4K) - 16, 16));
        Nvme.ok(host, Nvme.verify(NS_512, TestServer.blockCount(NS_512) - 65536, 65536));
    }

    // ---- MDTS above the C2HData PDU size ----

    @ParameterizedTest(name = "data digest {0}")
    @ValueSource(booleans = {false, true})
    void twoMebibyteTransfersWhenMdtsAllowsThem(boolean dataDigest, @TempDir Path own) {
        String yaml = TestServer.defaultYaml(own).replace("""
                nvme:
                  version: "2.1"
                """, """
                nvme:
                  version: "2.1"
                  mdts: 9
                """);
        int length = 2 << 20;
        byte[] data = random(dataDigest ? 14 : 15, length);
        try (TestServer big = TestServer.start(own, yaml);
             NvmeTcpHost h = big.connect(big.options(TestServer.NQN).ioQueues(1).dataDigest(dataDigest).build())) {
            assertThat(h.controller().mdts()).isEqualTo(9);
            Nvme.write(h, NS_4K, 0, data, false);
            assertThat(Nvme.read(h, NS_4K, 0, length / 4096)).isEqualTo(data);
            Nvme.expectIo(h, Nvme.read(NS_4K, 0, length / 4096 + 1), null, length + 4096,
                    StatusCode.INVALID_FIELD_IN_COMMAND, true);
            // On the wire: read data in C2HData PDUs of at most 1 MiB, in order, LAST_PDU on the final one.
            org.copyoffload.initiator.nvme.HostOptions id = big.options(TestServer.NQN).build();
            try (RawQueue admin = RawQueue.admin(big, id, 32, 0, true)) {
                assertThat(admin.command(Nvme.setFeatures(org.copyoffload.initiator.nvme.NvmeCommands.FID_NUMBER_OF_QUEUES, 0,
                        false).withCid(1)).status().isSuccess()).isTrue();
                try (RawQueue io = RawQueue.io(big, id, admin.cntlid(), 1, 32, 0, false, dataDigest)) {
                    assertThat(io.readData(Nvme.read(NS_4K, 0, length / 4096).withCid(1), length)).isEqualTo(data);
                }
            }
        }
    }

    // ---- persistence ----

    @Test
    void dataSurvivesARestartOfTheTarget(@TempDir Path own) {
        byte[] a = random(11, 64 * 1024);
        byte[] b = random(12, 4096);
        byte[] c = random(13, 512 * 3);
        try (TestServer first = TestServer.start(own); NvmeTcpHost h = first.connect(1)) {
            Nvme.write(h, NS_4K, 100, a, false);
            Nvme.write(h, NS_4K, 1000, b, true);
            Nvme.write(h, NS_512, 7, c, false);
            Nvme.ok(h, Nvme.writeZeroes(NS_4K, 104, 2, true));
            Nvme.ok(h, Nvme.flush(0xFFFFFFFF));
        }
        Arrays.fill(a, 4 * 4096, 6 * 4096, (byte) 0);
        try (TestServer second = TestServer.start(own); NvmeTcpHost h = second.connect(1)) {
            assertThat(Nvme.read(h, NS_4K, 100, 16)).isEqualTo(a);
            assertThat(Nvme.read(h, NS_4K, 1000, 1)).isEqualTo(b);
            assertThat(Nvme.read(h, NS_512, 7, 3)).isEqualTo(c);
            assertThat(Nvme.read(h, NS_512, 10, 1)).isEqualTo(new byte[512]);
            assertThat(h.identifyNamespace(NS_4K).nsze()).isEqualTo(TestServer.blockCount(NS_4K));
        }
    }
}
