package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.copyoffload.backends.store.BlockStore;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.initiator.copy.BlockCopier;
import org.copyoffload.initiator.copy.BlockDevice;
import org.copyoffload.initiator.copy.CopyCapableDevice.Outcome;
import org.copyoffload.initiator.copy.CopyFailedException;
import org.copyoffload.initiator.copy.CopyResult;
import org.copyoffload.initiator.copy.FallbackReason;
import org.copyoffload.initiator.copy.IscsiLunDevice;
import org.copyoffload.initiator.copy.IscsiLunDevice.HostLimits;
import org.copyoffload.initiator.copy.LinearDevice;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.IscsiTrafficSnapshot;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.server.FaultyStore;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The host-side copy path against the real target over iSCSI ({@link IscsiLunDevice}): EXTENDED COPY inside a
 * logical unit and between two of one target, offloaded with next to nothing on the wire; split by the host's caps
 * into segments and commands; refused with its reason between units of different block lengths and of different
 * targets, and still copied; a segment failing in the middle of a list (a write error injected into the destination's
 * store) reported as exactly the whole segments before it, the rest copied by the host, or the copy failed when the
 * host's writes fail too; a linear device over two units; and a seeded model check.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiCopyPathTest {
    static final String T1 = "iqn.2026-01.org.copyoffload:copy-path";
    static final String T2 = "iqn.2026-01.org.copyoffload:copy-path-other";
    static final int KIB = 1024;
    static final int MIB = 1 << 20;

    @TempDir
    static Path dir;
    static TestServer server;
    static final Map<String, FaultyStore> stores = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 16MiB, block-size: 4096}
                  - {name: b, size: 8MiB, block-size: 4096}
                  - {name: s, size: 4MiB, block-size: 512}
                  - {name: o, size: 4MiB, block-size: 4096}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: a}, {lun: 1, volume: b}, {lun: 2, volume: s}]
                    - name: %s
                      luns: [{lun: 0, volume: o}]
                """.formatted(dir, T1, T2);
        server = TestServer.start(dir, yaml, IscsiCopyPathTest::faulty);
    }

    static BlockStore faulty(BlockStore store) {
        FaultyStore f = new FaultyStore(store);
        String file = ((FileBlockStore) store).path().getFileName().toString();
        stores.put(file.substring(0, file.indexOf('.')), f);
        return f;
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            stores.values().forEach(FaultyStore::heal);
            server.close();
        }
    }

    @AfterEach
    void heal() {
        stores.values().forEach(FaultyStore::heal);
    }

    static IscsiSession login(String target) {
        return IscsiSession.login(IscsiOptions.of(server.server().iscsiAddresses().getFirst(), target)
                .withTimeouts(TestServer.TIMEOUT, TestServer.TIMEOUT));
    }

    /** Random bytes written to {@code device} at {@code offset}, returned. */
    static byte[] fill(BlockDevice device, long offset, int length, long seed) {
        byte[] data = TestServer.randomBytes(new Random(seed), length);
        device.write(offset, Unpooled.wrappedBuffer(data.clone())).join();
        return data;
    }

    static byte[] read(BlockDevice device, long offset, int length) {
        return TestServer.bytesOf(device.read(offset, length).join());
    }

    static int scsiCommands(IscsiTrafficSnapshot wire) {
        return (int) wire.sent().get(IscsiOpcode.SCSI_COMMAND).pdus();
    }

    @Test
    void insideOneUnitAndBetweenTwoOfOneTargetTheCopyIsOffloadedAndNoDataCrossesTheWire() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice b = IscsiLunDevice.open(s, 1);
            // What the copy manager reported in OPERATING PARAMETERS: 64 CSCD and 64 segment descriptors, 64 MiB
            // segments, 02h, 0Ah and E4h; and Block Limits' 8 MiB MAXIMUM TRANSFER LENGTH.
            CopyManagerLimits limits = a.copyLimits().orElseThrow();
            assertThat(limits.maxCscdDescriptors()).isEqualTo(64);
            assertThat(limits.maxSegmentDescriptors()).isEqualTo(64);
            assertThat(limits.maxSegmentLength()).isEqualTo(64L * MIB);
            assertThat(limits.descriptorTypes()).containsExactly(0x02, 0x0A, 0xE4);
            assertThat(a.maxTransferBytes()).isEqualTo(8 * MIB);
            assertThat(a.size()).isEqualTo(16L * MIB);
            assertThat(a.blockSize()).isEqualTo(4096);

            byte[] data = fill(a, 0, MIB, 1);
            IscsiTrafficSnapshot before = s.traffic().snapshot();
            CopyResult inside = new BlockCopier().copy(a, 0, a, 2 * MIB, MIB).join();
            CopyResult across = new BlockCopier().copy(a, 0, b, 3 * MIB, MIB).join();
            IscsiTrafficSnapshot wire = s.traffic().snapshot().minus(before);
            for (CopyResult r : List.of(inside, across)) {
                assertThat(r.bytesOffloaded()).isEqualTo(MIB);
                assertThat(r.fallbacks()).isEmpty();
            }
            assertThat(scsiCommands(wire)).as("one EXTENDED COPY each").isEqualTo(2);
            assertThat(wire.bytesSent() + wire.bytesReceived()).as("bytes on the wire for 2 MiB copied")
                    .isLessThan(1024);
            assertThat(read(a, 2 * MIB, MIB)).isEqualTo(data);
            assertThat(read(b, 3 * MIB, MIB)).isEqualTo(data);
        }
    }

    @Test
    void readsAndWritesLargerThanMaximumTransferLengthAreSplit() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiTrafficSnapshot before = s.traffic().snapshot();
            byte[] data = fill(a, 4096, 10 * MIB, 2);
            assertThat(read(a, 4096, 10 * MIB)).isEqualTo(data);
            // 10 MiB over an 8 MiB MAXIMUM TRANSFER LENGTH: two WRITE (16) and two READ (16).
            assertThat(scsiCommands(s.traffic().snapshot().minus(before))).isEqualTo(4);
        }
    }

    @Test
    void aCopyLargerThanOneCommandCarriesIsSplitIntoSegmentsAndCommands() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice b = IscsiLunDevice.open(s, 1, new HostLimits(256 * KIB, 16 * KIB));
            byte[] data = fill(a, MIB, MIB, 3);
            IscsiTrafficSnapshot before = s.traffic().snapshot();
            CopyResult r = new BlockCopier().copy(a, MIB, b, 5 * MIB, MIB).join();
            IscsiTrafficSnapshot wire = s.traffic().snapshot().minus(before);
            assertThat(r.bytesOffloaded()).isEqualTo(MIB);
            assertThat(r.fallbacks()).isEmpty();
            // 256 KiB per command, 16 segments of 16 KiB each: four commands, each a 16 + 64 + 16 * 28-byte list.
            assertThat(scsiCommands(wire)).isEqualTo(4);
            assertThat(read(b, 5 * MIB, MIB)).isEqualTo(data);
        }
    }

    @Test
    void differentBlockLengthsFallBackForTheLimitAndAreStillCopied() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice small = IscsiLunDevice.open(s, 2);
            assertThat(small.blockSize()).isEqualTo(512);
            byte[] data = fill(a, 0, 256 * KIB, 4);
            CopyResult r = new BlockCopier().copy(a, 0, small, 64 * KIB, 256 * KIB).join();
            assertThat(r.bytesByFallback()).isEqualTo(256 * KIB);
            assertThat(r.fallbacks()).singleElement().satisfies(f -> {
                assertThat(f.reason()).isEqualTo(FallbackReason.LIMIT);
                assertThat(f.detail()).contains("4096-byte blocks").contains("512");
            });
            assertThat(read(small, 64 * KIB, 256 * KIB)).isEqualTo(data);
            // Inside the 512-byte unit the copy is offloaded again.
            CopyResult inside = new BlockCopier().copy(small, 64 * KIB, small, 1536 * KIB, 256 * KIB).join();
            assertThat(inside.bytesOffloaded()).isEqualTo(256 * KIB);
            assertThat(read(small, 1536 * KIB, 256 * KIB)).isEqualTo(data);
        }
    }

    @Test
    void anotherTargetIsAnotherDeviceWhileAnotherSessionToTheSameTargetIsNot() {
        try (IscsiSession s = login(T1); IscsiSession other = login(T2); IscsiSession second = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice o = IscsiLunDevice.open(other, 0);
            byte[] data = fill(a, 0, 128 * KIB, 5);
            CopyResult r = new BlockCopier().copy(a, 0, o, 256 * KIB, 128 * KIB).join();
            assertThat(r.fallbacks()).singleElement().satisfies(f -> {
                assertThat(f.reason()).isEqualTo(FallbackReason.DIFFERENT_DEVICES);
                assertThat(f.length()).isEqualTo(128 * KIB);
            });
            assertThat(read(o, 256 * KIB, 128 * KIB)).isEqualTo(data);
            // The same target through a second session: the copy manager finds the source by its designator.
            IscsiLunDevice b = IscsiLunDevice.open(second, 1);
            IscsiTrafficSnapshot before = second.traffic().snapshot();
            CopyResult same = new BlockCopier().copy(a, 0, b, 768 * KIB, 128 * KIB).join();
            assertThat(same.bytesOffloaded()).isEqualTo(128 * KIB);
            assertThat(scsiCommands(second.traffic().snapshot().minus(before))).isEqualTo(1);
            assertThat(read(b, 768 * KIB, 128 * KIB)).isEqualTo(data);
        }
    }

    /**
     * A write error under segment 5 of the third command (bytes 592-608 KiB of 16 KiB segments, 256 KiB commands):
     * the copy manager aborts the command there, COPY STATUS says 5 segments were processed, and the device reports
     * 512 + 80 KiB copied; the host copies the rest. Once more with the fault under the first segment of a command:
     * nothing of that command is claimed.
     */
    @ParameterizedTest(name = "fault at {0} KiB")
    @ValueSource(ints = {600, 520})
    void aSegmentFailingInTheMiddleLeavesExactlyTheRestToTheHost(int faultKib) {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice b = IscsiLunDevice.open(s, 1, new HostLimits(256 * KIB, 16 * KIB));
            byte[] data = fill(a, 0, MIB, 6);
            fill(b, 4 * MIB, MIB, 7);
            FaultyStore store = stores.get("b");
            store.failWritesOnce = true;
            store.failWritesAt = 4L * MIB + faultKib * KIB;
            CopyResult r = new BlockCopier().copy(a, 0, b, 4 * MIB, MIB).join();
            long claimed = faultKib / 16 * 16 * KIB;
            boolean partial = claimed % (256 * KIB) != 0;
            assertThat(store.failWritesAt).as("the fault was met").isEqualTo(-1);
            assertThat(r.bytesOffloaded()).isEqualTo(claimed);
            assertThat(r.fallbacks()).singleElement().satisfies(f -> {
                assertThat(f.offset()).isEqualTo(claimed);
                assertThat(f.length()).isEqualTo(MIB - claimed);
                assertThat(f.reason()).isEqualTo(partial ? FallbackReason.PARTIAL_COPY : FallbackReason.DEVICE_REFUSED);
                assertThat(f.detail()).contains("COPY_ABORTED").contains((claimed % (256 * KIB)) / (16 * KIB)
                        + " segment(s) taken as copied");
            });
            assertThat(read(b, 4 * MIB, MIB)).isEqualTo(data);
        }
    }

    @Test
    void whenTheHostsWritesFailTooTheCopyFailsAndTheDeviceClaimsOnlyWhatItCopied() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice b = IscsiLunDevice.open(s, 1, new HostLimits(256 * KIB, 16 * KIB));
            byte[] data = fill(a, 0, MIB, 8);
            byte[] old = fill(b, 6 * MIB, MIB, 9);
            FaultyStore store = stores.get("b");
            store.failWritesAt = 6L * MIB + 600 * KIB;
            Outcome outcome = b.copyFrom(a, 0, 6 * MIB, MIB).join();
            assertThat(outcome.copied()).isEqualTo(592 * KIB);
            assertThat(outcome.shortBecause().reason()).isEqualTo(FallbackReason.PARTIAL_COPY);
            byte[] now = read(b, 6 * MIB, MIB);
            assertThat(Arrays.copyOf(now, 592 * KIB)).as("what the device claims is there")
                    .isEqualTo(Arrays.copyOf(data, 592 * KIB));
            assertThat(Arrays.copyOfRange(now, 608 * KIB, MIB)).as("later segments were never started")
                    .isEqualTo(Arrays.copyOfRange(old, 608 * KIB, MIB));
            // Through the copy path: the host's WRITE over the bad offset fails, and so does the copy.
            assertThatThrownBy(() -> new BlockCopier().copy(a, 0, b, 6 * MIB, MIB).join())
                    .hasCauseInstanceOf(CopyFailedException.class);
        }
    }

    @Test
    void aLinearDeviceOverTwoUnitsCopiesThroughTheBlockLayerOffloaded() {
        try (IscsiSession s = login(T1)) {
            IscsiLunDevice a = IscsiLunDevice.open(s, 0);
            IscsiLunDevice b = IscsiLunDevice.open(s, 1);
            LinearDevice linear = new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 8L * MIB, 4 * MIB),
                    new LinearDevice.Segment(b, 0, 4 * MIB)));
            // 3-5 MiB of the linear device lies on a then b; 6-8 MiB on b.
            byte[] data = fill(linear, 3 * MIB, 2 * MIB, 10);
            IscsiTrafficSnapshot before = s.traffic().snapshot();
            CopyResult r = new BlockCopier().copy(linear, 3 * MIB, linear, 6 * MIB, 2 * MIB).join();
            assertThat(r.bytesOffloaded()).isEqualTo(2 * MIB);
            assertThat(r.fallbacks()).isEmpty();
            assertThat(scsiCommands(s.traffic().snapshot().minus(before))).as("an EXTENDED COPY per piece")
                    .isEqualTo(2);
            assertThat(read(linear, 6 * MIB, 2 * MIB)).isEqualTo(data);
        }
    }

    /**
     * Random copies between windows of the four units (two of 4 KiB blocks and one of 512 on one target, one of 4 KiB
     * on another) against a byte-array model; copies the devices can offload sometimes meet a one-shot write error
     * in the destination, and then the bytes offloaded are exactly the whole segments before it.
     */
    @Test
    void randomCopiesMatchTheModel() {
        int window = 512 * KIB;
        try (IscsiSession s = login(T1); IscsiSession other = login(T2)) {
            for (long seed = 0; seed < 30; seed++) {
                Random random = new Random(seed);
                int segment = 4096 * (1 + random.nextInt(8));
                HostLimits host = new HostLimits((long) segment * (1 + random.nextInt(6)), segment);
                Map<String, IscsiLunDevice> devices = new HashMap<>();
                devices.put("a", IscsiLunDevice.open(s, 0, host));
                devices.put("b", IscsiLunDevice.open(s, 1, host));
                devices.put("s", IscsiLunDevice.open(s, 2, host));
                devices.put("o", IscsiLunDevice.open(other, 0, host));
                List<String> names = List.of("a", "b", "s", "o");
                Map<String, byte[]> model = new HashMap<>();
                for (String n : names) {
                    model.put(n, fill(devices.get(n), 0, window, seed * 10 + n.charAt(0)));
                }
                for (int k = 0; k < 6; k++) {
                    String from = names.get(random.nextInt(4));
                    String to = names.get(random.nextInt(4));
                    int length = 4096 * (1 + random.nextInt(40));
                    int src = 4096 * random.nextInt((window - length) / 4096 + 1);
                    int dst = 4096 * random.nextInt((window - length) / 4096 + 1);
                    if (from.equals(to) && src < dst + length && dst < src + length) {
                        continue;
                    }
                    IscsiLunDevice source = devices.get(from);
                    IscsiLunDevice destination = devices.get(to);
                    // One target and one block length: a, b and s are T1's, o is T2's; s has 512-byte blocks.
                    boolean offloadable = from.equals("o") == to.equals("o") && from.equals("s") == to.equals("s");
                    int fault = offloadable && random.nextInt(3) == 0 ? random.nextInt(length / 512) * 512 : -1;
                    if (fault >= 0) {
                        stores.get(to).failWritesOnce = true;
                        stores.get(to).failWritesAt = dst + fault;
                    }
                    CopyResult r = new BlockCopier().copy(source, src, destination, dst, length).join();
                    String what = "seed " + seed + " copy " + k + ": " + from + "@" + src + " -> " + to + "@" + dst
                            + " " + length + ", fault " + fault + ", " + host;
                    if (!offloadable) {
                        assertThat(r.bytesByFallback()).as(what).isEqualTo(length);
                    } else if (fault < 0) {
                        assertThat(r.bytesOffloaded()).as(what).isEqualTo(length);
                    } else {
                        assertThat(stores.get(to).failWritesAt).as(what).isEqualTo(-1);
                        assertThat(r.bytesOffloaded()).as(what).isEqualTo(fault / segment * (long) segment);
                    }
                    System.arraycopy(model.get(from), src, model.get(to), dst, length);
                }
                for (String n : names) {
                    assertThat(read(devices.get(n), 0, window)).as("seed " + seed + ", unit " + n)
                            .isEqualTo(model.get(n));
                }
            }
        }
    }
}
