package org.copyoffload.server.cli;

import io.netty.util.ResourceLeakDetector;

/**
 * Netty's leak detector for the command line: off unless asked for. Its default (SIMPLE) records a stack trace for
 * one buffer in 128, which costs a served 4 KiB read several percent of its CPU time; the tests run it at PARANOID
 * and fail on a leak, so a production run gains nothing from it. {@code -Dio.netty.leakDetection.level=...} still
 * chooses any level.
 */
public final class LeakDetection {
    static final String PROPERTY = "io.netty.leakDetection.level";

    private LeakDetection() {
    }

    /** Turns detection off unless the level was set on the command line; call before the first buffer. */
    public static void offUnlessRequested() {
        if (System.getProperty(PROPERTY) == null && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
}
