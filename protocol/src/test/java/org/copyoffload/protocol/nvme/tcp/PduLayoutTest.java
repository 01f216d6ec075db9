package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.nvme.NvmeSamples.buf;
import static org.copyoffload.protocol.nvme.NvmeSamples.pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Chunks;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every PDU type against the byte layout of NVMe/TCP Transport 1.1, 3.6, written by hand: common header,
 * type-specific fields, header digest, PDO padding for the peer's alignment, data and data digest. Each
 * expected image is also decoded back, by the side that receives that type, to an equal PDU.
 */
class PduLayoutTest {

    @ParameterizedTest(name = "{0}: type {1}, HLEN {2}, host-to-controller {3}")
    @CsvSource({
            "IC_REQ,       0x00, 128, true",
            "IC_RESP,      0x01, 128, false",
            "H2C_TERM_REQ, 0x02, 24,  true",
            "C2H_TERM_REQ, 0x03, 24,  false",
            "CAPSULE_CMD,  0x04, 72,  true",
            "CAPSULE_RESP, 0x05, 24,  false",
            "H2C_DATA,     0x06, 24,  true",
            "C2H_DATA,     0x07, 24,  false",
            "R2T,          0x09, 24,  false"})
    void pduTypeTable(PduType type, String code, int hlen, boolean hostToController) {
        int c = Integer.decode(code);
        assertThat(type.code()).isEqualTo(c);
        assertThat(type.headerLength()).isEqualTo(hlen);
        assertThat(type.hostToController()).isEqualTo(hostToController);
        assertThat(PduType.lookup(c)).isEqualTo(type);
        boolean icOrTerm = c <= 0x03;
        assertThat(type.digestable()).as("IC and TermReq PDUs never carry digests").isEqualTo(!icOrTerm);
        assertThat(type.isTermination()).isEqualTo(c == 0x02 || c == 0x03);
    }

    @Test
    void unknownTypeCodesHaveNoPduType() {
        for (int code : new int[] {0x08, 0x0A, 0x0B, 0x0F, 0x10, 0x7F, 0xFF, -1}) {
            assertThat(PduType.lookup(code)).as("code %d", code).isNull();
        }
    }

    // ---- ICReq / ICResp ----

    @ParameterizedTest(name = "HDGST {0}, DDGST {1}, digests already negotiated {2}")
    @CsvSource({"false,false,false", "true,false,false", "false,true,true", "true,true,true"})
    void icReq(boolean hdgstWanted, boolean ddgstWanted, boolean negotiated) {
        NvmeTcpPdu.IcReq pdu = new NvmeTcpPdu.IcReq(0, 3, hdgstWanted, ddgstWanted, 0x01020304);
        byte[] expected = new Le(128)
                .u8(0, 0x00).u8(1, 0x00).u8(2, 128).u8(3, 0).u32(4, 128)
                .u16(8, 0).u8(10, 3).u8(11, (hdgstWanted ? 1 : 0) | (ddgstWanted ? 2 : 0)).u32(12, 0x01020304)
                .array();
        assertThat(Pdus.encode(pdu, Pdus.host(negotiated, negotiated, negotiated ? 31 : 0))).isEqualTo(expected);
        assertDecodes(Pdus.controller(negotiated, negotiated, 0), expected, pdu);
    }

    @ParameterizedTest(name = "CPDA {0}, MAXH2CDATA {1}")
    @CsvSource({"0, 4096", "31, 131072", "7, 2147483647"})
    void icResp(int cpda, int maxH2cData) {
        NvmeTcpPdu.IcResp pdu = new NvmeTcpPdu.IcResp(0, cpda, true, false, maxH2cData);
        byte[] expected = new Le(128)
                .u8(0, 0x01).u8(1, 0).u8(2, 128).u8(3, 0).u32(4, 128)
                .u16(8, 0).u8(10, cpda).u8(11, 0x01).u32(12, maxH2cData)
                .array();
        assertThat(Pdus.encode(pdu, Pdus.controller(true, true, 5))).isEqualTo(expected);
        assertDecodes(Pdus.host(true, true, 0), expected, pdu);
    }

    // ---- CapsuleCmd ----

