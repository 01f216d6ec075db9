package org.copyoffload.protocol.nvme.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.bouncycastle.tls.crypto.TlsCryptoUtils;
import org.bouncycastle.tls.crypto.TlsSecret;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;
import org.bouncycastle.tls.crypto.CryptoHashAlgorithm;
import org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm;
import org.junit.jupiter.api.Test;

/**
 * The retained PSK, PSK digest and TLS PSK. Known answers from the Linux guest's nvme-cli 2.13 / libnvme 1.13
 * ({@code nvme gen-tls-key --secret=KEY --hmac=1|2 --identity=1 --insert} put identities with these digests into
 * the .nvme keyring; the TLS PSK itself is checked by the guest's handshake in NvmeTlsKernelInitiatorTest); the
 * RFC 8446 form against Bouncy Castle's own TLS 1.3 HKDF-Expand-Label.
 */
class PskDerivationTest {
    static final String HOST = PskIdentityTest.HOST;
    static final String SUB = PskIdentityTest.SUB;
    static final ConfiguredPsk KEY32 = new ConfiguredPsk(PskHash.SHA256, HexFormat.of().parseHex(ConfiguredPskTest.KEY32));

    @Test
    void digestAsNvmeCli213ComputesIt() {
        PskIdentity id = PskDerivation.identity(KEY32, HOST, SUB, 1, LabelForm.LIBNVME);
        assertThat(id.text()).isEqualTo("NVMe1R01 " + HOST + " " + SUB + " 3pjngKjxD/d03f8RgdVjGj+VmAlYM+e3ckYPSvtpvjQ=");
        // The RFC form gives another retained PSK, so another digest: the forms are not interchangeable.
        assertThat(PskDerivation.identity(KEY32, HOST, SUB, 1, LabelForm.RFC8446).digest())
                .isNotEqualTo(id.digest());
    }

    @Test
    void sha384DigestAsNvmeCli213ComputesIt() {
        // The SHA-384 key of NvmeTlsKernelInitiatorTest; the guest's `nvme gen-tls-key --hmac=2 --identity=1 --insert`
        // put this identity into its keyring, and tlshd offered it.
        byte[] key = new byte[48];
        new java.util.Random(6_12_384).nextBytes(key);
        PskIdentity id = PskDerivation.identity(new ConfiguredPsk(PskHash.SHA384, key), HOST,
                "nqn.2026-01.org.copyoffload:tls384", 1, LabelForm.LIBNVME);
        assertThat(id.digest()).isEqualTo("53bb2FnTIGv/WHzgpdkurIgoiJZwGJmC+vZ5BAgIeSvLxFgoXrv8+MlWDj2ZMd/r");
    }

    @Test
    void versionZeroIdentityNeedsNoDerivation() {
        assertThat(PskDerivation.identity(KEY32, HOST, SUB, 0, LabelForm.LIBNVME).text())
                .isEqualTo("NVMe0R01 " + HOST + " " + SUB);
    }

    @Test
    void rfc8446FormMatchesBouncyCastlesExpandLabel() {
        BcTlsCrypto crypto = new BcTlsCrypto();
        for (PskHash hash : PskHash.values()) {
            byte[] key = new byte[hash.length()];
            for (int i = 0; i < key.length; i++) {
                key[i] = (byte) (i * 7 + 1);
            }
            ConfiguredPsk psk = new ConfiguredPsk(hash, key);
            int alg = hash == PskHash.SHA256 ? CryptoHashAlgorithm.sha256 : CryptoHashAlgorithm.sha384;
            TlsSecret prk = crypto.hkdfInit(alg).hkdfExtract(alg, crypto.createSecret(key));
            byte[] expected;
            try {
                expected = TlsCryptoUtils.hkdfExpandLabel(prk, alg, "HostNQN", HOST.getBytes(StandardCharsets.US_ASCII),
                        hash.length()).extract();
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
            assertThat(PskDerivation.retained(psk, HOST, LabelForm.RFC8446)).isEqualTo(expected);
        }
    }

    @Test
    void hashZeroUsesTheKeyAsRetainedAndTheTlsPskDependsOnTheIdentity() {
        ConfiguredPsk plain = new ConfiguredPsk(null, KEY32.key());
        assertThat(PskDerivation.retained(plain, HOST, LabelForm.LIBNVME)).isEqualTo(KEY32.key());
        PskIdentity v0 = PskDerivation.identity(plain, HOST, SUB, 0, LabelForm.LIBNVME);
        PskIdentity other = PskIdentity.retained(PskHash.SHA256, HOST, SUB + "x");
        assertThat(PskDerivation.tlsPsk(plain, v0, LabelForm.LIBNVME)).hasSize(32)
                .isNotEqualTo(PskDerivation.tlsPsk(plain, other, LabelForm.LIBNVME));
        assertThat(PskDerivation.tlsPsk(KEY32, v0, LabelForm.LIBNVME))
                .isNotEqualTo(PskDerivation.tlsPsk(plain, v0, LabelForm.LIBNVME));
    }

}
