package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.iscsi.login.IscsiTextException;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;

/**
 * Jazzer fuzz targets for the iSCSI decoders: the PDU stream decoder (both sides, with and without digests, bytes in
 * pieces) and the login/text key=value parser. The PDU decoder never throws: a bad PDU becomes a
 * {@link IscsiPdu.Malformed}, and after a fatal one nothing follows; every PDU it accepts encodes back to bytes that
 * decode to a PDU encoding to the same bytes. The text parser returns keys or throws {@link IscsiTextException}, and
 * the keys it returns encode to text that parses to the same keys; so does the reader of binary values (CHAP_C,
 * CHAP_R), whose bytes encode in hex and in base64 to values that read back the same. Regression inputs:
 * {@code src/test/resources/org/copyoffload/protocol/iscsi/IscsiFuzzTestInputs/<method>/}.
 */
class IscsiFuzzTest {
    static final int LIMIT = 1 << 16;

    /**
     * Byte 0: bit 0 the target's decoder (it takes initiator PDUs), bit 1 header digest, bit 2 data digest; byte 1:
     * the size of the pieces the rest arrives in (0 = all at once).
     */
    @FuzzTest(maxDuration = "60s")
    void pduStream(byte[] input) {
        if (input.length < 2) {
            return;
        }
        boolean target = (input[0] & 1) != 0;
        boolean hdgst = (input[0] & 2) != 0;
        boolean ddgst = (input[0] & 4) != 0;
        int piece = input[1] & 0xFF;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);
        List<Object> decoded = IscsiPdus.decode(settings(target, hdgst, ddgst), pieces(stream, piece));
        try {
            for (int i = 0; i < decoded.size(); i++) {
                if (decoded.get(i) instanceof IscsiPdu.Malformed m) {
                    if (m.fatal()) {
                        assertThat(i).as("nothing after a fatal Malformed").isEqualTo(decoded.size() - 1);
                    }
                    continue;
                }
                IscsiPdu pdu = (IscsiPdu) decoded.get(i);
                assertThat(pdu.opcode().fromInitiator()).isEqualTo(target);
                IscsiCodecSettings sender = new IscsiCodecSettings(!target).headerDigest(hdgst).dataDigest(ddgst);
                byte[] wire = IscsiPdus.encode(pdu, sender);
                List<Object> again = IscsiPdus.decode(settings(target, hdgst, ddgst), List.of(wire));
                try {
                    assertThat(again).hasSize(1);
                    assertThat(again.getFirst()).isInstanceOf(pdu.getClass());
                    assertThat(IscsiPdus.encode((IscsiPdu) again.getFirst(), sender)).isEqualTo(wire);
                } finally {
                    IscsiPdus.release(again);
                }
            }
        } finally {
            IscsiPdus.release(decoded);
        }
    }

    /** The input is one logical text data segment of a Login or Text request. */
    @FuzzTest(maxDuration = "60s")
    void loginText(byte[] input) {
        List<TextKey> keys;
        try {
            keys = TextKeys.decode(Unpooled.wrappedBuffer(input));
        } catch (IscsiTextException expected) {
            return;
        }
        ByteBuf out = Unpooled.buffer(TextKeys.encodedLength(keys));
        TextKeys.encode(keys, out);
        assertThat(TextKeys.decode(out)).isEqualTo(keys);
    }

    private static IscsiCodecSettings settings(boolean target, boolean hdgst, boolean ddgst) {
        return new IscsiCodecSettings(target).headerDigest(hdgst).dataDigest(ddgst).maxRecvDataSegmentLength(LIMIT);
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

    /** The input, as ISO-8859-1 text, is the value of a binary key such as CHAP_C (RFC 7143, 6.1). */
    @FuzzTest(maxDuration = "60s")
    void binaryValue(byte[] input) {
        String value = new String(input, java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] bytes;
        try {
            bytes = org.copyoffload.protocol.iscsi.login.BinaryValues.decode("CHAP_C", value);
        } catch (IscsiTextException expected) {
            assertThat(expected).hasMessageContaining("CHAP_C");
            return;
        }
        assertThat(bytes).isNotEmpty();
        assertThat(org.copyoffload.protocol.iscsi.login.BinaryValues.decode("CHAP_C",
                org.copyoffload.protocol.iscsi.login.BinaryValues.encodeHex(bytes))).isEqualTo(bytes);
        assertThat(org.copyoffload.protocol.iscsi.login.BinaryValues.decode("CHAP_C",
                org.copyoffload.protocol.iscsi.login.BinaryValues.encodeBase64(bytes))).isEqualTo(bytes);
    }
}
