package org.copyoffload.initiator.cli;

import java.net.InetSocketAddress;
import picocli.CommandLine;

/** What the host-side tools ({@code compare}, {@code gc-bench}) share: start-up and the target address. */
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

    /** {@code HOST:PORT} (an IPv6 host in brackets) as an address, or a usage error naming the option. */
    static InetSocketAddress target(CommandLine.Model.CommandSpec spec, String target) {
        int colon = target.lastIndexOf(':');
        String host = colon < 0 ? "" : target.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(target.substring(colon + 1));
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--target wants HOST:PORT, not '" + target
                    + "'");
        }
    }
}
