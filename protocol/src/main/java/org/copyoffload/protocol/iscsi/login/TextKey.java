package org.copyoffload.protocol.iscsi.login;

import java.util.Objects;

/**
 * One key=value pair of a Login or Text data segment (RFC 7143, 6.1). The value is kept as text: its
 * type (boolean, number, list, binary) depends on the key and is checked by whoever negotiates it.
 */
public record TextKey(String name, String value) {
    public TextKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }

    @Override
    public String toString() {
        return name + "=" + value;
    }
}
