package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.testing.Chunks;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded properties: random PDUs for a random direction, digests and peer alignment are encoded, checked
 * against the wire rules independently of the decoder, then decoded from random chunks to equal PDUs.
 */
class PduRoundTripProperties {
    static final int MAX_DATA = 1 << 17;

    static LongStream seeds() {
        return LongStream.range(0, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void encodeThenDecodeInRandomChunksGivesEqualPdus(long seed) {
        Random r = new Random(seed);
        boolean hostToController = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        int pda = r.nextInt(3) == 0 ? 0 : r.nextInt(32);
        NvmeTcpSettings sender = new NvmeTcpSettings(!hostToController, MAX_DATA, MAX_DATA);
        sender.negotiated(hdgst, ddgst, pda);
        NvmeTcpSettings receiver = new NvmeTcpSettings(hostToController, MAX_DATA, MAX_DATA);
        receiver.negotiated(hdgst, ddgst, r.nextInt(32));

        List<NvmeTcpPdu> pdus = new ArrayList<>();
        int count = 1 + r.nextInt(8);
        for (int i = 0; i < count; i++) {
            pdus.add(RandomPdus.next(r, hostToController, MAX_DATA));
        }
        String context = "seed " + seed + " (h2c " + hostToController + ", hdgst " + hdgst + ", ddgst " + ddgst
                + ", pda " + pda + ")";
        List<Object> decoded = List.of();
        try {
            List<byte[]> encoded = new ArrayList<>();
            for (NvmeTcpPdu pdu : pdus) {
                byte[] wire = Pdus.encode(pdu, sender);
                checkWireRules(context + " " + pdu.type(), pdu, wire, hdgst, ddgst, pda);
                encoded.add(wire);
            }
            byte[] stream = Le.concat(encoded.toArray(byte[][]::new));
            decoded = Pdus.decode(receiver, Chunks.random(stream, r));
            assertThat(Pdus.untracked(decoded)).as(context).containsExactlyElementsOf(Pdus.untracked(pdus));
        } finally {
            Pdus.release(decoded.toArray());
            Pdus.release(pdus.toArray());
        }
    }

    /** What NVMe/TCP 1.1 3.6 requires of the bytes, checked with a reference CRC32C. */
    static void checkWireRules(String context, NvmeTcpPdu pdu, byte[] wire, boolean hdgst, boolean ddgst, int pda) {
        PduType type = pdu.type();
        int hlen = type.headerLength();
        boolean digestable = !(type == PduType.IC_REQ || type == PduType.IC_RESP || type.isTermination());
        int flags = wire[1] & 0xFF;
        int pdo = wire[3] & 0xFF;
        assertThat(wire[0] & 0xFF).as(context).isEqualTo(type.code());
        assertThat(wire[2] & 0xFF).as(context + ": HLEN").isEqualTo(hlen);
        assertThat(Le.readU32(wire, 4)).as(context + ": PLEN").isEqualTo(wire.length);
        boolean hasHeaderDigest = (flags & 0x01) != 0;
        boolean hasDataDigest = (flags & 0x02) != 0;
        assertThat(hasHeaderDigest).as(context + ": HDGSTF").isEqualTo(digestable && hdgst);
        int headerEnd = hlen + (hasHeaderDigest ? 4 : 0);
        if (hasHeaderDigest) {
            assertThat((int) Le.readU32(wire, hlen)).as(context + ": header digest")
                    .isEqualTo(Crc32cReference.of(wire, 0, hlen));
        }
        int dataLength = pdu instanceof NvmeTcpPdu.WithData w ? w.data().readableBytes() : 0;
        if (type.isTermination()) {
            assertThat(pdo).as(context + ": TermReq PDO").isZero();
            assertThat(flags).as(context + ": TermReq FLAGS").isZero();
            assertThat(wire).hasSize(hlen + dataLength);
            return;
        }
        assertThat(hasDataDigest).as(context + ": DDGSTF").isEqualTo(digestable && ddgst && dataLength > 0);
        if (dataLength == 0) {
            assertThat(pdo).as(context + ": PDO without data").isZero();
            assertThat(wire).as(context).hasSize(headerEnd);
            return;
        }
        int align = pda == 0 ? 1 : (pda + 1) * 4;
        assertThat(pdo % align).as(context + ": PDO %d aligned to %d", pdo, align).isZero();
        assertThat(pdo).as(context + ": PDO right after the header, rounded up").isBetween(headerEnd, headerEnd + align - 1);
        for (int i = headerEnd; i < pdo; i++) {
            assertThat(wire[i]).as(context + ": padding byte %d", i).isZero();
        }
        assertThat(wire.length).as(context).isEqualTo(pdo + dataLength + (hasDataDigest ? 4 : 0));
        if (hasDataDigest) {
            assertThat((int) Le.readU32(wire, pdo + dataLength)).as(context + ": data digest")
                    .isEqualTo(Crc32cReference.of(wire, pdo, dataLength));
        }
        if (type == PduType.H2C_DATA || type == PduType.C2H_DATA) {
            assertThat(Le.readU32(wire, 16)).as(context + ": DATAL").isEqualTo(dataLength);
        }
        assertThat(Arrays.copyOfRange(wire, pdo, pdo + dataLength)).as(context + ": data")
                .isEqualTo(io.netty.buffer.ByteBufUtil.getBytes(((NvmeTcpPdu.WithData) pdu).data()));
    }
}
