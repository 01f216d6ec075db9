package org.copyoffload.protocol.nvme.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The PSK interchange format (NVMe/TCP Transport 1.1, 3.6.1.5) with libnvme's test vectors (test/psk.c). */
class ConfiguredPskTest {
    static final String KEY32 = "5512DBB6737D0106F65975B773DFB011FFC344BCF442E2DD6D8BC4870B5D5B03";
    static final String KEY48 = KEY32 + "FFC344BCF442E2DD6D8BC4870B5D5B03";

    static Stream<Arguments> libnvmeVectors() {
        return Stream.of(
                Arguments.of(null, KEY32, "NVMeTLSkey-1:00:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"),
                Arguments.of(PskHash.SHA256, KEY32, "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"),
                Arguments.of(PskHash.SHA384, KEY48,
                        "NVMeTLSkey-1:02:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"));
    }

    @ParameterizedTest
    @MethodSource("libnvmeVectors")
    void knownAnswers(PskHash hash, String keyHex, String interchange) {
        ConfiguredPsk psk = ConfiguredPsk.parse(interchange);
        assertThat(psk.transform()).isEqualTo(hash);
        assertThat(psk.key()).isEqualTo(HexFormat.of().parseHex(keyHex));
        assertThat(new ConfiguredPsk(hash, HexFormat.of().parseHex(keyHex)).toInterchange()).isEqualTo(interchange);
    }

    static IntStream seeds() {
        return IntStream.range(0, 20);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void roundTripsRandomKeys(int seed) {
        Random r = new Random(seed);
        byte[] key = new byte[r.nextBoolean() ? 32 : 48];
        r.nextBytes(key);
        PskHash hash = r.nextBoolean() ? null : PskHash.forKeyLength(key.length);
        ConfiguredPsk psk = new ConfiguredPsk(hash, key);
        assertThat(ConfiguredPsk.parse(psk.toInterchange())).isEqualTo(psk);
        assertThat(psk.hash()).isEqualTo(PskHash.forKeyLength(key.length));
    }

    @Test
    void rejectsAFlippedCharacterByItsCrc() {
        String good = "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:";
        String bad = good.replace("VRLb", "VRLc");
        assertThatThrownBy(() -> ConfiguredPsk.parse(bad)).isInstanceOf(InvalidTlsKeyException.class)
                .hasMessageContaining("CRC-32");
    }

    @Test
    void rejectsMalformedKeysNamingThePart() {
        assertThatThrownBy(() -> ConfiguredPsk.parse("DHHC-1:01:abc:")).hasMessageContaining("starts with NVMeTLSkey-1:");
        assertThatThrownBy(() -> ConfiguredPsk.parse("NVMeTLSkey-1:03:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:"))
                .hasMessageContaining("PSK hash 03");
        assertThatThrownBy(() -> ConfiguredPsk.parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ"))
                .hasMessageContaining("NVMeTLSkey-1:HH:BASE64:");
        assertThatThrownBy(() -> ConfiguredPsk.parse("NVMeTLSkey-1:01:!!!!:")).hasMessageContaining("base64");
        assertThatThrownBy(() -> ConfiguredPsk.parse("NVMeTLSkey-1:01:AAAA:")).hasMessageContaining("36 or 52");
        // A 48-byte key cannot carry hash 01 (SHA-256 keys are 32 bytes).
        assertThatThrownBy(() -> ConfiguredPsk.parse(
                "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwP/w0S89ELi3W2LxIcLXVsDn8kXZQ==:"))
                .hasMessageContaining("is 32 bytes, not 48");
    }

    @Test
    void neverShowsTheKey() {
        ConfiguredPsk psk = ConfiguredPsk.parse("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:");
        assertThat(psk.toString()).doesNotContain("VRLb").doesNotContainIgnoringCase("5512").contains("hidden");
    }
}
