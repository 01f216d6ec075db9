package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
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
 * Seeded properties: random PDUs for a random direction and digests are encoded, checked against the framing
 * rules of RFC 7143 11.2 independently of the decoder, then decoded from random chunks to equal PDUs.
 */
class IscsiPduRoundTripProperties {
    static final int MAX_DATA = 1 << 16;

    static LongStream seeds() {
        return LongStream.range(0, 200);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void encodeThenDecodeInRandomChunksGivesEqualPdus(long seed) {
        Random r = new Random(seed);
        boolean fromInitiator = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        IscsiCodecSettings sender = new IscsiCodecSettings(!fromInitiator).headerDigest(hdgst).dataDigest(ddgst);
        IscsiCodecSettings receiver = new IscsiCodecSettings(fromInitiator).headerDigest(hdgst).dataDigest(ddgst)
                .maxRecvDataSegmentLength(MAX_DATA);

        List<IscsiPdu> pdus = new ArrayList<>();
        int count = 1 + r.nextInt(8);
        for (int i = 0; i < count; i++) {
            pdus.add(RandomIscsiPdus.next(r, fromInitiator, MAX_DATA));
        }
        String context = "seed " + seed + " (from the initiator " + fromInitiator + ", hdgst " + hdgst + ", ddgst "
                + ddgst + ")";
        List<Object> decoded = List.of();
        try {
            List<byte[]> encoded = new ArrayList<>();
            for (IscsiPdu pdu : pdus) {
                byte[] wire = IscsiPdus.encode(pdu, sender);
                checkFraming(context + " " + pdu.opcode(), pdu, wire, hdgst, ddgst);
                encoded.add(wire);
            }
            byte[] stream = Be.concat(encoded.toArray(byte[][]::new));
            decoded = IscsiPdus.decode(receiver, Chunks.random(stream, r));
            assertThat(IscsiPdus.untracked(decoded)).as(context).containsExactlyElementsOf(IscsiPdus.untracked(pdus));
        } finally {
            IscsiPdus.release(decoded);
            IscsiPdus.release(pdus);
        }
    }

    /**
     * Corrupted streams: random bytes of a valid stream are changed. The decoder must never throw, must emit
     * only PDUs and verdicts, and after a fatal verdict nothing.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void corruptedStreamsGiveOnlyPdusAndVerdicts(long seed) {
        Random r = new Random(seed);
        boolean fromInitiator = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        List<byte[]> encoded = new ArrayList<>();
        for (int i = 0; i < 1 + r.nextInt(6); i++) {
            // now and then a PDU of the wrong side, which must be rejected without losing step
            IscsiPdu pdu = RandomIscsiPdus.next(r, r.nextInt(8) == 0 ? !fromInitiator : fromInitiator, 4096);
            try {
                encoded.add(IscsiPdus.encode(pdu, new IscsiCodecSettings(!pdu.opcode().fromInitiator())
                        .headerDigest(hdgst).dataDigest(ddgst)));
            } finally {
                io.netty.util.ReferenceCountUtil.release(pdu);
            }
        }
        byte[] stream = Be.concat(encoded.toArray(byte[][]::new));
        for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
            int at = r.nextInt(Math.min(stream.length, r.nextBoolean() ? 48 : stream.length));
            stream[at] = (byte) (r.nextBoolean() ? r.nextInt(256) : stream[at] ^ (1 << r.nextInt(8)));
        }
        IscsiCodecSettings receiver = new IscsiCodecSettings(fromInitiator).headerDigest(hdgst).dataDigest(ddgst);
        List<Object> decoded = IscsiPdus.decode(receiver, Chunks.random(stream, r));
        try {
            for (int i = 0; i < decoded.size(); i++) {
                assertThat(decoded.get(i)).as("seed %d, message %d", seed, i).isInstanceOf(IscsiPdu.class);
                if (decoded.get(i) instanceof IscsiPdu.Malformed m) {
                    assertThat(m.header().readableBytes()).isEqualTo(48);
                    if (m.fatal()) {
                        assertThat(i).as("seed %d: nothing after a fatal verdict", seed).isEqualTo(decoded.size() - 1);
                    }
                } else {
                    assertThat(((IscsiPdu) decoded.get(i)).opcode().fromInitiator()).isEqualTo(fromInitiator);
                }
            }
        } finally {
            IscsiPdus.release(decoded);
        }
    }

    /** RFC 7143 11.2: BHS, AHS, header digest, data segment padded to 4 bytes, data digest; CRCs by reference. */
    static void checkFraming(String context, IscsiPdu pdu, byte[] wire, boolean hdgst, boolean ddgst) {
        byte[] data = pdu instanceof IscsiPdu.WithData w ? ByteBufUtil.getBytes(w.data()) : new byte[0];
        assertThat(wire[0] & 0x3F).as(context + ": opcode").isEqualTo(pdu.opcode().code());
        assertThat(wire[0] & 0x80).as(context + ": reserved bit").isZero();
        if (pdu instanceof IscsiPdu.LoginRequest) {
            assertThat(wire[0] & 0x40).as(context + ": I on a Login Request").isEqualTo(0x40);
        }
        if (!pdu.opcode().fromInitiator()) {
            assertThat(wire[0] & 0x40).as(context + ": I on a target PDU").isZero();
        }
        int ahs = (wire[4] & 0xFF) * 4;
        if (pdu instanceof IscsiPdu.ScsiCommand c) {
            int extra = c.cdbLength() - 16;
            int expected = (extra > 0 ? 4 + extra + (-extra & 3) : 0) + (c.bidirectional() ? 8 : 0);
            assertThat(ahs).as(context + ": TotalAHSLength * 4").isEqualTo(expected);
        } else {
            assertThat(ahs).as(context + ": TotalAHSLength").isZero();
        }
        int dsl = (wire[5] & 0xFF) << 16 | (wire[6] & 0xFF) << 8 | wire[7] & 0xFF;
        assertThat(dsl).as(context + ": DataSegmentLength").isEqualTo(data.length);
        int header = 48 + ahs;
        int dataStart = header + (hdgst ? 4 : 0);
        int padded = dsl + (-dsl & 3);
        boolean dataDigest = ddgst && dsl > 0;
        assertThat(wire).as(context + ": length").hasSize(dataStart + padded + (dataDigest ? 4 : 0));
        if (hdgst) {
            assertThat((int) Le.readU32(wire, header)).as(context + ": header digest")
                    .isEqualTo(Crc32cReference.of(wire, 0, header));
        }
        assertThat(Arrays.copyOfRange(wire, dataStart, dataStart + dsl)).as(context + ": data").isEqualTo(data);
        for (int i = dataStart + dsl; i < dataStart + padded; i++) {
            assertThat(wire[i]).as(context + ": padding byte %d", i).isZero();
        }
        if (dataDigest) {
            assertThat((int) Le.readU32(wire, dataStart + padded)).as(context + ": data digest")
                    .isEqualTo(Crc32cReference.of(wire, dataStart, padded));
        }
        if (pdu instanceof IscsiPdu.AsyncMessage || pdu instanceof IscsiPdu.Reject) {
            assertThat(Arrays.copyOfRange(wire, 16, 20)).as(context + ": reserved tag").containsOnly((byte) 0xFF);
        }
    }
}
