package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.*;

import io.netty.buffer.ByteBuf;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.copy.CopyCommand;
import org.copyoffload.protocol.nvme.copy.CopyDescriptorFormat;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Identify, every ZNS status, Report Zones, zoned reads/writes/Copy over NVMe/TCP with the Java host. */
@ExtendWith(LeakDetectionExtension.class)
class ZnsCommandsTest {
    @TempDir
    Path dir;
    TestServer server;
    NvmeTcpHost host;
    final Random random = new Random(42);

    @BeforeEach
    void start() {
        server = ZnsFixture.start(dir);
        host = server.connect(2);
    }

    @AfterEach
    void stop() {
        host.close();
        server.close();
    }

    private ByteBuf identify(int cns, int nsid, int csi) {
        try (Completion c = Nvme.admin(host, Nvme.identify(cns, nsid, csi), null, 4096)) {
            Nvme.assertSuccess(c);
            return c.data().copy();
        }
    }

    private void expectIdentifyInvalid(int cns, int nsid, int csi) {
        Nvme.expectAdmin(host, Nvme.identify(cns, nsid, csi), null, 4096, StatusCode.INVALID_FIELD_IN_COMMAND, true);
    }

    private byte[] data(int blocks) {
        return TestServer.randomBytes(random, blocks * BLOCK);
    }

    private void write(long slba, int blocks, StatusCode expected) {
        try (Completion c = Nvme.io(host, Nvme.write(NS, slba, blocks, false), TestServer.buffer(data(blocks)), 0)) {
            if (expected == StatusCode.SUCCESS) {
                Nvme.assertSuccess(c);
            } else {
                Nvme.assertStatus(c, expected, true);
            }
        }
    }

    private void expectSend(long slba, int action, boolean all, StatusCode expected) {
        try (Completion c = send(host, slba, action, all)) {
            Nvme.assertStatus(c, expected, true);
        }
    }

    // ---- Identify ----

    @Test
    void identifyReportsTheZonedCommandSet() {
        ByteBuf descs = identify(Cns.NAMESPACE_ID_DESCRIPTORS, NS, 0);
        try {
            boolean found = false;
            for (int at = 0; at < 4096 && descs.getByte(at) != 0; at += 4 + (descs.getByte(at + 1) & 0xFF)) {
                if (descs.getByte(at) == 0x4) { // NIDT CSI
                    assertThat(descs.getByte(at + 4)).isEqualTo((byte) Cns.CSI_ZONED);
                    found = true;
                }
            }
            assertThat(found).as("CSI descriptor").isTrue();
        } finally {
            descs.release();
        }

        ByteBuf zns = identify(Cns.IO_COMMAND_SET_NAMESPACE, NS, Cns.CSI_ZONED);
        try {
            assertThat(zns.getShortLE(0)).as("ZOC").isZero();
            assertThat(zns.getShortLE(2)).as("OZCS").isZero();
            assertThat(zns.getIntLE(4)).as("MAR").isEqualTo(MAX_ACTIVE - 1);
            assertThat(zns.getIntLE(8)).as("MOR").isEqualTo(MAX_OPEN - 1);
            assertThat(zns.getLongLE(2816)).as("ZSZE").isEqualTo(ZSZE);
            assertThat(zns.getByte(2824)).as("ZDES").isZero();
        } finally {
            zns.release();
        }
        identify(Cns.IO_COMMAND_SET_NAMESPACE, NS, Cns.CSI_NVM).release();
        expectIdentifyInvalid(Cns.IO_COMMAND_SET_NAMESPACE, CONVENTIONAL, Cns.CSI_ZONED);

        ByteBuf ctrl = identify(Cns.IO_COMMAND_SET_CONTROLLER, 0, Cns.CSI_ZONED);
        assertThat(ctrl.getByte(0)).as("ZASL").isZero();
        ctrl.release();

        ByteBuf zoned = identify(Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST, 0, Cns.CSI_ZONED);
        assertThat(zoned.getIntLE(0)).isEqualTo(NS);
        assertThat(zoned.getIntLE(4)).isZero();
        zoned.release();
        ByteBuf all = identify(Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST, 0, Cns.CSI_NVM);
        assertThat(all.getIntLE(0)).isEqualTo(NS);
        assertThat(all.getIntLE(4)).isEqualTo(CONVENTIONAL);
        all.release();

        ByteBuf sets = identify(Cns.IO_COMMAND_SET_DATA_STRUCTURE, 0, 0);
        assertThat(sets.getLongLE(0)).isEqualTo(0b101L);
        sets.release();

        assertThat(host.identifyNamespace(NS).nsze()).isEqualTo(ZONES * ZSZE);
    }

