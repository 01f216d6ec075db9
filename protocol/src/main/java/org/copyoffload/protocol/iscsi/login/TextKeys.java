package org.copyoffload.protocol.iscsi.login;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The text format of Login and Text data segments (RFC 7143, 6.1): UTF-8 key=value pairs, each
 * followed by exactly one NUL byte.
 *
 * <p>Key=value pairs may span PDU boundaries: a Login or Text request with the C (continue) bit set
 * carries part of the text, and the data segments of a series of PDUs ending with C=0 form one
 * logical-text-data-segment (RFC 7143, 6.1). {@link #decode} takes one whole logical-text-data-segment:
 * the caller concatenates the continued segments first (without their padding bytes, which
 * DataSegmentLength does not count) and decodes once the PDU with C=0 has arrived.
 */
public final class TextKeys {
    /**
     * RFC 7143, 6.1: a key-name is a standard-label, which "MUST begin with a capital letter and must not
     * exceed 63 characters"; the extension formats X- and X# (6.1, 13.22) are held to the same length.
     */
    public static final int MAX_KEY_NAME_BYTES = 63;

    /**
     * The longest value {@link #decode} accepts. RFC 7143, 6.1 limits a simple-value to 255 bytes unless a
     * key says otherwise, and every initiator and target MUST accept at least 8192 bytes of key=value data
     * in one negotiation sequence; binary values such as CHAP_C may be longer than 255 bytes. No single
     * value needs more than the 8192 bytes of the whole minimum, so longer ones are refused here and
     * each negotiating class checks the tighter limit of its keys.
     */
    public static final int MAX_VALUE_BYTES = 8192;

    private TextKeys() {
    }

    /**
     * Decodes the readable bytes of {@code data}, one logical-text-data-segment, without moving its
     * indexes. An empty buffer is an empty list.
     *
     * @throws IscsiTextException naming the malformed pair: a pair without '=', without its NUL
     *     terminator, with an empty or invalid key-name, a value longer than {@link #MAX_VALUE_BYTES}, or
     *     text that is not UTF-8
     */
    public static List<TextKey> decode(ByteBuf data) {
        List<TextKey> keys = new ArrayList<>();
        int at = data.readerIndex();
        int end = data.writerIndex();
        while (at < end) {
            int nul = data.indexOf(at, end, (byte) 0);
            if (nul < 0) {
                // RFC 7143, 6.1: "Every key=value pair, including the last or only pair in a LTDS, MUST be
                // followed by one null (0x00) delimiter."
                throw new IscsiTextException("key=value pair '" + printable(data, at, end - at)
                        + "' is not terminated by a NUL byte (RFC 7143, 6.1)");
            }
            if (nul == at) {
                throw new IscsiTextException("empty key=value pair at byte " + (at - data.readerIndex())
                        + " of the text (RFC 7143, 6.1: each NUL ends one pair)");
            }
            String pair = utf8(data, at, nul - at);
            int equals = pair.indexOf('=');
            if (equals < 0) {
                throw new IscsiTextException("key=value pair '" + pair + "' has no '=' (RFC 7143, 6.1)");
            }
            String name = pair.substring(0, equals);
            String value = pair.substring(equals + 1);
            checkKeyName(name, pair);
            int valueBytes = value.getBytes(StandardCharsets.UTF_8).length;
            if (valueBytes > MAX_VALUE_BYTES) {
                throw new IscsiTextException("value of " + name + " is " + valueBytes + " bytes, more than the "
                        + MAX_VALUE_BYTES + " a negotiation must accept (RFC 7143, 6.1)");
            }
            keys.add(new TextKey(name, value));
            at = nul + 1;
        }
        return keys;
    }

    /**
     * Writes each pair as key=value followed by one NUL (RFC 7143, 6.1).
     *
     * @throws IscsiTextException if a key-name is invalid or a value contains a NUL
     */
    public static void encode(List<TextKey> keys, ByteBuf out) {
        for (TextKey key : keys) {
            checkEncodable(key);
            out.writeCharSequence(key.name(), StandardCharsets.UTF_8);
            out.writeByte('=');
            out.writeCharSequence(key.value(), StandardCharsets.UTF_8);
            out.writeByte(0);
        }
    }

    /** The number of bytes {@link #encode} writes for {@code keys}. */
    public static int encodedLength(List<TextKey> keys) {
        int length = 0;
        for (TextKey key : keys) {
            length += key.name().getBytes(StandardCharsets.UTF_8).length + 1
                    + key.value().getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return length;
    }

    /** The value of the first pair named {@code name}. */
    public static Optional<String> find(List<TextKey> keys, String name) {
        for (TextKey key : keys) {
            if (key.name().equals(name)) {
                return Optional.of(key.value());
            }
        }
        return Optional.empty();
    }

    /**
     * Whether {@code name} is a valid key-name: a standard-label (a capital letter, then letters, digits,
     * '.', '-', '+', '@' or '_'; RFC 7143, 6.1) or an extension key of the X- or X# format (RFC 7143, 6.2,
     * 13.22), at most {@link #MAX_KEY_NAME_BYTES} bytes.
     */
    public static boolean isValidKeyName(String name) {
        if (name.isEmpty() || name.length() > MAX_KEY_NAME_BYTES) {
            return false;
        }
        if (name.charAt(0) < 'A' || name.charAt(0) > 'Z') {
            return false;
        }
        int from = 1;
        // X-com.example.key (private) and X#Key (IANA-registered public) extension keys: the label after
        // the prefix may start in lower case, as reversed domain names do.
        if (name.length() > 2 && name.charAt(0) == 'X' && (name.charAt(1) == '-' || name.charAt(1) == '#')) {
            from = 2;
        }
        for (int i = from; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '+' || c == '@' || c == '_';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static void checkKeyName(String name, String pair) {
        if (!isValidKeyName(name)) {
            throw new IscsiTextException("key-name '" + name + "' of pair '" + pair + "' is not a standard-label"
                    + " (a capital letter, then letters, digits, . - + @ _; at most " + MAX_KEY_NAME_BYTES
                    + " characters; RFC 7143, 6.1) nor an X- or X# extension key");
        }
    }

    private static void checkEncodable(TextKey key) {
        if (!isValidKeyName(key.name())) {
            throw new IscsiTextException("cannot encode " + key + ": '" + key.name() + "' is not a valid key-name"
                    + " (RFC 7143, 6.1)");
        }
        if (key.value().indexOf('\0') >= 0) {
            throw new IscsiTextException("cannot encode " + key.name() + ": its value contains a NUL, which"
                    + " would end the pair (RFC 7143, 6.1)");
        }
    }

    private static String utf8(ByteBuf data, int index, int length) {
        ByteBuffer bytes = data.nioBuffer(index, length);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IscsiTextException("key=value pair '" + printable(data, index, length)
                    + "' is not valid UTF-8 (RFC 7143, 6.1)");
        }
    }

    /** The bytes as ASCII with anything else escaped, for messages about text that is not well formed. */
    private static String printable(ByteBuf data, int index, int length) {
        StringBuilder s = new StringBuilder();
        int shown = Math.min(length, 80);
        for (int i = 0; i < shown; i++) {
            int b = data.getUnsignedByte(index + i);
            if (b >= 0x20 && b < 0x7f) {
                s.append((char) b);
            } else {
                s.append(String.format("\\x%02x", b));
            }
        }
        if (shown < length) {
            s.append("... (").append(length).append(" bytes)");
        }
        return s.toString();
    }
}