    private static Le capsuleCmdHeader(int size, int flags, int pdo, long plen) {
        return new Le(size).u8(0, 0x04).u8(1, flags).u8(2, 72).u8(3, pdo).u32(4, plen).bytes(8, NvmeSamples.sqeBytes());
    }

    /** The 4-byte CRC32C of the first {@code hlen} bytes, little-endian, at {@code hlen}. */
    private static byte[] withHeaderDigest(byte[] pdu, int hlen) {
        byte[] out = pdu.clone();
        int crc = Crc32cReference.of(pdu, 0, hlen);
        System.arraycopy(Le.le32(crc), 0, out, hlen, 4);
        return out;
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void capsuleCmdWithoutData(boolean hdgst, boolean ddgst) {
        int plen = 72 + (hdgst ? 4 : 0);
        byte[] expected = capsuleCmdHeader(plen, hdgst ? 0x01 : 0x00, 0, plen).array();
        if (hdgst) {
            expected = withHeaderDigest(expected, 72);
        }
        NvmeTcpPdu.CapsuleCmd pdu = new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe(), Unpooled.EMPTY_BUFFER, true);
        assertThat(Pdus.encode(pdu, Pdus.host(hdgst, ddgst, 7))).as("no data: no PDO, no padding, no DDGSTF")
                .isEqualTo(expected);
        assertDecodes(Pdus.controller(hdgst, ddgst, 0), expected, pdu);
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}, controller PDA {2} -> PDO {3}")
    @CsvSource({
            "false, false, 0,  72",
            "true,  false, 0,  76",
            "false, true,  0,  72",
            "true,  true,  0,  76",
            "false, false, 1,  72",
            "true,  false, 1,  80",
            "false, false, 3,  80",
            "true,  true,  3,  80",
            "true,  true,  7,  96",
            "false, true,  15, 128",
            "true,  true,  31, 128",
            "false, false, 31, 128",
            "true,  false, 17, 144",
            "false, false, 17, 72"})
    void capsuleCmdWithData(boolean hdgst, boolean ddgst, int pda, int pdo) {
        byte[] data = pattern(37, 5);
        int plen = pdo + data.length + (ddgst ? 4 : 0);
        Le le = capsuleCmdHeader(plen, (hdgst ? 0x01 : 0) | (ddgst ? 0x02 : 0), pdo, plen).bytes(pdo, data);
        if (ddgst) {
            le.u32(pdo + data.length, Crc32cReference.of(data));
        }
        byte[] expected = hdgst ? withHeaderDigest(le.array(), 72) : le.array();
        // bytes between the header (and its digest) and PDO are zero padding
        for (int i = 72 + (hdgst ? 4 : 0); i < pdo; i++) {
            assertThat(expected[i]).isZero();
        }

        ByteBuf payload = buf(data);
        NvmeTcpPdu.CapsuleCmd pdu = new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe(), payload, true);
        try {
            assertThat(Pdus.encode(pdu, Pdus.host(hdgst, ddgst, pda))).isEqualTo(expected);
            assertThat(payload.refCnt()).as("encode retains into its output only").isEqualTo(1);
            assertThat(payload.readerIndex()).isZero();
            assertDecodes(Pdus.controller(hdgst, ddgst, 0), expected, pdu);
        } finally {
            payload.release();
        }
    }

    // ---- CapsuleResp, R2T ----

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void capsuleResp(boolean hdgst, boolean ddgst) {
        int plen = 24 + (hdgst ? 4 : 0);
        byte[] expected = new Le(plen).u8(0, 0x05).u8(1, hdgst ? 1 : 0).u8(2, 24).u8(3, 0).u32(4, plen)
                .bytes(8, NvmeSamples.cqeBytes()).array();
        if (hdgst) {
            expected = withHeaderDigest(expected, 24);
        }
        NvmeTcpPdu.CapsuleResp pdu = new NvmeTcpPdu.CapsuleResp(NvmeSamples.cqe());
        assertThat(Pdus.encode(pdu, Pdus.controller(hdgst, ddgst, 3))).isEqualTo(expected);
        assertDecodes(Pdus.host(hdgst, ddgst, 0), expected, pdu);
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void r2t(boolean hdgst, boolean ddgst) {
        int plen = 24 + (hdgst ? 4 : 0);
        byte[] expected = new Le(plen).u8(0, 0x09).u8(1, hdgst ? 1 : 0).u8(2, 24).u8(3, 0).u32(4, plen)
                .u16(8, 0x0102).u16(10, 0x0304).u32(12, 0x05060708).u32(16, 0x090A0B0C).array();
        if (hdgst) {
            expected = withHeaderDigest(expected, 24);
        }
        NvmeTcpPdu.R2t pdu = new NvmeTcpPdu.R2t(0x0102, 0x0304, 0x05060708, 0x090A0B0C);
        assertThat(Pdus.encode(pdu, Pdus.controller(hdgst, ddgst, 0))).isEqualTo(expected);
        assertDecodes(Pdus.host(hdgst, ddgst, 0), expected, pdu);
    }

    // ---- H2CData / C2HData ----

    @ParameterizedTest(name = "header digest {0}, data digest {1}, controller PDA {2}, LAST {3} -> PDO {4}")
    @CsvSource({
            "false, false, 0,  true,  24",
            "true,  true,  0,  false, 28",
            "true,  false, 1,  true,  32",
            "false, true,  7,  true,  32",
            "true,  true,  31, false, 128"})
    void h2cData(boolean hdgst, boolean ddgst, int pda, boolean last, int pdo) {
        byte[] data = pattern(100, 9);
        int plen = pdo + data.length + (ddgst ? 4 : 0);
        Le le = new Le(plen).u8(0, 0x06).u8(1, (hdgst ? 1 : 0) | (ddgst ? 2 : 0) | (last ? 4 : 0)).u8(2, 24)
                .u8(3, pdo).u32(4, plen)
                .u16(8, 0x1234).u16(10, 0xFEDC).u32(12, 0x00123456).u32(16, data.length)
                .bytes(pdo, data);
        if (ddgst) {
            le.u32(pdo + data.length, Crc32cReference.of(data));
        }
        byte[] expected = hdgst ? withHeaderDigest(le.array(), 24) : le.array();
        ByteBuf payload = buf(data);
        NvmeTcpPdu.H2cData pdu = new NvmeTcpPdu.H2cData(0x1234, 0xFEDC, 0x00123456, last, payload, true);
        try {
            assertThat(Pdus.encode(pdu, Pdus.host(hdgst, ddgst, pda))).isEqualTo(expected);
            assertDecodes(Pdus.controller(hdgst, ddgst, 0), expected, pdu);
        } finally {
            payload.release();
        }
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}, host PDA {2}, LAST {3}, SUCCESS {4} -> PDO {5}")
    @CsvSource({
            "false, false, 0, true,  true,  24",
            "true,  true,  0, false, false, 28",
            "false, true,  3, true,  false, 32",
            "true,  false, 2, true,  true,  36"})
    void c2hData(boolean hdgst, boolean ddgst, int pda, boolean last, boolean success, int pdo) {
        byte[] data = pattern(512, 1);
        int plen = pdo + data.length + (ddgst ? 4 : 0);
        Le le = new Le(plen).u8(0, 0x07)
                .u8(1, (hdgst ? 1 : 0) | (ddgst ? 2 : 0) | (last ? 4 : 0) | (success ? 8 : 0)).u8(2, 24)
                .u8(3, pdo).u32(4, plen)
                .u16(8, 0xABCD).u16(10, 0).u32(12, 0x7FFFF000).u32(16, data.length)
                .bytes(pdo, data);
        if (ddgst) {
            le.u32(pdo + data.length, Crc32cReference.of(data));
        }
        byte[] expected = hdgst ? withHeaderDigest(le.array(), 24) : le.array();
        ByteBuf payload = buf(data);
        NvmeTcpPdu.C2hData pdu = new NvmeTcpPdu.C2hData(0xABCD, 0x7FFFF000, last, success, payload, true);
        try {
            assertThat(Pdus.encode(pdu, Pdus.controller(hdgst, ddgst, pda))).isEqualTo(expected);
            assertDecodes(Pdus.host(hdgst, ddgst, 0), expected, pdu);
        } finally {
            payload.release();
        }
    }

    @Test
    void dataIsTakenFromTheReaderIndexAndACompositeIsDigestedAcrossComponents() {
        byte[] data = pattern(300, 77);
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, buf(new byte[] {9, 9, 9}));
        composite.addComponent(true, buf(Arrays.copyOfRange(data, 0, 1)));
        composite.addComponent(true, buf(Arrays.copyOfRange(data, 1, 150)));
        composite.addComponent(true, buf(Arrays.copyOfRange(data, 150, 300)));
        composite.skipBytes(3);
        NvmeTcpPdu.C2hData pdu = new NvmeTcpPdu.C2hData(1, 0, true, false, composite, true);
        try {
            byte[] wire = Pdus.encode(pdu, Pdus.controller(false, true, 0));
            assertThat(wire).hasSize(24 + 300 + 4);
            assertThat(Le.readU32(wire, 16)).isEqualTo(300);
            assertThat(Arrays.copyOfRange(wire, 24, 324)).isEqualTo(data);
            assertThat((int) Le.readU32(wire, 324)).isEqualTo(Crc32cReference.of(data));
            assertThat(composite.readerIndex()).isEqualTo(3);
        } finally {
            composite.release();
        }
    }

    // ---- TermReq ----

    @ParameterizedTest(name = "{0} = FES {1}")
    @CsvSource({
            "INVALID_PDU_HEADER_FIELD, 1",
            "PDU_SEQUENCE_ERROR, 2",
            "HEADER_DIGEST_ERROR, 3",
            "DATA_TRANSFER_OUT_OF_RANGE, 4",
            "DATA_TRANSFER_LIMIT_EXCEEDED, 5",
            "UNSUPPORTED_PARAMETER, 6"})
    void fatalErrorStatusCodes(FatalErrorStatus fes, int code) {
        assertThat(fes.code()).isEqualTo(code);
        assertThat(FatalErrorStatus.fromCode(code)).isEqualTo(fes);
    }

    @ParameterizedTest(name = "from host {0}, digests negotiated {1}, {2} data bytes")
    @CsvSource({"true, false, 24", "false, false, 72", "true, true, 128", "false, true, 0", "true, true, 1"})
    void termReq(boolean fromHost, boolean digests, int dataLength) {
        byte[] data = pattern(dataLength, 3);
        int plen = 24 + dataLength;
        byte[] expected = new Le(plen).u8(0, fromHost ? 0x02 : 0x03).u8(1, 0).u8(2, 24).u8(3, 0).u32(4, plen)
                .u16(8, 0x0003).u32(10, 0xDEADBEEFL).bytes(24, data).array();
        ByteBuf payload = buf(data);
        NvmeTcpPdu.TermReq pdu = new NvmeTcpPdu.TermReq(fromHost, FatalErrorStatus.HEADER_DIGEST_ERROR, 0xDEADBEEF,
                payload);
        try {
            NvmeTcpSettings sender = fromHost ? Pdus.host(digests, digests, 31) : Pdus.controller(digests, digests, 31);
            assertThat(Pdus.encode(pdu, sender)).as("no digests, no PDO, data right after the header")
                    .isEqualTo(expected);
            NvmeTcpSettings receiver = fromHost ? Pdus.controller(digests, digests, 0) : Pdus.host(digests, digests, 0);
            assertDecodes(receiver, expected, pdu);
        } finally {
            payload.release();
        }
    }

    @Test
    void termReqDataIsCutTo128Bytes() {
        byte[] data = pattern(200, 11);
        ByteBuf payload = buf(data);
        NvmeTcpPdu.TermReq pdu = new NvmeTcpPdu.TermReq(false, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 2, payload);
        ByteBuf first128 = buf(Arrays.copyOf(data, 128));
        try {
            byte[] wire = Pdus.encode(pdu, Pdus.controller(false, false, 0));
            byte[] expected = new Le(152).u8(0, 0x03).u8(2, 24).u32(4, 152).u16(8, 1).u32(10, 2)
                    .bytes(24, Arrays.copyOf(data, 128)).array();
            assertThat(wire).isEqualTo(expected);
            assertDecodes(Pdus.host(false, false, 0), wire,
                    new NvmeTcpPdu.TermReq(false, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 2, first128));
        } finally {
            payload.release();
            first128.release();
        }
    }

    @Test
    void malformedIsNotAWirePdu() {
        ByteBuf echo = buf(new byte[8]);
        NvmeTcpPdu.Malformed m = new NvmeTcpPdu.Malformed(FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, echo, "test");
        try {
            assertThatThrownBy(() -> Pdus.encode(m, Pdus.host(false, false, 0)))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            echo.release();
        }
    }

    // ---- the handlers in a pipeline ----

    @Test
    void encoderHandlerWritesTheBytesReleasesThePduAndTellsTheListener() {
        List<String> sent = new ArrayList<>();
        NvmeTcpSettings settings = Pdus.host(true, true, 0);
        settings.listener(new PduListener() {
            @Override
            public void received(PduType type, long wireBytes, long dataBytes) {
                sent.add("received " + type);
            }

            @Override
            public void sent(PduType type, long wireBytes, long dataBytes) {
                sent.add(type + " " + wireBytes + "/" + dataBytes);
            }
        });
        EmbeddedChannel channel = new EmbeddedChannel(new NvmeTcpPduEncoder(settings));
        ByteBuf payload = buf(pattern(10, 0));
        NvmeTcpPdu.H2cData pdu = new NvmeTcpPdu.H2cData(7, 8, 0, true, payload, true);
        byte[] expectedBytes = Pdus.encode(pdu, settings);
        sent.clear();
        assertThat(channel.writeOutbound(pdu)).isTrue();
        ByteBuf out = channel.readOutbound();
        try {
            assertThat(ByteBufUtil.getBytes(out)).isEqualTo(expectedBytes);
            assertThat(payload.refCnt()).as("the pipeline owned the PDU and released it once written")
                    .isEqualTo(1); // still referenced by the output composite
        } finally {
            out.release();
        }
        assertThat(payload.refCnt()).isZero();
        assertThat(sent).containsExactly("H2C_DATA " + (24 + 4 + 10 + 4) + "/10");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void decoderTellsTheListenerEachPduAndItsWireSize() {
        List<String> seen = new ArrayList<>();
        NvmeTcpSettings settings = Pdus.controller(true, false, 0);
        settings.listener(new PduListener() {
            @Override
            public void received(PduType type, long wireBytes, long dataBytes) {
                seen.add(type + " " + wireBytes + "/" + dataBytes);
            }

            @Override
            public void sent(PduType type, long wireBytes, long dataBytes) {
                seen.add("sent " + type);
            }
        });
        ByteBuf payload = buf(pattern(5, 0));
        NvmeTcpPdu.CapsuleCmd cmd = new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe(), payload, true);
        byte[] stream = Le.concat(Pdus.encode(new NvmeTcpPdu.IcReq(0, 0, true, false, 3), settings),
                Pdus.encode(cmd, settings));
        payload.release();
        List<Object> out = Pdus.decode(settings, Chunks.random(stream, new java.util.Random(1)));
        try {
            assertThat(out).hasSize(2);
            assertThat(seen).containsExactly("IC_REQ 128/0", "CAPSULE_CMD " + (72 + 4 + 5) + "/5");
        } finally {
            Pdus.release(out.toArray());
        }
    }

    /** The bytes decode, whole and one byte at a time, to exactly one PDU equal to {@code expected}. */
    static void assertDecodes(NvmeTcpSettings receiver, byte[] wire, NvmeTcpPdu expected) {
        for (List<byte[]> pieces : List.of(Chunks.whole(wire), bytewise(wire))) {
            List<Object> out = Pdus.decode(receiver, pieces);
            try {
                assertThat(out).as("decoded from %d pieces", pieces.size()).containsExactly(expected);
            } finally {
                Pdus.release(out.toArray());
            }
        }
    }

    private static List<byte[]> bytewise(byte[] wire) {
        List<byte[]> out = new ArrayList<>();
        for (byte b : wire) {
            out.add(new byte[] {b});
        }
        return out;
    }
}
