package org.copyoffload.server.nvme;

/** A listener as discovery reports it: the address hosts should use, the port and a port id. */
public record AdvertisedListener(int portId, String address, int port, boolean ipv6) {
}
