package org.copyoffload.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A YAML node with the path that leads to it, so every error names its key
 * (e.g. {@code subsystems[0].namespaces[1].volume}). Reading a mapping records which keys were used;
 * {@link #rejectUnknownKeys()} then refuses any other key, so a typo never passes silently.
 */
final class ConfigNode {
    private final String path;
    private final JsonNode node;
    private final Set<String> used = new HashSet<>();

    ConfigNode(String path, JsonNode node) {
        this.path = path;
        this.node = node;
    }

    String path() {
        return path;
    }

    boolean isMissing() {
        return node == null || node.isMissingNode() || node.isNull();
    }

    private String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    ConfigNode get(String key) {
        if (!isMissing() && !node.isObject()) {
            throw new ConfigException(path.isEmpty() ? "(top level)" : path, "expected a mapping of keys to values");
        }
        used.add(key);
        return new ConfigNode(child(key), isMissing() ? null : node.get(key));
    }

    String string(String key, String fallback) {
        ConfigNode c = get(key);
        if (c.isMissing()) {
            return fallback;
        }
        if (!c.node.isValueNode() || c.node.isBoolean()) {
            throw new ConfigException(c.path, "expected a string");
        }
        return c.node.asText();
    }

    String requiredString(String key) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            throw new ConfigException(child(key), "is required");
        }
        return value;
    }

    int integer(String key, int fallback, int min, int max) {
        ConfigNode c = get(key);
        if (c.isMissing()) {
            return fallback;
        }
        if (!c.node.canConvertToInt() || !c.node.isIntegralNumber()) {
            throw new ConfigException(c.path, "expected a whole number, got '" + c.node.asText() + "'");
        }
        int v = c.node.intValue();
        if (v < min || v > max) {
            throw new ConfigException(c.path, v + " is outside " + min + ".." + max);
        }
        return v;
    }

    boolean bool(String key, boolean fallback) {
        ConfigNode c = get(key);
        if (c.isMissing()) {
            return fallback;
        }
        if (!c.node.isBoolean()) {
            throw new ConfigException(c.path, "expected true or false, got '" + c.node.asText() + "'");
        }
        return c.node.booleanValue();
    }

    <T> T parsed(String key, T fallback, Function<String, T> parser) {
        ConfigNode c = get(key);
        if (c.isMissing()) {
            return fallback;
        }
        try {
            return parser.apply(c.node.asText());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(c.path, e.getMessage());
        }
    }

    List<ConfigNode> list(String key) {
        ConfigNode c = get(key);
        List<ConfigNode> out = new ArrayList<>();
        if (c.isMissing()) {
            return out;
        }
        if (!c.node.isArray()) {
            throw new ConfigException(c.path, "expected a list");
        }
        for (int i = 0; i < c.node.size(); i++) {
            out.add(new ConfigNode(c.path + "[" + i + "]", c.node.get(i)));
        }
        return out;
    }

    /** A scalar (string, number) rather than a mapping or list. */
    boolean isScalar() {
        return !isMissing() && node.isValueNode();
    }

    /** The text of a scalar. */
    String text() {
        return node.asText();
    }

    List<String> strings(String key) {
        List<String> out = new ArrayList<>();
        for (ConfigNode c : list(key)) {
            if (c.isMissing() || !c.node.isValueNode()) {
                throw new ConfigException(c.path, "expected a string");
            }
            out.add(c.node.asText());
        }
        return out;
    }

    void rejectUnknownKeys() {
        if (isMissing() || !node.isObject()) {
            return;
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!used.contains(key)) {
                throw new ConfigException(child(key), "unknown key (known here: " + String.join(", ", used) + ")");
            }
        }
    }
}
