package org.copyoffload.protocol.nvme.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * Jazzer fuzz targets for the DH-HMAC-CHAP decoders: the authentication messages of Authentication Send/Receive and
 * the {@code DHHC-1} secret representation. Each either decodes or throws its documented exception
 * ({@link ProtocolFieldException}, {@link IllegalArgumentException}); a decoded value re-encodes to one that decodes
 * equal. Regression inputs: {@code src/test/resources/org/copyoffload/protocol/nvme/auth/AuthMessageFuzzTestInputs/<method>/}.
 */
class AuthMessageFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void authMessage(byte[] input) {
        ByteBuf in = Unpooled.wrappedBuffer(input);
        AuthMessage m;
        try {
            m = AuthMessage.decode(in);
        } catch (ProtocolFieldException e) {
            return;
        } finally {
            in.release();
        }
        assertThat(input.length).isGreaterThanOrEqualTo(m instanceof AuthMessage.Success1 s && !s.responseValid()
                ? AuthMessage.DHCHAP_HEADER : m.size());
        ByteBuf out = Unpooled.wrappedBuffer(AuthMessage.toBytes(m));
        try {
            assertThat(out.readableBytes()).isEqualTo(m.size());
            assertThat(AuthMessage.decode(out)).isEqualTo(m);
        } finally {
            out.release();
        }
    }

    @FuzzTest(maxDuration = "60s")
    void dhchapSecret(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        DhchapSecret s;
        try {
            s = DhchapSecret.parse(text);
        } catch (IllegalArgumentException e) {
            return;
        }
        assertThat(DhchapSecret.parse(s.encode()).sameAs(s)).isTrue();
    }
}
