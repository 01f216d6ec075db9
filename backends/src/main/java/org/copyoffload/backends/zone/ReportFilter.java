package org.copyoffload.backends.zone;

import java.util.function.Predicate;

/** The Zone Receive Action Specific field of Report Zones: which zones to list. */
public enum ReportFilter {
    ALL(0x0, s -> true),
    EMPTY(0x1, s -> s == ZoneState.EMPTY),
    IMPLICITLY_OPENED(0x2, s -> s == ZoneState.IMPLICITLY_OPENED),
    EXPLICITLY_OPENED(0x3, s -> s == ZoneState.EXPLICITLY_OPENED),
    CLOSED(0x4, s -> s == ZoneState.CLOSED),
    FULL(0x5, s -> s == ZoneState.FULL),
    READ_ONLY(0x6, s -> s == ZoneState.READ_ONLY),
    OFFLINE(0x7, s -> s == ZoneState.OFFLINE);

    private final int code;
    private final Predicate<ZoneState> matches;

    ReportFilter(int code, Predicate<ZoneState> matches) {
        this.code = code;
        this.matches = matches;
    }

    public int code() {
        return code;
    }

    public boolean matches(ZoneState state) {
        return matches.test(state);
    }

    /** The filter with that code, or {@code null} for a reserved value (the caller returns Invalid Field). */
    public static ReportFilter fromCode(int code) {
        for (ReportFilter f : values()) {
            if (f.code == code) {
                return f;
            }
        }
        return null;
    }
}
