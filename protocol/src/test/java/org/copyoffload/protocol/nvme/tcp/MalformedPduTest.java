package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.nvme.NvmeSamples.pattern;
import static org.copyoffload.protocol.nvme.tcp.FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED;
import static org.copyoffload.protocol.nvme.tcp.FatalErrorStatus.HEADER_DIGEST_ERROR;
import static org.copyoffload.protocol.nvme.tcp.FatalErrorStatus.INVALID_PDU_HEADER_FIELD;
import static org.copyoffload.protocol.nvme.tcp.WirePdu.*;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.DecoderHarness;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bytes the decoder must refuse. Each case gives exactly one {@link NvmeTcpPdu.Malformed} with the fatal
 * error status and the byte offset of the offending field (NVMe/TCP 1.1, Figures 28/29), echoing the
 * offending header, after which the decoder discards everything. A bad data digest is not fatal, and a
 * truncated PDU waits for the rest.
 */
class MalformedPduTest {
    static final int MAX_RECEIVE = 8192;
    static final int MAX_IN_CAPSULE = 4096;

    enum Side { CONTROLLER, HOST }

    record Receiver(Side side, boolean headerDigest, boolean dataDigest) {
        NvmeTcpSettings settings() {
            NvmeTcpSettings s = new NvmeTcpSettings(side == Side.CONTROLLER, MAX_RECEIVE, MAX_IN_CAPSULE);
            s.negotiated(headerDigest, dataDigest, 0);
            return s;
        }

        /** A well-formed PDU this receiver accepts, to follow the bad one. */
        byte[] validPdu() {
            return (side == Side.CONTROLLER ? cmd() : resp()).headerDigest(headerDigest).build();
        }

        @Override
        public String toString() {
            return side + (headerDigest ? "+HDGST" : "") + (dataDigest ? "+DDGST" : "");
        }
    }

    static final Receiver CTRL = new Receiver(Side.CONTROLLER, false, false);
    static final Receiver CTRL_HD = new Receiver(Side.CONTROLLER, true, false);
    static final Receiver CTRL_DD = new Receiver(Side.CONTROLLER, false, true);
    static final Receiver CTRL_BOTH = new Receiver(Side.CONTROLLER, true, true);
    static final Receiver HOST = new Receiver(Side.HOST, false, false);
    static final Receiver HOST_HD = new Receiver(Side.HOST, true, false);
    static final Receiver HOST_DD = new Receiver(Side.HOST, false, true);

    // ---- well-formed PDUs by hand, to be broken ----

    static WirePdu cmd() {
        WirePdu p = WirePdu.of(CAPSULE_CMD, 72);
        p.header().bytes(8, NvmeSamples.sqeBytes());
        return p;
    }

    static WirePdu resp() {
        WirePdu p = WirePdu.of(CAPSULE_RESP, 24);
        p.header().bytes(8, NvmeSamples.cqeBytes());
        return p;
    }

    static WirePdu icReq(int pfv, int hpda, int dgst) {
        WirePdu p = WirePdu.of(IC_REQ, 128);
        p.header().u16(8, pfv).u8(10, hpda).u8(11, dgst).u32(12, 15);
        return p;
    }

    static WirePdu icResp(int pfv, int cpda, int dgst, long maxH2cData) {
        WirePdu p = WirePdu.of(IC_RESP, 128);
        p.header().u16(8, pfv).u8(10, cpda).u8(11, dgst).u32(12, maxH2cData);
        return p;
    }

    static WirePdu data(int type, int dataLength, long datal) {
        WirePdu p = WirePdu.of(type, 24).data(pattern(dataLength, type));
        p.header().u16(8, 0x0042).u16(10, type == H2C_DATA ? 0x0007 : 0).u32(12, 0).u32(16, datal);
        return p;
    }

    static WirePdu r2t() {
        WirePdu p = WirePdu.of(R2T, 24);
        p.header().u16(8, 1).u16(10, 2).u32(12, 0).u32(16, 4096);
        return p;
    }

    static WirePdu term(int type, int fes, int dataLength) {
        WirePdu p = WirePdu.of(type, 24).data(pattern(dataLength, 0x33));
        p.header().u16(8, fes).u32(10, 0x01020304);
        return p;
    }

