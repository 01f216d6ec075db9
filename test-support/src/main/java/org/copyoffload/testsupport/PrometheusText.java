package org.copyoffload.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/** The samples of a Prometheus text exposition (what a scrape returns), for tests that look up series by labels. */
public record PrometheusText(List<Sample> samples) {
    /** One line: a series' name, its labels and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
        public String label(String key) {
            return labels.get(key);
        }
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            String key = line.substring(0, space);
            Map<String, String> labels = new TreeMap<>();
            String name = key;
            int brace = key.indexOf('{');
            if (brace >= 0) {
                name = key.substring(0, brace);
                // Label values here never hold commas or quotes (names, addresses, numbers).
                for (String pair : key.substring(brace + 1, key.length() - 1).split(",")) {
                    int eq = pair.indexOf('=');
                    labels.put(pair.substring(0, eq), pair.substring(eq + 2, pair.length() - 1));
                }
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new PrometheusText(List.copyOf(samples));
    }

    /** The samples of series {@code name} whose labels pass {@code which}. */
    public List<Sample> named(String name, Predicate<Sample> which) {
        return samples.stream().filter(s -> s.name().equals(name) && which.test(s)).toList();
    }

    /** The sum of the values of series {@code name} whose labels pass {@code which}. */
    public double sum(String name, Predicate<Sample> which) {
        return named(name, which).stream().mapToDouble(Sample::value).sum();
    }
}
