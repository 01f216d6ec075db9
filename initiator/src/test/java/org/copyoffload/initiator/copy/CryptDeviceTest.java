package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AES-XTS against an independent implementation, and the crypt layer's part in the copy path. */
class CryptDeviceTest {
    static byte[] pattern(int length, int modulus) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i % modulus);
        }
        return b;
    }

    static byte[] key(int length) {
        byte[] k = new byte[length];
        for (int i = 0; i < length; i++) {
            k[i] = (byte) i;
        }
        return k;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Expected values from Python's cryptography 48 (OpenSSL's AES-XTS), tweak = sector number, little-endian. */
    @Test
    void xtsMatchesOpenSslForAes128AndAes256() throws Exception {
        byte[] sector = pattern(512, 251);
        new XtsCipher(key(32)).process(true, 5, sector, 0, 512);
        assertThat(HexFormat.of().formatHex(sector, 0, 16)).isEqualTo("2dbdc260709c00db30639a42ffb50a67");
        assertThat(sha256(sector)).isEqualTo("7b6792e4fdc36c8d717e061cb5869bfaec95d64e29b00e06287dbe8e9859d797");

        byte[] unit = pattern(4096, 253);
        new XtsCipher(key(64)).process(true, 7, unit, 0, 4096);
        assertThat(HexFormat.of().formatHex(unit, 0, 16)).isEqualTo("b2d9289b998ebd6bcc8a6d434711b8af");
        assertThat(sha256(unit)).isEqualTo("26b152999379d3a333673391e2e69abb5b00e6e089b1c7506d19673fab9fb529");

        new XtsCipher(key(64)).process(false, 7, unit, 0, 4096);
        assertThat(unit).isEqualTo(pattern(4096, 253));
    }

    @Test
    void cryptOnLinearOnTwoDevicesFallsBackAndTheDestinationDecryptsToTheSource() {
        Object controller = new Object();
        MemoryDevice a = new MemoryDevice("a", 64, 512, controller);
        MemoryDevice b = new MemoryDevice("b", 64, 512, controller);
        LinearDevice linear = new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, 64 * 512),
                new LinearDevice.Segment(b, 0, 64 * 512)));
        CryptDevice crypt = new CryptDevice("crypt", linear, key(64));
        byte[] plain = pattern(16 * 512, 241);
        crypt.write(0, io.netty.buffer.Unpooled.wrappedBuffer(plain)).join();
        assertThat(java.util.Arrays.copyOfRange(a.bytes, 0, plain.length)).as("stored encrypted").isNotEqualTo(plain);

        // Without the crypt layer the same copy would be offloaded (one controller): through it, it must not be.
        CopyResult r = new BlockCopier().copy(crypt, 0, crypt, 80 * 512, 16 * 512).join();
        assertThat(r.bytesOffloaded()).isZero();
        assertThat(r.fallbacks()).singleElement().satisfies(f -> {
            assertThat(f.reason()).isEqualTo(FallbackReason.MAPPING_FORBIDS);
            assertThat(f.detail()).startsWith("crypt: ").contains("plain64");
        });
        assertThat(a.copyCommands + b.copyCommands).isZero();
        assertThat(BlockCopierProperties.readAll(crypt, 80 * 512, plain.length)).isEqualTo(plain);

        // What an offload would have done: the ciphertext moved, and it no longer decrypts.
        System.arraycopy(a.bytes, 0, b.bytes, 32 * 512, plain.length);
        assertThat(BlockCopierProperties.readAll(crypt, 96 * 512, plain.length)).isNotEqualTo(plain);
    }
}
