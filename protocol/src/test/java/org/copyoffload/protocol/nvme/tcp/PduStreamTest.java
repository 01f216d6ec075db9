package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.nvme.NvmeSamples.buf;
import static org.copyoffload.protocol.nvme.NvmeSamples.pattern;

import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.Chunks;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** A stream of several PDUs decodes to the same PDUs however TCP cuts it: at every offset, and in random pieces. */
class PduStreamTest {

    static List<NvmeTcpPdu> hostToController() {
        return List.of(
                new NvmeTcpPdu.IcReq(0, 0, true, true, 3),
                new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe(), Unpooled.EMPTY_BUFFER, true),
                new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe().withCid(7), buf(pattern(61, 1)), true),
                new NvmeTcpPdu.H2cData(7, 3, 0, false, buf(pattern(1, 2)), true),
                new NvmeTcpPdu.H2cData(7, 3, 1, true, buf(pattern(90, 3)), true),
                new NvmeTcpPdu.TermReq(true, FatalErrorStatus.PDU_SEQUENCE_ERROR, 0, buf(pattern(24, 4))));
    }

    static List<NvmeTcpPdu> controllerToHost() {
        return List.of(
                new NvmeTcpPdu.IcResp(0, 3, true, true, 65536),
                new NvmeTcpPdu.R2t(7, 3, 0, 91),
                new NvmeTcpPdu.C2hData(8, 0, false, false, buf(pattern(33, 5)), true),
                new NvmeTcpPdu.C2hData(8, 33, true, true, buf(pattern(2, 6)), true),
                new NvmeTcpPdu.CapsuleResp(NvmeSamples.cqe()),
                new NvmeTcpPdu.TermReq(false, FatalErrorStatus.HEADER_DIGEST_ERROR, 0x12345678, buf(pattern(72, 7))));
    }

    @ParameterizedTest(name = "host to controller {0}, header digest {1}, data digest {2}, PDA {3}")
    @CsvSource({
            "true, false, false, 0", "true, true, false, 3", "true, false, true, 0", "true, true, true, 31",
            "false, false, false, 0", "false, true, false, 0", "false, false, true, 7", "false, true, true, 1"})
    void everySplitPointGivesTheSamePdus(boolean h2c, boolean hdgst, boolean ddgst, int pda) {
        List<NvmeTcpPdu> pdus = h2c ? hostToController() : controllerToHost();
        List<Object> expected = Pdus.untracked(pdus);
        try {
            byte[] stream = encode(pdus, h2c, hdgst, ddgst, pda);
            for (int at = 0; at <= stream.length; at++) {
                List<Object> out = Pdus.decode(receiver(h2c, hdgst, ddgst), Chunks.splitAt(stream, at));
                try {
                    assertThat(Pdus.untracked(out)).as("split at %d of %d", at, stream.length)
                            .containsExactlyElementsOf(expected);
                } finally {
                    Pdus.release(out.toArray());
                }
            }
        } finally {
            Pdus.release(pdus.toArray());
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 50);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomChunkingsGiveTheSamePdus(long seed) {
        Random r = new Random(seed);
        boolean h2c = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        int pda = r.nextInt(32);
        List<NvmeTcpPdu> pdus = h2c ? hostToController() : controllerToHost();
        List<Object> expected = Pdus.untracked(pdus);
        try {
            byte[] stream = encode(pdus, h2c, hdgst, ddgst, pda);
            for (int round = 0; round < 5; round++) {
                List<byte[]> pieces = Chunks.random(stream, r);
                List<Object> out = Pdus.decode(receiver(h2c, hdgst, ddgst), pieces);
                try {
                    assertThat(Pdus.untracked(out)).as("seed %d round %d: %d pieces", seed, round, pieces.size())
                            .containsExactlyElementsOf(expected);
                } finally {
                    Pdus.release(out.toArray());
                }
            }
        } finally {
            Pdus.release(pdus.toArray());
        }
    }

    private static byte[] encode(List<NvmeTcpPdu> pdus, boolean h2c, boolean hdgst, boolean ddgst, int pda) {
        NvmeTcpSettings sender = h2c ? Pdus.host(hdgst, ddgst, pda) : Pdus.controller(hdgst, ddgst, pda);
        List<byte[]> parts = new ArrayList<>();
        for (NvmeTcpPdu p : pdus) {
            parts.add(Pdus.encode(p, sender));
        }
        return Le.concat(parts.toArray(byte[][]::new));
    }

    private static NvmeTcpSettings receiver(boolean h2c, boolean hdgst, boolean ddgst) {
        return h2c ? Pdus.controller(hdgst, ddgst, 0) : Pdus.host(hdgst, ddgst, 0);
    }
}
