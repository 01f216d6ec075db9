package org.copyoffload.initiator.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The target options the host-side tools share ({@code --target}, {@code --nqn}), and the connection they make. */
final class TargetOptions {
    @Option(names = "--target", required = true, description = "HOST:PORT of the NVMe/TCP target.")
    String target;

    @Option(names = "--nqn", required = true, description = "Subsystem NQN.")
    String nqn;

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    /** {@code HOST:PORT} (an IPv6 host in brackets) as an address, or a usage error naming the option. */
    InetSocketAddress address() {
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

    /** The target and NQN, for a report's account of the run. */
    List<HtmlReport.Fact> facts() {
        return List.of(new HtmlReport.Fact("target", target), new HtmlReport.Fact("NQN", nqn));
    }

    /** Connects with {@code ioQueues} I/O queues and a command timeout long enough for a copy of gigabytes. */
    NvmeTcpHost connect(int ioQueues) {
        return NvmeTcpHost.connect(HostOptions.builder(address(), nqn).ioQueues(ioQueues)
                .commandTimeout(Duration.ofMinutes(10)).build());
    }
}
