package org.copyoffload.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code copyoffload}: the server's command line; each subcommand is its own class. */
@Command(name = "copyoffload", mixinStandardHelpOptions = true, version = "copyoffload 0.1.0",
        description = "NVMe/TCP target with copy offload.",
        subcommands = {ServeCommand.class})
public final class CopyoffloadCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        LeakDetection.offUnlessRequested();
        System.exit(new CommandLine(new CopyoffloadCli()).execute(args));
    }
}
