package org.copyoffload.initiator.cli;

import java.io.Console;
import java.util.function.LongConsumer;

/**
 * Where the tools tell how far their long phases got: {@link ProgressBars} on a terminal, nowhere otherwise (a pipe,
 * a file, a test), so that captured output holds only the figures.
 */
interface Progress {
    /** Tells nothing. */
    Progress NONE = (task, total, unit) -> new Phase() {
        @Override
        public void accept(long done) {
        }

        @Override
        public void close() {
        }
    };

    /** A phase of {@code total} units of {@code unit} (e.g. bytes in MiB), which is told units as they are done. */
    Phase start(String task, long total, Unit unit);

    /** One phase: {@link #accept} adds units done, from any thread; {@link #close} ends it. */
    interface Phase extends LongConsumer, AutoCloseable {
        @Override
        void close();
    }

    /** How the units are shown: {@code size} of them make one {@code name}. */
    record Unit(String name, long size) {
        static final Unit MIB = new Unit(" MiB", 1 << 20);
        static final Unit ONE = new Unit("", 1);
    }

    /**
     * Bars when the standard streams are a terminal, else {@link #NONE}. {@code isTerminal} as well, since a JDK that
     * uses JLine for its console returns one even when output is redirected.
     */
    static Progress onTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal() ? new ProgressBars() : NONE;
    }
}
