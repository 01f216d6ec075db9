package org.copyoffload.protocol.iscsi.login;

import java.util.Base64;
import java.util.HexFormat;

/**
 * Binary values in text keys (RFC 7143, 6.1, 5.1): a hex-constant, "0x" or "0X" followed by hex digits, or a
 * base64-constant, "0b" or "0B" followed by base64 (RFC 4648) characters. CHAP_C and CHAP_R travel this way.
 */
public final class BinaryValues {
    private static final HexFormat HEX = HexFormat.of();

    private BinaryValues() {
    }

    /** "0x" and lower-case hex digits, the form Linux LIO and open-iscsi send. */
    public static String encodeHex(byte[] bytes) {
        return "0x" + HEX.formatHex(bytes);
    }

    /** "0b" and base64 with padding. */
    public static String encodeBase64(byte[] bytes) {
        return "0b" + Base64.getEncoder().encodeToString(bytes);
    }

    /**
     * The bytes of a hex- or base64-constant. An odd number of hex digits reads as if a leading 0 were there,
     * the value being a number (RFC 7143, 6.1), as open-iscsi reads it.
     *
     * @param key the key the value belongs to, named in the exception
     * @throws IscsiTextException if the value is neither, or has no digits
     */
    public static byte[] decode(String key, String value) {
        if (value.length() > 2 && value.charAt(0) == '0') {
            char kind = value.charAt(1);
            String digits = value.substring(2);
            try {
                if (kind == 'x' || kind == 'X') {
                    return HEX.parseHex(digits.length() % 2 == 0 ? digits : "0" + digits);
                }
                if (kind == 'b' || kind == 'B') {
                    byte[] bytes = Base64.getDecoder().decode(digits);
                    if (bytes.length > 0) {
                        return bytes;
                    }
                }
            } catch (IllegalArgumentException malformed) {
                // reported below with the key and value
            }
        }
        throw new IscsiTextException(key + "=" + value + " is not a binary value: expected 0x and hex digits or"
                + " 0b and base64 (RFC 7143, 6.1)");
    }
}