    @Test
    void commandEffectsListTheZoneCommandsForCsi2Only() {
        for (int csi : new int[] {Cns.CSI_NVM, Cns.CSI_ZONED}) {
            var sqe = GetLogPageCommand.toSqe(0, 0, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS, 0, 0, 4096, csi);
            try (Completion c = Nvme.admin(host, sqe, null, 4096)) {
                Nvme.assertSuccess(c);
                ByteBuf b = c.data();
                int io = b.readerIndex() + 1024;
                assertThat(b.getIntLE(io + 4 * NvmOpcode.WRITE.code()) & 1).isEqualTo(1);
                for (NvmOpcode op : new NvmOpcode[] {NvmOpcode.ZONE_MANAGEMENT_SEND, NvmOpcode.ZONE_MANAGEMENT_RECEIVE,
                        NvmOpcode.ZONE_APPEND}) {
                    assertThat(b.getIntLE(io + 4 * op.code()) & 1).as("%s for CSI %d", op, csi)
                            .isEqualTo(csi == Cns.CSI_ZONED ? 1 : 0);
                }
            }
        }
    }

    @Test
    void zoneCommandsOnAConventionalNamespaceAreInvalidOpcodes() {
        Nvme.expectIo(host, send(CONVENTIONAL, 0, OPEN, false), null, 0, StatusCode.INVALID_COMMAND_OPCODE, true);
        Nvme.expectIo(host, receive(CONVENTIONAL, 0, 4096, 0, 0, false), null, 4096,
                StatusCode.INVALID_COMMAND_OPCODE, true);
    }

    // ---- writes and reads ----

    @Test
    void writesGoAtTheWritePointerAndReadBack() {
        byte[] a = data(8);
        byte[] b = data(4);
        Nvme.write(host, NS, zslba(3), a, false);
        Nvme.write(host, NS, zslba(3) + 8, b, true);
        assertThat(zone(host, 3)).isEqualTo(new Descriptor(2, 0x2, 0, ZCAP, zslba(3), zslba(3) + 12));
        byte[] both = Nvme.read(host, 0, NS, zslba(3), 12);
        assertThat(Arrays.copyOfRange(both, 0, a.length)).isEqualTo(a);
        assertThat(Arrays.copyOfRange(both, a.length, both.length)).isEqualTo(b);
        // Above the write pointer: zeros.
        assertThat(Nvme.read(host, 0, NS, zslba(3) + 12, 4)).containsOnly(0);
        Nvme.ok(host, Nvme.writeZeroes(NS, zslba(3) + 12, 4, false));
        assertThat(zone(host, 3).writePointer()).isEqualTo(zslba(3) + 16);
    }

    @Test
    void datasetManagementDeallocatesWithoutChangingTheZone() {
        // As QEMU: DSM deallocate has no zone semantics; the blocks read as zeros, the write pointer stays.
        Nvme.write(host, NS, zslba(30), data(8), false);
        try (Completion c = Nvme.io(host, Nvme.datasetManagement(NS, 1, true), Nvme.dsmRanges(new long[] {zslba(30), 8}),
                0)) {
            Nvme.assertSuccess(c);
        }
        assertThat(Nvme.read(host, 0, NS, zslba(30), 8)).containsOnly(0);
        assertThat(zone(host, 30)).isEqualTo(new Descriptor(2, 0x2, 0, ZCAP, zslba(30), zslba(30) + 8));
        Nvme.write(host, NS, zslba(30) + 8, data(1), false);
    }

