package org.copyoffload.initiator.iscsi;

import java.util.List;

/**
 * One target a SendTargets answer names (RFC 7143, 13.3, Appendix C): its TargetName and every TargetAddress given
 * for it, each "domainname[:port],portal-group-tag" as sent.
 */
public record DiscoveredTarget(String name, List<String> addresses) {
    public DiscoveredTarget {
        addresses = List.copyOf(addresses);
    }
}
