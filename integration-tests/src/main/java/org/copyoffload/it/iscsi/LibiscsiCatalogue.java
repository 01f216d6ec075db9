package org.copyoffload.it.iscsi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tests {@code iscsi-test-cu --list} knows, as {@code FAMILY.SUITE.TEST} names, and the selection rules of its
 * {@code --test} option.
 *
 * <p>Families in libiscsi 1.19: {@code ALL} (every SCSI and iSCSI suite again, under one name), {@code SCSI},
 * {@code iSCSI}, and {@code LINUX} (the SCSI suites once more, for SG_IO devices). A test selected through
 * {@code ALL} is named here by its own family ({@link #canonical}), so {@code ALL.Read10.Simple} and
 * {@code SCSI.Read10.Simple} are one test in every result and table.
 *
 * <p>{@code --test} takes {@code FAMILY[.SUITE[.TEST]]}, each part an {@code fnmatch(3)} pattern (a missing part
 * is {@code *}); several selectors may be joined by commas, which the tool registers from the last to the
 * first. {@link #expand} follows both rules, so the runner knows which tests a run should report.
 */
public final class LibiscsiCatalogue {

    /** Preferred family for a test listed under several (ALL and LINUX repeat the others). */
    private static final List<String> FAMILY_PREFERENCE = List.of("SCSI", "iSCSI");
    private static final String ALL = "ALL";

    private final List<String> tests;
    private final Map<String, String> canonicalBySuiteTest;

    private LibiscsiCatalogue(List<String> tests) {
        this.tests = List.copyOf(tests);
        Map<String, String> canon = new LinkedHashMap<>();
        for (String t : tests) {
            String[] p = split(t);
            if (p[0].equals(ALL)) {
                continue;
            }
            String key = p[1] + "." + p[2];
            String old = canon.get(key);
            if (old == null || rank(p[0]) < rank(split(old)[0])) {
                canon.put(key, t);
            }
        }
        this.canonicalBySuiteTest = Collections.unmodifiableMap(canon);
    }

    /** Reads the output of {@code iscsi-test-cu --list}: one name a line, families and suites on lines of their own. */
    public static LibiscsiCatalogue parse(String listOutput) {
        List<String> tests = new ArrayList<>();
        for (String line : listOutput.split("\\R")) {
            String s = line.strip();
            if (s.chars().filter(c -> c == '.').count() == 2 && !s.contains(" ")) {
                tests.add(s);
            }
        }
        if (tests.isEmpty()) {
            throw new IllegalArgumentException("no FAMILY.SUITE.TEST line in the --list output:\n" + listOutput);
        }
        return new LibiscsiCatalogue(tests);
    }

    /** Every listed test, {@code FAMILY.SUITE.TEST}, in the tool's order (ALL's copies included). */
    public List<String> all() {
        return tests;
    }

    /** The families, in the tool's order. */
    public List<String> families() {
        Set<String> f = new LinkedHashSet<>();
        tests.forEach(t -> f.add(split(t)[0]));
        return List.copyOf(f);
    }

    /** Whether the catalogue lists this exact name. */
    public boolean contains(String name) {
        return tests.contains(name);
    }

    /**
     * The name a test goes by in results: {@code ALL.S.T} becomes {@code SCSI.S.T} or {@code iSCSI.S.T} (the family
     * that lists the same suite and test); any other name is returned as it is.
     */
    public String canonical(String name) {
        String[] p = split(name);
        if (!p[0].equals(ALL)) {
            return name;
        }
        return canonicalBySuiteTest.getOrDefault(p[1] + "." + p[2], name);
    }

    /**
     * The tests {@code --test=SELECTOR} registers, canonical names in the tool's order. May hold a test twice when
     * two selectors both match it (the tool then runs it twice).
     */
    public List<String> expand(String selector) {
        List<String> parts = new ArrayList<>(List.of(selector.split(",", -1)));
        Collections.reverse(parts); // registered from the last selector to the first
        List<String> out = new ArrayList<>();
        for (String part : parts) {
            String[] re = selectorParts(part);
            Pattern f = glob(re[0]);
            Pattern s = glob(re[1]);
            Pattern t = glob(re[2]);
            // The tool loops family, then suite, then test, as listed; a listed name is already in that order.
            for (String name : tests) {
                String[] p = split(name);
                if (f.matcher(p[0]).matches() && s.matcher(p[1]).matches() && t.matcher(p[2]).matches()) {
                    out.add(canonical(name));
                }
            }
        }
        return out;
    }

    /** {@code FAMILY[.SUITE[.TEST]]} split as the tool does: at the first dot, then at the next one. */
    static String[] selectorParts(String selector) {
        String family = selector;
        String suite = "*";
        String test = "*";
        int d1 = selector.indexOf('.');
        if (d1 >= 0) {
            family = selector.substring(0, d1);
            String rest = selector.substring(d1 + 1);
            int d2 = rest.indexOf('.');
            if (d2 >= 0) {
                suite = rest.substring(0, d2);
                test = rest.substring(d2 + 1);
            } else {
                suite = rest;
            }
        }
        return new String[] {family, suite, test};
    }

    /** An fnmatch(3) pattern without flags: {@code *}, {@code ?}, {@code [...]} (with {@code !} or {@code ^}), {@code \}. */
    static Pattern glob(String pattern) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '\\' -> {
                    if (i + 1 < pattern.length()) {
                        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
                    } else {
                        re.append("\\\\");
                    }
                }
                case '[' -> {
                    int close = pattern.indexOf(']', i + 2);
                    if (close < 0) {
                        re.append("\\[");
                    } else {
                        String body = pattern.substring(i + 1, close);
                        boolean negate = body.startsWith("!") || body.startsWith("^");
                        if (negate) {
                            body = body.substring(1);
                        }
                        re.append('[').append(negate ? "^" : "")
                                .append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                        i = close;
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    private static int rank(String family) {
        int i = FAMILY_PREFERENCE.indexOf(family);
        return i < 0 ? FAMILY_PREFERENCE.size() : i;
    }

    /** FAMILY, SUITE, TEST of a full name (test names have no dots). */
    static String[] split(String name) {
        int d1 = name.indexOf('.');
        int d2 = d1 < 0 ? -1 : name.indexOf('.', d1 + 1);
        if (d1 < 0 || d2 < 0) {
            throw new IllegalArgumentException("not FAMILY.SUITE.TEST: " + name);
        }
        return new String[] {name.substring(0, d1), name.substring(d1 + 1, d2), name.substring(d2 + 1)};
    }
}
