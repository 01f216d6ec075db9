package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * REPORT ALL ROD TOKENS parameter data (SPC-4, RECEIVE COPY RESULTS service action 08h): AVAILABLE DATA in bytes
 * 0-3 (the bytes after it), 4 reserved bytes, then one ROD management token per valid ROD token of the copy
 * manager: its first {@value #MANAGEMENT_TOKEN_LENGTH} bytes (ROD TYPE, ROD TOKEN LENGTH, COPY MANAGER ROD TOKEN
 * IDENTIFIER, CREATOR LOGICAL UNIT DESCRIPTOR, NUMBER OF BYTES REPRESENTED and the reserved bytes up to the device type
 * specific data), as FreeBSD CTL reports them. Without the rest of the token, and its signature, a management token
 * identifies a token but cannot be used for WRITE USING TOKEN.
 *
 * @param tokens the management tokens, each {@value #MANAGEMENT_TOKEN_LENGTH} bytes
 */
public record RodManagementTokens(List<byte[]> tokens) {
    public static final int HEADER = 8;
    public static final int MANAGEMENT_TOKEN_LENGTH = RodToken.DEVICE_TYPE_SPECIFIC_DATA;

    public RodManagementTokens {
        tokens = tokens.stream().map(byte[]::clone).toList();
        for (byte[] t : tokens) {
            if (t.length != MANAGEMENT_TOKEN_LENGTH) {
                throw new IllegalArgumentException("a ROD management token of " + t.length + " bytes, not "
                        + MANAGEMENT_TOKEN_LENGTH);
            }
        }
    }

    /** The management tokens of {@code tokens}: the first {@value #MANAGEMENT_TOKEN_LENGTH} bytes of each. */
    public static RodManagementTokens of(List<RodToken> tokens) {
        return new RodManagementTokens(tokens.stream()
                .map(t -> Arrays.copyOf(t.bytes(), MANAGEMENT_TOKEN_LENGTH)).toList());
    }

    public byte[] encode() {
        byte[] b = new byte[HEADER + tokens.size() * MANAGEMENT_TOKEN_LENGTH];
        Be.putInt(b, 0, b.length - 4);
        for (int i = 0; i < tokens.size(); i++) {
            System.arraycopy(tokens.get(i), 0, b, HEADER + i * MANAGEMENT_TOKEN_LENGTH, MANAGEMENT_TOKEN_LENGTH);
        }
        return b;
    }

    /**
     * Decodes what an initiator received ({@code length} bytes of {@code b}, perhaps cut short by its ALLOCATION
     * LENGTH: only whole management tokens are kept).
     *
     * @throws IllegalArgumentException naming the field for a header shorter than 8 bytes or an AVAILABLE DATA that
     *                                  is not 4 plus a multiple of {@value #MANAGEMENT_TOKEN_LENGTH}
     */
    public static RodManagementTokens decode(byte[] b, int length) {
        if (length < HEADER || b.length < length) {
            throw new IllegalArgumentException("REPORT ALL ROD TOKENS data of " + length + " bytes: shorter than its "
                    + HEADER + "-byte header");
        }
        long available = Be.getInt(b, 0) & 0xFFFFFFFFL;
        if (available < 4 || (available - 4) % MANAGEMENT_TOKEN_LENGTH != 0) {
            throw new IllegalArgumentException("AVAILABLE DATA " + available + " is not 4 plus a multiple of "
                    + MANAGEMENT_TOKEN_LENGTH);
        }
        long end = Math.min(length, 4 + available);
        List<byte[]> tokens = new ArrayList<>();
        for (int at = HEADER; at + MANAGEMENT_TOKEN_LENGTH <= end; at += MANAGEMENT_TOKEN_LENGTH) {
            tokens.add(Arrays.copyOfRange(b, at, at + MANAGEMENT_TOKEN_LENGTH));
        }
        return new RodManagementTokens(tokens);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RodManagementTokens other) || other.tokens.size() != tokens.size()) {
            return false;
        }
        for (int i = 0; i < tokens.size(); i++) {
            if (!Arrays.equals(tokens.get(i), other.tokens.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 1;
        for (byte[] t : tokens) {
            h = 31 * h + Arrays.hashCode(t);
        }
        return h;
    }

    @Override
    public String toString() {
        return "RodManagementTokens[" + tokens.size() + " tokens]";
    }
}
