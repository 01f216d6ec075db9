package org.copyoffload.server.config;

/** A configuration the server cannot start with; the message names the key and what is wrong with it. */
public class ConfigException extends RuntimeException {
    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
