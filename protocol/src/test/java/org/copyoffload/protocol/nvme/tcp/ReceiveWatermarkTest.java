package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.nvme.NvmeSamples.buf;
import static org.copyoffload.protocol.nvme.NvmeSamples.pattern;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.protocol.WatermarkedDecoder;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.testing.DecoderHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoder asks the transport to wake it only once the data PDU it is receiving can be complete (at most
 * {@value WatermarkedDecoder#MAXIMUM} bytes at a time), never for more bytes than the PDU still lacks (the
 * peer may send nothing more until it is answered), and back to any byte as soon as no large PDU is pending.
 */
class ReceiveWatermarkTest {
    private static final int HEADER = 24; // H2CData header, no digests
    private static final int MIB = 1 << 20;

    private final List<Integer> asked = new ArrayList<>();
    private final ReceiveWatermark recorder = (ctx, bytes) -> asked.add(bytes);

    private static byte[] h2cData(int cid, int length, boolean last) {
        NvmeTcpPdu.H2cData pdu = new NvmeTcpPdu.H2cData(cid, 1, 0, last, buf(pattern(length, cid)), true);
        try {
            return Pdus.encode(pdu, Pdus.host(false, false, 0));
        } finally {
            pdu.release();
        }
    }

    private DecoderHarness harness() {
        return new DecoderHarness(new NvmeTcpPduDecoder(Pdus.controller(false, false, 0), recorder));
    }

    @Test
    void aLargePduRaisesTheWatermarkOnceLowersItToWhatIsLeftAndDropsItWhenComplete() {
        byte[] pdu = h2cData(1, MIB, true);
        try (DecoderHarness h = harness()) {
            h.feed(Arrays.copyOfRange(pdu, 0, HEADER + 65536));
            assertThat(asked).containsExactly(WatermarkedDecoder.MAXIMUM);
            h.feed(Arrays.copyOfRange(pdu, HEADER + 65536, HEADER + 327680));
            assertThat(asked).as("still more than the maximum missing: no new call").hasSize(1);
            h.feed(Arrays.copyOfRange(pdu, HEADER + 327680, HEADER + 851968));
            assertThat(asked).containsExactly(WatermarkedDecoder.MAXIMUM, MIB - 851968);
            assertThat(h.feed(Arrays.copyOfRange(pdu, HEADER + 851968, pdu.length))).hasSize(1);
            assertThat(asked).containsExactly(WatermarkedDecoder.MAXIMUM, MIB - 851968, 1);
        }
    }

    @Test
    void theNextLargePduInTheSameReadTakesTheWatermarkOverWithoutADropInBetween() {
        byte[] first = h2cData(1, MIB, false);
        byte[] second = h2cData(2, 512 << 10, true);
        byte[] stream = new byte[first.length + HEADER + 1000];
        System.arraycopy(first, 0, stream, 0, first.length);
        System.arraycopy(second, 0, stream, first.length, HEADER + 1000);
        try (DecoderHarness h = harness()) {
            h.feed(Arrays.copyOfRange(stream, 0, 100_000));
            h.feed(Arrays.copyOfRange(stream, 100_000, stream.length));
            assertThat(h.received()).hasSize(1);
            assertThat(asked).as("the second PDU lacks more than the maximum too: the first call stands")
                    .containsExactly(WatermarkedDecoder.MAXIMUM);
            h.feed(Arrays.copyOfRange(second, HEADER + 1000, second.length));
            assertThat(h.received()).hasSize(2);
            assertThat(asked).containsExactly(WatermarkedDecoder.MAXIMUM, 1);
        }
    }

    @ParameterizedTest(name = "{0} bytes missing")
    @ValueSource(ints = {1, 4096, WatermarkedDecoder.MINIMUM - 1})
    void aPduLackingLessThanTheMinimumLeavesTheWatermarkAlone(int missing) {
        byte[] pdu = h2cData(1, 128 << 10, true);
        try (DecoderHarness h = harness()) {
            h.feed(Arrays.copyOfRange(pdu, 0, pdu.length - missing));
            h.feed(Arrays.copyOfRange(pdu, pdu.length - missing, pdu.length));
            assertThat(h.received()).hasSize(1);
            assertThat(asked).isEmpty();
        }
    }

    @Test
    void anIncompleteHeaderOrASmallCapsuleNeverRaisesIt() {
        NvmeTcpPdu.CapsuleCmd capsule = new NvmeTcpPdu.CapsuleCmd(NvmeSamples.sqe(), buf(pattern(8192, 3)), true);
        byte[] bytes;
        try {
            bytes = Pdus.encode(capsule, Pdus.host(false, false, 0));
        } finally {
            capsule.release();
        }
        try (DecoderHarness h = harness()) {
            for (int at = 0; at < bytes.length; at += 1000) {
                h.feed(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + 1000)));
            }
            assertThat(h.received()).hasSize(1);
            assertThat(asked).isEmpty();
        }
    }

    @Test
    void aMalformedHeaderDropsARaisedWatermark() {
        byte[] pdu = h2cData(1, MIB, true);
        byte[] bad = h2cData(2, 4096, true);
        bad[2] = 99; // HLEN
        try (DecoderHarness h = harness()) {
            h.feed(Arrays.copyOfRange(pdu, 0, HEADER + 4096));
            h.feed(Arrays.copyOfRange(pdu, HEADER + 4096, pdu.length - 100_000));
            assertThat(asked).containsExactly(WatermarkedDecoder.MAXIMUM, 100_000);
            byte[] rest = new byte[100_000 + bad.length];
            System.arraycopy(pdu, pdu.length - 100_000, rest, 0, 100_000);
            System.arraycopy(bad, 0, rest, 100_000, bad.length);
            h.feed(rest);
            assertThat(h.received()).hasSize(2).last().isInstanceOf(NvmeTcpPdu.Malformed.class);
            assertThat(asked).last().isEqualTo(1);
        }
    }
}
