package org.copyoffload.protocol.nvme.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@code DHHC-1} secret representation and its transformation. The expected strings and HMACs were computed
 * with Python's zlib/base64/hmac (a separate implementation of CRC-32, base64 and HMAC); the kernel in the guests
 * checks the whole exchange (NvmeDhchapKernelTest).
 */
class DhchapSecretTest {
    private static final String HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";

    private static byte[] range(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void knownRepresentations() {
        DhchapSecret plain = DhchapSecret.parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:");
        assertThat(plain.transformHash()).isEmpty();
        assertThat(plain.transform("any nqn")).isEqualTo(range(0, 32));
        assertThat(DhchapSecret.of(null, range(0, 32)).encode())
                .isEqualTo("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:");

        String s384 = "DHHC-1:02:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKTvGwQfg==:";
        DhchapSecret transformed = DhchapSecret.parse(s384);
        assertThat(transformed.transformHash()).contains(DhchapHash.SHA_384);
        assertThat(transformed.encode()).isEqualTo(s384);
        // HMAC-SHA-384(key, NQN || "NVMe-over-Fabrics")
        assertThat(HexFormat.of().formatHex(transformed.transform(HOSTNQN))).isEqualTo(
                "b5ab87bc1196160de11992889bae343a69c927bb1722f0959dc564938d4ddd846b3bfef3cd2c3536e3c17bb3aa46defe");
    }

    /**
     * What nvme-cli 2.3 (libnvme 1.3, OpenSSL) prints for {@code nvme gen-dhchap-key --secret=000102...1f --nqn=HOSTNQN},
     * without and with {@code --hmac=1}: with a hash, nvme-cli prints the key it transformed (HMAC-SHA-256 over the NQN
     * and "NVMe-over-Fabrics"), marked 01, and the kernel transforms that again.
     */
    @Test
    void nvmeCliGenDhchapKeyOutput() {
        byte[] k = range(0, 32);
        assertThat(DhchapSecret.of(null, k).encode()).isEqualTo("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:");
        assertThat(DhchapSecret.of(DhchapHash.SHA_256, DhchapSecret.of(DhchapHash.SHA_256, k).transform(HOSTNQN)).encode())
                .isEqualTo("DHHC-1:01:bHuByyp0b3RFSx1xQPMVO1HKmUWfzveoahfydpW4fNgSLMVm:");
    }

    @ParameterizedTest
    @EnumSource(DhchapHash.class)
    void generatedSecretsRoundTrip(DhchapHash hash) {
        SecureRandom random = new SecureRandom();
        DhchapSecret s = DhchapSecret.generate(hash, random);
        assertThat(s.keyLength()).isEqualTo(hash.length());
        DhchapSecret back = DhchapSecret.parse(s.encode());
        assertThat(back.sameAs(s)).isTrue();
        assertThat(back.transform("nqn.x").length).isEqualTo(hash.length());
        assertThat(DhchapSecret.generate(null, random).keyLength()).isEqualTo(32);
    }

    @Test
    void neverShowsTheKey() {
        DhchapSecret s = DhchapSecret.parse("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:");
        assertThat(s.toString()).isEqualTo("DhchapSecret[transform=none, 32 bytes]").doesNotContain("AAEC");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "DHHC-2:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR: | starts with DHHC-1:",
            "DHHC-1:0:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR: | two digits",
            "DHHC-1:04:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR: | is not 00, 01, 02 or 03",
            "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR | ends with ':'",
            "DHHC-1:00:AAECAwQF*gcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR: | not base64",
            "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=: | 32, 48 or 64 bytes",
            "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS: | CRC-32",
            "DHHC-1:01:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKTvGwQfg==: | transformed with SHA_256 is 32 bytes",
    })
    void refusesBadSecretsWithoutQuotingThem(String text, String message) {
        assertThatThrownBy(() -> DhchapSecret.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message).message().doesNotContain("AAECAwQF").doesNotContain("ZGVmZ2hp");
    }

    @Test
    void keysOfEveryLengthWithoutTransformation() {
        IntStream.of(32, 48, 64).forEach(n -> assertThat(DhchapSecret.parse(DhchapSecret.of(null, range(1, n)).encode())
                .keyLength()).isEqualTo(n));
        assertThatThrownBy(() -> DhchapSecret.of(null, new byte[33])).hasMessageContaining("32, 48 or 64");
    }
}
