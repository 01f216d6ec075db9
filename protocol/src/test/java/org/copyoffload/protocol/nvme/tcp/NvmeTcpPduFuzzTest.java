package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.testing.DecoderHarness;

/**
 * Jazzer fuzz target for {@link NvmeTcpPduDecoder}. Input layout: byte 0 picks the side (bit 0: the controller's
 * decoder, which takes host PDUs), the header digest (bit 1) and the data digest (bit 2); byte 1 is the size of the
 * pieces the rest arrives in (0 = all at once). The decoder must never throw (a bad PDU becomes one
 * {@link NvmeTcpPdu.Malformed} and nothing follows it), and every PDU it accepts must encode back to bytes that decode
 * to an equal PDU. Regression inputs: {@code src/test/resources/org/copyoffload/protocol/nvme/tcp/NvmeTcpPduFuzzTestInputs/}.
 */
class NvmeTcpPduFuzzTest {
    static final int LIMIT = 64 * 1024;

    @FuzzTest(maxDuration = "60s")
    void pduStream(byte[] input) {
        if (input.length < 2) {
            return;
        }
        boolean controller = (input[0] & 1) != 0;
        boolean hdgst = (input[0] & 2) != 0;
        boolean ddgst = (input[0] & 4) != 0;
        int piece = input[1] & 0xFF;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);

        NvmeTcpSettings receiver = new NvmeTcpSettings(controller, LIMIT, LIMIT);
        receiver.negotiated(hdgst, ddgst, 0);
        List<Object> decoded = DecoderHarness.decode(receiver, pieces(stream, piece));
        try {
            for (int i = 0; i < decoded.size(); i++) {
                Object msg = decoded.get(i);
                if (msg instanceof NvmeTcpPdu.Malformed) {
                    assertThat(i).as("nothing after a Malformed").isEqualTo(decoded.size() - 1);
                    continue;
                }
                roundTrip((NvmeTcpPdu) msg, controller, hdgst, ddgst);
            }
        } finally {
            DecoderHarness.releaseAll(decoded);
        }
    }

    /** The peer's encoder with the same digests writes the PDU; a fresh decoder reads back an equal one. */
    private static void roundTrip(NvmeTcpPdu pdu, boolean controller, boolean hdgst, boolean ddgst) {
        NvmeTcpSettings sender = new NvmeTcpSettings(!controller, LIMIT, LIMIT);
        sender.negotiated(hdgst, ddgst, 0);
        NvmeTcpSettings receiver = new NvmeTcpSettings(controller, LIMIT, LIMIT);
        receiver.negotiated(hdgst, ddgst, 0);
        byte[] wire = Pdus.encode(pdu, sender);
        List<Object> again = DecoderHarness.decode(receiver, List.of(wire));
        try {
            assertThat(again).hasSize(1);
            Object expected = Pdus.untracked(pdu);
            if (pdu instanceof NvmeTcpPdu.WithData && !digestValid(pdu)) {
                // The encoder writes a correct data digest: only the flag may differ.
                expected = withValidDigest(expected);
            }
            assertThat(Pdus.untracked(again.getFirst())).isEqualTo(expected);
        } finally {
            DecoderHarness.releaseAll(again);
        }
    }

    private static boolean digestValid(NvmeTcpPdu pdu) {
        return switch (pdu) {
            case NvmeTcpPdu.CapsuleCmd c -> c.dataDigestValid();
            case NvmeTcpPdu.H2cData d -> d.dataDigestValid();
            case NvmeTcpPdu.C2hData d -> d.dataDigestValid();
            default -> true;
        };
    }

    private static Object withValidDigest(Object pdu) {
        return switch (pdu) {
            case NvmeTcpPdu.CapsuleCmd c -> new NvmeTcpPdu.CapsuleCmd(c.sqe(), c.data(), true);
            case NvmeTcpPdu.H2cData d -> new NvmeTcpPdu.H2cData(d.cccid(), d.ttag(), d.dataOffset(), d.last(), d.data(), true);
            case NvmeTcpPdu.C2hData d -> new NvmeTcpPdu.C2hData(d.cccid(), d.dataOffset(), d.last(), d.success(), d.data(), true);
            default -> pdu;
        };
    }

    static List<byte[]> pieces(byte[] stream, int size) {
        List<byte[]> out = new ArrayList<>();
        if (size == 0) {
            out.add(stream);
            return out;
        }
        for (int at = 0; at < stream.length; at += size) {
            out.add(Arrays.copyOfRange(stream, at, Math.min(stream.length, at + size)));
        }
        return out;
    }
}
