package org.copyoffload.server.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The NVMe versions a subsystem can advertise in VS and Identify Controller VER. */
public enum NvmeVersion {
    V1_4("1.4", 1, 4),
    V2_0("2.0", 2, 0),
    V2_1("2.1", 2, 1);

    private final String text;
    private final int major;
    private final int minor;

    NvmeVersion(String text, int major, int minor) {
        this.text = text;
        this.major = major;
        this.minor = minor;
    }

    /** The VS register value (NVMe Base 2.1, 3.1.4.2). */
    public int register() {
        return (major << 16) | (minor << 8);
    }

    public boolean atLeast(NvmeVersion other) {
        return compareTo(other) >= 0;
    }

    public String text() {
        return text;
    }

    public static NvmeVersion parse(String text) {
        for (NvmeVersion v : values()) {
            if (v.text.equals(text.trim())) {
                return v;
            }
        }
        throw new IllegalArgumentException("unsupported NVMe version '" + text + "', expected one of "
                + Arrays.stream(values()).map(NvmeVersion::text).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return text;
    }
}
