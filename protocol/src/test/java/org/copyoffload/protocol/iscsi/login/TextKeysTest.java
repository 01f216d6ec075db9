package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The key=value NUL format of RFC 7143, 6.1. */
class TextKeysTest {

    private static <T> T withBuffer(byte[] bytes, Function<ByteBuf, T> body) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return body.apply(buf);
        } finally {
            buf.release();
        }
    }

    private static List<TextKey> decode(String text) {
        return withBuffer(text.getBytes(StandardCharsets.UTF_8), TextKeys::decode);
    }

    private static byte[] encode(List<TextKey> keys) {
        ByteBuf out = Unpooled.buffer();
        try {
            TextKeys.encode(keys, out);
            byte[] bytes = new byte[out.readableBytes()];
            out.readBytes(bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    @Test
    void decodesPairsInOrder() {
        assertThat(decode("InitiatorName=iqn.1994-05.com.redhat:abc\0SessionType=Normal\0AuthMethod=CHAP,None\0"))
                .containsExactly(new TextKey("InitiatorName", "iqn.1994-05.com.redhat:abc"),
                        new TextKey("SessionType", "Normal"), new TextKey("AuthMethod", "CHAP,None"));
    }

    @Test
    void theValueIsEverythingAfterTheFirstEquals() {
        // RFC 7143, 6.1: a base64 value ends in '=' padding, and a value may hold '=' anywhere.
        assertThat(decode("CHAP_C=0bAAECAw==\0X-com.example.k=a=b\0"))
                .containsExactly(new TextKey("CHAP_C", "0bAAECAw=="), new TextKey("X-com.example.k", "a=b"));
    }

    @Test
    void emptyValuesAndEmptyTextAreAccepted() {
        assertThat(decode("InitiatorAlias=\0")).containsExactly(new TextKey("InitiatorAlias", ""));
        assertThat(decode("")).isEmpty();
    }

    @Test
    void utf8ValuesSurviveBothWays() {
        List<TextKey> keys = List.of(new TextKey("InitiatorAlias", "hôte-Ω"), new TextKey("MaxBurstLength", "262144"));
        byte[] bytes = encode(keys);
        assertThat(withBuffer(bytes, TextKeys::decode)).isEqualTo(keys);
        assertThat(TextKeys.encodedLength(keys)).isEqualTo(bytes.length);
    }

    @Test
    void encodeWritesEachPairFollowedByOneNul() {
        byte[] bytes = encode(List.of(new TextKey("HeaderDigest", "None"), new TextKey("MaxConnections", "1")));
        assertThat(new String(bytes, StandardCharsets.US_ASCII)).isEqualTo("HeaderDigest=None\0MaxConnections=1\0");
    }

    @Test
    void decodeLeavesTheBufferIndexesAlone() {
        ByteBuf buf = Unpooled.copiedBuffer("xxA=1\0B=2\0", StandardCharsets.US_ASCII);
        try {
            buf.skipBytes(2);
            assertThat(TextKeys.decode(buf)).containsExactly(new TextKey("A", "1"), new TextKey("B", "2"));
            assertThat(buf.readerIndex()).isEqualTo(2);
            assertThat(buf.writerIndex()).isEqualTo(10);
        } finally {
            buf.release();
        }
    }

    @Test
    void keyNamesUpTo63CharactersAndTheExtensionFormats() {
        String name63 = "K" + "x".repeat(62);
        assertThat(decode(name63 + "=1\0")).containsExactly(new TextKey(name63, "1"));
        assertThat(decode("X-com.cisco.protocol=draft20\0X#NodeArchitecture=Linux\0A.b-c+d@e_f9=1\0"))
                .extracting(TextKey::name)
                .containsExactly("X-com.cisco.protocol", "X#NodeArchitecture", "A.b-c+d@e_f9");
    }

    @ParameterizedTest(name = "{index}: {0}")
    @ValueSource(strings = {
        "NoNul=1",                        // the last pair is not terminated
        "A=1\0B=2",                       // a later pair is not terminated
        "NoEquals\0",                     // no '='
        "=value\0",                       // empty key-name
        "lowercase=1\0",                  // a standard-label begins with a capital letter
        "9Digit=1\0",
        "Has Space=1\0",                  // space is not a key-name character
        "Has/Slash=1\0",
        "A=1\0\0B=2\0",                   // an empty pair between two NULs
        "\0",
    })
    void malformedTextIsRefusedNamingThePair(String text) {
        assertThatThrownBy(() -> decode(text)).isInstanceOf(IscsiTextException.class).hasMessageContaining("RFC 7143");
    }

    @Test
    void theMessageNamesTheOffendingPair() {
        assertThatThrownBy(() -> decode("HeaderDigest=None\0Bad Key=1\0"))
                .isInstanceOf(IscsiTextException.class).hasMessageContaining("'Bad Key=1'");
        assertThatThrownBy(() -> decode("HeaderDigest=None\0MaxBurstLength=262144"))
                .isInstanceOf(IscsiTextException.class).hasMessageContaining("MaxBurstLength=262144")
                .hasMessageContaining("not terminated");
    }

    @Test
    void keyNameOf64CharactersIsRefused() {
        assertThatThrownBy(() -> decode("K" + "x".repeat(63) + "=1\0")).isInstanceOf(IscsiTextException.class)
                .hasMessageContaining("63");
    }

    @Test
    void valuesUpTo8192BytesOnly() {
        assertThat(decode("CHAP_C=" + "a".repeat(8192) + "\0")).hasSize(1);
        assertThatThrownBy(() -> decode("CHAP_C=" + "a".repeat(8193) + "\0"))
                .isInstanceOf(IscsiTextException.class).hasMessageContaining("CHAP_C").hasMessageContaining("8193");
    }

    @Test
    void invalidUtf8IsRefused() {
        byte[] bytes = {'I', 'n', 'i', 't', 'i', 'a', 't', 'o', 'r', 'A', 'l', 'i', 'a', 's', '=', (byte) 0xC3, 0x28, 0};
        assertThatThrownBy(() -> withBuffer(bytes, TextKeys::decode))
                .isInstanceOf(IscsiTextException.class).hasMessageContaining("UTF-8").hasMessageContaining("\\xc3");
    }

    @Test
    void encodeRefusesWhatCouldNotBeDecodedBack() {
        ByteBuf out = Unpooled.buffer();
        try {
            assertThatThrownBy(() -> TextKeys.encode(List.of(new TextKey("A=B", "1")), out))
                    .isInstanceOf(IscsiTextException.class).hasMessageContaining("A=B");
            assertThatThrownBy(() -> TextKeys.encode(List.of(new TextKey("TargetAlias", "a\0b")), out))
                    .isInstanceOf(IscsiTextException.class).hasMessageContaining("TargetAlias");
        } finally {
            out.release();
        }
    }

    @Test
    void findReturnsTheFirstValueOfAName() {
        List<TextKey> keys = List.of(new TextKey("A", "1"), new TextKey("B", "2"));
        assertThat(TextKeys.find(keys, "B")).contains("2");
        assertThat(TextKeys.find(keys, "C")).isEmpty();
    }
}
