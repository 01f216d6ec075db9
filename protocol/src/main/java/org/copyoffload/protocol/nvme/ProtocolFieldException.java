package org.copyoffload.protocol.nvme;

/** A wire field holds a value the decoder cannot accept; the message names the field and the value. */
public class ProtocolFieldException extends RuntimeException {
    private final String field;
    private final long value;

    public ProtocolFieldException(String field, long value, String reason) {
        super(field + " = " + value + " (0x" + Long.toHexString(value) + "): " + reason);
        this.field = field;
        this.value = value;
    }

    public String field() {
        return field;
    }

    public long value() {
        return value;
    }
}
