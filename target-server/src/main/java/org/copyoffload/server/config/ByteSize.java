package org.copyoffload.server.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in bytes written as a plain number or with a binary suffix (KiB, MiB, GiB, TiB; K, M, G, T mean the same). */
public record ByteSize(long bytes) {
    private static final Pattern FORMAT = Pattern.compile("\\s*(\\d+)\\s*([KMGT]?)(i?B)?\\s*", Pattern.CASE_INSENSITIVE);

    public static ByteSize parse(String text) {
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "' (use e.g. 4096, 512MiB, 4GiB)");
        }
        long value = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        if (Long.numberOfLeadingZeros(value) <= shift) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return new ByteSize(value << shift);
    }

    @Override
    public String toString() {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        long v = bytes;
        int u = 0;
        while (u < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            u++;
        }
        return v + units[u];
    }
}
