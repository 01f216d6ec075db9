package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.nvme.NvmeSamples.buf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.testing.Chunks;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The header-only C2HData encoding (data sent separately, e.g. by sendfile): header plus data must be the very
 * bytes of the whole PDU.
 */
class C2hDataHeaderTest {

    static LongStream seeds() {
        return LongStream.range(0, 30);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void headerThenDataIsTheWholePdu(long seed) {
        Random r = new Random(seed);
        boolean hdgst = r.nextBoolean();
        int pda = r.nextInt(32);
        NvmeTcpSettings settings = Pdus.controller(hdgst, false, pda);
        int cccid = r.nextInt(0x10000);
        int dataOffset = r.nextInt();
        boolean last = r.nextBoolean();
        boolean success = last && r.nextBoolean();
        byte[] data = new byte[1 + r.nextInt(r.nextBoolean() ? 64 : 70000)];
        r.nextBytes(data);

        ByteBuf header = NvmeTcpPduEncoder.encodeC2hDataHeader(ByteBufAllocator.DEFAULT, cccid, dataOffset, data.length,
                last, success, settings);
        byte[] headerBytes;
        try {
            headerBytes = ByteBufUtil.getBytes(header);
        } finally {
            header.release();
        }
        ByteBuf payload = buf(data);
        NvmeTcpPdu.C2hData whole = new NvmeTcpPdu.C2hData(cccid, dataOffset, last, success, payload, true);
        try {
            byte[] expected = Pdus.encode(whole, settings);
            String context = "seed " + seed + " (hdgst " + hdgst + ", pda " + pda + ", " + data.length + " bytes)";
            assertThat(Le.concat(headerBytes, data)).as(context).isEqualTo(expected);
            assertThat(headerBytes.length).as(context + ": header ends at PDO").isEqualTo(expected[3] & 0xFF);
            List<Object> out = Pdus.decode(Pdus.host(hdgst, false, 0), Chunks.random(expected, r));
            try {
                assertThat(Pdus.untracked(out)).as(context).containsExactly(Pdus.untracked(whole));
            } finally {
                Pdus.release(out.toArray());
            }
        } finally {
            payload.release();
        }
    }

    @Test
    void refusesADataDigestAndEmptyData() {
        assertThatThrownBy(() -> NvmeTcpPduEncoder.encodeC2hDataHeader(ByteBufAllocator.DEFAULT, 1, 0, 10, true, false,
                Pdus.controller(false, true, 0))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> NvmeTcpPduEncoder.encodeC2hDataHeader(ByteBufAllocator.DEFAULT, 1, 0, 0, true, false,
                Pdus.controller(false, false, 0))).isInstanceOf(IllegalArgumentException.class);
    }
}
