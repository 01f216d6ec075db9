package org.copyoffload.protocol.nvme.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Zone Management Send/Receive dwords, the Zone Descriptor and the Report Zones header, byte by byte (ZNS 1.1). */
class ZnsWireFormatsTest {

    private static ByteBuf sqeBytes(SubmissionQueueEntry sqe) {
        ByteBuf b = Unpooled.buffer(64);
        sqe.encode(b, 0);
        b.writerIndex(64);
        return b;
    }

    @Test
    void zoneManagementSendPlacesSlbaActionAndSelectAll() {
        ZoneManagementSend send = ZoneManagementSend.of(3, 0x1_2345_6789L, ZoneSendAction.RESET, true);
        ByteBuf b = sqeBytes(send.toSqe(0x42));
        try {
            assertThat(b.getByte(0) & 0xFF).isEqualTo(0x79);
            assertThat(b.getShortLE(2)).isEqualTo((short) 0x42);
            assertThat(b.getIntLE(4)).isEqualTo(3);
            assertThat(b.getIntLE(40)).isEqualTo(0x2345_6789);   // CDW10: SLBA low
            assertThat(b.getIntLE(44)).isEqualTo(1);             // CDW11: SLBA high
            assertThat(b.getIntLE(52)).isEqualTo(0x104);         // CDW13: ZSA 4h, Select All bit 8
            SubmissionQueueEntry back = SubmissionQueueEntry.decode(b, 0);
            assertThat(ZoneManagementSend.from(back)).isEqualTo(send);
        } finally {
            b.release();
        }
    }

    @Test
    void zoneManagementSendKeepsAReservedActionAndZsaso() {
        SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(0x79).nsid(1).cdw13(0x2EE).build();
        ZoneManagementSend send = ZoneManagementSend.from(sqe);
        assertThat(send.action()).isEqualTo(0xEE);
        assertThat(send.selectAll()).isFalse();
        assertThat(send.zsaso()).isTrue();
        assertThat(ZoneSendAction.lookup(send.action())).isEmpty();
        assertThat(send.toSqe(0).cdw13()).isEqualTo(0x2EE);
        assertThat(ZoneSendAction.lookup(0x05)).contains(ZoneSendAction.OFFLINE);
        assertThat(ZoneSendAction.lookup(0x10)).contains(ZoneSendAction.SET_ZONE_DESCRIPTOR_EXTENSION);
    }

