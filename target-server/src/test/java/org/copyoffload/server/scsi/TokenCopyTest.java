package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.CopyResults.CopyOperationStatus;
import org.copyoffload.protocol.scsi.DeviceIdentification;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ListIdUsage;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PopulateTokenParameters;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.RodManagementTokens;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.RodTokenInformation;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.UnmapParameterList;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.copyoffload.protocol.scsi.WriteUsingTokenParameters;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * POPULATE TOKEN, WRITE USING TOKEN and RECEIVE ROD TOKEN INFORMATION through the target (LUN 0: 4 KiB blocks, LUN
 * 1: 512-byte blocks): copies between and within units with ranges of different shapes, OFFSET INTO ROD, a token
 * shorter than its destination, the block device zero token, token lifetime on a controlled clock, revocation by
 * every write path, forged and altered tokens, tokens used by another initiator or shown to another target, the
 * advertised limits, and page 8Fh.
 */
class TokenCopyTest extends ReservationTestSupport {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    @BeforeEach
    void controlClock() {
        target.rodTokens().clock(now::get);
    }

    private void advanceSeconds(long s) {
        now.updateAndGet(t -> t.plusSeconds(s));
    }

    // ---------------------------------------------------------------- helpers

    static List<BlockDeviceRange> ranges(long... lbaBlocks) {
        List<BlockDeviceRange> r = new ArrayList<>();
        for (int i = 0; i < lbaBlocks.length; i += 2) {
            r.add(new BlockDeviceRange(lbaBlocks[i], lbaBlocks[i + 1]));
        }
        return r;
    }