    static Stream<Arguments> malformed() {
        byte[] badHeaderDigest = cmd().headerDigest(true).dataDigest(true).data(new byte[16]).corruptHeaderDigest().build();
        byte[] badRespDigest = resp().headerDigest(true).corruptHeaderDigest().build();
        return Stream.of(
                // PDU-type: unknown, or not one this peer may send (FEI 0)
                arguments("unknown type 08h", CTRL, WirePdu.of(0x08, 24).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("unknown type 0Ah", HOST, WirePdu.of(0x0A, 24).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("unknown type FFh", CTRL, WirePdu.of(0xFF, 24).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("CapsuleResp to a controller", CTRL, resp().build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("R2T to a controller", CTRL, r2t().build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("C2HData to a controller", CTRL, data(C2H_DATA, 8, 8).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("ICResp to a controller", CTRL, icResp(0, 0, 0, 4096).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("C2HTermReq to a controller", CTRL, term(C2H_TERM_REQ, 1, 0).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("CapsuleCmd to a host", HOST, cmd().build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("ICReq to a host", HOST, icReq(0, 0, 0).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("H2CData to a host", HOST, data(H2C_DATA, 8, 8).build(), INVALID_PDU_HEADER_FIELD, 0),
                arguments("H2CTermReq to a host", HOST, term(H2C_TERM_REQ, 1, 0).build(), INVALID_PDU_HEADER_FIELD, 0),

                // HLEN (FEI 2)
                arguments("CapsuleCmd with HLEN 24", CTRL, cmd().hlen(24).build(), INVALID_PDU_HEADER_FIELD, 2),
                arguments("ICReq with HLEN 24", CTRL, icReq(0, 0, 0).hlen(24).build(), INVALID_PDU_HEADER_FIELD, 2),
                arguments("R2T with HLEN 72", HOST, r2t().hlen(72).build(), INVALID_PDU_HEADER_FIELD, 2),
                arguments("H2CTermReq with HLEN 0", CTRL, term(H2C_TERM_REQ, 1, 0).hlen(0).build(), INVALID_PDU_HEADER_FIELD, 2),

                // FLAGS (FEI 1)
                arguments("HDGSTF without a negotiated header digest", CTRL, cmd().headerDigest(true).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("no HDGSTF with a negotiated header digest", CTRL_HD, cmd().build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("no HDGSTF on CapsuleResp with a negotiated header digest", HOST_HD, resp().build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("DDGSTF on a CapsuleCmd without data", CTRL_DD, cmd().rawFlags(DDGSTF).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("DDGSTF without data, data digest not negotiated", CTRL, cmd().rawFlags(DDGSTF).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("DDGSTF on a CapsuleResp", HOST_DD, resp().rawFlags(DDGSTF).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("LAST_PDU on a CapsuleCmd", CTRL, cmd().flags(LAST_PDU).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("SUCCESS on an H2CData", CTRL, data(H2C_DATA, 8, 8).flags(LAST_PDU | SUCCESS).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("SUCCESS on a CapsuleResp", HOST, resp().flags(SUCCESS).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("reserved flag bit 4 on a C2HData", HOST, data(C2H_DATA, 8, 8).flags(0x10).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("reserved flag bit 7 on an R2T", HOST, r2t().flags(0x80).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("HDGSTF on an ICReq", CTRL_HD, icReq(0, 0, 1).rawFlags(HDGSTF).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("HDGSTF on an H2CTermReq", CTRL_HD, term(H2C_TERM_REQ, 1, 8).rawFlags(HDGSTF).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("DDGSTF with data but no negotiated data digest", CTRL,
                        cmd().data(new byte[8]).dataDigest(true).build(), INVALID_PDU_HEADER_FIELD, 1),
                arguments("data without DDGSTF but a negotiated data digest", CTRL_DD, cmd().data(new byte[8]).build(),
                        INVALID_PDU_HEADER_FIELD, 1),
                arguments("C2HData without DDGSTF but a negotiated data digest", HOST_DD, data(C2H_DATA, 8, 8).build(),
                        INVALID_PDU_HEADER_FIELD, 1),

                // PDO (FEI 3)
                arguments("PDO inside the CapsuleCmd header", CTRL, cmd().data(new byte[8]).pdo(64).build(),
                        INVALID_PDU_HEADER_FIELD, 3),
                arguments("PDO inside the header digest", CTRL_HD, cmd().headerDigest(true).data(new byte[8]).pdo(72).build(),
                        INVALID_PDU_HEADER_FIELD, 3),
                arguments("PDO 8 on H2CData", CTRL, data(H2C_DATA, 8, 8).pdo(8).plen(32).build(), INVALID_PDU_HEADER_FIELD, 3),
                arguments("PDO 0 with data on C2HData", HOST, data(C2H_DATA, 8, 8).pdo(0).plen(32).build(),
                        INVALID_PDU_HEADER_FIELD, 3),
                arguments("PDO on an H2CTermReq", CTRL, term(H2C_TERM_REQ, 1, 8).pdo(24).build(), INVALID_PDU_HEADER_FIELD, 3),

                // PLEN (FEI 4)
                arguments("CapsuleResp PLEN 20", HOST, resp().plen(20).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("CapsuleResp PLEN 28 without a header digest", HOST, resp().plen(28).build(),
                        INVALID_PDU_HEADER_FIELD, 4),
                arguments("R2T PLEN 100", HOST, r2t().plen(100).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("ICReq PLEN 127", CTRL, icReq(0, 0, 0).plen(127).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("ICReq PLEN 129", CTRL, icReq(0, 0, 0).plen(129).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("ICReq PLEN 132 with the header digest on", CTRL_HD, icReq(0, 0, 0).plen(132).build(),
                        INVALID_PDU_HEADER_FIELD, 4),
                arguments("ICResp PLEN 256", HOST, icResp(0, 0, 0, 4096).plen(256).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("CapsuleCmd PLEN 50, shorter than its header", CTRL, cmd().plen(50).build(),
                        INVALID_PDU_HEADER_FIELD, 4),
                arguments("CapsuleCmd PLEN 0", CTRL, cmd().plen(0).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("H2CData PLEN 20", CTRL, data(H2C_DATA, 0, 0).plen(20).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("CapsuleCmd with PDO at PLEN: no data", CTRL, cmd().pdo(76).plen(76).build(),
                        INVALID_PDU_HEADER_FIELD, 4),
                arguments("H2CData with room for the data digest only", CTRL_DD,
                        data(H2C_DATA, 0, 0).rawFlags(DDGSTF).pdo(24).plen(28).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("H2CTermReq PLEN 153", CTRL, term(H2C_TERM_REQ, 1, 129).build(), INVALID_PDU_HEADER_FIELD, 4),
                arguments("C2HTermReq PLEN 1000", HOST, term(C2H_TERM_REQ, 1, 0).plen(1000).build(),
                        INVALID_PDU_HEADER_FIELD, 4),
                arguments("H2CTermReq PLEN 23", CTRL, term(H2C_TERM_REQ, 1, 0).plen(23).build(), INVALID_PDU_HEADER_FIELD, 4),

                // data limits (FES 05h, FEI 4)
                arguments("in-capsule data above maxInCapsuleData", CTRL, cmd().data(new byte[MAX_IN_CAPSULE + 1]).build(),
                        DATA_TRANSFER_LIMIT_EXCEEDED, 4),
                arguments("H2CData above maxReceiveData", CTRL, data(H2C_DATA, MAX_RECEIVE + 1, MAX_RECEIVE + 1).build(),
                        DATA_TRANSFER_LIMIT_EXCEEDED, 4),
                arguments("C2HData above maxReceiveData", HOST_DD,
                        data(C2H_DATA, MAX_RECEIVE + 1, MAX_RECEIVE + 1).dataDigest(true).build(),
                        DATA_TRANSFER_LIMIT_EXCEEDED, 4),
                arguments("CapsuleCmd claiming PLEN 4 GiB - 1", CTRL, cmd().data(new byte[4]).plen(0xFFFFFFFFL).build(),
                        DATA_TRANSFER_LIMIT_EXCEEDED, 4),

                // header digest (FES 03h, FEI: the received digest)
                arguments("CapsuleCmd header digest mismatch", CTRL_BOTH, badHeaderDigest, HEADER_DIGEST_ERROR,
                        (int) Le.readU32(badHeaderDigest, 72)),
                arguments("CapsuleResp header digest mismatch", HOST_HD, badRespDigest, HEADER_DIGEST_ERROR,
                        (int) Le.readU32(badRespDigest, 24)),

                // PDU-specific fields
                arguments("H2CData DATAL one more than the data", CTRL, data(H2C_DATA, 64, 65).build(), INVALID_PDU_HEADER_FIELD, 16),
                arguments("H2CData DATAL one less than the data", CTRL, data(H2C_DATA, 64, 63).build(), INVALID_PDU_HEADER_FIELD, 16),
                arguments("H2CData without data", CTRL, data(H2C_DATA, 0, 0).build(), INVALID_PDU_HEADER_FIELD, 16),
                arguments("H2CData DATAL FFFFFFFFh", CTRL, data(H2C_DATA, 64, 0xFFFFFFFFL).build(), INVALID_PDU_HEADER_FIELD, 16),
                arguments("C2HData DATAL mismatch", HOST, data(C2H_DATA, 64, 640).build(), INVALID_PDU_HEADER_FIELD, 16),
                arguments("ICReq PFV 1", CTRL, icReq(1, 0, 0).build(), INVALID_PDU_HEADER_FIELD, 8),
                arguments("ICReq HPDA 32", CTRL, icReq(0, 32, 0).build(), INVALID_PDU_HEADER_FIELD, 10),
                arguments("ICReq HPDA 255", CTRL, icReq(0, 255, 3).build(), INVALID_PDU_HEADER_FIELD, 10),
                arguments("ICReq DGST reserved bit", CTRL, icReq(0, 0, 0x04).build(), INVALID_PDU_HEADER_FIELD, 11),
                arguments("ICResp PFV 0100h", HOST, icResp(0x100, 0, 0, 4096).build(), INVALID_PDU_HEADER_FIELD, 8),
                arguments("ICResp CPDA 32", HOST, icResp(0, 32, 0, 4096).build(), INVALID_PDU_HEADER_FIELD, 10),
                arguments("ICResp MAXH2CDATA 4095", HOST, icResp(0, 0, 0, 4095).build(), INVALID_PDU_HEADER_FIELD, 12),
                arguments("ICResp MAXH2CDATA 0", HOST, icResp(0, 0, 0, 0).build(), INVALID_PDU_HEADER_FIELD, 12),
                arguments("ICResp MAXH2CDATA 80000000h", HOST, icResp(0, 0, 0, 0x80000000L).build(),
                        INVALID_PDU_HEADER_FIELD, 12),
                arguments("TermReq FES 0", CTRL, term(H2C_TERM_REQ, 0, 8).build(), INVALID_PDU_HEADER_FIELD, 8),
                arguments("TermReq FES 7", HOST, term(C2H_TERM_REQ, 7, 8).build(), INVALID_PDU_HEADER_FIELD, 8),
                arguments("TermReq FES 0101h", HOST, term(C2H_TERM_REQ, 0x101, 0).build(), INVALID_PDU_HEADER_FIELD, 8));
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("malformed")
    void oneVerdictThenSilence(String name, Receiver receiver, byte[] bad, FatalErrorStatus fes, int fei) {
        byte[] stream = Le.concat(bad, receiver.validPdu(), receiver.validPdu());
        try (DecoderHarness h = new DecoderHarness(receiver.settings())) {
            h.feed(stream);
            h.feed(receiver.validPdu());
            h.finish();
            assertThat(h.received()).as(name).hasSize(1).first().isInstanceOf(NvmeTcpPdu.Malformed.class);
            NvmeTcpPdu.Malformed m = (NvmeTcpPdu.Malformed) h.received().getFirst();
            assertThat(m.fes()).as("%s: FES (%s)", name, m.reason()).isEqualTo(fes);
            assertThat(m.fei()).as("%s: FEI (%s)", name, m.reason()).isEqualTo(fei);
            assertThat(m.type()).isNull();
            // the echo is the offending header: HLEN bytes as received (at least the common header), at most 128
            int echo = Math.min(Math.max(bad[2] & 0xFF, 8), 128);
            assertThat(ByteBufUtil.getBytes(m.data())).as("%s: echoed header", name)
                    .isEqualTo(Arrays.copyOf(stream, echo));
        }
    }

    @ParameterizedTest(name = "{0} ({1})")
    @MethodSource("malformed")
    void sameVerdictWhateverTheSplit(String name, Receiver receiver, byte[] bad, FatalErrorStatus fes, int fei) {
        byte[] valid = receiver.validPdu();
        byte[] stream = Le.concat(valid, bad, valid);
        List<byte[]> pieces = new ArrayList<>();
        for (int i = 0; i < stream.length; i += 7) {
            pieces.add(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + 7)));
        }
        try (DecoderHarness h = new DecoderHarness(receiver.settings())) {
            h.feedAll(pieces);
            h.finish();
            assertThat(h.received()).as(name).hasSize(2);
            assertThat(h.received().getFirst()).isNotInstanceOf(NvmeTcpPdu.Malformed.class);
            assertThat(h.received().get(1)).isInstanceOfSatisfying(NvmeTcpPdu.Malformed.class, m -> {
                assertThat(m.fes()).as(name).isEqualTo(fes);
                assertThat(m.fei()).as(name).isEqualTo(fei);
            });
        }
    }

    @Test
    void aLimitIsEnforcedFromTheCommonHeaderBeforeTheDataArrives() {
        byte[] header = Arrays.copyOf(cmd().data(new byte[4]).plen(1L << 30).build(), 8);
        try (DecoderHarness h = new DecoderHarness(CTRL.settings())) {
            assertThat(h.feed(Arrays.copyOf(header, 7))).isEmpty();
            assertThat(h.feed(new byte[] {header[7]})).singleElement()
                    .isInstanceOfSatisfying(NvmeTcpPdu.Malformed.class, m -> {
                        assertThat(m.fes()).isEqualTo(DATA_TRANSFER_LIMIT_EXCEEDED);
                        assertThat(ByteBufUtil.getBytes(m.data())).isEqualTo(header);
                    });
        }
    }

    @ParameterizedTest
    @EnumSource(PduType.class)
    void eachSideAcceptsOnlyWhatItsPeerSends(PduType type) {
        byte[] pdu = switch (type) {
            case IC_REQ -> icReq(0, 0, 0).build();
            case IC_RESP -> icResp(0, 0, 0, 4096).build();
            case H2C_TERM_REQ, C2H_TERM_REQ -> term(type.code(), 2, 4).build();
            case CAPSULE_CMD -> cmd().build();
            case CAPSULE_RESP -> resp().build();
            case H2C_DATA, C2H_DATA -> data(type.code(), 4, 4).build();
            case R2T -> r2t().build();
        };
        for (Receiver r : List.of(CTRL, HOST)) {
            boolean accepts = (r.side() == Side.CONTROLLER) == type.hostToController();
            try (DecoderHarness h = new DecoderHarness(r.settings())) {
                h.feed(pdu);
                assertThat(h.received()).singleElement().satisfies(msg -> {
                    if (accepts) {
                        assertThat(msg).isInstanceOf(NvmeTcpPdu.class).isNotInstanceOf(NvmeTcpPdu.Malformed.class);
                        assertThat(((NvmeTcpPdu) msg).type()).isEqualTo(type);
                    } else {
                        assertThat(msg).isInstanceOfSatisfying(NvmeTcpPdu.Malformed.class,
                                m -> assertThat(m.fei()).isZero());
                    }
                });
            }
        }
    }

    @Test
    void limitsAreInclusive() {
        try (DecoderHarness h = new DecoderHarness(CTRL.settings())) {
            h.feed(cmd().data(new byte[MAX_IN_CAPSULE]).build());
            h.feed(data(H2C_DATA, MAX_RECEIVE, MAX_RECEIVE).build());
            h.feed(term(H2C_TERM_REQ, 1, 128).build());
            assertThat(h.received()).hasSize(3).noneMatch(m -> m instanceof NvmeTcpPdu.Malformed);
            assertThat(((NvmeTcpPdu.CapsuleCmd) h.received().get(0)).data().readableBytes()).isEqualTo(MAX_IN_CAPSULE);
            assertThat(((NvmeTcpPdu.H2cData) h.received().get(1)).data().readableBytes()).isEqualTo(MAX_RECEIVE);
            assertThat(((NvmeTcpPdu.TermReq) h.received().get(2)).data().readableBytes()).isEqualTo(128);
        }
    }

    @Test
    void limitsFollowTheSettingsAsTheyChange() {
        NvmeTcpSettings s = CTRL.settings();
        try (DecoderHarness h = new DecoderHarness(s)) {
            h.feed(cmd().data(new byte[100]).build());
            s.maxInCapsuleData(99);
            h.feed(cmd().data(new byte[100]).build());
            assertThat(h.received()).hasSize(2);
            assertThat(h.received().get(1)).isInstanceOfSatisfying(NvmeTcpPdu.Malformed.class,
                    m -> assertThat(m.fes()).isEqualTo(DATA_TRANSFER_LIMIT_EXCEEDED));
        }
    }

    @Test
    void aBadDataDigestIsReportedOnThePduNotFatal() {
        Receiver r = CTRL_BOTH;
        byte[] stream = Le.concat(
                cmd().headerDigest(true).dataDigest(true).data(pattern(40, 1)).corruptDataDigest().build(),
                data(H2C_DATA, 30, 30).headerDigest(true).dataDigest(true).corruptDataDigest().build(),
                cmd().headerDigest(true).dataDigest(true).data(pattern(40, 1)).build(),
                data(H2C_DATA, 30, 30).headerDigest(true).dataDigest(true).build());
        try (DecoderHarness h = new DecoderHarness(r.settings())) {
            h.feed(stream);
            assertThat(h.received()).hasSize(4);
            assertThat(((NvmeTcpPdu.CapsuleCmd) h.received().get(0)).dataDigestValid()).isFalse();
            assertThat(((NvmeTcpPdu.H2cData) h.received().get(1)).dataDigestValid()).isFalse();
            assertThat(((NvmeTcpPdu.CapsuleCmd) h.received().get(2)).dataDigestValid()).isTrue();
            assertThat(((NvmeTcpPdu.H2cData) h.received().get(3)).dataDigestValid()).isTrue();
            assertThat(ByteBufUtil.getBytes(((NvmeTcpPdu.CapsuleCmd) h.received().get(0)).data()))
                    .isEqualTo(pattern(40, 1));
        }
        try (DecoderHarness h = new DecoderHarness(HOST_DD.settings())) {
            h.feed(data(C2H_DATA, 9, 9).dataDigest(true).flags(LAST_PDU).corruptDataDigest().build());
            assertThat(h.received()).singleElement().isInstanceOfSatisfying(NvmeTcpPdu.C2hData.class, d -> {
                assertThat(d.dataDigestValid()).isFalse();
                assertThat(d.last()).isTrue();
            });
        }
    }

    static Stream<Arguments> validPdus() {
        return Stream.of(
                arguments("ICReq", CTRL, icReq(0, 4, 3).build()),
                arguments("CapsuleCmd with data and digests", CTRL_BOTH,
                        cmd().headerDigest(true).dataDigest(true).alignment(32).data(pattern(100, 2)).build()),
                arguments("H2CData", CTRL, data(H2C_DATA, 17, 17).build()),
                arguments("H2CTermReq", CTRL, term(H2C_TERM_REQ, 2, 40).build()),
                arguments("CapsuleResp with header digest", HOST_HD, resp().headerDigest(true).build()),
                arguments("R2T", HOST, r2t().build()),
                arguments("C2HData with data digest", HOST_DD, data(C2H_DATA, 33, 33).dataDigest(true).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validPdus")
    void aTruncatedPduYieldsNothingUntilTheRestArrives(String name, Receiver receiver, byte[] pdu) {
        for (int cut = 0; cut < pdu.length; cut++) {
            try (DecoderHarness h = new DecoderHarness(receiver.settings())) {
                assertThat(h.feed(Arrays.copyOf(pdu, cut))).as("%s cut at %d", name, cut).isEmpty();
                List<Object> rest = h.feed(Arrays.copyOfRange(pdu, cut, pdu.length));
                assertThat(rest).as("%s cut at %d", name, cut).singleElement()
                        .isNotInstanceOf(NvmeTcpPdu.Malformed.class);
            }
        }
        try (DecoderHarness h = new DecoderHarness(receiver.settings())) {
            h.feed(Arrays.copyOf(pdu, pdu.length - 1));
            assertThat(h.finish()).as("a stream that ends inside a PDU yields nothing").isEmpty();
        }
    }
}
