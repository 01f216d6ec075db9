package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.copy.CopyFixture.F1;
import static org.copyoffload.server.copy.CopyFixture.copyOk;
import static org.copyoffload.server.copy.CopyFixture.copySqe;
import static org.copyoffload.server.copy.CopyFixture.r0;
import static org.copyoffload.server.copy.CopyFixture.r2;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.copy.CopyFixture.Model;
import org.copyoffload.server.copy.CopyFixture.Region;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What a successful Copy leaves behind, checked LBA by LBA against the reference model (all sources read first,
 * then written): format 0h with one and many ranges (up to 256), ranges overlapping each other and the
 * destination, format 2h across namespaces and mixed with the destination's own, 512-byte namespaces, copies up
 * to MCL and of many MiB, FUA and a disabled write cache, Source Range lists in the capsule and by R2T, and the
 * Copy metrics.
 */
@ExtendWith(LeakDetectionExtension.class)
class CopyDataTest {
    static final String D = "d";
    static final int N1 = 1;
    static final int N2 = 2;
    static final int N3 = 3;
    static final int N4 = 4;
    static final int N5 = 5;

    @TempDir
    static Path dir;
    static CopyFixture.Config config;
    static CopyFixture.Allocator lbas;
    static TestServer server;
    static NvmeTcpHost host;
    static final int IN_CAPSULE = 8192;

    @BeforeAll
    static void start() {
        // 8 KiB of in-capsule data (not the default 128 KiB), so that a Source Range list can be too long for it.
        config = new CopyFixture.Config(dir).nvme("  in-capsule-data-size: " + IN_CAPSULE + "\n").subsystem(D, "2.1", true)
                .namespace(N1, 48 << 20, 4096)
                .namespace(N2, 32 << 20, 4096)
                .namespace(N3, 16 << 20, 512)
                .namespace(N4, 4 << 20, 4096, "mssrl: 8, mcl: 20, msrc: 3")
                .namespace(N5, 16 << 20, 512);
        lbas = new CopyFixture.Allocator(config);
        server = config.start();
        host = CopyFixture.connect(server, D, 2);
    }

    @AfterAll
    static void stop() {
        if (host != null) {
            host.close();
        }
        if (server != null) {
            server.close();
        }
    }

    static int lba(int nsid) {
        return config.layout(D, nsid).lbaSize();
    }

    static Region region(int nsid, int blocks, long seed) {
        return Region.filled(host, nsid, lba(nsid), lbas.allocate(D, nsid, blocks), blocks, seed);
    }

    /** Copies, applies the model and checks every region. */
    static void copyAndCheck(List<Region> regions, int nsid, long sdlba, List<CopySourceRange> ranges, boolean fua,
                             String what) {
        Model.apply(regions, nsid, sdlba, ranges);
        copyOk(host, nsid, sdlba, ranges, fua);
        for (Region r : regions) {
            r.assertOnDevice(host, what);
        }
    }

    static void copyAndCheck(List<Region> regions, int nsid, long sdlba, List<CopySourceRange> ranges, String what) {
        copyAndCheck(regions, nsid, sdlba, ranges, false, what);
    }

    static long r2ts(int queue) {
        return host.ioTraffic(queue).snapshot().received(PduType.R2T).pdus();
    }

