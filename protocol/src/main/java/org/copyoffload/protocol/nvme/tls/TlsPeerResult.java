package org.copyoffload.protocol.nvme.tls;

/** What a finished handshake agreed on: the PSK identity and the cipher suite (null before it finished). */
public interface TlsPeerResult {
    PskIdentity identity();

    /** The suite's IANA name, e.g. TLS_AES_128_GCM_SHA256. */
    String cipherSuite();
}
