package org.copyoffload.server.scsi;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.DeviceIdentification.Designator;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.RodToken;

/**
 * The ROD tokens of one target's copy manager (SPC-4 "ROD tokens", SBC-4 "Token-based copy").
 *
 * <p>A token is 512 bytes naming its source logical unit (CREATOR LOGICAL UNIT DESCRIPTOR: the unit's NAA
 * designator) and, through an identifier and a SHA-256 of the list, its source ranges; its last 32 bytes are an
 * HMAC-SHA-256 (Bouncy Castle) over the other 480 under a key drawn from {@link SecureRandom} when the target starts
 * and never shown. So a token this copy manager did not make, or one with any bit changed, is refused: one naming no
 * logical unit of this target (another target's: every target names its units differently) is TOKEN UNKNOWN, one
 * naming a unit here whose signature does not match is TOKEN CORRUPT. A restart forgets every token (new key).
 *
 * <p>A token lives while used within its inactivity timeout (SPC-4: the time since it was last used, here since it
 * was made or last used by WRITE USING TOKEN). It ends as:
 * <ul>
 * <li>TOKEN EXPIRED, the timeout past;</li>
 * <li>TOKEN REVOKED, a block of its source ranges written after it was made (a point in time, change vulnerable,
 * token: SPC-4 "ROD type codes": 00800001h), by any write path of the logical unit
 * ({@link LogicalUnit#written});</li>
 * <li>TOKEN DELETED, by WRITE USING TOKEN with DEL_TKN once that command has used it.</li>
 * </ul>
 * An ended token is remembered (for that answer) for {@link #TOMBSTONE} after it ended, then it is TOKEN UNKNOWN.
 * At most {@link #MAX_TOKENS} live tokens: POPULATE TOKEN beyond is INSUFFICIENT RESOURCES.
 */
final class RodTokenRegistry {
    static final int MAX_TOKENS = 1024;
    static final Duration TOMBSTONE = Duration.ofMinutes(10);

    enum State { VALID, REVOKED, EXPIRED, DELETED }

    /** One token: what it represents and where it is in its life. Guarded by the registry's lock. */
    static final class Entry {
        final RodToken token;
        final LogicalUnit source;
        final List<BlockDeviceRange> ranges;
        final Duration inactivityTimeout;
        private Instant lastUsed;
        private Instant ended;
        private State state = State.VALID;
        /** WRITE USING TOKEN commands using it now: it does not expire under them. */
        private int active;

        Entry(RodToken token, LogicalUnit source, List<BlockDeviceRange> ranges, Duration inactivityTimeout,
              Instant now) {
            this.token = token;
            this.source = source;
            this.ranges = ranges;
            this.inactivityTimeout = inactivityTimeout;
            this.lastUsed = now;
        }

        long bytes() {
            return BlockDeviceRange.totalBlocks(ranges) * source.blockSize();
        }
    }

    private final ScsiTarget target;
    private final byte[] key = new byte[32];
    private final AtomicLong identifiers = new AtomicLong();
    private final SecureRandom random = new SecureRandom();
    private final Map<Long, Entry> tokens = new LinkedHashMap<>();
    private volatile InstantSource clock = InstantSource.system();
    // Live (VALID) tokens, read without the lock by every write: with none, a write costs one volatile read.
    private volatile int valid;

    RodTokenRegistry(ScsiTarget target) {
        this.target = target;
        random.nextBytes(key);
    }

    /** For tests: the clock inactivity timeouts are measured by. */
    void clock(InstantSource clock) {
        this.clock = clock;
    }

