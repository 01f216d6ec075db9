package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.copy.CopyFixture.Model;
import org.copyoffload.server.copy.CopyFixture.Region;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded properties of Copy against a reference model: two small 4 KiB namespaces, random format (0h or 2h),
 * 1 to 16 ranges of random lengths that overlap each other and the destination, random source namespaces for
 * 2h, a random destination, now and then out of range. The model reads every source range, then writes them at
 * SDLBA; it predicts a refusal where a range or the destination is out of range (80h) or a 2h range from the
 * destination's own namespace overlaps the destination (187h), in range order. After every Copy both
 * namespaces are read back whole and compared with the model. A failure names its seed: rerun just that one
 * by putting that seed alone in {@link #seeds}.
 */
@ExtendWith(LeakDetectionExtension.class)
class CopyProperties {
    static final String P = "p";
    static final int LBA = 4096;
    /** 2 MiB per namespace. */
    static final int BLOCKS = 512;
    static final int[] NAMESPACES = {1, 2};

    @TempDir
    static Path dir;
    static TestServer server;
    static NvmeTcpHost host;
    /** The whole of each namespace as the model has it; index by NSID. */
    static final Region[] model = new Region[3];
    /** False until the device is known to match the model (again, after a failed seed). */
    static boolean inSync;

    @BeforeAll
    static void start() {
        CopyFixture.Config config = new CopyFixture.Config(dir).subsystem(P, "2.1", true)
                .namespace(1, (long) BLOCKS * LBA, LBA)
                .namespace(2, (long) BLOCKS * LBA, LBA);
        server = config.start();
        host = CopyFixture.connect(server, P, 1);
        for (int nsid : NAMESPACES) {
            model[nsid] = Region.filled(host, nsid, LBA, 0, BLOCKS, nsid);
        }
        inSync = true;
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

    /**
     * 100 seeds spread over the whole long range: the first value drawn from {@code new Random(seed)} hardly
     * changes across consecutive small seeds (1..100 would all pick the same format first).
     */
    static LongStream seeds() {
        return LongStream.rangeClosed(1, 100).map(i -> i * 0x9E37_79B9_7F4A_7C15L);
    }

    /** One generated Copy. */
    record Case(CopyDescriptorFormat format, int nsid, long sdlba, List<CopySourceRange> ranges) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("format ").append(format.code()).append("h into NSID ").append(nsid)
                    .append(" at ").append(sdlba).append(" from");
            for (CopySourceRange r : ranges) {
                b.append(' ');
                if (format.namesSourceNamespace()) {
                    b.append(r.snsid()).append(':');
                }
                b.append(r.slba()).append('+').append(r.blockCount());
            }
            return b.toString();
        }

        static Case random(Random rnd) {
            CopyDescriptorFormat format = rnd.nextBoolean() ? CopyFixture.F0 : CopyFixture.F2;
            int nsid = NAMESPACES[rnd.nextInt(NAMESPACES.length)];
            int count = 1 + rnd.nextInt(16);
            int[] lengths = new int[count];
            long total = 0;
            for (int i = 0; i < count; i++) {
                lengths[i] = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(64) : 1 + rnd.nextInt(12);
                total += lengths[i];
            }
            long sdlba = rnd.nextInt(25) == 0
                    ? BLOCKS - total + 1 + rnd.nextInt(8)           // out of range, just
                    : rnd.nextLong(BLOCKS - total + 1);
            // Format 2h ranges of the destination's own namespace must not overlap the destination: most cases
            // keep them apart, so that 2h copies succeed often enough; the rest may overlap (187h).
            boolean overlapAllowed = rnd.nextInt(4) == 0;
            List<CopySourceRange> ranges = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int snsid = format.namesSourceNamespace() ? NAMESPACES[rnd.nextInt(NAMESPACES.length)] : nsid;
                long slba;
                int pick = rnd.nextInt(100);
                if (pick < 3) {
                    slba = BLOCKS - lengths[i] + 1 + rnd.nextInt(4);  // out of range
                } else if (pick < (format.namesSourceNamespace() && snsid == nsid ? 15 : 45)) {
                    // Near the destination: overlapping it or next to it.
                    slba = Math.clamp(sdlba - lengths[i] + rnd.nextLong(total + lengths[i] + 1), 0, BLOCKS - lengths[i]);
                } else if (pick < 60 && i > 0) {
                    // Over an earlier range.
                    CopySourceRange earlier = ranges.get(rnd.nextInt(i));
                    slba = Math.clamp(earlier.slba() + rnd.nextInt(earlier.blockCount() + 1) - rnd.nextInt(lengths[i]),
                            0, BLOCKS - lengths[i]);
                } else {
                    slba = rnd.nextInt(BLOCKS - lengths[i] + 1);
                }
                boolean sameNamespace = format.namesSourceNamespace() && snsid == nsid;
                for (int tries = 0; sameNamespace && !overlapAllowed && tries < 50
                        && slba < sdlba + total && sdlba < slba + lengths[i]; tries++) {
                    slba = rnd.nextInt(BLOCKS - lengths[i] + 1);
                }
                ranges.add(format.namesSourceNamespace()
                        ? CopySourceRange.of(format, snsid, slba, lengths[i])
                        : CopySourceRange.of(format, slba, lengths[i]));
            }
            return new Case(format, nsid, sdlba, ranges);
        }

        /** What the target must answer: the first refusal in check order, or success. */
        StatusCode expected() {
            long total = CopySourceRange.totalBlocks(ranges);
            for (CopySourceRange r : ranges) {
                boolean sameNamespace = format.namesSourceNamespace() && r.snsid() == nsid;
                if (sameNamespace && r.slba() < sdlba + total && sdlba < r.slba() + r.blockCount()) {
                    return StatusCode.OVERLAPPING_IO_RANGE;
                }
                if (r.slba() + r.blockCount() > BLOCKS) {
                    return StatusCode.LBA_OUT_OF_RANGE;
                }
            }
            return sdlba + total > BLOCKS ? StatusCode.LBA_OUT_OF_RANGE : StatusCode.SUCCESS;
        }

        int sourceNamespace(CopySourceRange r) {
            return format.namesSourceNamespace() ? r.snsid() : nsid;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void copyMatchesTheModel(long seed) {
        if (!inSync) {
            // An earlier seed failed: take the device as it is.
            for (int nsid : NAMESPACES) {
                model[nsid] = new Region(nsid, LBA, 0, CopyFixture.read(host, nsid, LBA, 0, BLOCKS));
            }
        }
        inSync = false;
        Random rnd = new Random(seed);
        Case c = Case.random(rnd);
        refreshSources(c, seed);
        StatusCode expected = c.expected();
        try (Completion done = CopyFixture.copy(host, c.nsid(), c.sdlba(), c.ranges())) {
            if (expected == StatusCode.SUCCESS) {
                assertThat(done.status()).as("seed %d: %s", seed, c).isEqualTo(NvmeStatus.SUCCESS);
            } else {
                assertThat(done.status()).as("seed %d: %s", seed, c).isEqualTo(expected.dnr());
            }
            assertThat(done.dw0()).as("seed %d: Dword 0", seed).isZero();
        }
        if (expected == StatusCode.SUCCESS) {
            Model.apply(List.of(model[1], model[2]), c.nsid(), c.sdlba(), c.ranges());
        }
        for (int nsid : NAMESPACES) {
            model[nsid].assertSame(CopyFixture.read(host, nsid, LBA, 0, BLOCKS), "seed " + seed + ": " + c);
        }
        inSync = true;
    }

    /**
     * New random data over the span of each namespace's in-range source LBAs, so that no two source blocks
     * look alike and a block taken from the wrong place shows.
     */
    static void refreshSources(Case c, long seed) {
        for (int nsid : NAMESPACES) {
            long low = Long.MAX_VALUE;
            long high = Long.MIN_VALUE;
            for (CopySourceRange r : c.ranges()) {
                if (c.sourceNamespace(r) == nsid) {
                    low = Math.min(low, r.slba());
                    high = Math.max(high, Math.min(BLOCKS, r.slba() + r.blockCount()));
                }
            }
            if (low < high) {
                byte[] fresh = CopyFixture.random(seed * 31 + nsid, Math.toIntExact((high - low) * LBA));
                CopyFixture.write(host, nsid, LBA, low, fresh);
                System.arraycopy(fresh, 0, model[nsid].bytes, Math.toIntExact(low * LBA), fresh.length);
            }
        }
    }
}
