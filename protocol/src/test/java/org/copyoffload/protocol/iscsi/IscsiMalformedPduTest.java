package org.copyoffload.protocol.iscsi;

import org.copyoffload.protocol.testing.DecoderHarness;
import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.iscsi.IscsiPdus.pattern;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes the decoder must not accept, built by hand. Each becomes one {@link IscsiPdu.Malformed} naming a Reject
 * reason and carrying the offending BHS. A fatal verdict (a header digest error, a data segment beyond
 * MaxRecvDataSegmentLength, a format error) is the last thing decoded; after any other (an opcode, a data
 * digest error) the stream stays in step and the following PDUs decode.
 */
class IscsiMalformedPduTest {
    static final int MAX = IscsiCodecSettings.DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;

    /** The receiving side, and a valid PDU it accepts, with its digests. */
    enum Receiver {
        TARGET(true, false, false), TARGET_HD(true, true, false), TARGET_DD(true, false, true), TARGET_BOTH(true, true, true),
        INITIATOR(false, false, false), INITIATOR_BOTH(false, true, true);

        final boolean target;
        final boolean hdgst;
        final boolean ddgst;

        Receiver(boolean target, boolean hdgst, boolean ddgst) {
            this.target = target;
            this.hdgst = hdgst;
            this.ddgst = ddgst;
        }

        IscsiCodecSettings settings() {
            return new IscsiCodecSettings(target).headerDigest(hdgst).dataDigest(ddgst);
        }

        /** NOP-Out (to a target) or NOP-In (to an initiator) with 5 bytes of ping data. */
        byte[] validPdu() {
            IscsiWire w = wire(target ? 0x40 : 0x20).data(pattern(5, 9));
            w.bhs().u8(1, 0x80).u32(16, 0x1234);
            return w.build();
        }

        IscsiWire wire(int byte0) {
            return IscsiWire.of(byte0).digests(hdgst, ddgst);
        }
    }

    static IscsiWire nopOut(Receiver r) {
        IscsiWire w = r.wire(0x40);
        w.bhs().u8(1, 0x80);
        return w;
    }

    static IscsiWire command(Receiver r, byte[] ahs) {
        IscsiWire w = r.wire(0x01).ahs(ahs);
        w.bhs().u8(1, 0xC0).u32(20, 512).u8(32, 0x28);
        return w;
    }

    static byte[] ahs(int length, int type, byte[] rest) {
        return Be.concat(new Be(4).u16(0, length).u8(2, type).array(), rest);
    }

