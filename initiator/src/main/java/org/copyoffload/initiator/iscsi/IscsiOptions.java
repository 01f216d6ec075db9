package org.copyoffload.initiator.iscsi;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import org.copyoffload.protocol.iscsi.login.ChapCredential;
import org.copyoffload.protocol.iscsi.login.InitiatorOffer;

/**
 * How an {@link IscsiSession} logs in: where, as whom, to which target, with which credentials and offer.
 *
 * @param address        the target's portal
 * @param initiatorName  InitiatorName (RFC 7143, 13.5)
 * @param targetName     TargetName of a Normal session; ignored by {@link IscsiSession#discover}
 * @param chap           the initiator's CHAP name and secret, or null for AuthMethod None (RFC 7143, 12.1.3)
 * @param mutualChap     the name and secret the target must answer with (mutual CHAP), or null
 * @param offer          the operational keys offered (digests, burst lengths, R2T and immediate data)
 * @param maxTasks       tasks in flight at once on the connection (1 to 65536); the target's CmdSN window may allow
 *                       fewer, and further commands wait in the initiator
 * @param isid           the ISID (RFC 7143, 11.12.5), 48 bits; {@link #randomIsid()} makes one of the Random format
 * @param connectTimeout bound on the TCP connect and on each login exchange
 * @param commandTimeout bound on each blocking helper (INQUIRY, READ CAPACITY, logout, ...)
 */
public record IscsiOptions(InetSocketAddress address, String initiatorName, String targetName, ChapCredential chap,
                           ChapCredential mutualChap, InitiatorOffer offer, int maxTasks, long isid,
                           Duration connectTimeout, Duration commandTimeout) {

    /** The initiator name used unless one is given. */
    public static final String DEFAULT_INITIATOR = "iqn.2026-01.org.copyoffload:java-initiator";
    private static final SecureRandom RANDOM = new SecureRandom();

    public IscsiOptions {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(initiatorName, "initiatorName");
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (mutualChap != null && chap == null) {
            throw new IllegalArgumentException("mutual CHAP needs the initiator's own CHAP credential");
        }
        if (maxTasks < 1 || maxTasks > 0x10000) {
            throw new IllegalArgumentException("maxTasks " + maxTasks + " outside 1..65536");
        }
        if (isid < 0 || isid >>> 48 != 0) {
            throw new IllegalArgumentException("ISID 0x" + Long.toHexString(isid) + " is not 48 bits");
        }
        if (!connectTimeout.isPositive() || !commandTimeout.isPositive()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    /** A Normal session to {@code targetName} with {@link #DEFAULT_INITIATOR}, no CHAP, the default offer. */
    public static IscsiOptions of(InetSocketAddress address, String targetName) {
        return new IscsiOptions(address, DEFAULT_INITIATOR, targetName, null, null, InitiatorOffer.defaults(), 128,
                randomIsid(), Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /** For a discovery session: no target name. */
    public static IscsiOptions discovery(InetSocketAddress address) {
        return of(address, null);
    }

    /**
     * An ISID of the Random format (RFC 7143, 11.12.5: T = 10b, B and C random, the qualifier D 0), so that two
     * sessions of one initiator name are two I_T nexuses.
     */
    public static long randomIsid() {
        return 0x80L << 40 | (RANDOM.nextLong() & 0xFFFFFF) << 16;
    }

    public IscsiOptions withInitiatorName(String name) {
        return new IscsiOptions(address, name, targetName, chap, mutualChap, offer, maxTasks, isid, connectTimeout,
                commandTimeout);
    }

    public IscsiOptions withTargetName(String name) {
        return new IscsiOptions(address, initiatorName, name, chap, mutualChap, offer, maxTasks, isid, connectTimeout,
                commandTimeout);
    }

    /** CHAP: one-way when {@code target} is null, mutual otherwise. */
    public IscsiOptions withChap(ChapCredential initiator, ChapCredential target) {
        return new IscsiOptions(address, initiatorName, targetName, initiator, target, offer, maxTasks, isid,
                connectTimeout, commandTimeout);
    }

    public IscsiOptions withOffer(InitiatorOffer o) {
        return new IscsiOptions(address, initiatorName, targetName, chap, mutualChap, o, maxTasks, isid, connectTimeout,
                commandTimeout);
    }

    public IscsiOptions withDigests(boolean header, boolean data) {
        return withOffer(offer.withDigests(header, data));
    }

    public IscsiOptions withMaxTasks(int tasks) {
        return new IscsiOptions(address, initiatorName, targetName, chap, mutualChap, offer, tasks, isid, connectTimeout,
                commandTimeout);
    }

    public IscsiOptions withIsid(long value) {
        return new IscsiOptions(address, initiatorName, targetName, chap, mutualChap, offer, maxTasks, value,
                connectTimeout, commandTimeout);
    }

    public IscsiOptions withTimeouts(Duration connect, Duration command) {
        return new IscsiOptions(address, initiatorName, targetName, chap, mutualChap, offer, maxTasks, isid, connect,
                command);
    }

    @Override
    public String toString() {
        return "IscsiOptions[address=" + address + ", initiator=" + initiatorName + ", target=" + targetName
                + ", chap=" + (chap == null ? "none" : mutualChap == null ? "one-way" : "mutual") + ", offer=" + offer
                + ", maxTasks=" + maxTasks + ", isid=0x" + Long.toHexString(isid) + "]";
    }
}
