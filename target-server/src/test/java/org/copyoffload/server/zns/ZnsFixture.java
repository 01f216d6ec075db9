package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.nvme.NvmeSubsystem;
import org.copyoffload.server.volume.ZonedVolume;

/**
 * What the zoned-namespace tests share: a server whose subsystem {@link TestServer#NQN} has a zoned namespace
 * (NSID 1: 4 KiB blocks, {@link #ZONES} zones of {@link #ZSZE} blocks with {@link #ZCAP} writable, at most
 * {@link #MAX_ACTIVE} active and {@link #MAX_OPEN} open) and a conventional one (NSID 2, 512-byte blocks);
 * Zone Management Send/Receive and Zone Append submissions; Report Zones parsing.
 */
final class ZnsFixture {
    static final int NS = 1;
    static final int CONVENTIONAL = 2;
    static final int BLOCK = 4096;
    static final long ZSZE = 256;
    static final long ZCAP = 192;
    static final int ZONES = 64;
    static final int MAX_ACTIVE = 4;
    static final int MAX_OPEN = 3;

    static final int CLOSE = 0x1;
    static final int FINISH = 0x2;
    static final int OPEN = 0x3;
    static final int RESET = 0x4;
    static final int OFFLINE = 0x5;

    private ZnsFixture() {
    }

    static String yaml(Path dataDir) {
        return yaml(dataDir, "zone-size: 1MiB, zone-capacity: 768KiB, max-active: 4, max-open: 3");
    }

    static String yaml(Path dataDir, String zoned) {
        return """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: zns, size: 64MiB, block-size: 4096, zoned: {%s}}
                  - {name: conv, size: 8MiB, block-size: 512}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: zns}
                      - {nsid: 2, volume: conv}
                """.formatted(dataDir, zoned, TestServer.NQN);
    }

    static TestServer start(Path dataDir) {
        return TestServer.start(dataDir, yaml(dataDir));
    }

    static ZonedVolume zones(TestServer server) {
        for (NvmeSubsystem s : server.server().target().subsystems()) {
            if (s.nqn().equals(TestServer.NQN)) {
                return s.namespace(NS).zones();
            }
        }
        throw new AssertionError("no test subsystem");
    }

    static long zslba(int zone) {
        return zone * ZSZE;
    }

    // ---- commands ----

    static SubmissionQueueEntry send(int nsid, long slba, int action, boolean selectAll) {
        return SubmissionQueueEntry.builder(NvmOpcode.ZONE_MANAGEMENT_SEND.code()).nsid(nsid)
                .cdw10((int) slba).cdw11((int) (slba >>> 32))
                .cdw13((action & 0xFF) | (selectAll ? 0x100 : 0)).build();
    }

    static SubmissionQueueEntry receive(int nsid, long slba, int bytes, int action, int filter, boolean partial) {
        return SubmissionQueueEntry.builder(NvmOpcode.ZONE_MANAGEMENT_RECEIVE.code()).nsid(nsid)
                .cdw10((int) slba).cdw11((int) (slba >>> 32))
                .cdw12(bytes / 4 - 1)
                .cdw13((action & 0xFF) | ((filter & 0xFF) << 8) | (partial ? 0x1_0000 : 0)).build();
    }

    static SubmissionQueueEntry append(int nsid, long zslba, int blocks, boolean fua) {
        return Nvme.rw(NvmOpcode.ZONE_APPEND, nsid, zslba, blocks, fua ? Nvme.FUA : 0);
    }

    static Completion send(NvmeTcpHost host, long slba, int action, boolean selectAll) {
        return Nvme.io(host, send(NS, slba, action, selectAll), null, 0);
    }

    static void sendOk(NvmeTcpHost host, long slba, int action, boolean selectAll) {
        try (Completion c = send(host, slba, action, selectAll)) {
            Nvme.assertSuccess(c);
        }
    }

    /** A zone descriptor of a report. */
    record Descriptor(int type, int state, int attributes, long capacity, long zslba, long writePointer) {
    }

    record Report(long numberOfZones, List<Descriptor> zones) {
    }

    static Report report(NvmeTcpHost host, long slba, int filter, boolean partial, int bytes) {
        try (Completion c = Nvme.io(host, receive(NS, slba, bytes, 0, filter, partial), null, bytes)) {
            Nvme.assertSuccess(c);
            return parse(c.data(), (bytes - 64) / 64);
        }
    }

    static Report parse(ByteBuf b, int max) {
        int base = b.readerIndex();
        long n = b.getLongLE(base);
        List<Descriptor> out = new ArrayList<>();
        for (int i = 0; i < Math.min(max, n); i++) {
            int at = base + 64 + 64 * i;
            out.add(new Descriptor(b.getByte(at) & 0xFF, (b.getByte(at + 1) & 0xFF) >>> 4, b.getByte(at + 2) & 0xFF,
                    b.getLongLE(at + 8), b.getLongLE(at + 16), b.getLongLE(at + 24)));
        }
        return new Report(n, out);
    }

    /** The descriptor of one zone (Report Zones from its start, one descriptor). */
    static Descriptor zone(NvmeTcpHost host, int zone) {
        Report r = report(host, zslba(zone), 0, true, 128);
        assertThat(r.zones()).hasSize(1);
        return r.zones().get(0);
    }

    /** Appends {@code blocks} blocks of {@code data} to the zone; returns the completion (caller closes). */
    static Completion append(NvmeTcpHost host, int queue, long zslba, byte[] data, boolean fua) {
        return Nvme.io(host, queue, append(NS, zslba, data.length / BLOCK, fua), TestServer.buffer(data), 0);
    }

    static long lbaOf(Completion c) {
        return Integer.toUnsignedLong(c.dw0()) | ((long) c.dw1() << 32);
    }
}