    static Stream<Arguments> malformed() {
        Receiver t = Receiver.TARGET;
        return Stream.of(
                // opcodes (RFC 7143 11.2.1.2)
                arguments("opcode 0x07, unassigned", t, t.wire(0x07).data(pattern(9, 1)).build(),
                        RejectReason.COMMAND_NOT_SUPPORTED, false),
                arguments("opcode 0x1c, vendor specific, with AHS and data", Receiver.TARGET_BOTH,
                        Receiver.TARGET_BOTH.wire(0x5C).ahs(new byte[8]).data(pattern(100, 1)).build(),
                        RejectReason.COMMAND_NOT_SUPPORTED, false),
                arguments("opcode 0x3c to an initiator", Receiver.INITIATOR, Receiver.INITIATOR.wire(0x3C).build(),
                        RejectReason.COMMAND_NOT_SUPPORTED, false),
                arguments("NOP-In to a target", t, t.wire(0x20).data(pattern(3, 1)).build(),
                        RejectReason.PROTOCOL_ERROR, false),
                arguments("R2T to a target", Receiver.TARGET_DD, Receiver.TARGET_DD.wire(0x31).build(),
                        RejectReason.PROTOCOL_ERROR, false),
                arguments("SCSI Command to an initiator", Receiver.INITIATOR_BOTH,
                        Receiver.INITIATOR_BOTH.wire(0x01).data(pattern(7, 1)).build(), RejectReason.PROTOCOL_ERROR, false),

                // lengths; AHS or data where the PDU has none are format errors (RFC 7143 7.7)
                arguments("DataSegmentLength one above MaxRecvDataSegmentLength", t,
                        nopOut(t).data(new byte[MAX + 1]).build(), RejectReason.PROTOCOL_ERROR, true),
                arguments("DataSegmentLength FFFFFFh, data never sent", Receiver.TARGET_HD,
                        nopOut(Receiver.TARGET_HD).dataSegmentLength(0xFFFFFF).build(), RejectReason.PROTOCOL_ERROR, true),
                arguments("data segment on a Task Management Function Request", t,
                        t.wire(0x02).data(pattern(4, 1)).build(), RejectReason.PROTOCOL_ERROR, true),
                arguments("data segment on a Logout Request", Receiver.TARGET_BOTH,
                        Receiver.TARGET_BOTH.wire(0x46).data(pattern(4, 1)).build(), RejectReason.PROTOCOL_ERROR, true),
                arguments("data segment on an R2T", Receiver.INITIATOR, Receiver.INITIATOR.wire(0x31).data(pattern(1, 1))
                        .build(), RejectReason.PROTOCOL_ERROR, true),
                arguments("AHS on a NOP-Out", t, nopOut(t).ahs(ahs(5, 2, new byte[4])).build(),
                        RejectReason.PROTOCOL_ERROR, true),

                // digests (RFC 7143 7.8)
                arguments("header digest error", Receiver.TARGET_HD,
                        nopOut(Receiver.TARGET_HD).data(pattern(8, 1)).corruptHeaderDigest().build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("header digest error over an AHS", Receiver.TARGET_BOTH,
                        command(Receiver.TARGET_BOTH, ahs(5, 2, new byte[4])).corruptHeaderDigest().build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("data digest error", Receiver.TARGET_DD,
                        nopOut(Receiver.TARGET_DD).data(pattern(8, 1)).corruptDataDigest().build(),
                        RejectReason.DATA_DIGEST_ERROR, false),
                arguments("data digest error on Data-In", Receiver.INITIATOR_BOTH,
                        Receiver.INITIATOR_BOTH.wire(0x25).data(pattern(6, 1)).corruptDataDigest().build(),
                        RejectReason.DATA_DIGEST_ERROR, false),

                // AHS (RFC 7143 11.2.2): format errors, fatal (7.7)
                arguments("AHSLength overruns TotalAHSLength", t, command(t, ahs(17, 1, new byte[4])).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("second AHS overruns TotalAHSLength", Receiver.TARGET_BOTH,
                        command(Receiver.TARGET_BOTH, Be.concat(ahs(3, 1, new byte[4]), ahs(5, 2, new byte[0]))).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("AHSType 0 (reserved)", t, command(t, ahs(1, 0, new byte[0])).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("AHSType 64 (vendor specific)", t, command(t, ahs(5, 64, new byte[4])).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("Extended CDB AHS without CDB bytes", t, command(t, ahs(1, 1, new byte[0])).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("Extended CDB AHS twice", t,
                        command(t, Be.concat(ahs(5, 1, new byte[4]), ahs(5, 1, new byte[4]))).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("bidirectional AHS with AHSLength 4", t, command(t, ahs(4, 2, new byte[4])).build(),
                        RejectReason.PROTOCOL_ERROR, true),
                arguments("bidirectional read length of 2 GiB", t,
                        command(t, ahs(5, 2, new Be(4).u32(0, 0x80000000L).array())).build(),
                        RejectReason.PROTOCOL_ERROR, true));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("malformed")
    void oneVerdictThenTheRestOfTheStream(String name, Receiver receiver, byte[] bad, RejectReason reason, boolean fatal) {
        byte[] valid = receiver.validPdu();
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(receiver.settings()))) {
            h.feed(Be.concat(bad, valid));
            h.feed(valid);
            h.finish();
            assertThat(h.received()).as(name).hasSize(fatal ? 1 : 3);
            assertThat(h.received().getFirst()).isInstanceOfSatisfying(IscsiPdu.Malformed.class, m -> {
                assertThat(m.reason()).as("%s: reason (%s)", name, m.description()).isEqualTo(reason);
                assertThat(m.fatal()).as("%s: fatal (%s)", name, m.description()).isEqualTo(fatal);
                assertThat(ByteBufUtil.getBytes(m.header())).as("%s: the rejected BHS", name)
                        .isEqualTo(Arrays.copyOf(bad, 48));
                assertThat(m.opcode()).isNull();
                assertThat(m.rejectedOpcode()).isEqualTo(bad[0] & 0x3F);
            });
            h.received().stream().skip(1).forEach(msg -> assertThat(msg).as(name)
                    .isInstanceOf(receiver.target ? IscsiPdu.NopOut.class : IscsiPdu.NopIn.class));
        }
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("malformed")
    void sameVerdictWhateverTheSplit(String name, Receiver receiver, byte[] bad, RejectReason reason, boolean fatal) {
        byte[] valid = receiver.validPdu();
        byte[] stream = Be.concat(valid, bad, valid);
        for (int at = 0; at <= stream.length; at += stream.length > 400 ? 7 : 1) {
            List<byte[]> pieces = List.of(Arrays.copyOf(stream, at), Arrays.copyOfRange(stream, at, stream.length));
            try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(receiver.settings()))) {
                h.feedAll(pieces);
                h.finish();
                assertThat(h.received()).as("%s split at %d", name, at).hasSize(fatal ? 2 : 3);
                assertThat(h.received().getFirst()).isNotInstanceOf(IscsiPdu.Malformed.class);
                assertThat(h.received().get(1)).isInstanceOfSatisfying(IscsiPdu.Malformed.class, m -> {
                    assertThat(m.reason()).as(name).isEqualTo(reason);
                    assertThat(m.fatal()).as(name).isEqualTo(fatal);
                });
            }
        }
    }

    @Test
    void aLongDataSegmentIsRefusedFromTheHeaderBeforeTheDataArrives() {
        Receiver r = Receiver.TARGET;
        byte[] header = Arrays.copyOf(nopOut(r).dataSegmentLength(1 << 20).build(), 48);
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(r.settings()))) {
            assertThat(h.feed(Arrays.copyOf(header, 47))).isEmpty();
            assertThat(h.feed(new byte[] {header[47]})).singleElement()
                    .isInstanceOfSatisfying(IscsiPdu.Malformed.class, m -> {
                        assertThat(m.fatal()).isTrue();
                        assertThat(m.description()).contains("DataSegmentLength 1048576", "MaxRecvDataSegmentLength 8192");
                    });
            assertThat(h.feed(new byte[4096])).as("silence after a fatal verdict").isEmpty();
        }
    }

    @Test
    void aBadAhsIsRefusedFromTheHeaderBeforeTheDataArrives() {
        Receiver r = Receiver.TARGET_HD;
        byte[] pdu = command(r, ahs(9, 1, new byte[4])).data(new byte[4000]).build();
        int header = 48 + 8 + 4;
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(r.settings()))) {
            assertThat(h.feed(Arrays.copyOf(pdu, header - 1))).isEmpty();
            assertThat(h.feed(Arrays.copyOfRange(pdu, header - 1, header))).singleElement()
                    .isInstanceOfSatisfying(IscsiPdu.Malformed.class, m -> {
                        assertThat(m.fatal()).isTrue();
                        assertThat(m.description()).contains("AHSLength 9");
                    });
            assertThat(h.feed(Arrays.copyOfRange(pdu, header, pdu.length))).isEmpty();
            assertThat(h.feed(r.validPdu())).as("silence after a fatal verdict").isEmpty();
        }
    }

    @Test
    void theLimitIsInclusiveAndFollowsTheSettings() {
        IscsiCodecSettings s = Receiver.TARGET.settings();
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(s))) {
            h.feed(nopOut(Receiver.TARGET).data(new byte[MAX]).build());
            assertThat(h.received()).singleElement().isInstanceOf(IscsiPdu.NopOut.class);
            s.maxRecvDataSegmentLength(MAX * 2);
            h.feed(nopOut(Receiver.TARGET).data(new byte[MAX * 2]).build());
            s.maxRecvDataSegmentLength(512);
            h.feed(nopOut(Receiver.TARGET).data(new byte[513]).build());
            assertThat(h.received()).hasSize(3);
            assertThat(h.received().get(1)).isInstanceOf(IscsiPdu.NopOut.class);
            assertThat(h.received().get(2)).isInstanceOfSatisfying(IscsiPdu.Malformed.class,
                    m -> assertThat(m.fatal()).isTrue());
        }
    }

