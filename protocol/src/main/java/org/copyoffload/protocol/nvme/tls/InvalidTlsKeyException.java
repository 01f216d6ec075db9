package org.copyoffload.protocol.nvme.tls;

/**
 * A PSK in the interchange format or a PSK identity cannot be used; the message says which part is wrong and never
 * contains key material.
 */
public final class InvalidTlsKeyException extends IllegalArgumentException {
    public InvalidTlsKeyException(String message) {
        super(message);
    }
}
