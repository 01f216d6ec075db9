package org.copyoffload.initiator.nvme;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.UUID;

/**
 * How an {@link NvmeTcpHost} connects: where, as whom, and with which queues. Queue sizes are 1's based
 * entry counts; the Connect command sends them 0's based (SQSIZE).
 *
 * @param address          the controller's NVMe/TCP listener
 * @param subsystemNqn     SUBNQN of the Connect data
 * @param hostNqn          HOSTNQN of the Connect data
 * @param hostId           the 16-byte host identifier
 * @param ioQueues         I/O queues (one TCP connection each) to ask for; 0 for an admin-only controller
 * @param ioQueueSize      entries per I/O submission queue
 * @param adminQueueSize   entries of the admin submission queue
 * @param headerDigest     ask for CRC32C header digests in ICReq
 * @param dataDigest       ask for CRC32C data digests in ICReq
 * @param keepAliveTimeout KATO sent in the admin Connect; zero disables Keep Alive
 * @param connectTimeout   bound on the TCP connect, the ICReq/ICResp exchange and each bring-up step
 * @param commandTimeout   bound on each blocking admin helper (identify, features, log pages, shutdown)
 * @param tls              TLS 1.3 with this PSK on every queue (NVMe/TCP Transport 1.1, 3.6.1), null for none
 * @param dhchap           DH-HMAC-CHAP secrets, used when a controller asks for authentication; null: none
 */