    @Test
    void descriptionsNameTheFieldAndItsValue() {
        Receiver t = Receiver.TARGET;
        assertThat(verdict(t, () -> t.wire(0x07).build()).description()).contains("opcode 0x7");
        assertThat(verdict(t, () -> t.wire(0x20).build()).description()).contains("NOP_IN", "0x20");
        assertThat(verdict(t, () -> command(t, ahs(17, 1, new byte[4])).build()).description())
                .contains("AHSLength 17", "byte 48", "TotalAHSLength 2");
        assertThat(verdict(t, () -> command(t, ahs(5, 9, new byte[4])).build()).description()).contains("AHSType 9");
        assertThat(verdict(Receiver.TARGET_HD, () -> nopOut(Receiver.TARGET_HD).corruptHeaderDigest().build())
                .description()).contains("header digest 0x");
        assertThat(verdict(Receiver.TARGET_DD, () -> nopOut(Receiver.TARGET_DD).data(new byte[3]).corruptDataDigest()
                .build()).description()).contains("data digest 0x");
        assertThat(verdict(t, () -> t.wire(0x02).data(new byte[3]).build()).description())
                .contains("DataSegmentLength 3", "TASK_MANAGEMENT_REQUEST");
    }

    private static IscsiPdu.Malformed verdict(Receiver r, Supplier<byte[]> bytes) {
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(r.settings()))) {
            h.feed(bytes.get());
            assertThat(h.received()).singleElement().isInstanceOf(IscsiPdu.Malformed.class);
            return (IscsiPdu.Malformed) IscsiPdus.untracked(h.received().getFirst());
        }
    }

    @Test
    void aDataDigestErrorDropsOnlyThatPdu() {
        Receiver r = Receiver.TARGET_BOTH;
        IscsiWire dataOut = r.wire(0x05).data(pattern(4097, 3));
        dataOut.bhs().u8(1, 0x80).u32(16, 1).u32(36, 0);
        IscsiWire corrupt = r.wire(0x05).data(pattern(4097, 3)).corruptDataDigest();
        corrupt.bhs().u8(1, 0x80).u32(16, 1).u32(36, 0);
        byte[] stream = Be.concat(corrupt.build(), dataOut.build(), corrupt.build(), r.validPdu());
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(r.settings()))) {
            h.feedAll(org.copyoffload.protocol.testing.Chunks.random(stream, new java.util.Random(5)));
            assertThat(h.received()).hasSize(4);
            assertThat(h.received().get(0)).isInstanceOfSatisfying(IscsiPdu.Malformed.class,
                    m -> assertThat(m.reason()).isEqualTo(RejectReason.DATA_DIGEST_ERROR));
            assertThat(h.received().get(1)).isInstanceOfSatisfying(IscsiPdu.DataOut.class,
                    d -> assertThat(ByteBufUtil.getBytes(d.data())).isEqualTo(pattern(4097, 3)));
            assertThat(h.received().get(2)).isInstanceOf(IscsiPdu.Malformed.class);
            assertThat(h.received().get(3)).isInstanceOf(IscsiPdu.NopOut.class);
        }
    }

    @Test
    void aStreamEndingInsideAPduYieldsNothing() {
        Receiver r = Receiver.TARGET_BOTH;
        byte[] pdu = command(r, ahs(5, 2, new byte[4])).data(pattern(10, 1)).build();
        for (int cut = 1; cut < pdu.length; cut++) {
            try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(r.settings()))) {
                h.feed(Arrays.copyOf(pdu, cut));
                assertThat(h.finish()).as("cut at %d of %d", cut, pdu.length).isEmpty();
            }
        }
    }

    @Test
    void aMalformedPduBecomesARejectCarryingItsHeader() {
        Receiver t = Receiver.TARGET;
        byte[] bad = t.wire(0x07).build();
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(t.settings()))) {
            h.feed(bad);
            IscsiPdu.Malformed m = (IscsiPdu.Malformed) h.received().getFirst();
            IscsiPdu.Reject reject = m.toReject(10, 11, 42);
            try {
                assertThat(reject.reason()).isEqualTo(0x05);
                assertThat(reject.statSn()).isEqualTo(10);
                assertThat(ByteBufUtil.getBytes(reject.data())).isEqualTo(bad);
                byte[] wire = IscsiPdus.encode(reject, IscsiPdus.target(false, false));
                assertThat(Arrays.copyOfRange(wire, 48, 96)).isEqualTo(bad);
            } finally {
                reject.release();
            }
        }
    }

    @Test
    void rejectReasonCodesFollowRfc7143Table() {
        List<String> table = new ArrayList<>();
        for (RejectReason r : RejectReason.values()) {
            table.add(String.format("%02x %s", r.code(), r));
            assertThat(RejectReason.lookup(r.code())).contains(r);
        }
        assertThat(table).containsExactly("02 DATA_DIGEST_ERROR", "03 SNACK_REJECT", "04 PROTOCOL_ERROR",
                "05 COMMAND_NOT_SUPPORTED", "06 IMMEDIATE_COMMAND_REJECT", "07 TASK_IN_PROGRESS", "08 INVALID_DATA_ACK",
                "09 INVALID_PDU_FIELD", "0a LONG_OPERATION_REJECT", "0b DEPRECATED", "0c WAITING_FOR_LOGOUT");
        assertThat(RejectReason.lookup(0x01)).isEmpty();
        assertThat(RejectReason.lookup(0x0d)).isEmpty();
    }
}
