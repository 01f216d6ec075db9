package org.copyoffload.server.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A duration in the configuration: a whole number and a unit, {@code 500ms}, {@code 15s}, {@code 2m} or {@code 1h}. */
final class TimeSpan {
    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private TimeSpan() {
    }

    static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 500ms, 15s, 2m, 1h)");
        }
        long value = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(value);
            case "s" -> Duration.ofSeconds(value);
            case "m" -> Duration.ofMinutes(value);
            default -> Duration.ofHours(value);
        };
    }

    /** {@code key}'s duration, or {@code fallback}; refused outside {@code min}..{@code max}, naming the key. */
    static Duration read(ConfigNode node, String key, Duration fallback, Duration min, Duration max) {
        Duration d = node.parsed(key, fallback, TimeSpan::parse);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException(node.path() + "." + key, text(d) + " is outside " + text(min) + ".." + text(max));
        }
        return d;
    }

    /** The shortest exact form: 15s rather than 15000ms. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
