package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.BLOCK;
import static org.copyoffload.server.zns.ZnsFixture.ZCAP;
import static org.copyoffload.server.zns.ZnsFixture.zone;
import static org.copyoffload.server.zns.ZnsFixture.zslba;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copy format 2h between a zoned namespace (NSID 1) and a conventional one with the same block size (NSID 2), in
 * both directions and mixed: the zoned destination is written at its write pointer, zoned sources are read like
 * Reads, the conventional side has no zone rules.
 */
@ExtendWith(LeakDetectionExtension.class)
class ZnsCrossNamespaceCopyTest {
    private static final int ZONED = 1;
    private static final int CONVENTIONAL = 2;
    private static final CopyDescriptorFormat F2 = CopyDescriptorFormat.FORMAT_2;

    @TempDir
    Path dir;
    TestServer server;
    NvmeTcpHost host;
    final Random random = new Random(11);

    @BeforeEach
    void start() {
        server = TestServer.start(dir, """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes:
                  - {name: zns, size: 64MiB, block-size: 4096, zoned: {zone-size: 1MiB, zone-capacity: 768KiB, max-active: 4, max-open: 3}}
                  - {name: conv, size: 8MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    cross-namespace-copy-at-connect: true
                    namespaces: [{nsid: 1, volume: zns}, {nsid: 2, volume: conv}]
                """.formatted(dir, TestServer.NQN));
        host = server.connect(1);
    }

    @AfterEach
    void stop() {
        host.close();
        server.close();
    }

    private Completion copy(int nsid, long sdlba, CopySourceRange... ranges) {
        CopyCommand cmd = CopyCommand.builder().nsid(nsid).sdlba(sdlba).descriptorFormat(F2).ranges(ranges.length).build();
        return Nvme.io(host, cmd.toSqe(0), CopySourceRange.encodeList(List.of(ranges)), 0);
    }

    /** The test server's helpers assume 512-byte blocks on NSID 2; here every namespace has 4 KiB blocks. */
    private void write(int nsid, long slba, byte[] data) {
        host.write(0, nsid, slba, TestServer.buffer(data), BLOCK, false).join();
    }

    private byte[] read(int nsid, long slba, int blocks) {
        ByteBuf b = host.read(0, nsid, slba, blocks, BLOCK).join();
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private byte[] data(int blocks) {
        return TestServer.randomBytes(random, blocks * BLOCK);
    }

    @Test
    void conventionalIntoAZoneAtItsWritePointer() {
        byte[] a = data(4);
        write(CONVENTIONAL, 10, a);
        write(ZONED, zslba(3), data(2));
        try (Completion c = copy(ZONED, zslba(3) + 2, CopySourceRange.of(F2, CONVENTIONAL, 10, 4))) {
            Nvme.assertSuccess(c);
        }
        assertThat(read(ZONED, zslba(3) + 2, 4)).isEqualTo(a);
        assertThat(zone(host, 3).writePointer()).isEqualTo(zslba(3) + 6);
        // Off the write pointer: Zone Invalid Write, nothing moves.
        try (Completion c = copy(ZONED, zslba(3) + 2, CopySourceRange.of(F2, CONVENTIONAL, 10, 4))) {
            Nvme.assertStatus(c, StatusCode.ZONE_INVALID_WRITE, true);
        }
        assertThat(zone(host, 3).writePointer()).isEqualTo(zslba(3) + 6);
    }

    @Test
    void aZoneIntoTheConventionalNamespace() {
        byte[] a = data(8);
        write(ZONED, zslba(5), a);
        try (Completion c = copy(CONVENTIONAL, 100, CopySourceRange.of(F2, ZONED, zslba(5) + 2, 6))) {
            Nvme.assertSuccess(c);
        }
        assertThat(read(CONVENTIONAL, 100, 6)).isEqualTo(Arrays.copyOfRange(a, 2 * BLOCK, 8 * BLOCK));
        assertThat(zone(host, 5).writePointer()).as("a source zone does not move").isEqualTo(zslba(5) + 8);
        // A zoned source across a zone end: Zone Boundary Error even though the destination is conventional.
        try (Completion c = copy(CONVENTIONAL, 200, CopySourceRange.of(F2, ZONED, zslba(6) - 2, 4))) {
            Nvme.assertStatus(c, StatusCode.ZONE_BOUNDARY_ERROR, true);
        }
        assertThat(read(CONVENTIONAL, 200, 4)).isEqualTo(new byte[4 * BLOCK]);
    }

    @Test
    void mixedSourcesFillAZoneToItsCapacity() {
        byte[] conventional = data(16);
        byte[] zoned = data(16);
        write(CONVENTIONAL, 0, conventional);
        write(ZONED, zslba(7), zoned);
        long wp = zslba(8);
        write(ZONED, wp, data((int) ZCAP - 24));
        wp += ZCAP - 24;
        // 16 + 8 blocks: exactly to the capacity, so the zone becomes Full.
        try (Completion c = copy(ZONED, wp, CopySourceRange.of(F2, CONVENTIONAL, 0, 16),
                CopySourceRange.of(F2, ZONED, zslba(7) + 8, 8))) {
            Nvme.assertSuccess(c);
        }
        assertThat(read(ZONED, wp, 16)).isEqualTo(conventional);
        assertThat(read(ZONED, wp + 16, 8)).isEqualTo(Arrays.copyOfRange(zoned, 8 * BLOCK, 16 * BLOCK));
        assertThat(zone(host, 8).state()).isEqualTo(0xE);
        // One block more than the capacity left: Zone Boundary Error (zone 9 has 8 blocks left).
        write(ZONED, zslba(9), data((int) ZCAP - 8));
        try (Completion c = copy(ZONED, zslba(9) + ZCAP - 8, CopySourceRange.of(F2, CONVENTIONAL, 0, 9))) {
            Nvme.assertStatus(c, StatusCode.ZONE_BOUNDARY_ERROR, true);
        }
    }
}
