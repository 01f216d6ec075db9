package org.copyoffload.server.nvme;

/** The transport's side of one queue, as the controller sees it: something it can tear down. */
public interface QueueConnection {
    /** Closes the queue's connection; pending commands are dropped. */
    void close(String reason);

    String describe();

    /** The PSK identity the queue's TLS session was authenticated with, null without TLS. */
    default org.copyoffload.protocol.nvme.tls.PskIdentity tlsIdentity() {
        return null;
    }
}
