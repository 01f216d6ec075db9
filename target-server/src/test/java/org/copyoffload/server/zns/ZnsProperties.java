package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random Writes, Zone Appends, zone actions (single and Select All), Read Only faults, reads, Report Zones and
 * restarts on a small zoned namespace over NVMe/TCP, against {@link ReferenceZns}: every status, every returned
 * LBA, every byte read and every reported zone must agree. A failure names its seed.
 */
@ExtendWith(LeakDetectionExtension.class)
class ZnsProperties {
    static final int NS = 1;
    static final int BLOCK = 4096;
    static final long ZSZE = 16;
    static final long ZCAP = 12;
    static final int ZONES = 16;
    static final int STEPS = 160;

    @TempDir
    Path dir;

    static long[] seeds() {
        long[] s = new long[10];
        for (int i = 0; i < s.length; i++) {
            s[i] = i + 1;
        }
        return s;
    }

    private String yaml() {
        return ZnsFixture.yaml(dir, "zone-size: 64KiB, zone-capacity: 48KiB, max-active: 4, max-open: 3")
                .replace("size: 64MiB", "size: 1MiB");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void zonedNamespaceMatchesTheReference(long seed) throws IOException {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L);
        ReferenceZns ref = new ReferenceZns(ZSZE, ZCAP, ZONES, 4, 3);
        TestServer server = TestServer.start(dir, yaml());
        NvmeTcpHost host = server.connect(2);
        try {
            for (int step = 0; step < STEPS; step++) {
                String what = "seed " + seed + " step " + step;
                int z = random.nextInt(ZONES);
                long start = z * ZSZE;
                int p = random.nextInt(100);
                if (p < 35) {
                    long slba = random.nextInt(5) > 0 ? ref.wp[z] : start + random.nextInt((int) ZSZE);
                    int n = (int) Math.min(1 + random.nextInt(4), ZONES * ZSZE - slba);
                    if (n < 1) {
                        continue;
                    }
                    byte fill = (byte) (1 + random.nextInt(255));
                    ReferenceZns.Result expected = ref.write(slba, n, false, fill);
                    try (Completion c = Nvme.io(host, random.nextInt(2), Nvme.write(NS, slba, n, random.nextInt(6) == 0),
                            TestServer.buffer(filled(n, fill)), 0)) {
                        check(c, expected.error(), what + " write " + slba + "+" + n);
                    }
                } else if (p < 50) {
                    long zslba = random.nextInt(10) > 0 ? start : start + 1;
                    int n = 1 + random.nextInt(4);
                    byte fill = (byte) (1 + random.nextInt(255));
                    ReferenceZns.Result expected = ref.write(zslba, n, true, fill);
                    try (Completion c = ZnsFixture.append(host, random.nextInt(2), zslba, filled(n, fill), false)) {
                        check(c, expected.error(), what + " append " + zslba + "+" + n);
                        if (expected.error() == null) {
                            assertThat(ZnsFixture.lbaOf(c)).as(what).isEqualTo(expected.lba());
                        }
                    }
                } else if (p < 72) {
                    int action = 1 + random.nextInt(5);
                    boolean all = random.nextInt(7) == 0;
                    long slba = random.nextInt(10) > 0 ? start : start + 1;
                    String expected = ref.action(action, slba, all);
                    try (Completion c = ZnsFixture.send(host, slba, action, all)) {
                        check(c, expected, what + " action " + action + (all ? " all" : " at " + slba));
                    }
                } else if (p < 75) {
                    ref.setReadOnly(z);
                    ZnsFixture.zones(server).setReadOnly(z);
                } else if (p < 90) {
                    long slba = start + random.nextInt((int) ZSZE);
                    int n = (int) Math.min(1 + random.nextInt(4), ZONES * ZSZE - slba);
                    String expected = ref.read(slba, n);
                    try (Completion c = Nvme.io(host, random.nextInt(2), Nvme.read(NS, slba, n), null, n * BLOCK)) {
                        check(c, expected, what + " read " + slba + "+" + n);
                        if (expected == null) {
                            byte[] got = new byte[n * BLOCK];
                            c.data().getBytes(c.data().readerIndex(), got);
                            assertThat(got).as(what + " data of " + slba + "+" + n).isEqualTo(expectedData(ref, slba, n));
                        }
                    }
                } else if (p < 97) {
                    compareReport(host, ref, what);
                } else {
                    host.close();
                    server.close();
                    ref.restart();
                    server = TestServer.start(dir, yaml());
                    host = server.connect(2);
                    compareReport(host, ref, what + " after restart");
                }
            }
            compareReport(host, ref, "seed " + seed + " at the end");
            assertThat(successes).as("commands that succeeded").isGreaterThan(STEPS / 4);
            assertThat(failures).as("commands refused").isGreaterThan(STEPS / 20);
        } finally {
            host.close();
            server.close();
        }
    }

    private static void compareReport(NvmeTcpHost host, ReferenceZns ref, String what) {
        ZnsFixture.Report r = ZnsFixture.report(host, 0, 0, false, 64 + 64 * ZONES);
        assertThat(r.numberOfZones()).as(what).isEqualTo(ZONES);
        for (int z = 0; z < ZONES; z++) {
            ZnsFixture.Descriptor d = r.zones().get(z);
            assertThat(new long[] {d.state(), d.writePointer(), d.zslba(), d.capacity()})
                    .as(what + " zone " + z).containsExactly(ref.st[z], ref.wp[z], z * ZSZE, ZCAP);
        }
    }

    private int failures;
    private int successes;

    private void check(Completion c, String expected, String what) {
        if (expected == null) {
            successes++;
        } else {
            failures++;
        }
        if (expected == null) {
            assertThat(c.status().isSuccess()).as(what + ": " + c.status()).isTrue();
        } else {
            assertThat(c.status()).as(what).isEqualTo(StatusCode.valueOf(expected).dnr());
        }
    }

    private static byte[] filled(int blocks, byte fill) {
        byte[] b = new byte[blocks * BLOCK];
        Arrays.fill(b, fill);
        return b;
    }

    private static byte[] expectedData(ReferenceZns ref, long slba, int n) {
        byte[] b = new byte[n * BLOCK];
        for (int i = 0; i < n; i++) {
            Arrays.fill(b, i * BLOCK, (i + 1) * BLOCK, ref.blocks[(int) slba + i]);
        }
        return b;
    }
}
