package org.copyoffload.initiator.nvme;

import java.util.Objects;
import org.copyoffload.protocol.nvme.tls.ConfiguredPsk;
import org.copyoffload.protocol.nvme.tls.NvmeTlsClient;
import org.copyoffload.protocol.nvme.tls.PskDerivation;
import org.copyoffload.protocol.nvme.tls.PskIdentity;

/**
 * How a host does TLS (NVMe/TCP Transport 1.1, 3.6.1): the configured PSK it shares with the target, the PSK identity
 * version it offers (0: {@code NVMe0R0h host subsystem}, 1: with the PSK digest) and the HkdfLabel layout of the
 * derivation. The suite follows from the key's hash: SHA-256 keys give TLS_AES_128_GCM_SHA256, SHA-384 keys
 * TLS_AES_256_GCM_SHA384.
 */
public record TlsOptions(ConfiguredPsk key, int identityVersion, PskDerivation.LabelForm form) {
    public TlsOptions {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(form, "form");
        if (identityVersion != 0 && identityVersion != 1) {
            throw new IllegalArgumentException("PSK identity version is 0 or 1, not " + identityVersion);
        }
    }

    /** Version 0 identity, libnvme's derivation: what {@code nvme gen-tls-key --insert} makes for Linux. */
    public static TlsOptions of(ConfiguredPsk key) {
        return new TlsOptions(key, 0, PskDerivation.LabelForm.LIBNVME);
    }

    /** The TLS peer of one connection from {@code hostNqn} to {@code subsystemNqn}. */
    NvmeTlsClient client(String hostNqn, String subsystemNqn) {
        PskIdentity id = PskDerivation.identity(key, hostNqn, subsystemNqn, identityVersion, form);
        return new NvmeTlsClient(id, PskDerivation.tlsPsk(key, id, form));
    }
}
