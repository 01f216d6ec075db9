package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import org.copyoffload.protocol.nvme.tls.ConfiguredPsk;
import org.copyoffload.protocol.nvme.tls.PskDerivation;
import org.junit.jupiter.api.Test;

/** The host's TLS settings: checked, carried through HostOptions, never printed with the key. */
class TlsOptionsTest {
    static final ConfiguredPsk KEY = ConfiguredPsk.parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:");

    @Test
    void identityVersionIsZeroOrOne() {
        assertThatThrownBy(() -> new TlsOptions(KEY, 2, PskDerivation.LabelForm.LIBNVME))
                .hasMessageContaining("0 or 1, not 2");
        assertThat(TlsOptions.of(KEY).client("nqn.2014-08.org.nvmexpress:uuid:1", "nqn.2026-01.a:b").identity().text())
                .isEqualTo("NVMe0R01 nqn.2014-08.org.nvmexpress:uuid:1 nqn.2026-01.a:b");
    }

    @Test
    void hostOptionsCarryTlsAndHideTheKey() {
        HostOptions o = HostOptions.builder(new InetSocketAddress("127.0.0.1", 4420), "nqn.2026-01.a:b")
                .tls(TlsOptions.of(KEY)).build();
        assertThat(o.tls()).isEqualTo(TlsOptions.of(KEY));
        assertThat(o.toBuilder().build().tls()).isEqualTo(o.tls());
        assertThat(o.toString()).contains("tls=").doesNotContain("VRLb");
    }
}