    private byte[] sign(byte[] signedPart) {
        HMac mac = new HMac(new SHA256Digest());
        mac.init(new KeyParameter(key));
        mac.update(signedPart, 0, signedPart.length);
        byte[] out = new byte[mac.getMacSize()];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] rangesDigest(List<BlockDeviceRange> ranges) {
        SHA256Digest d = new SHA256Digest();
        byte[] r = new byte[16];
        for (BlockDeviceRange range : ranges) {
            java.nio.ByteBuffer.wrap(r).putLong(range.lba()).putLong(range.blocks());
            d.update(r, 0, r.length);
        }
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    /**
     * A new token for {@code ranges} of {@code source}, valid for {@code inactivityTimeout}.
     *
     * @throws CheckCondition INSUFFICIENT RESOURCES when {@link #MAX_TOKENS} tokens are live
     */
    synchronized RodToken create(LogicalUnit source, List<BlockDeviceRange> ranges, Duration inactivityTimeout) {
        Instant now = clock.instant();
        sweep(now);
        if (valid >= MAX_TOKENS) {
            throw new CheckCondition(AdditionalSense.INSUFFICIENT_RESOURCES, valid + " ROD tokens are live, the most"
                    + " this copy manager keeps");
        }
        Designator naa = InquiryCommands.logicalUnitDesignators(source).getFirst();
        CscdDescriptor creator = new CscdDescriptor(false, 0, 0, naa.codeSet(), naa.association(), naa.type(),
                naa.designator(), false, source.blockSize(), RodToken.CREATOR_LOGICAL_UNIT_DESCRIPTOR);
        byte[] nonce = new byte[RodToken.NONCE_LENGTH];
        random.nextBytes(nonce);
        long id = identifiers.incrementAndGet();
        RodToken unsigned = RodToken.create(RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE, id, creator,
                BlockDeviceRange.totalBlocks(ranges) * source.blockSize(), source.blockSize(), nonce,
                rangesDigest(ranges));
        RodToken token = unsigned.withSignature(sign(unsigned.signedPart()));
        tokens.put(id, new Entry(token, source, List.copyOf(ranges), inactivityTimeout, now));
        valid++;
        return token;
    }

    /**
     * The live token {@code token} stands for, marked as used now.
     *
     * @throws CheckCondition INVALID TOKEN OPERATION: UNSUPPORTED TOKEN TYPE for a type this copy manager never
     *                        makes; TOKEN UNKNOWN when it names no logical unit of this target or no token it holds;
     *                        TOKEN CORRUPT when the signature does not match; TOKEN REVOKED, EXPIRED or DELETED as
     *                        the token ended
     */
    synchronized Entry use(RodToken token) {
        if (token.type() != RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE) {
            throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_UNSUPPORTED_TOKEN_TYPE, "ROD type 0x"
                    + Integer.toHexString(token.type()) + " is not one this copy manager makes");
        }
        CscdDescriptor creator = token.creator();
        boolean ours = creator != null && target.units().stream().anyMatch(u ->
                InquiryCommands.logicalUnitDesignators(u).stream().anyMatch(creator::names));
        if (!ours) {
            throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_UNKNOWN, token
                    + " names no logical unit of this target");
        }
        if (!MessageDigest.isEqual(sign(token.signedPart()), token.signature())) {
            throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_CORRUPT, token
                    + ": signature does not match");
        }
        Instant now = clock.instant();
        sweep(now);
        Entry e = tokens.get(token.identifier());
        if (e == null || !e.token.equals(token)) {
            throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_UNKNOWN, token
                    + " is not held (made before a restart, or ended long ago)");
        }
        switch (e.state) {
            case REVOKED -> throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_REVOKED, token
                    + ": its source ranges were written after it was made");
            case EXPIRED -> throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_EXPIRED, token
                    + ": unused for its inactivity timeout of " + e.inactivityTimeout.toSeconds() + " s");
            case DELETED -> throw new CheckCondition(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_DELETED, token
                    + " was deleted by WRITE USING TOKEN with DEL_TKN");
            case VALID -> {
                e.lastUsed = now;
                e.active++;
            }
        }
        return e;
    }

    /** A WRITE USING TOKEN that {@link #use}d the token ended: its inactivity timeout starts again. */
    synchronized void used(Entry e) {
        e.active--;
        e.lastUsed = clock.instant();
    }

    /** DEL_TKN: the token ends now. */
    synchronized void delete(Entry e) {
        end(e, State.DELETED, clock.instant());
    }

    /** Blocks {@code [lba, lba + blocks)} of {@code unit} were written: tokens representing any of them end. */
    void written(LogicalUnit unit, long lba, long blocks) {
        if (blocks == 0 || valid == 0) {
            return;
        }
        synchronized (this) {
            Instant now = clock.instant();
            for (Entry e : tokens.values()) {
                if (e.state == State.VALID && e.source == unit && overlaps(e.ranges, lba, blocks)) {
                    end(e, State.REVOKED, now);
                }
            }
        }
    }

    private static boolean overlaps(List<BlockDeviceRange> ranges, long lba, long blocks) {
        for (BlockDeviceRange r : ranges) {
            if (r.blocks() > 0 && Long.compareUnsigned(r.lba(), lba + blocks) < 0
                    && Long.compareUnsigned(lba, r.lba() + r.blocks()) < 0) {
                return true;
            }
        }
        return false;
    }

    /** The tokens held, oldest first (REPORT ALL ROD TOKENS). */
    synchronized List<RodToken> live() {
        sweep(clock.instant());
        List<RodToken> out = new ArrayList<>();
        for (Entry e : tokens.values()) {
            if (e.state == State.VALID) {
                out.add(e.token);
            }
        }
        return out;
    }

    /** State of the token with this identifier, for tests. */
    synchronized State state(long identifier) {
        sweep(clock.instant());
        Entry e = tokens.get(identifier);
        return e == null ? null : e.state;
    }

    private void end(Entry e, State state, Instant now) {
        if (e.state == State.VALID) {
            valid--;
        }
        e.state = state;
        e.ended = now;
    }

    /** Expires tokens past their inactivity timeout and forgets those ended more than {@link #TOMBSTONE} ago. */
    private void sweep(Instant now) {
        for (Iterator<Entry> i = tokens.values().iterator(); i.hasNext(); ) {
            Entry e = i.next();
            if (e.state == State.VALID && e.active == 0 && now.isAfter(e.lastUsed.plus(e.inactivityTimeout))) {
                end(e, State.EXPIRED, e.lastUsed.plus(e.inactivityTimeout));
            }
            if (e.state != State.VALID && now.isAfter(e.ended.plus(TOMBSTONE))) {
                i.remove();
            }
        }
    }
}