    Result populate(ItNexus nexus, long lun, long listId, PopulateTokenParameters p) {
        byte[] list = p.encode();
        return write(nexus, lun, new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, listId, list.length, 0)
                .encode(), list);
    }

    RodTokenInformation rrti(ItNexus nexus, long lun, long listId) {
        byte[] data = run(nexus, lun, new ReceiveCopyResultsCdb(0x07, listId, 4096).encode()).good().data();
        return RodTokenInformation.decode(data, data.length);
    }

    /** POPULATE TOKEN with the default timeout, and the token RECEIVE ROD TOKEN INFORMATION returns. */
    RodToken token(ItNexus nexus, long lun, List<BlockDeviceRange> ranges, long timeout) {
        populate(nexus, lun, 1, new PopulateTokenParameters(false, false, timeout, 0, ranges)).good();
        RodTokenInformation info = rrti(nexus, lun, 1);
        assertThat(info.status()).isEqualTo(CopyOperationStatus.COMPLETED_WITHOUT_ERRORS);
        assertThat(info.respondsTo()).isEqualTo(0x10);
        assertThat(info.transferCount()).isEqualTo(BlockDeviceRange.totalBlocks(ranges));
        return info.token().orElseThrow();
    }

    RodToken token(long lun, long... lbaBlocks) {
        return token(A, lun, ranges(lbaBlocks), 0);
    }

    Result wut(ItNexus nexus, long lun, long listId, byte[] token, long offset, boolean delete, boolean immediate,
               List<BlockDeviceRange> ranges) {
        byte[] list = new WriteUsingTokenParameters(delete, immediate, offset, token, ranges).encode();
        return write(nexus, lun, new TokenCopyCdb(OperationCode.ExtendedCopy.WRITE_USING_TOKEN, listId, list.length,
                0).encode(), list);
    }

    Result wut(long lun, RodToken token, long... lbaBlocks) {
        return wut(A, lun, 2, token.bytes(), 0, false, false, ranges(lbaBlocks));
    }

    // ---------------------------------------------------------------- copies

    @Test
    void copiesBetweenUnitsOfDifferentBlockSizesAndShapes() {
        byte[] data = random(1, 20 * 4096);
        write16(LUN_4K, 10, data);
        RodToken t = token(LUN_4K, 10, 4, 16, 4); // blocks 10-13 and 16-19: 32 KiB
        wut(LUN_512, t, 100, 24, 500, 40).good();
        byte[] expected = concat(Arrays.copyOfRange(data, 0, 4 * 4096), Arrays.copyOfRange(data, 6 * 4096, 10 * 4096));
        assertThat(concat(read16(LUN_512, 100, 24), read16(LUN_512, 500, 40))).isEqualTo(expected);
        RodTokenInformation info = rrti(A, LUN_512, 2);
        assertThat(info.respondsTo()).isEqualTo(0x11);
        assertThat(info.status()).isEqualTo(CopyOperationStatus.COMPLETED_WITHOUT_ERRORS);
        assertThat(info.transferCount()).isEqualTo(64);
        assertThat(info.token()).isEmpty();
        // released once reported
        run(A, LUN_512, new ReceiveCopyResultsCdb(0x07, 2, 4096).encode()).check(AdditionalSense.INVALID_FIELD_IN_CDB,
                FieldPointer.cdb(2, 7));
    }

    @Test
    void offsetIntoRodAndATokenShorterThanItsDestination() {
        byte[] data = random(2, 8 * 4096);
        write16(LUN_4K, 100, data);
        byte[] before = read16(LUN_4K, 200, 12);
        RodToken t = token(LUN_4K, 100, 8);
        wut(A, LUN_4K, 3, t.bytes(), 2, false, false, ranges(200, 12)).good();
        byte[] after = read16(LUN_4K, 200, 12);
        assertThat(Arrays.copyOf(after, 6 * 4096)).isEqualTo(Arrays.copyOfRange(data, 2 * 4096, 8 * 4096));
        assertThat(Arrays.copyOfRange(after, 6 * 4096, 12 * 4096))
                .isEqualTo(Arrays.copyOfRange(before, 6 * 4096, 12 * 4096));
        assertThat(rrti(A, LUN_4K, 3).transferCount()).isEqualTo(6);
        wut(A, LUN_4K, 3, t.bytes(), 8, false, false, ranges(200, 1))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(8, 7));
        wut(A, LUN_4K, 3, t.bytes(), -1, false, false, ranges(200, 1))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(8, 7));
    }

    @Test
    void blockDeviceZeroTokenWritesZeros() {
        write16(LUN_512, 64, random(3, 32 * 512));
        RodToken zero = RodToken.blockDeviceZero();
        wut(LUN_512, zero, 70, 10, 90, 2).good();
        byte[] after = read16(LUN_512, 64, 32);
        byte[] expected = random(3, 32 * 512);
        Arrays.fill(expected, 6 * 512, 16 * 512, (byte) 0);
        Arrays.fill(expected, 26 * 512, 28 * 512, (byte) 0);
        assertThat(after).isEqualTo(expected);
        assertThat(rrti(A, LUN_512, 2).transferCount()).isEqualTo(12);
    }

    @Test
    void immediateCopyReportsCompletionThroughRrti() {
        write16(LUN_4K, 0, random(4, 16 * 4096));
        RodToken t = token(LUN_4K, 0, 16);
        wut(A, LUN_512, 9, t.bytes(), 0, false, true, ranges(0, 128)).good();
        eventually(() -> assertThat(rrti(A, LUN_512, 9).status())
                .isEqualTo(CopyOperationStatus.COMPLETED_WITHOUT_ERRORS));
        assertThat(read16(LUN_512, 0, 128)).isEqualTo(random(4, 16 * 4096));
    }

    /**
     * A WRITE USING TOKEN held at its first source read (the test store's gate, no sleeps): RECEIVE ROD TOKEN
     * INFORMATION says in progress, its list identifier is in use, COPY OPERATION ABORT stops it after the piece under
     * way (TASK ABORTED, status TERMINATED with that piece's blocks), and the later pieces are not written.
     */
    @Test
    void copyOperationAbortStopsARunningWriteUsingToken() throws Exception {
        byte[] data = random(12, 24 * 4096);
        write16(LUN_4K, 300, data);
        RodToken t = token(LUN_4K, 300, 8, 308, 8, 316, 8);
        byte[] before = read16(LUN_512, 0, 192);
        byte[] list = new WriteUsingTokenParameters(false, false, 0, t.bytes(), ranges(0, 192)).encode();
        CountingStore.ReadGate gate = store4k.holdReads();
        io.netty.buffer.ByteBuf[] owned = new io.netty.buffer.ByteBuf[1];
        java.util.concurrent.CompletableFuture<ScsiResponse> running = submit(A, LUN_512, new TokenCopyCdb(
                OperationCode.ExtendedCopy.WRITE_USING_TOKEN, 0x77, list.length, 0).encode(), list, list.length, false,
                true, owned);
        Result done;
        try {
            assertThat(gate.awaitFirstRead()).isTrue();
            RodTokenInformation during = rrti(A, LUN_512, 0x77);
            assertThat(during.status()).isEqualTo(CopyOperationStatus.IN_PROGRESS_FOREGROUND);
            assertThat(during.estimatedStatusUpdateDelay()).isEqualTo(TokenCopyCommands.STATUS_UPDATE_DELAY_MS);
            wut(A, LUN_512, 0x77, t.bytes(), 0, false, false, ranges(500, 8))
                    .check(AdditionalSense.OPERATION_IN_PROGRESS, FieldPointer.cdb(6, 7));
            run(A, LUN_512, new org.copyoffload.protocol.scsi.CopyOperationAbortCdb(0x77).encode()).good();
        } finally {
            gate.close();
            done = collect(running);
            owned[0].release();
        }
        assertThat(done.status()).isEqualTo(ScsiStatus.TASK_ABORTED);
        RodTokenInformation after = rrti(A, LUN_512, 0x77);
        assertThat(after.status()).isEqualTo(CopyOperationStatus.TERMINATED);
        assertThat(after.transferCount()).isEqualTo(64);
        assertThat(after.completionStatus()).isEqualTo(ScsiStatus.TASK_ABORTED);
        byte[] now = read16(LUN_512, 0, 192);
        assertThat(Arrays.copyOf(now, 8 * 4096)).isEqualTo(Arrays.copyOf(data, 8 * 4096));
        assertThat(Arrays.copyOfRange(now, 8 * 4096, 192 * 512)).as("pieces after the abort are not written")
                .isEqualTo(Arrays.copyOfRange(before, 8 * 4096, 192 * 512));
        wut(LUN_512, t, 0, 192).good(); // the token outlives an aborted use
    }

    @Test
    void deleteTokenEndsItAfterUse() {
        RodToken t = token(LUN_4K, 0, 4);
        wut(A, LUN_512, 2, t.bytes(), 0, true, false, ranges(0, 32)).good();
        assertThat(target.rodTokens().state(t.identifier())).isEqualTo(RodTokenRegistry.State.DELETED);
        wut(LUN_512, t, 0, 32).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_DELETED);
    }

    // ---------------------------------------------------------------- lifetime

    @Test
    void inactivityTimeoutOnAControlledClock() {
        RodToken t = token(A, LUN_4K, ranges(0, 2), 10);
        advanceSeconds(10);
        wut(LUN_512, t, 0, 16).good(); // at the timeout, not past it; the use restarts it
        advanceSeconds(10);
        wut(LUN_512, t, 0, 16).good();
        advanceSeconds(11);
        wut(LUN_512, t, 0, 16).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_EXPIRED);
        // default 60 s when INACTIVITY TIMEOUT is zero
        RodToken d = token(LUN_4K, 4, 2);
        advanceSeconds(60);
        wut(LUN_512, d, 0, 16).good();
        advanceSeconds(61);
        wut(LUN_512, d, 0, 16).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_EXPIRED);
        // forgotten after the tombstone period: unknown
        advanceSeconds(RodTokenRegistry.TOMBSTONE.toSeconds() + 1);
        wut(LUN_512, d, 0, 16).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_UNKNOWN);
        // the maximum is 600 s
        token(A, LUN_4K, ranges(0, 1), 600);
        populate(A, LUN_4K, 5, new PopulateTokenParameters(false, false, 601, 0, ranges(0, 1)))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(4, 7));
    }

    // ---------------------------------------------------------------- revocation

    /** Each write path, writing one block inside the token's second range of LUN 0 (blocks 20-23). */
    /**
     * REPORT ALL ROD TOKENS lists a management token (the first 96 bytes) for every valid token of the target,
     * oldest first and whichever nexus made it; a revoked token leaves the list; ALLOCATION LENGTH cuts it.
     */
    @Test
    void reportAllRodTokensListsTheValidOnes() {
        write16(LUN_4K, 0, random(9, 16 * 4096));
        RodToken first = token(A, LUN_4K, ranges(0, 4), 0);
        RodToken second = token(B, LUN_512, ranges(0, 8), 0);
        byte[] data = run(B, LUN_4K, new ReceiveCopyResultsCdb(0x08, 0, 4096).encode()).good().data();
        RodManagementTokens listed = RodManagementTokens.decode(data, data.length);
        assertThat(listed).isEqualTo(RodManagementTokens.of(List.of(first, second)));
        assertThat(listed.tokens().getFirst()).isEqualTo(Arrays.copyOf(first.bytes(), 96));
        // a management token is not a token: WRITE USING TOKEN refuses it
        byte[] padded = Arrays.copyOf(listed.tokens().getFirst(), RodToken.LENGTH);
        assertThat(wut(A, LUN_4K, 5, padded, 0, false, false, ranges(100, 4)).status())
                .isEqualTo(ScsiStatus.CHECK_CONDITION);
        write16(LUN_4K, 2, random(10, 4096)); // revokes the first
        data = run(A, LUN_512, new ReceiveCopyResultsCdb(0x08, 0, 4096).encode()).good().data();
        assertThat(RodManagementTokens.decode(data, data.length)).isEqualTo(RodManagementTokens.of(List.of(second)));
        data = run(A, LUN_512, new ReceiveCopyResultsCdb(0x08, 0, 50).encode()).good().data();
        assertThat(data).hasSize(50);
        assertThat(RodManagementTokens.decode(data, data.length).tokens()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"WRITE_10", "WRITE_16", "WRITE_AND_VERIFY_16", "WRITE_SAME_16", "UNMAP", "COMPARE_AND_WRITE",
            "EXTENDED_COPY", "WRITE_USING_TOKEN", "BLOCK_ZERO_TOKEN"})
    void everyWritePathRevokes(String path) {
        write16(LUN_4K, 10, random(5, 14 * 4096));
        RodToken t = token(LUN_4K, 10, 4, 20, 4);
        // a write outside the ranges leaves the token as it is
        write16(LUN_4K, 14, random(6, 6 * 4096));
        assertThat(target.rodTokens().state(t.identifier())).isEqualTo(RodTokenRegistry.State.VALID);
        byte[] block = random(7, 4096);
        switch (path) {
            case "WRITE_10", "WRITE_16", "WRITE_AND_VERIFY_16" -> write(LUN_4K, new ReadWriteCdb(
                    OperationCode.valueOf(path), 21, 1, 0, false, false).encode(), block).good();
            case "WRITE_SAME_16" -> write(LUN_4K, new WriteSameCdb(OperationCode.WRITE_SAME_16, 21, 1, 0, false,
                    false, false).encode(), block).good();
            case "UNMAP" -> {
                byte[] list = new UnmapParameterList(List.of(new UnmapParameterList.Descriptor(21, 1, 8))).encode();
                write(LUN_4K, new UnmapCdb(false, list.length).encode(), list).good();
            }
            case "COMPARE_AND_WRITE" -> write(LUN_4K, new CompareAndWriteCdb(21, 1, 0, false, false).encode(),
                    concat(read16(LUN_4K, 21, 1), block)).good();
            case "EXTENDED_COPY" -> {
                byte[] naa = DeviceIdentification.logicalUnitNaa(run(LUN_4K, new InquiryCdb(true, 0x83, 1024)
                        .encode()).good().data()).orElseThrow();
                byte[] list = new ExtendedCopyParameterList(0, false, ListIdUsage.NONE, 0,
                        List.of(new CscdDescriptor(false, 0, 0, 1, 0, 3, naa, false, 4096, 0)),
                        List.of(new SegmentDescriptor(false, false, 0, 0, 1, 30, 21, 0)), new byte[0]).encode();
                write(LUN_4K, new ExtendedCopyCdb(list.length).encode(), list).good();
            }
            case "WRITE_USING_TOKEN" -> {
                RodToken other = token(LUN_512, 0, 8);
                wut(A, LUN_4K, 7, other.bytes(), 0, false, false, ranges(21, 1)).good();
            }
            default -> wut(A, LUN_4K, 7, RodToken.blockDeviceZero().bytes(), 0, false, false, ranges(23, 1)).good();
        }
        assertThat(target.rodTokens().state(t.identifier())).isEqualTo(RodTokenRegistry.State.REVOKED);
        byte[] before = read16(LUN_512, 0, 64);
        wut(LUN_512, t, 0, 64).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_REVOKED);
        assertThat(read16(LUN_512, 0, 64)).isEqualTo(before);
    }

    // ---------------------------------------------------------------- forgery

    /** Every byte of the token with one bit flipped (seeded bit): refused, never copied. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void alteredTokensAreRefused(long seed) {
        write16(LUN_4K, 0, random(8, 4 * 4096));
        RodToken t = token(LUN_4K, 0, 4);
        byte[] before = read16(LUN_512, 0, 32);
        java.util.Random random = new java.util.Random(seed);
        for (int i = 0; i < RodToken.LENGTH; i++) {
            byte[] altered = t.bytes();
            altered[i] ^= (byte) (1 << random.nextInt(8));
            Result r = wut(A, LUN_512, 2, altered, 0, false, false, ranges(0, 32));
            assertThat(r.status()).as("byte %d", i).isEqualTo(ScsiStatus.CHECK_CONDITION);
            SenseData s = r.sense();
            assertThat(s.asc()).as("ASC of byte %d", i).isEqualTo(0x23);
            int expected;
            if (i < 4) {
                expected = 0x01; // UNSUPPORTED TOKEN TYPE
            } else if (i == 6 || i == 7) {
                expected = 0x0A; // INVALID TOKEN LENGTH
            } else if (i >= 16 && i < 48) {
                expected = -1; // the creator: UNKNOWN (names no unit) or CORRUPT (still names this one)
            } else {
                expected = 0x05; // CORRUPT
            }
            if (expected >= 0) {
                assertThat(s.ascq()).as("ASCQ of byte %d", i).isEqualTo(expected);
            } else {
                assertThat(s.ascq()).as("ASCQ of byte %d", i).isIn(0x04, 0x05);
            }
        }
        byte[] resigned = t.bytes();
        System.arraycopy(random(9, 32), 0, resigned, RodToken.SIGNATURE, 32);
        wut(A, LUN_512, 2, resigned, 0, false, false, ranges(0, 32))
                .check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_CORRUPT);
        byte[] zeros = new byte[512];
        wut(A, LUN_512, 2, zeros, 0, false, false, ranges(0, 32))
                .check(AdditionalSense.INVALID_TOKEN_OPERATION_INVALID_TOKEN_LENGTH);
        assertThat(read16(LUN_512, 0, 32)).isEqualTo(before);
        wut(LUN_512, t, 0, 32).good(); // the original still works
    }

    @Test
    void anotherInitiatorMayUseATokenUnlessAReservationForbidsReading() {
        write16(LUN_4K, 0, random(10, 4 * 4096));
        RodToken t = token(LUN_4K, 0, 4);
        wut(B, LUN_512, 2, t.bytes(), 0, false, false, ranges(0, 32)).good();
        assertThat(read16(LUN_512, 0, 32)).isEqualTo(random(10, 4 * 4096));
        // Write Exclusive by C on the source: B may still read it
        register(C, 0xC);
        reserve(C, 0xC, PersistentReservationType.WRITE_EXCLUSIVE).good();
        wut(B, LUN_512, 2, t.bytes(), 0, false, false, ranges(100, 32)).good();
        // Exclusive Access: B may not read the source, so it may not use the token
        prOut(C, org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction.RELEASE,
                PersistentReservationType.WRITE_EXCLUSIVE, 0xC, 0).good();
        reserve(C, 0xC, PersistentReservationType.EXCLUSIVE_ACCESS).good();
        Result conflict = wut(B, LUN_512, 2, t.bytes(), 0, false, false, ranges(200, 32));
        assertThat(conflict.status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        wut(C, LUN_512, 2, t.bytes(), 0, false, false, ranges(200, 32)).good();
    }

    @Test
    void aTokenOfAnotherTargetIsUnknown() throws Exception {
        Map<Long, org.copyoffload.server.volume.Volume> luns = new java.util.LinkedHashMap<>();
        luns.put(LUN_4K, new org.copyoffload.server.volume.Volume("vol-4k", store4k, 4096));
        luns.put(LUN_512, new org.copyoffload.server.volume.Volume("vol-512", store512, 512));
        String otherName = "iqn.2026-01.org.copyoffload:other";
        ScsiTarget other = new ScsiTarget(otherName, luns, executor);
        ItNexus onOther = new ItNexus(A.initiatorName(), A.isid(), otherName, 1, 1);
        byte[] list = new PopulateTokenParameters(false, false, 0, 0, ranges(0, 4)).encode();
        ByteBuf out = Unpooled.wrappedBuffer(list);
        ScsiResponse r;
        try {
            r = other.execute(new ScsiCommand(onOther, LUN_4K, new TokenCopyCdb(
                    OperationCode.ExtendedCopy.POPULATE_TOKEN, 1, list.length, 0).encode(), out, list.length, false,
                    true, TaskAttribute.SIMPLE, 1)).join();
        } finally {
            out.release();
        }
        assertThat(r.status()).isEqualTo(ScsiStatus.GOOD);
        ScsiResponse info = other.execute(new ScsiCommand(onOther, LUN_4K, new ReceiveCopyResultsCdb(0x07, 1, 4096)
                .encode(), null, 4096, true, false, TaskAttribute.SIMPLE, 2)).join();
        byte[] data = io.netty.buffer.ByteBufUtil.getBytes(info.dataIn());
        info.release();
        RodToken foreign = RodTokenInformation.decode(data, data.length).token().orElseThrow();
        wut(LUN_512, foreign, 0, 32).check(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_UNKNOWN);
    }

    // ---------------------------------------------------------------- limits and refusals

    @Test
    void limitsAreEnforced() {
        long[] many = new long[2 * 65];
        for (int i = 0; i < 65; i++) {
            many[2 * i] = i * 2L;
            many[2 * i + 1] = 1;
        }
        populate(A, LUN_512, 1, new PopulateTokenParameters(false, false, 0, 0, ranges(many)))
                .check(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS);
        wut(A, LUN_512, 1, RodToken.blockDeviceZero().bytes(), 0, false, false, ranges(many))
                .check(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS);
        populate(A, LUN_512, 1, new PopulateTokenParameters(false, false, 0, 0, ranges(0, 8, 4, 8)))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(32, 7));
        populate(A, LUN_512, 1, new PopulateTokenParameters(false, false, 0, 0, ranges(BLOCKS_512 - 1, 2)))
                .check(AdditionalSense.LBA_OUT_OF_RANGE);
        populate(A, LUN_512, 1, new PopulateTokenParameters(true, false, 0, RodToken.TYPE_ACCESS_UPON_REFERENCE,
                ranges(0, 1))).check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(8, 7));
        populate(A, LUN_512, 1, new PopulateTokenParameters(true, false, 0, RodToken.TYPE_POINT_IN_TIME_ANY,
                ranges(0, 1))).good();
        assertThat(rrti(A, LUN_512, 1).token().orElseThrow().type())
                .isEqualTo(RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE);
        write(LUN_512, new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, 1, 10, 0).encode(), new byte[10])
                .check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        run(A, LUN_512, new ReceiveCopyResultsCdb(0x07, 77, 4096).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
    }

    @Test
    void atMostMaxTokensLiveTokens() {
        for (int i = 0; i < RodTokenRegistry.MAX_TOKENS; i++) {
            populate(A, LUN_512, i, new PopulateTokenParameters(false, false, 0, 0, ranges(i, 1))).good();
        }
        populate(A, LUN_512, 5000, new PopulateTokenParameters(false, false, 0, 0, ranges(0, 1)))
                .check(AdditionalSense.INSUFFICIENT_RESOURCES);
        write16(LUN_512, 7, random(11, 512)); // revokes one: room for one more
        populate(A, LUN_512, 5000, new PopulateTokenParameters(false, false, 0, 0, ranges(0, 1))).good();
        populate(A, LUN_512, 5001, new PopulateTokenParameters(false, false, 0, 0, ranges(0, 1)))
                .check(AdditionalSense.INSUFFICIENT_RESOURCES);
        advanceSeconds(61); // all expire
        populate(A, LUN_512, 5001, new PopulateTokenParameters(false, false, 0, 0, ranges(0, 1))).good();
    }

    /**
     * MAXIMUM TOKEN TRANSFER SIZE (8 Mi blocks) is more than these units hold, so the check is driven with a smaller
     * limit through the same routine both commands call: refused exactly past the limit, at the NUMBER OF LOGICAL
     * BLOCKS of the range that crosses it.
     */
    @Test
    void maximumTokenTransferSize() {
        org.copyoffload.protocol.scsi.RodTokenLimits small = new org.copyoffload.protocol.scsi.RodTokenLimits(64, 1,
                600, 60, 24, 8, 1 << 20, List.of());
        LogicalUnit u = target.unit(LUN_512);
        TokenCopyCommands.checkRanges(u, ranges(0, 8, 100, 16), 16, small);
        org.copyoffload.protocol.scsi.CheckCondition c = org.assertj.core.api.Assertions.catchThrowableOfType(
                org.copyoffload.protocol.scsi.CheckCondition.class,
                () -> TokenCopyCommands.checkRanges(u, ranges(0, 8, 100, 16, 200, 1), 16, small));
        assertThat(c.sense()).isEqualTo(SenseData.of(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST,
                FieldPointer.parameter(16 + 2 * 16 + 8, 7)));
    }

    @Test
    void thirdPartyCopyPageAdvertisesTheTokenLimits() {
        byte[] page = run(LUN_4K, new InquiryCdb(true, 0x8F, 4096).encode()).good().data();
        assertThat(page.length).isGreaterThanOrEqualTo(0x24);
        assertThat(Arrays.copyOfRange(page, 4, 40)).isEqualTo(HexFormat.of().parseHex(
                "0000 0020 000000000000 0040 00000258 0000003C 0000000000800000 0000000000020000".replace(" ", "")));
        assertThat(org.copyoffload.protocol.scsi.ThirdPartyCopyVpdPage.supportedCommands(page, page.length))
                .containsEntry(0x83, List.of(0x00, 0x01, 0x10, 0x11, 0x1C))
                .containsEntry(0x84, List.of(0x00, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08));
    }
}
