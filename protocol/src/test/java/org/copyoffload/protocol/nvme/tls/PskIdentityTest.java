package org.copyoffload.protocol.nvme.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PSK identities (NVMe/TCP Transport 1.1, 3.6.1.3): both versions parse and print back unchanged. */
class PskIdentityTest {
    static final String HOST = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000beef";
    static final String SUB = "nqn.2026-01.org.copyoffload:tls";

    @Test
    void versionZero() {
        PskIdentity id = PskIdentity.parse("NVMe0R01 " + HOST + " " + SUB);
        assertThat(id).isEqualTo(new PskIdentity(0, false, PskHash.SHA256, HOST, SUB, null))
                .isEqualTo(PskIdentity.retained(PskHash.SHA256, HOST, SUB));
        assertThat(id.text()).isEqualTo("NVMe0R01 " + HOST + " " + SUB);
    }

    @Test
    void versionOneWithDigestAndGenerated() {
        String digest = "n1qbK+0tm+Ewz6xvGrbk5yx9KFc6vRxhsmSmUZ0Ex3Lo5ZotYW0B+6Oc6ZSOcWu8";
        PskIdentity id = PskIdentity.parse("NVMe1G02 " + HOST + " " + SUB + " " + digest);
        assertThat(id.version()).isEqualTo(1);
        assertThat(id.generated()).isTrue();
        assertThat(id.hash()).isEqualTo(PskHash.SHA384);
        assertThat(id.digest()).isEqualTo(digest);
        assertThat(id.text()).isEqualTo("NVMe1G02 " + HOST + " " + SUB + " " + digest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "NVMe", "NVMe2R01 h s", "NVMe0X01 h s", "NVMe0R03 h s", "NVMe0R01 h", "NVMe0R01  h s",
            "NVMe0R01 h s extra", "NVMe1R01 h s", "NVMe0R01 h s\n", "nvme0R01 h s", "NVMe1R01 h s !digest!"})
    void rejectsWhatIsNotAnIdentity(String text) {
        assertThatThrownBy(() -> PskIdentity.parse(text)).isInstanceOf(InvalidTlsKeyException.class);
    }

    @Test
    void rejectsAnOverlongNqnAndShowsOnlyPrintableText() {
        String longNqn = "n".repeat(224);
        assertThatThrownBy(() -> PskIdentity.parse("NVMe0R01 " + longNqn + " s")).isInstanceOf(InvalidTlsKeyException.class);
        assertThatThrownBy(() -> PskIdentity.parse("NVMe0R01 h\u0001 s")).hasMessageContaining("h? s");
    }
}
