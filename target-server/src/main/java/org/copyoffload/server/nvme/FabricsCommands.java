package org.copyoffload.server.nvme;

import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fabrics Connect (NVMe-oF 1.1, 3.3): creates a controller on an admin queue connect or attaches an I/O
 * queue to an existing one, checking each field in the order the specification lists them.
 */
public final class FabricsCommands {
    private static final Logger log = LoggerFactory.getLogger(FabricsCommands.class);
    /** Refused hosts can come in floods: at most so many lines per interval, then a count. */
    private static final RateLimitedWarnings REFUSED = RateLimitedWarnings.of(log, "Connects from hosts not allowed");

    private final NvmeTarget target;

    FabricsCommands(NvmeTarget target) {
        this.target = target;
    }

    /** The controller the queue now belongs to, or an {@link NvmeCommandException} with the Connect status. */
    public NvmeController connect(ConnectCommand cmd, ConnectData data, QueueConnection queue) {
        if (cmd.recfmt() != 0) {
            throw new NvmeCommandException(StatusCode.CONNECT_INCOMPATIBLE_FORMAT, "RECFMT " + cmd.recfmt());
        }
        NvmeSubsystem subsystem = target.subsystem(data.subsystemNqn());
        if (subsystem == null) {
            throw invalidParameter(ConnectInvalidParameter.inData(ConnectData.OFFSET_SUBNQN),
                    "no subsystem " + data.subsystemNqn());
        }
        org.copyoffload.protocol.nvme.tls.PskIdentity tls = queue.tlsIdentity();
        if (tls != null && !(tls.hostNqn().equals(data.hostNqn()) && tls.subsystemNqn().equals(subsystem.nqn()))) {
            // A TLS PSK is bound to one host and one subsystem (NVMe/TCP Transport 1.1, 3.6.1.3): its session may
            // connect only that host to that subsystem.
            REFUSED.warn("host {} refused by {}: its TLS session was authenticated as {}", data.hostNqn(),
                    subsystem.nqn(), tls);
            throw new NvmeCommandException(StatusCode.CONNECT_INVALID_HOST, "host " + data.hostNqn() + " to "
                    + subsystem.nqn() + " over a TLS session of PSK identity " + tls);
        }
        if (!subsystem.allows(data.hostNqn())) {
            REFUSED.warn("host {} refused by {}: not on its allowed list", data.hostNqn(), subsystem.nqn());
            throw new NvmeCommandException(StatusCode.CONNECT_INVALID_HOST,
                    "host " + data.hostNqn() + " may not connect to " + subsystem.nqn());
        }
        long maxKato = target.settings().maxKeepAliveTimeout().toMillis();
        if (cmd.qid() == 0 && Integer.toUnsignedLong(cmd.kato()) > maxKato) {
            // A longer timer would keep a vanished host's controller (and its reservations of resources) alive for
            // longer than nvme.max-keep-alive-timeout; refused, not shortened, since the host paces its Keep Alives
            // by the KATO it asked for.
            throw invalidParameter(ConnectInvalidParameter.inCommand(ConnectCommand.OFFSET_KATO),
                    "KATO " + Integer.toUnsignedString(cmd.kato()) + " ms above nvme.max-keep-alive-timeout " + maxKato + " ms");
        }
        int maxEntries = target.settings().maxQueueEntries();
        // SQSIZE is 0's based; a queue needs at least two entries and at most MQES + 1.
        if (cmd.sqsize() < 1 || cmd.sqsize() > maxEntries - 1) {
            throw invalidParameter(ConnectInvalidParameter.inCommand(ConnectCommand.OFFSET_SQSIZE),
                    "SQSIZE " + cmd.sqsize() + " outside 1.." + (maxEntries - 1));
        }
        return cmd.qid() == 0 ? connectAdmin(cmd, data, subsystem, queue) : connectIo(cmd, data, subsystem, queue);
    }

    private NvmeController connectAdmin(ConnectCommand cmd, ConnectData data, NvmeSubsystem subsystem,
                                        QueueConnection queue) {
        if (data.cntlid() != ConnectData.DYNAMIC_CONTROLLER) {
            throw invalidParameter(ConnectInvalidParameter.inData(ConnectData.OFFSET_CNTLID),
                    "CNTLID " + data.cntlid() + ": this subsystem only has dynamic controllers (FFFFh)");
        }
        int cntlid = subsystem.allocateCntlid();
        if (cntlid < 0) {
            throw new NvmeCommandException(StatusCode.CONNECT_CONTROLLER_BUSY, "no controller id left in " + subsystem.nqn());
        }
        NvmeController c = new NvmeController(target, subsystem, cntlid, data.hostNqn(), data.hostId(), cmd.kato(), queue);
        subsystem.register(c);
        if (subsystem.hostSecrets(data.hostNqn()) == null) {
            c.startKeepAlive(); // otherwise when the admin queue has authenticated (NvmeTcpQueueHandler)
        }
        log.info("controller {} created for host {} over {} (KATO {} ms)", c.describe(), data.hostNqn(),
                queue.describe(), cmd.kato());
        return c;
    }

    private static NvmeController connectIo(ConnectCommand cmd, ConnectData data, NvmeSubsystem subsystem,
                                            QueueConnection queue) {
        if (subsystem.isDiscovery()) {
            throw invalidParameter(ConnectInvalidParameter.inCommand(ConnectCommand.OFFSET_QID),
                    "a discovery controller has no I/O queues");
        }
        NvmeController c = subsystem.controller(data.cntlid());
        if (c == null || !c.hostNqn().equals(data.hostNqn()) || !c.hostIdMatches(data.hostId())) {
            throw invalidParameter(ConnectInvalidParameter.inData(ConnectData.OFFSET_CNTLID),
                    "no controller " + data.cntlid() + " of " + subsystem.nqn() + " for host " + data.hostNqn());
        }
        if (!c.isReady()) {
            throw new NvmeCommandException(StatusCode.COMMAND_SEQUENCE_ERROR,
                    "I/O queue connect to controller " + c.describe() + " before it is enabled");
        }
        if (cmd.qid() > c.ioQueuesGranted()) {
            throw invalidParameter(ConnectInvalidParameter.inCommand(ConnectCommand.OFFSET_QID),
                    "QID " + cmd.qid() + " beyond the " + c.ioQueuesGranted() + " I/O queues granted");
        }
        c.attachIoQueue(cmd.qid(), queue);
        log.debug("controller {}: I/O queue {} connected over {}", c.describe(), cmd.qid(), queue.describe());
        return c;
    }

    private static NvmeCommandException invalidParameter(int dw0, String reason) {
        return new NvmeCommandException(StatusCode.CONNECT_INVALID_PARAMETERS.dnr(), dw0, reason);
    }
}