    // ---- format 0h ----

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {N1, N3})
    void format0hCopiesOneRange(int nsid) {
        Region src = region(nsid, 16, nsid * 10L);
        Region dst = region(nsid, 16, nsid * 10L + 1);
        List<Region> all = List.of(src, dst);
        copyAndCheck(all, nsid, dst.base + 2, List.of(r0(src.base + 3, 5)), "5 blocks");
        copyAndCheck(all, nsid, dst.base + 15, List.of(r0(src.base, 1)), "1 block into the last LBA of the region");
        copyAndCheck(all, nsid, dst.base, List.of(r0(src.base, 16)), "the whole region");
    }

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {N1, N3})
    void format0hConcatenatesSeveralRangesInOrder(int nsid) {
        Region src = region(nsid, 64, nsid * 20L);
        Region dst = region(nsid, 64, nsid * 20L + 1);
        List<Region> all = List.of(src, dst);
        // Out of order, of different lengths, one repeated.
        List<CopySourceRange> ranges = List.of(r0(src.base + 40, 7), r0(src.base, 1), r0(src.base + 10, 12),
                r0(src.base + 63, 1), r0(src.base + 40, 7), r0(src.base + 25, 3), r0(src.base + 2, 9));
        copyAndCheck(all, nsid, dst.base + 5, ranges, "seven ranges");
    }

    // ---- 256 ranges: MSRC 255, and the Source Range list in the capsule or by R2T ----

    @ParameterizedTest(name = "NSID {0}")
    @ValueSource(ints = {N1, N3})
    void twoHundredFiftySixRangesFitTheCapsuleExactly(int nsid) {
        Region src = region(nsid, 512, nsid * 30L);
        Region dst = region(nsid, 512, nsid * 30L + 1);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 256; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(nsid));
        List<CopySourceRange> ranges = new ArrayList<>();
        for (int i : order) {
            ranges.add(r0(src.base + 2L * i, 2));
        }
        assertThat(CopySourceRange.listLength(CopyFixture.F0, 256)).isEqualTo(IN_CAPSULE);
        long r2tBefore = r2ts(0);
        copyAndCheck(List.of(src, dst), nsid, dst.base, ranges, "256 ranges of 2 blocks, shuffled");
        assertThat(r2ts(0)).as("8192 bytes of Source Range list went in the capsule").isEqualTo(r2tBefore);
    }

    @Test
    void aSourceRangeListBeyondTheCapsuleComesByR2T() {
        Region src = region(N1, 256, 40);
        Region dst = region(N1, 256, 41);
        Region other = region(N2, 256, 42);
        List<Region> all = List.of(src, dst, other);
        List<CopySourceRange> ranges = new ArrayList<>();
        for (int i = 255; i >= 0; i--) {
            ranges.add(r0(src.base + i, 1));
        }
        // 256 entries and 32 bytes more than NR asks for: 8224 bytes, over the 8192-byte capsule.
        long before = r2ts(0);
        Model.apply(all, N1, dst.base, ranges);
        try (Completion c = CopyFixture.copy(host, copySqe(N1, dst.base, 0, 256, false), CopyFixture.padded(ranges, 32))) {
            assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(r2ts(0)).as("R2Ts").isEqualTo(before + 1);
        dst.assertOnDevice(host, "256 ranges by R2T");

        // 255 entries and 32 bytes of padding: 8192 bytes, in the capsule.
        List<CopySourceRange> cross = new ArrayList<>();
        for (int i = 0; i < 255; i++) {
            cross.add(r2(i % 2 == 0 ? N2 : N1, (i % 2 == 0 ? other.base : src.base) + i, 1));
        }
        before = r2ts(0);
        Model.apply(all, N1, dst.base, cross);
        try (Completion c = CopyFixture.copy(host, copySqe(N1, dst.base, 2, 255, false), CopyFixture.padded(cross, 32))) {
            assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(r2ts(0)).as("R2Ts").isEqualTo(before);
        dst.assertOnDevice(host, "255 ranges of format 2h in the capsule");

        // One range with a whole extra 8 KiB behind it: by R2T, the rest ignored.
        before = r2ts(0);
        List<CopySourceRange> one = List.of(r0(src.base + 7, 9));
        Model.apply(all, N1, dst.base + 100, one);
        try (Completion c = CopyFixture.copy(host, copySqe(N1, dst.base + 100, 0, 1, false), CopyFixture.padded(one, 8192))) {
            assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
        }
        assertThat(r2ts(0)).isEqualTo(before + 1);
        dst.assertOnDevice(host, "one range with 8 KiB of padding");

        // 256 entries of format 1h are 10 KiB: they come by R2T, then meet Invalid Format.
        before = r2ts(0);
        List<CopySourceRange> wide = Collections.nCopies(256, CopySourceRange.of(F1, src.base, 1));
        try (Completion c = CopyFixture.copy(host, N1, dst.base, wide)) {
            CopyFixture.assertRejected(c, StatusCode.INVALID_FORMAT);
        }
        assertThat(r2ts(0)).isEqualTo(before + 1);
        for (Region r : all) {
            r.assertOnDevice(host, "after the refused format 1h list");
        }
    }

    // ---- overlaps: the result is as if copied through a temporary ----

    /** Shapes within a 64-block area A of one namespace: ranges relative to A, destination relative to A. */
    record Shape(String name, int sdlba, int[][] ranges, boolean temporary) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> overlaps() {
        List<Shape> shapes = List.of(
                new Shape("one range moved up by one block", 1, new int[][] {{0, 20}}, false),
                new Shape("one range moved down by one block", 0, new int[][] {{1, 20}}, false),
                new Shape("one range onto itself", 5, new int[][] {{5, 10}}, false),
                new Shape("the same range twice, written over its source", 12, new int[][] {{10, 5}, {10, 5}}, true),
                new Shape("range 1 reads what range 0 wrote", 4, new int[][] {{0, 8}, {8, 8}}, true),
                new Shape("range 1 reads the first destination LBAs", 0, new int[][] {{20, 4}, {0, 4}}, true),
                new Shape("range 0 reads what range 1 will write", 10, new int[][] {{14, 4}, {30, 4}}, false),
                new Shape("destination below every source, nothing read back", 0, new int[][] {{20, 4}, {30, 4}}, false),
                new Shape("reversed halves onto themselves", 0, new int[][] {{16, 16}, {0, 16}}, true),
                new Shape("many small overlapping ranges", 20, new int[][] {{18, 3}, {22, 5}, {19, 1}, {25, 9}, {0, 2},
                        {40, 6}, {21, 2}, {33, 4}, {20, 1}, {44, 3}}, true));
        return Stream.of(N1, N3).flatMap(nsid -> shapes.stream().map(s -> Arguments.of(nsid, s)));
    }

    @ParameterizedTest(name = "NSID {0}: {1}")
    @MethodSource("overlaps")
    void format0hRangesOverlappingTheDestinationReadEverySourceFirst(int nsid, Shape shape) {
        Region area = region(nsid, 64, shape.name().hashCode());
        List<CopySourceRange> ranges = new ArrayList<>();
        for (int[] r : shape.ranges()) {
            ranges.add(r0(area.base + r[0], r[1]));
        }
        long bytes = CopySourceRange.totalBlocks(ranges) * lba(nsid);
        double temporary = CopyFixture.copiedBytes(server, "through_temporary");
        double direct = CopyFixture.copiedBytes(server, "direct");
        copyAndCheck(List.of(area), nsid, area.base + shape.sdlba(), ranges, shape.name());
        assertThat(CopyFixture.copiedBytes(server, "through_temporary") - temporary).as("through_temporary bytes")
                .isEqualTo(shape.temporary() ? bytes : 0);
        assertThat(CopyFixture.copiedBytes(server, "direct") - direct).as("direct bytes")
                .isEqualTo(shape.temporary() ? 0 : bytes);
    }

    @Test
    void largeOverlappingCopiesCrossManyBufferChunks() {
        // 600 blocks (2.4 MiB) moved by one block either way: memmove over several 1 MiB chunks.
        Region area = region(N1, 1024, 50);
        List<Region> all = List.of(area);
        copyAndCheck(all, N1, area.base + 1, List.of(r0(area.base, 600)), "600 blocks up by one");
        copyAndCheck(all, N1, area.base, List.of(r0(area.base + 1, 600)), "600 blocks down by one");
        copyAndCheck(all, N1, area.base + 100, List.of(r0(area.base, 300), r0(area.base + 200, 300), r0(area.base + 600, 300)),
                "three 300-block ranges over the destination, through a temporary");
        Region small = region(N3, 8192, 51);
        copyAndCheck(List.of(small), N3, small.base + 7, List.of(r0(small.base, 5000), r0(small.base + 3, 3000)),
                "512-byte LBAs: 8000 overlapping blocks");
    }

    // ---- format 2h ----

    @Test
    void format2hCopiesAcrossNamespaces() {
        Region a = region(N1, 64, 60);
        Region b = region(N2, 64, 61);
        List<Region> all = List.of(a, b);
        copyAndCheck(all, N2, b.base + 10, List.of(r2(N1, a.base, 8)), "NSID 1 to 2");
        copyAndCheck(all, N1, a.base + 40, List.of(r2(N2, b.base, 4), r2(N2, b.base + 30, 6), r2(N2, b.base + 2, 1)),
                "NSID 2 to 1, three ranges");
        // Mixed: the destination's own namespace (away from the destination) between ranges of the other, and
        // after them (QEMU's emulation keeps reading the previous source namespace there).
        copyAndCheck(all, N1, a.base + 20, List.of(r2(N2, b.base + 50, 3), r2(N1, a.base, 4), r2(N2, b.base + 1, 2),
                r2(N1, a.base + 60, 4), r2(N1, a.base + 8, 2), r2(N2, b.base + 63, 1)), "mixed SNSIDs");
        // The destination's own namespace only, next to the destination.
        copyAndCheck(all, N2, b.base + 8, List.of(r2(N2, b.base + 16, 4), r2(N2, b.base + 4, 4)), "NSID 2 within itself");
    }

    @Test
    void format2hOn512ByteNamespaces() {
        Region a = region(N3, 128, 70);
        Region b = region(N5, 128, 71);
        List<Region> all = List.of(a, b);
        copyAndCheck(all, N3, a.base + 64, List.of(r2(N5, b.base + 100, 17), r2(N3, a.base, 9), r2(N5, b.base, 3)), "5 to 3");
        copyAndCheck(all, N5, b.base + 1, List.of(r2(N3, a.base + 64, 29)), "3 to 5");
    }

    // ---- sizes ----

    @Test
    void copiesUpToMcl() {
        Region src = region(N4, 32, 80);
        Region dst = region(N4, 32, 81);
        List<Region> all = List.of(src, dst);
        copyAndCheck(all, N4, dst.base, List.of(r0(src.base + 24, 8), r0(src.base, 8), r0(src.base + 10, 4)),
                "20 blocks (MCL) in three ranges");
        copyAndCheck(all, N4, dst.base + 12, List.of(r0(src.base, 5), r0(src.base + 5, 5), r0(src.base + 1, 5), r0(src.base + 31, 1)),
                "16 blocks in four ranges (MSRC 3)");
    }

    @Test
    void manyMegabytesInOneCopy() {
        Region src = region(N1, 2048, 90);
        Region dst = region(N1, 2048, 91);
        Region other = region(N2, 2048, 92);
        List<Region> all = List.of(src, dst, other);
        copyAndCheck(all, N1, dst.base, List.of(r0(src.base, 2048)), "one 8 MiB range");
        copyAndCheck(all, N2, other.base, List.of(r2(N1, dst.base + 1024, 1024), r2(N1, src.base, 512), r2(N1, src.base + 1536, 512)),
                "8 MiB from three ranges of another namespace");
    }

    // ---- durability ----

    @Test
    void fuaAndADisabledWriteCacheStillCopy() {
        Region src = region(N1, 16, 100);
        Region dst = region(N1, 16, 101);
        List<Region> all = List.of(src, dst);
        copyAndCheck(all, N1, dst.base, List.of(r0(src.base + 8, 8), r0(src.base, 8)), true, "with FUA");
        try (Completion c = Nvme.admin(host, Nvme.setFeatures(CopyFixture.FID_VOLATILE_WRITE_CACHE, 0, false))) {
            Nvme.assertSuccess(c);
        }
        try {
            copyAndCheck(all, N1, dst.base + 4, List.of(r0(src.base, 4)), "with the write cache disabled");
            copyAndCheck(all, N1, dst.base, List.of(r0(dst.base + 2, 8), r0(dst.base, 8)), true,
                    "through a temporary, with FUA and the write cache disabled");
        } finally {
            try (Completion c = Nvme.admin(host, Nvme.setFeatures(CopyFixture.FID_VOLATILE_WRITE_CACHE, 1, false))) {
                Nvme.assertSuccess(c);
            }
        }
    }

    // ---- concurrency ----

    @Test
    void copiesInFlightOnBothQueuesKeepTheirData() {
        int count = 24;
        Region src = region(N1, 8 * count, 110);
        Region dst = region(N1, 8 * count, 111);
        List<CompletableFuture<Completion>> copies = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<CopySourceRange> ranges = List.of(r0(src.base + 8L * (count - 1 - i) + 4, 4), r0(src.base + 8L * (count - 1 - i), 4));
            Model.apply(List.of(src, dst), N1, dst.base + 8L * i, ranges);
            ByteBuf list = CopySourceRange.encodeList(ranges);
            copies.add(host.submitIo(i % 2, copySqe(N1, dst.base + 8L * i, 0, 2, i % 5 == 0), list, 0));
        }
        for (CompletableFuture<Completion> f : copies) {
            try (Completion c = Nvme.await(f)) {
                assertThat(c.status()).isEqualTo(NvmeStatus.SUCCESS);
            }
        }
        dst.assertOnDevice(host, "24 concurrent copies");
        src.assertOnDevice(host, "their sources");
    }

    // ---- metrics ----

    @Test
    void theCopyMetricsCountCommandsRangesAndBytes() {
        Region src = region(N1, 16, 120);
        Region dst = region(N2, 16, 121);
        double ok0 = CopyFixture.copyCommands(server, "0", "success");
        double ok2 = CopyFixture.copyCommands(server, "2", "success");
        double overlap = CopyFixture.copyCommands(server, "2", "overlapping_io_range");
        double invalid = CopyFixture.copyCommands(server, "invalid", "invalid_field_in_command");
        double direct = CopyFixture.copiedBytes(server, "direct");
        double temporary = CopyFixture.copiedBytes(server, "through_temporary");
        long rangeCount = CopyFixture.rangesPerCopy(server).count();
        double rangeTotal = CopyFixture.rangesPerCopy(server).totalAmount();

        copyOk(host, N1, src.base, List.of(r0(src.base + 8, 3), r0(src.base + 4, 2)));
        copyOk(host, N2, dst.base, List.of(r2(N1, src.base, 4), r2(N1, src.base + 8, 4), r2(N2, dst.base + 12, 4)));
        copyOk(host, N1, src.base + 1, List.of(r0(src.base, 2), r0(src.base, 2)));
        CopyFixture.expectRejected(host, N2, dst.base, List.of(r2(N2, dst.base, 1)), StatusCode.OVERLAPPING_IO_RANGE);
        CopyFixture.expectRejected(host, copySqe(N1, src.base, 9, 1, false), CopySourceRange.encodeList(List.of(r0(0, 1))),
                StatusCode.INVALID_FIELD_IN_COMMAND);

        assertThat(CopyFixture.copyCommands(server, "0", "success") - ok0).isEqualTo(2);
        assertThat(CopyFixture.copyCommands(server, "2", "success") - ok2).isEqualTo(1);
        assertThat(CopyFixture.copyCommands(server, "2", "overlapping_io_range") - overlap).isEqualTo(1);
        assertThat(CopyFixture.copyCommands(server, "invalid", "invalid_field_in_command") - invalid).isEqualTo(1);
        assertThat(CopyFixture.copiedBytes(server, "direct") - direct).as("bytes{plan=direct}").isEqualTo((5 + 12) * 4096);
        assertThat(CopyFixture.copiedBytes(server, "through_temporary") - temporary).as("bytes{plan=through_temporary}")
                .isEqualTo(4 * 4096);
        assertThat(CopyFixture.rangesPerCopy(server).count() - rangeCount).as("ranges: one sample per Copy").isEqualTo(5);
        assertThat(CopyFixture.rangesPerCopy(server).totalAmount() - rangeTotal).as("ranges: the sum").isEqualTo(2 + 3 + 2 + 1 + 1);
    }
}
