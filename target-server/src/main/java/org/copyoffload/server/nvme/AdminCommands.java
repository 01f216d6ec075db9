package org.copyoffload.server.nvme;

import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.StatusCode;

/**
 * Admin commands of a controller (NVMe Base 2.1, 5.1), one method per opcode. A discovery controller
 * accepts only the subset the NVMe-oF specification gives it (NVMe-oF 1.1, 5.1).
 */
public final class AdminCommands {
    private final IdentifyCommand identify;
    private final LogPages logPages;

    AdminCommands(NvmeTarget target) {
        this.identify = new IdentifyCommand(target);
        this.logPages = new LogPages(target);
    }

    public CompletableFuture<CommandResult> execute(NvmeController c, NvmeRequest r) {
        if (!c.isReady()) {
            return CompletableFuture.completedFuture(CommandResult.error(StatusCode.COMMAND_SEQUENCE_ERROR));
        }
        AdminOpcode op = AdminOpcode.lookup(r.sqe().opcode()).orElse(null);
        boolean discovery = c.subsystem().isDiscovery();
        if (op == null || (discovery && op == AdminOpcode.ABORT)) {
            return CompletableFuture.completedFuture(CommandResult.error(StatusCode.INVALID_COMMAND_OPCODE));
        }
        try {
            return switch (op) {
                case IDENTIFY -> done(identify.execute(c, r));
                case GET_LOG_PAGE -> done(logPages.execute(c, r));
                case SET_FEATURES -> done(c.features().set(r));
                case GET_FEATURES -> done(c.features().get(r));
                case ASYNCHRONOUS_EVENT_REQUEST -> c.addAsyncEventRequest(r.sqe().cid());
                case KEEP_ALIVE -> {
                    c.keepAlive();
                    yield done(CommandResult.SUCCESS);
                }
                case ABORT -> done(abort(c, r));
            };
        } catch (NvmeCommandException e) {
            return done(e.result());
        }
    }

    /** Abort (5.1.1): dword 0 bit 0 is set when the command was not aborted. */
    private static CommandResult abort(NvmeController c, NvmeRequest r) {
        int sqid = r.sqe().cdw10() & 0xFFFF;
        int cid = r.sqe().cdw10() >>> 16;
        boolean aborted = sqid == 0 && c.abortAsyncEventRequest(cid);
        return CommandResult.success(aborted ? 0 : 1);
    }

    private static CompletableFuture<CommandResult> done(CommandResult result) {
        return CompletableFuture.completedFuture(result);
    }
}
