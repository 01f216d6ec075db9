package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.nvme.NvmeSamples.buf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** CRC32C against the published check values, over plain, offset and multi-component buffers. */
class Crc32cDigestTest {

    @Test
    void checkValues() {
        byte[] digits = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertThat(Crc32cReference.of(digits)).as("the reference itself").isEqualTo(0xE3069283);
        assertThat(Crc32cReference.of(new byte[32])).isEqualTo(0x8A9136AA);
        ByteBuf b = buf(digits);
        ByteBuf zeros = buf(new byte[32]);
        try {
            assertThat(Crc32cDigest.of(b, 0, 9)).isEqualTo(0xE3069283);
            assertThat(Crc32cDigest.of(zeros, 0, 32)).isEqualTo(0x8A9136AA);
            assertThat(Crc32cDigest.of(zeros, 0, 0)).as("empty").isZero();
            assertThat(Crc32cDigest.LENGTH).isEqualTo(4);
        } finally {
            b.release();
            zeros.release();
        }
    }

    @Test
    void digestsTheGivenRangeNotTheReaderIndex() {
        ByteBuf b = buf("xx123456789yy".getBytes(StandardCharsets.US_ASCII));
        try {
            b.skipBytes(5);
            assertThat(Crc32cDigest.of(b, 2, 9)).isEqualTo(0xE3069283);
            assertThat(b.readerIndex()).isEqualTo(5);
        } finally {
            b.release();
        }
    }

    @Test
    void aCompositeIsDigestedAcrossItsComponents() {
        CompositeByteBuf c = Unpooled.compositeBuffer();
        c.addComponent(true, buf("12".getBytes(StandardCharsets.US_ASCII)));
        c.addComponent(true, buf("3".getBytes(StandardCharsets.US_ASCII)));
        c.addComponent(true, buf("456789".getBytes(StandardCharsets.US_ASCII)));
        try {
            assertThat(c.nioBufferCount()).isEqualTo(3);
            assertThat(Crc32cDigest.of(c, 0, 9)).isEqualTo(0xE3069283);
        } finally {
            c.release();
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void agreesWithTheReferenceOnRandomRangesAndComponentCuts(long seed) {
        Random r = new Random(seed);
        byte[] bytes = new byte[1 + r.nextInt(5000)];
        r.nextBytes(bytes);
        CompositeByteBuf c = Unpooled.compositeBuffer(64);
        int at = 0;
        while (at < bytes.length) {
            int n = Math.min(bytes.length - at, 1 + r.nextInt(700));
            c.addComponent(true, buf(Arrays.copyOfRange(bytes, at, at + n)));
            at += n;
        }
        try {
            for (int i = 0; i < 10; i++) {
                int from = r.nextInt(bytes.length);
                int length = r.nextInt(bytes.length - from + 1);
                assertThat(Crc32cDigest.of(c, from, length)).as("seed %d: [%d, +%d)", seed, from, length)
                        .isEqualTo(Crc32cReference.of(bytes, from, length));
            }
        } finally {
            c.release();
        }
    }
}
