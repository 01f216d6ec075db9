package org.copyoffload.initiator.nvme;

import java.util.List;
import java.util.Objects;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;

/**
 * What the host needs for DH-HMAC-CHAP (NVMe Base 2.1, 8.3.4.5): its secret, optionally the controller's secret
 * (then the host asks the controller to authenticate too), and what it offers in AUTH_Negotiate, in order. The
 * defaults offer what Linux offers: SHA-256/384/512 and the NULL group with ffdhe2048 to ffdhe8192.
 */
public record DhchapCredentials(DhchapSecret secret, DhchapSecret controllerSecret, List<DhchapHash> hashes,
                                List<DhGroup> dhGroups) {
    public DhchapCredentials {
        Objects.requireNonNull(secret, "secret");
        hashes = List.copyOf(hashes);
        dhGroups = List.copyOf(dhGroups);
        if (hashes.isEmpty() || dhGroups.isEmpty()) {
            throw new IllegalArgumentException("offer at least one hash and one DH group");
        }
    }

    public DhchapCredentials(DhchapSecret secret, DhchapSecret controllerSecret) {
        this(secret, controllerSecret, List.of(DhchapHash.values()), List.of(DhGroup.values()));
    }

    public DhchapCredentials withOffer(List<DhchapHash> offeredHashes, List<DhGroup> offeredGroups) {
        return new DhchapCredentials(secret, controllerSecret, offeredHashes, offeredGroups);
    }
}
