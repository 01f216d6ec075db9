package org.copyoffload.initiator.nvme;

import java.util.Optional;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;

/**
 * A queue's connection failed: it could not be set up, was lost, or was terminated by a C2HTermReq from
 * the controller or an H2CTermReq from this host. Every command pending on the queue fails with it. When
 * a termination request was involved, {@link #fatalErrorStatus()} and {@link #fatalErrorInformation()}
 * give its FES and FEI.
 */
public class NvmeTransportException extends RuntimeException {
    private final FatalErrorStatus fes;
    private final int fei;

    public NvmeTransportException(String message) {
        this(message, null, 0, null);
    }

    public NvmeTransportException(String message, Throwable cause) {
        this(message, null, 0, cause);
    }

    public NvmeTransportException(String message, FatalErrorStatus fes, int fei) {
        this(message, fes, fei, null);
    }

    private NvmeTransportException(String message, FatalErrorStatus fes, int fei, Throwable cause) {
        super(message, cause);
        this.fes = fes;
        this.fei = fei;
    }

    public Optional<FatalErrorStatus> fatalErrorStatus() {
        return Optional.ofNullable(fes);
    }

    /** FEI of the termination request; 0 when there was none. */
    public int fatalErrorInformation() {
        return fei;
    }
}
