package org.copyoffload.server.nvme;

/**
 * A listener as discovery reports it: the address hosts should use, the port, a port id, and whether the host must
 * ({@code tlsRequired}) or may ({@code tls}) use TLS 1.3 there.
 */
public record AdvertisedListener(int portId, String address, int port, boolean ipv6, boolean tls, boolean tlsRequired) {
    public AdvertisedListener(int portId, String address, int port, boolean ipv6) {
        this(portId, address, port, ipv6, false, false);
    }
}
