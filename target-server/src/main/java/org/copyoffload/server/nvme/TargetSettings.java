package org.copyoffload.server.nvme;

import java.time.Duration;

/**
 * Limits every controller of the target advertises: MDTS (power of two of 4 KiB pages), queue entries
 * (MQES + 1, also MAXCMD), I/O queues per controller, in-capsule data bytes (IOCCSZ), MAXH2CDATA, and the
 * bytes of solicited write data one connection may hold (R2Ts beyond it wait), and how long a new connection may
 * take to send ICReq and Connect before it is closed, and the longest Keep Alive Timeout a host may ask for.
 */
public record TargetSettings(int mdts, int maxQueueEntries, int maxIoQueues, int inCapsuleDataSize, int maxH2cData,
                             long maxWriteDataPerConnection, Duration setupTimeout, Duration maxKeepAliveTimeout) {
    /** Without a KATO bound (tests that build settings by hand): the NVMe field's own maximum. */
    public TargetSettings(int mdts, int maxQueueEntries, int maxIoQueues, int inCapsuleDataSize, int maxH2cData,
                          long maxWriteDataPerConnection, Duration setupTimeout) {
        this(mdts, maxQueueEntries, maxIoQueues, inCapsuleDataSize, maxH2cData, maxWriteDataPerConnection, setupTimeout,
                Duration.ofMillis(0xFFFF_FFFFL));
    }

    /** Linux sends up to 8 KiB in-capsule on the admin queue (NVME_TCP_ADMIN_CCSZ) whatever IOCCSZ says. */
    public static final int ADMIN_IN_CAPSULE_DATA = 8192;

    public long maxTransferBytes() {
        return 4096L << mdts;
    }

    public int ioccsz() {
        return (64 + inCapsuleDataSize) / 16;
    }
}
