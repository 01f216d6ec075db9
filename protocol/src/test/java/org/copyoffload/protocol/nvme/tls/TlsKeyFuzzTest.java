package org.copyoffload.protocol.nvme.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Jazzer fuzz targets for the NVMe/TCP TLS text a user or a host hands us: the PSK interchange format (from the
 * configuration) and the PSK identity (from a TLS ClientHello). Each returns a value or throws
 * {@link InvalidTlsKeyException}, never another exception; what it returns prints back to the same text. Regression
 * inputs: {@code src/test/resources/org/copyoffload/protocol/nvme/tls/TlsKeyFuzzTestInputs/<method>/}.
 */
class TlsKeyFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void interchangeKey(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        ConfiguredPsk psk;
        try {
            psk = ConfiguredPsk.parse(text);
        } catch (InvalidTlsKeyException expected) {
            return;
        }
        assertThat(ConfiguredPsk.parse(psk.toInterchange())).isEqualTo(psk);
        assertThat(psk.toString()).doesNotContain(psk.toInterchange().substring(16, 24));
    }

    @FuzzTest(maxDuration = "60s")
    void pskIdentity(byte[] input) {
        PskIdentity id;
        try {
            id = PskIdentity.parse(input);
        } catch (InvalidTlsKeyException expected) {
            return;
        }
        assertThat(id.bytes()).isEqualTo(input);
        assertThat(PskIdentity.parse(id.text())).isEqualTo(id);
    }
}