    @Test
    void everyZoneStatus() {
        // 1BCh Zone Invalid Write: not at the write pointer.
        write(zslba(0) + 1, 1, StatusCode.ZONE_INVALID_WRITE);
        Nvme.expectIo(host, Nvme.writeZeroes(NS, zslba(0) + 2, 1, false), null, 0, StatusCode.ZONE_INVALID_WRITE, true);
        // 1B8h Zone Boundary Error: past the capacity; reads across zones.
        write(zslba(0), (int) ZCAP + 1, StatusCode.ZONE_BOUNDARY_ERROR);
        Nvme.expectIo(host, Nvme.read(NS, zslba(1) - 1, 2), null, 2 * BLOCK, StatusCode.ZONE_BOUNDARY_ERROR, true);
        // 1B9h Zone Is Full.
        write(zslba(0), (int) ZCAP, StatusCode.SUCCESS);
        assertThat(zone(host, 0).state()).isEqualTo(0xE);
        write(zslba(0) + ZCAP, 1, StatusCode.ZONE_IS_FULL);
        // Invalid Field: Open with ZSASO (a Zone Random Write Area, not supported), nothing opened.
        Nvme.expectIo(host, SubmissionQueueEntry.builder(0x79).nsid(NS).cdw10((int) zslba(9)).cdw13(OPEN | 0x200).build(),
                null, 0, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        assertThat(zone(host, 9).state()).isEqualTo(0x1);
        // Invalid Field: an action on an LBA that is not a zone start; an unknown action.
        expectSend(zslba(1) + 1, OPEN, false, StatusCode.INVALID_FIELD_IN_COMMAND);
        expectSend(zslba(1), 0x10, false, StatusCode.INVALID_FIELD_IN_COMMAND);
        // 1BFh Invalid Zone State Transition: open a full zone; offline an empty one.
        expectSend(zslba(0), OPEN, false, StatusCode.INVALID_ZONE_STATE_TRANSITION);
        expectSend(zslba(1), OFFLINE, false, StatusCode.INVALID_ZONE_STATE_TRANSITION);
        // 1BEh Too Many Open Zones: three explicitly opened zones hold every open resource.
        for (int z = 1; z <= MAX_OPEN; z++) {
            sendOk(host, zslba(z), OPEN, false);
        }
        write(zslba(4), 1, StatusCode.TOO_MANY_OPEN_ZONES);
        expectSend(zslba(4), OPEN, false, StatusCode.TOO_MANY_OPEN_ZONES);
        // 1BDh Too Many Active Zones: with a fourth active (closed) zone, an empty one cannot open.
        sendOk(host, zslba(3), CLOSE, false); // nothing written: Empty again
        write(zslba(3), 1, StatusCode.SUCCESS);
        sendOk(host, zslba(3), CLOSE, false); // Closed: still active
        write(zslba(5), 1, StatusCode.SUCCESS); // the fourth active zone
        write(zslba(6), 1, StatusCode.TOO_MANY_ACTIVE_ZONES);
        expectSend(zslba(6), OPEN, false, StatusCode.TOO_MANY_ACTIVE_ZONES);
        // Reset all frees everything; the full zone reads zeros again.
        sendOk(host, 0, RESET, true);
        assertThat(report(host, 0, 1, false, 64).numberOfZones()).isEqualTo(ZONES);
        assertThat(Nvme.read(host, 0, NS, zslba(0), 8)).containsOnly(0);
        // 1BAh Read Only and 1BBh Offline through the target's fault-injection API.
        write(zslba(7), 2, StatusCode.SUCCESS);
        try {
            ZnsFixture.zones(server).setReadOnly(7);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        write(zslba(7) + 2, 1, StatusCode.ZONE_IS_READ_ONLY);
        assertThat(zone(host, 7).state()).isEqualTo(0xD);
        Nvme.read(host, 0, NS, zslba(7), 2);
        sendOk(host, zslba(7), OFFLINE, false);
        write(zslba(7), 1, StatusCode.ZONE_IS_OFFLINE);
        Nvme.expectIo(host, Nvme.read(NS, zslba(7), 1), null, BLOCK, StatusCode.ZONE_IS_OFFLINE, true);
        assertThat(zone(host, 7).state()).isEqualTo(0xF);
        expectSend(zslba(7), RESET, false, StatusCode.INVALID_ZONE_STATE_TRANSITION);
    }

    @Test
    void zoneAppendReturnsTheLbaAndChecksItsFields() {
        try (Completion c = append(host, 0, zslba(9), data(3), false)) {
            Nvme.assertSuccess(c);
            assertThat(lbaOf(c)).isEqualTo(zslba(9));
        }
        try (Completion c = append(host, 0, zslba(9), data(2), true)) {
            Nvme.assertSuccess(c);
            assertThat(lbaOf(c)).isEqualTo(zslba(9) + 3);
        }
        // Not a zone start: Invalid Field; more than MDTS: Invalid Field; past the capacity: Zone Boundary Error.
        Nvme.expectIo(host, append(NS, zslba(9) + 1, 1, false), TestServer.buffer(data(1)), 0,
                StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, append(NS, zslba(10), 257, false), null, 0, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        sendOk(host, zslba(11), OPEN, false);
        Nvme.write(host, NS, zslba(11), data((int) ZCAP - 1), false);
        Nvme.expectIo(host, append(NS, zslba(11), 2, false), TestServer.buffer(data(2)), 0,
                StatusCode.ZONE_BOUNDARY_ERROR, true);
        try (Completion c = append(host, 0, zslba(11), data(1), false)) {
            Nvme.assertSuccess(c);
            assertThat(lbaOf(c)).isEqualTo(zslba(11) + ZCAP - 1);
        }
        assertThat(zone(host, 11).state()).isEqualTo(0xE);
    }

    @Test
    void reportZonesFiltersAndPartial() {
        Nvme.write(host, NS, zslba(1), data(1), false);          // implicitly opened
        sendOk(host, zslba(2), OPEN, false);                    // explicitly opened
        Nvme.write(host, NS, zslba(3), data(5), false);
        sendOk(host, zslba(3), CLOSE, false);                   // closed
        sendOk(host, zslba(4), FINISH, false);                  // full

        Report all = report(host, 0, 0, false, 64 + 64 * 8);
        assertThat(all.numberOfZones()).isEqualTo(ZONES);
        assertThat(all.zones()).hasSize(8);
        assertThat(all.zones().stream().map(Descriptor::state).toList())
                .containsExactly(0x1, 0x2, 0x3, 0x4, 0xE, 0x1, 0x1, 0x1);
        assertThat(all.zones().get(3)).isEqualTo(new Descriptor(2, 0x4, 0, ZCAP, zslba(3), zslba(3) + 5));
        assertThat(all.zones().get(4).writePointer()).isEqualTo(zslba(4) + ZCAP);

        assertThat(report(host, 0, 0, true, 64 + 64 * 8).numberOfZones()).as("partial").isEqualTo(8);
        assertThat(report(host, zslba(2) + 7, 0, false, 128).numberOfZones()).as("from zone 2").isEqualTo(ZONES - 2);

        int[][] filters = {{1, ZONES - 4}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 0}, {7, 0}};
        for (int[] f : filters) {
            Report r = report(host, 0, f[0], false, 64 + 64 * 2);
            assertThat(r.numberOfZones()).as("filter %d", f[0]).isEqualTo(f[1]);
            assertThat(r.zones()).hasSize(Math.min(2, f[1]));
        }
        Report empty = report(host, 0, 1, true, 64 + 64 * 2);
        assertThat(empty.numberOfZones()).isEqualTo(2);
        assertThat(empty.zones().get(0).zslba()).isZero();
        assertThat(empty.zones().get(1).zslba()).isEqualTo(zslba(5));

        // Extended Report Zones (no descriptor extensions), a reserved filter, a buffer too small for the header.
        Nvme.expectIo(host, receive(NS, 0, 4096, 1, 0, false), null, 4096, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, receive(NS, 0, 4096, 0, 8, false), null, 4096, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, receive(NS, 0, 32, 0, 0, false), null, 32, StatusCode.INVALID_FIELD_IN_COMMAND, true);
        Nvme.expectIo(host, receive(NS, ZONES * ZSZE, 4096, 0, 0, false), null, 4096, StatusCode.LBA_OUT_OF_RANGE, true);
    }

    @Test
    void copyIntoAZonedNamespaceWritesAtTheWritePointer() {
        byte[] a = data(6);
        Nvme.write(host, NS, zslba(20), a, false);
        Nvme.write(host, NS, zslba(21), data(2), false);
        // Format 0: one range, zone 20's six blocks to zone 21's write pointer.
        ByteBuf ranges = ranges(zslba(20), 6);
        SubmissionQueueEntry copy = copyFormat0(zslba(21) + 2);
        ByteBuf again = ranges.copy(0, 32);
        try (Completion c = Nvme.io(host, copy, ranges, 0)) {
            Nvme.assertSuccess(c);
        }
        assertThat(Nvme.read(host, 0, NS, zslba(21) + 2, 6)).isEqualTo(a);
        assertThat(zone(host, 21).writePointer()).isEqualTo(zslba(21) + 8);
        // Not at the write pointer: Zone Invalid Write, nothing copied.
        try (Completion c = Nvme.io(host, copy, again, 0)) {
            Nvme.assertStatus(c, StatusCode.ZONE_INVALID_WRITE, true);
        }
        assertThat(zone(host, 21).writePointer()).isEqualTo(zslba(21) + 8);
    }

    @Test
    void closingAnOpenedZoneWithNothingWrittenLeavesItClosedAndActive() {
        sendOk(host, zslba(40), OPEN, false);
        sendOk(host, zslba(40), CLOSE, false);
        // NVMe Close Zone: Closed (as QEMU), not ZBC's shortcut to Empty; the zone keeps its active resource.
        assertThat(zone(host, 40)).isEqualTo(new Descriptor(2, 0x4, 0, ZCAP, zslba(40), zslba(40)));
        for (int z = 41; z < 41 + MAX_ACTIVE - 1; z++) {
            write(zslba(z), 1, StatusCode.SUCCESS);
        }
        write(zslba(50), 1, StatusCode.TOO_MANY_ACTIVE_ZONES);
        sendOk(host, zslba(40), RESET, false);
        assertThat(zone(host, 40).state()).isEqualTo(0x1);
        write(zslba(50), 1, StatusCode.SUCCESS);
    }

    @Test
    void copySourcesOnAZonedNamespaceAreReadLikeReads() throws Exception {
        Nvme.write(host, NS, zslba(22), data(8), false);
        Nvme.write(host, NS, zslba(23), data(4), false);
        // A source range across the end of zone 22: Zone Boundary Error, nothing copied, zone 24 untouched.
        try (Completion c = Nvme.io(host, copyFormat0(zslba(24)), ranges(zslba(23) - 2, 4), 0)) {
            Nvme.assertStatus(c, StatusCode.ZONE_BOUNDARY_ERROR, true);
            assertThat(c.dw0()).isZero();
        }
        assertThat(zone(host, 24).writePointer()).isEqualTo(zslba(24));
        // A source range in an offline zone: Zone Is Offline (only a Read Only zone may be taken offline).
        ZnsFixture.zones(server).setReadOnly(22);
        try (Completion c = send(host, zslba(22), OFFLINE, false)) {
            Nvme.assertSuccess(c);
        }
        try (Completion c = Nvme.io(host, copyFormat0(zslba(24)), ranges(zslba(22), 2), 0)) {
            Nvme.assertStatus(c, StatusCode.ZONE_IS_OFFLINE, true);
        }
        assertThat(zone(host, 24).writePointer()).isEqualTo(zslba(24));
        // Within one zone, the blocks past the write pointer included (they read as zeros): copied.
        try (Completion c = Nvme.io(host, copyFormat0(zslba(24)), ranges(zslba(23) + 2, 4), 0)) {
            Nvme.assertSuccess(c);
        }
        assertThat(zone(host, 24).writePointer()).isEqualTo(zslba(24) + 4);
        assertThat(Nvme.read(host, 0, NS, zslba(24) + 2, 2)).isEqualTo(new byte[2 * BLOCK]);
    }

    /** Copy with one format 0h source range to {@code sdlba}: see {@link #ranges}. */
    private static SubmissionQueueEntry copyFormat0(long sdlba) {
        return CopyCommand.builder().nsid(NS).sdlba(sdlba).descriptorFormat(CopyDescriptorFormat.FORMAT_0).ranges(1)
                .build().toSqe(0);
    }

    private static ByteBuf ranges(long slba, int blocks) {
        return CopySourceRange.encodeList(List.of(CopySourceRange.of(slba, blocks)));
    }
}