    @Test
    void zoneManagementReceivePlacesNumdActionOptionsAndPartial() {
        ZoneManagementReceive r = ZoneManagementReceive.reportZones(1, 4096, 4096, ZoneManagementReceive.FULL, true);
        SubmissionQueueEntry sqe = r.toSqe(7);
        ByteBuf b = sqeBytes(sqe);
        try {
            assertThat(b.getByte(0) & 0xFF).isEqualTo(0x7A);
            assertThat(b.getLongLE(40)).isEqualTo(4096);
            assertThat(b.getIntLE(48)).isEqualTo(1023);          // NUMD, 0's based dwords
            assertThat(b.getIntLE(52)).isEqualTo(0x1_0500);      // ZRA 0, ZRASF 5h (full) in 15:8, Partial bit 16
        } finally {
            b.release();
        }
        assertThat(r.bufferBytes()).isEqualTo(4096);
        assertThat(ZoneManagementReceive.from(sqe)).isEqualTo(r);
        assertThat(ZoneManagementReceive.from(SubmissionQueueEntry.builder(0x7A).cdw12(-1).build()).bufferBytes())
                .isEqualTo(1L << 34);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, 63})
    void reportBufferMustBeAPositiveMultipleOfFour(int bytes) {
        assertThatThrownBy(() -> ZoneManagementReceive.reportZones(1, 0, bytes, 0, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bytes + " bytes");
    }

    /** Figure 45 by hand: a full zone, ZFC attribute set, capacity 0x300 at ZSLBA 0x400, WP at 0x700. */
    private static final byte[] FULL_ZONE = new byte[64];

    static {
        FULL_ZONE[0] = 0x02;
        FULL_ZONE[1] = (byte) 0xE0;
        FULL_ZONE[2] = 0x01;
        FULL_ZONE[3] = 0x00;
        FULL_ZONE[8] = 0x00;
        FULL_ZONE[9] = 0x03;
        FULL_ZONE[17] = 0x04;
        FULL_ZONE[25] = 0x07;
    }

    @Test
    void zoneDescriptorLayout() {
        ByteBuf b = Unpooled.wrappedBuffer(FULL_ZONE);
        ZoneDescriptor d = ZoneDescriptor.decode(b, 0);
        assertThat(d).isEqualTo(new ZoneDescriptor(2, ZoneDescriptor.STATE_FULL, 1, 0, 0x300, 0x400, 0x700));
        assertThat(ZoneDescriptor.stateName(d.state())).isEqualTo("ZSF");
        ByteBuf out = Unpooled.buffer(64).writeZero(64);
        out.setByte(10, 0x55); // reserved bytes are cleared by encode
        d.encode(out, 0);
        assertThat(io.netty.buffer.ByteBufUtil.getBytes(out)).isEqualTo(FULL_ZONE);
        out.release();
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0, 0x5, 0x6, 0x7, 0x8, 0xC})
    void reservedZoneStatesAreRefusedByName(int state) {
        byte[] bytes = FULL_ZONE.clone();
        bytes[1] = (byte) (state << 4);
        assertThatThrownBy(() -> ZoneDescriptor.decode(Unpooled.wrappedBuffer(bytes), 0))
                .isInstanceOf(ProtocolFieldException.class).hasMessageStartingWith("Zone State (ZS) = " + state);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x0, 0x1, 0x3, 0xF})
    void reservedZoneTypesAreRefusedByName(int type) {
        byte[] bytes = FULL_ZONE.clone();
        bytes[0] = (byte) type;
        assertThatThrownBy(() -> ZoneDescriptor.decode(Unpooled.wrappedBuffer(bytes), 0))
                .isInstanceOf(ProtocolFieldException.class).hasMessageStartingWith("Zone Type (ZT) = " + type);
    }

    @Test
    void reportReadsOnlyWhatTheBufferHolds() {
        // Number of Zones 3 (not partial) in a 128-byte buffer: one descriptor fits.
        ByteBuf b = Unpooled.buffer(128).writeZero(128);
        b.setLongLE(0, 3);
        b.setBytes(64, FULL_ZONE);
        ZoneReport r = ZoneReport.decode(b, 128);
        assertThat(r.numberOfZones()).isEqualTo(3);
        assertThat(r.zones()).hasSize(1);
        assertThat(r.zones().getFirst().startLba()).isEqualTo(0x400);
        b.release();
        // Fewer zones than the buffer holds: only those are read.
        ByteBuf c = Unpooled.buffer(4096).writeZero(4096);
        c.setLongLE(0, 1);
        c.setBytes(64, FULL_ZONE);
        assertThat(ZoneReport.decode(c, 4096).zones()).hasSize(1);
        c.release();
    }

    @Test
    void reportShorterThanItsBufferIsRefused() {
        ByteBuf b = Unpooled.buffer(100).writeZero(100);
        assertThatThrownBy(() -> ZoneReport.decode(b, 128)).isInstanceOf(ProtocolFieldException.class)
                .hasMessageStartingWith("report length = 100");
        assertThatThrownBy(() -> ZoneReport.decode(b, 32)).isInstanceOf(ProtocolFieldException.class);
        b.release();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void reportsRoundTrip(long seed) {
        Random random = new Random(seed * 0x9E3779B97F4A7C15L);
        int[] states = {1, 2, 3, 4, 0xD, 0xE, 0xF};
        int n = random.nextInt(20);
        List<ZoneDescriptor> zones = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            zones.add(new ZoneDescriptor(2, states[random.nextInt(states.length)], random.nextInt(256),
                    random.nextInt(256), random.nextLong(), random.nextLong(), random.nextLong()));
        }
        // Either a buffer with room to spare and Number of Zones = n, or a full buffer and more zones matching.
        boolean roomToSpare = random.nextBoolean();
        int bytes = ZoneReport.HEADER + ZoneDescriptor.SIZE * (n + (roomToSpare ? 1 + random.nextInt(3) : 0));
        ZoneReport report = new ZoneReport(n + (roomToSpare ? 0 : random.nextInt(5)), zones);
        ByteBuf b = Unpooled.buffer(bytes);
        report.encode(b, bytes);
        assertThat(b.readableBytes()).isEqualTo(bytes);
        ZoneReport back = ZoneReport.decode(b, bytes);
        assertThat(back.zones()).isEqualTo(zones);
        assertThat(back.numberOfZones()).isEqualTo(report.numberOfZones());
        b.release();
    }
}