public record HostOptions(
        InetSocketAddress address, String subsystemNqn, String hostNqn, byte[] hostId, int ioQueues,
        int ioQueueSize, int adminQueueSize, boolean headerDigest, boolean dataDigest, Duration keepAliveTimeout,
        Duration connectTimeout, Duration commandTimeout, TlsOptions tls, DhchapCredentials dhchap) {

    public static final String DISCOVERY_NQN = "nqn.2014-08.org.nvmexpress.discovery";
    public static final String UUID_NQN_PREFIX = "nqn.2014-08.org.nvmexpress:uuid:";
    /** Largest queue the 16-bit SQSIZE field can describe. */
    public static final int MAX_QUEUE_SIZE = 65536;

    public HostOptions {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(subsystemNqn, "subsystemNqn");
        Objects.requireNonNull(hostNqn, "hostNqn");
        Objects.requireNonNull(keepAliveTimeout, "keepAliveTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (hostId == null || hostId.length != 16) {
            throw new IllegalArgumentException("host identifier is 16 bytes");
        }
        hostId = hostId.clone();
        if (ioQueues < 0 || ioQueues > 0xFFFE) {
            throw new IllegalArgumentException("I/O queue count out of range: " + ioQueues);
        }
        // A queue of N entries holds at most N - 1 commands, so 2 is the smallest useful size.
        if (ioQueueSize < 2 || ioQueueSize > MAX_QUEUE_SIZE) {
            throw new IllegalArgumentException("I/O queue size out of range: " + ioQueueSize);
        }
        if (adminQueueSize < 2 || adminQueueSize > 4096) {
            throw new IllegalArgumentException("admin queue size out of range: " + adminQueueSize);
        }
        if (keepAliveTimeout.isNegative() || keepAliveTimeout.toMillis() > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("KATO out of range: " + keepAliveTimeout);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()
                || commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    @Override
    public byte[] hostId() {
        return hostId.clone();
    }

    /** KATO in milliseconds, as the Connect command carries it. */
    public int keepAliveTimeoutMillis() {
        return (int) keepAliveTimeout.toMillis();
    }

    public static Builder builder(InetSocketAddress address, String subsystemNqn) {
        return new Builder(address, subsystemNqn);
    }

    public Builder toBuilder() {
        return new Builder(address, subsystemNqn).hostNqn(hostNqn).hostId(hostId).ioQueues(ioQueues)
                .ioQueueSize(ioQueueSize).adminQueueSize(adminQueueSize).headerDigest(headerDigest)
                .dataDigest(dataDigest).keepAliveTimeout(keepAliveTimeout).connectTimeout(connectTimeout)
                .commandTimeout(commandTimeout).tls(tls).dhchap(dhchap);
    }

    /** The 16 bytes of a UUID in network order, as Linux derives its host id from the host NQN's UUID. */
    static byte[] uuidBytes(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostOptions h && address.equals(h.address) && subsystemNqn.equals(h.subsystemNqn)
                && hostNqn.equals(h.hostNqn) && Arrays.equals(hostId, h.hostId) && ioQueues == h.ioQueues
                && ioQueueSize == h.ioQueueSize && adminQueueSize == h.adminQueueSize
                && headerDigest == h.headerDigest && dataDigest == h.dataDigest
                && keepAliveTimeout.equals(h.keepAliveTimeout) && connectTimeout.equals(h.connectTimeout)
                && commandTimeout.equals(h.commandTimeout) && Objects.equals(tls, h.tls)
                && Objects.equals(dhchap, h.dhchap);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, subsystemNqn, hostNqn, Arrays.hashCode(hostId), ioQueues, ioQueueSize);
    }

    @Override
    public String toString() {
        return "HostOptions[address=" + address + ", subnqn=" + subsystemNqn + ", hostnqn=" + hostNqn
                + ", hostid=" + HexFormat.of().formatHex(hostId) + ", ioQueues=" + ioQueues + "x" + ioQueueSize
                + ", adminQueueSize=" + adminQueueSize + ", hdgst=" + headerDigest + ", ddgst=" + dataDigest
                + ", kato=" + keepAliveTimeout.toMillis() + "ms" + (tls != null ? ", tls=" + tls : "")
                + (dhchap == null ? "" : ", dhchap=" + (dhchap.controllerSecret() == null ? "host" : "bidirectional")) + "]";
    }

    public static final class Builder {
        private final InetSocketAddress address;
        private final String subsystemNqn;
        private String hostNqn;
        private byte[] hostId;
        private int ioQueues = 1;
        private int ioQueueSize = 128;
        private int adminQueueSize = 32;
        private boolean headerDigest;
        private boolean dataDigest;
        private Duration keepAliveTimeout = Duration.ZERO;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration commandTimeout = Duration.ofSeconds(30);
        private TlsOptions tls;
        private DhchapCredentials dhchap;

        private Builder(InetSocketAddress address, String subsystemNqn) {
            this.address = address;
            this.subsystemNqn = subsystemNqn;
        }

        public Builder hostNqn(String value) { this.hostNqn = value; return this; }
        public Builder hostId(byte[] value) { this.hostId = value.clone(); return this; }
        public Builder ioQueues(int value) { this.ioQueues = value; return this; }
        public Builder ioQueueSize(int value) { this.ioQueueSize = value; return this; }
        public Builder adminQueueSize(int value) { this.adminQueueSize = value; return this; }
        public Builder headerDigest(boolean value) { this.headerDigest = value; return this; }
        public Builder dataDigest(boolean value) { this.dataDigest = value; return this; }
        public Builder keepAliveTimeout(Duration value) { this.keepAliveTimeout = value; return this; }
        public Builder keepAliveTimeoutMillis(int value) { return keepAliveTimeout(Duration.ofMillis(value)); }
        public Builder connectTimeout(Duration value) { this.connectTimeout = value; return this; }
        public Builder commandTimeout(Duration value) { this.commandTimeout = value; return this; }
        public Builder tls(TlsOptions value) { this.tls = value; return this; }
        public Builder dhchap(DhchapCredentials value) { this.dhchap = value; return this; }

        /**
         * Without an explicit host NQN or id both come from one random UUID, so a controller sees the
         * pair Linux would send: {@code nqn.2014-08.org.nvmexpress:uuid:<uuid>} and the UUID's bytes.
         */
        public HostOptions build() {
            String nqn = hostNqn;
            byte[] id = hostId;
            if (id == null && nqn != null && nqn.startsWith(UUID_NQN_PREFIX)) {
                try {
                    id = uuidBytes(UUID.fromString(nqn.substring(UUID_NQN_PREFIX.length())));
                } catch (IllegalArgumentException notAUuid) {
                    // a host NQN of another form: a random host id follows
                }
            }
            if (nqn == null || id == null) {
                UUID uuid = UUID.randomUUID();
                if (nqn == null) {
                    nqn = UUID_NQN_PREFIX + uuid;
                }
                if (id == null) {
                    id = uuidBytes(uuid);
                }
            }
            return new HostOptions(address, subsystemNqn, nqn, id, ioQueues, ioQueueSize, adminQueueSize,
                    headerDigest, dataDigest, keepAliveTimeout, connectTimeout, commandTimeout, tls, dhchap);
        }
    }
}
