package org.copyoffload.initiator.cli;

import picocli.CommandLine;

/** How the host-side tools ({@code compare}, {@code gc-bench}) start. */
final class Tools {
    private Tools() {
    }

    /** Runs a tool's command line and exits with its status; its logging goes to stderr, warnings only. */
    static void main(Object command, String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-compare.xml");
        }
        System.exit(new CommandLine(command).execute(args));
    }
}
