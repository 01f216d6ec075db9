package org.copyoffload.protocol.scsi;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * A TransportID of an iSCSI initiator port or device (SPC-4 7.6.4.6, Tables 484-486): FORMAT CODE (byte 0 bits 7:6:
 * 00b a device by iSCSI name, 01b one initiator port, name and ISID), PROTOCOL IDENTIFIER 5h (byte 0 bits 3:0),
 * ADDITIONAL LENGTH (bytes 2-3, a multiple of 4, at least 20), then the null-terminated UTF-8 name, for format 01b
 * followed by {@code ",i,0x"} and the ISID in 12 hex digits, padded with zeros.
 *
 * @param name the iSCSI name
 * @param isid the ISID for an initiator port (format 01b); empty for a device (format 00b)
 */
public record IscsiTransportId(String name, OptionalLong isid) {
    public static final int PROTOCOL_ISCSI = 0x5;
    public static final int MIN_LENGTH = 24;
    private static final String SEPARATOR = ",i,0x";

    public IscsiTransportId {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a TransportID needs an iSCSI name");
        }
    }

    public static IscsiTransportId port(String name, long isid) {
        return new IscsiTransportId(name, OptionalLong.of(isid));
    }

    /** The TransportID's length in bytes: 4 + the ADDITIONAL LENGTH. */
    public static int length(byte[] b, int at) {
        return 4 + Be.getShort(b, at + 2);
    }

    /**
     * Reads the TransportID at {@code at}, which must lie within the first {@code end} bytes. Each bad field is
     * INVALID FIELD IN PARAMETER LIST pointing at it (a list cut short is PARAMETER LIST LENGTH ERROR).
     */
    public static IscsiTransportId decode(byte[] b, int at, int end) {
        if (end - at < 4) {
            throw CheckCondition.parameterListLength("TransportID at byte " + at + " is cut short at byte " + end);
        }
        int protocol = b[at] & 0x0F;
        int format = (b[at] & 0xC0) >>> 6;
        if (protocol != PROTOCOL_ISCSI) {
            throw CheckCondition.invalidParameter("TransportID PROTOCOL IDENTIFIER", at, 3, protocol,
                    "only iSCSI (5h) initiators reach this target");
        }
        if (format > 1) {
            throw CheckCondition.invalidParameter("TransportID FORMAT CODE", at, 7, format,
                    "iSCSI defines 00b (name) and 01b (name and ISID)");
        }
        int additional = Be.getShort(b, at + 2);
        if (additional < 20 || additional % 4 != 0) {
            throw CheckCondition.invalidParameter("TransportID ADDITIONAL LENGTH", at + 2, 7, additional,
                    "must be a multiple of 4 of at least 20");
        }
        if (at + 4 + additional > end) {
            throw CheckCondition.parameterListLength("TransportID at byte " + at + " of " + (4 + additional)
                    + " bytes runs past byte " + end);
        }
        int nul = -1;
        for (int i = at + 4; i < at + 4 + additional; i++) {
            if (b[i] == 0) {
                nul = i;
                break;
            }
        }
        if (nul < 0) {
            throw CheckCondition.invalidParameter("TransportID iSCSI NAME", at + 4, 7, additional,
                    "not null-terminated within the ADDITIONAL LENGTH");
        }
        String text = new String(b, at + 4, nul - at - 4, StandardCharsets.UTF_8);
        if (format == 0) {
            if (text.isEmpty() || text.contains(",")) {
                throw CheckCondition.invalidParameter("TransportID iSCSI NAME", at + 4, 7, text.length(),
                        "'" + text + "' is not an iSCSI name");
            }
            return new IscsiTransportId(text, OptionalLong.empty());
        }
        int sep = text.toLowerCase(Locale.ROOT).lastIndexOf(SEPARATOR);
        String hex = sep < 0 ? "" : text.substring(sep + SEPARATOR.length());
        if (sep <= 0 || hex.length() != 12 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw CheckCondition.invalidParameter("TransportID iSCSI INITIATOR SESSION ID", at + 4, 7, text.length(),
                    "'" + text + "' is not NAME,i,0x followed by a 12-digit ISID");
        }
        return port(text.substring(0, sep), Long.parseLong(hex, 16));
    }

    public byte[] encode() {
        String text = isid.isPresent() ? name + SEPARATOR + String.format("%012x", isid.getAsLong()) : name;
        byte[] chars = text.getBytes(StandardCharsets.UTF_8);
        int additional = Math.max(20, (chars.length + 1 + 3) / 4 * 4);
        byte[] b = new byte[4 + additional];
        b[0] = (byte) ((isid.isPresent() ? 0x40 : 0x00) | PROTOCOL_ISCSI);
        Be.putShort(b, 2, additional);
        System.arraycopy(chars, 0, b, 4, chars.length);
        return b;
    }
}
