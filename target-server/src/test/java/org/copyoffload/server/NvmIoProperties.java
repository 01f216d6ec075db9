package org.copyoffload.server;

import org.copyoffload.testsupport.LeakDetectionExtension;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.Nvme.assertStatus;
import static org.copyoffload.server.Nvme.assertSuccess;
import static org.copyoffload.server.TestServer.NS_4K;
import static org.copyoffload.server.TestServer.NS_512;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of Write (in-capsule and by R2T, with and without FUA), Write Zeroes (with and without
 * DEAC), Dataset Management (deallocate, or hints only), Compare and Read on a 4 KiB-LBA and a 512-byte-LBA
 * namespace, over two I/O queues, against a byte array per namespace. Every read must match the model, and
 * so must the whole region at the end, with the blocks around it untouched. A failure names its seed.
 */
@ExtendWith(LeakDetectionExtension.class)
class NvmIoProperties {
    /** Each seed works on 256 KiB of each namespace (one command can read it all: below MDTS). */
    static final int REGION_BYTES = 256 * 1024;
    static final int OPERATIONS = 30;

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.defaults();
    static TestServer server;
    static NvmeTcpHost host;

    @BeforeAll
    static void start() {
        server = target.server();
        host = target.closeAfterClass(server.connect(2));
    }

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 100);
    }

    /** One namespace's region and its model; LBA 0 of the model is {@link #base}. */
    static final class Region {
        final int nsid;
        final int lbaSize;
        final int blocks;
        final long base;
        final byte[] model;

        Region(int nsid) {
            this.nsid = nsid;
            this.lbaSize = TestServer.lbaSize(nsid);
            this.blocks = REGION_BYTES / lbaSize;
            // A guard block on each side must never change.
            this.base = server.allocate(nsid, blocks + 2) + 1;
            this.model = new byte[REGION_BYTES];
        }

        int[] randomRange(Random r) {
            // Mostly small ranges, sometimes up to the whole region (several H2CData PDUs).
            int max = r.nextInt(4) == 0 ? blocks : Math.max(1, blocks / 8);
            int length = 1 + r.nextInt(max);
            int start = r.nextInt(blocks - length + 1);
            return new int[] {start, length};
        }

        void zero(int start, int length) {
            Arrays.fill(model, start * lbaSize, (start + length) * lbaSize, (byte) 0);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomIoMatchesTheModel(long seed) {
        Random r = new Random(seed);
        Region[] regions = {new Region(NS_4K), new Region(NS_512)};
        StringBuilder trace = new StringBuilder("seed ").append(seed).append(':');
        for (int op = 0; op < OPERATIONS; op++) {
            Region g = regions[r.nextInt(2)];
            int queue = r.nextInt(2);
            int[] range = g.randomRange(r);
            int start = range[0];
            int length = range[1];
            long slba = g.base + start;
            int bytes = length * g.lbaSize;
            int kind = r.nextInt(100);
            if (kind < 35) {
                boolean fua = r.nextBoolean();
                byte[] data = TestServer.randomBytes(r, bytes);
                trace.append(String.format(" W(ns%d,%d+%d,q%d%s)", g.nsid, start, length, queue, fua ? ",fua" : ""));
                try (Completion c = Nvme.io(host, queue, Nvme.write(g.nsid, slba, length, fua), TestServer.buffer(data), 0)) {
                    assertSuccess(c);
                }
                System.arraycopy(data, 0, g.model, start * g.lbaSize, bytes);
            } else if (kind < 50) {
                boolean deac = r.nextBoolean();
                trace.append(String.format(" WZ(ns%d,%d+%d,q%d%s)", g.nsid, start, length, queue, deac ? ",deac" : ""));
                try (Completion c = Nvme.io(host, queue, Nvme.writeZeroes(g.nsid, slba, length, deac), null, 0)) {
                    assertSuccess(c);
                }
                g.zero(start, length);
            } else if (kind < 65) {
                int count = 1 + r.nextInt(4);
                boolean deallocate = r.nextInt(5) != 0;
                long[][] ranges = new long[count][];
                trace.append(String.format(" DSM(ns%d,q%d%s", g.nsid, queue, deallocate ? ",ad" : ""));
                for (int i = 0; i < count; i++) {
                    int[] each = i == 0 ? range : g.randomRange(r);
                    ranges[i] = new long[] {g.base + each[0], each[1]};
                    trace.append(String.format(",%d+%d", each[0], each[1]));
                }
                trace.append(')');
                try (Completion c = Nvme.io(host, queue, Nvme.datasetManagement(g.nsid, count, deallocate),
                        Nvme.dsmRanges(ranges), 0)) {
                    assertSuccess(c);
                }
                if (deallocate) {
                    for (long[] each : ranges) {
                        g.zero((int) (each[0] - g.base), (int) each[1]);
                    }
                }
            } else if (kind < 70) {
                byte[] expected = Arrays.copyOfRange(g.model, start * g.lbaSize, start * g.lbaSize + bytes);
                boolean differ = r.nextBoolean();
                if (differ) {
                    expected[r.nextInt(bytes)] ^= (byte) (1 + r.nextInt(255));
                }
                trace.append(String.format(" C(ns%d,%d+%d,q%d%s)", g.nsid, start, length, queue, differ ? ",differ" : ""));
                try (Completion c = Nvme.io(host, queue, Nvme.compare(g.nsid, slba, length), TestServer.buffer(expected), 0)) {
                    if (differ) {
                        assertStatus(c, StatusCode.COMPARE_FAILURE, true);
                    } else {
                        assertThat(c.status().isSuccess()).as("%s", trace).isTrue();
                    }
                }
            } else {
                trace.append(String.format(" R(ns%d,%d+%d,q%d)", g.nsid, start, length, queue));
                byte[] actual = Nvme.read(host, queue, g.nsid, slba, length);
                assertThat(actual).as("%s", trace)
                        .isEqualTo(Arrays.copyOfRange(g.model, start * g.lbaSize, start * g.lbaSize + bytes));
            }
        }
        for (Region g : regions) {
            assertThat(Nvme.read(host, g.nsid, g.base, g.blocks)).as("final contents of NSID %d; %s", g.nsid, trace)
                    .isEqualTo(g.model);
            assertThat(Nvme.read(host, g.nsid, g.base - 1, 1)).as("guard before; %s", trace).isEqualTo(new byte[g.lbaSize]);
            assertThat(Nvme.read(host, g.nsid, g.base + g.blocks, 1)).as("guard after; %s", trace).isEqualTo(new byte[g.lbaSize]);
        }
    }
}
