package org.copyoffload.initiator.copy;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A base device whose driver may offload a copy to the device (NVMe Copy, SCSI EXTENDED COPY). As in the proposal,
 * the driver decides whether a copy between two of its ranges can be offloaded; the block layer only pairs them.
 */
public interface CopyCapableDevice extends BlockDevice {
    /** Why this device cannot copy from {@code source} into itself; empty if it can. */
    Optional<Refusal> refusesCopyFrom(CopyCapableDevice source);

    /**
     * Copies {@code length} bytes from {@code source} at {@code sourceOffset} to {@code destinationOffset} of this
     * device, splitting by the device's limits. Never throws for a copy the device refused or cut short: the outcome
     * says how many bytes, from the start, were copied, and why not the rest.
     */
    CompletableFuture<Outcome> copyFrom(CopyCapableDevice source, long sourceOffset, long destinationOffset, long length);

    /** Why a device does not offload a copy. */
    record Refusal(FallbackReason reason, String detail) {
    }

    /** What an offloaded copy did: {@code copied} bytes from the start; if short, why. */
    record Outcome(long copied, Refusal shortBecause) {
        public static Outcome all(long length) {
            return new Outcome(length, null);
        }
    }
}
