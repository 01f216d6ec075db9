package org.copyoffload.protocol.nvme.auth;

import java.util.Locale;
import java.util.Optional;
import org.bouncycastle.crypto.agreement.DHStandardGroups;
import org.bouncycastle.crypto.params.DHParameters;

/**
 * The Diffie-Hellman groups of DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.5.1): the NULL group (no exchange) and the RFC 7919
 * finite field groups. DH values on the wire are big-endian and as long as the group's prime.
 */
public enum DhGroup {
    NULL(0x00, 0, null),
    FFDHE2048(0x01, 256, DHStandardGroups.rfc7919_ffdhe2048),
    FFDHE3072(0x02, 384, DHStandardGroups.rfc7919_ffdhe3072),
    FFDHE4096(0x03, 512, DHStandardGroups.rfc7919_ffdhe4096),
    FFDHE6144(0x04, 768, DHStandardGroups.rfc7919_ffdhe6144),
    FFDHE8192(0x05, 1024, DHStandardGroups.rfc7919_ffdhe8192);

    /** The longest DH value of any group, in bytes. */
    public static final int MAX_VALUE_LENGTH = 1024;

    private final int id;
    private final int valueLength;
    private final DHParameters parameters;

    DhGroup(int id, int valueLength, DHParameters parameters) {
        this.id = id;
        this.valueLength = valueLength;
        this.parameters = parameters;
    }

    public int id() {
        return id;
    }

    /** DHVLEN of this group's values (0 for NULL). */
    public int valueLength() {
        return valueLength;
    }

    DHParameters parameters() {
        return parameters;
    }

    /** The configuration name: null, ffdhe2048, ... ffdhe8192. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<DhGroup> lookup(int id) {
        for (DhGroup g : values()) {
            if (g.id == id) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    public static DhGroup parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (DhGroup g : values()) {
            if (g.configName().equals(n)) {
                return g;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a DH-HMAC-CHAP group (null, ffdhe2048, ffdhe3072, "
                + "ffdhe4096, ffdhe6144, ffdhe8192)");
    }
}
