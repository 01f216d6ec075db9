package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import io.netty.buffer.ByteBuf;
import org.copyoffload.backends.copy.CopyEngine;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.protocol.scsi.CopyOperationAbortCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ByteOffsetSegmentDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.Format;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.Segment;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.nvme.NvmeTarget;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ListIdUsage;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.server.volume.Volume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * EXTENDED COPY (LID1) and RECEIVE COPY RESULTS through the target: copies inside one logical unit and between two
 * of the same block size (LUN 0 and an extra 4 KiB LUN 2), overlapping ranges, every refusal and abort, the status
 * held per nexus and list identifier, and a seeded model check of random lists.
 */
class ThirdPartyCopyTest extends ScsiTestBase {
    static final long LUN_4K_B = 2;
    static final long BLOCKS_4K_B = 1024; // 4 MiB
    private static final int COPY_STATUS = 0x00;
    private static final int OPERATING_PARAMETERS = 0x03;
    private static final int FAILED_SEGMENT_DETAILS = 0x04;
    private static final int COPY_STATUS_LID4 = 0x05;
    private static final int COPY_DATA_LID4 = 0x06;
    private CountingStore extra;
    /** What the copy observer (the metrics' source) was told, one line per EXTENDED COPY. */
    private final List<String> observed = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    ScsiTarget newTarget(Map<Long, Volume> luns) {
        try {
            extra = new CountingStore(FileBlockStore.open(dir.resolve("lu2.img"), BLOCKS_4K_B * 4096, true));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Map<Long, Volume> all = new java.util.LinkedHashMap<>(luns);
        all.put(LUN_4K_B, new Volume("vol-4k-b", extra, 4096));
        ScsiTarget t = new ScsiTarget(TARGET, all, executor, new CopyEngine(NvmeTarget.scratchStores(dir)));
        t.copyObserver((sa, result, bytes) -> observed.add(sa + " " + result + " " + bytes));
        return t;
    }

    @AfterEach
    void closeExtra() throws IOException {
        extra.close();
    }

    // ---------------------------------------------------------------- helpers

    /** The NAA designator of {@code lun}'s Device Identification page, as sg_xcopy and libiscsi pick it. */
    byte[] naa(long lun) {
        byte[] page = run(lun, new InquiryCdb(true, 0x83, 1024).encode()).good().data();
        return org.copyoffload.protocol.scsi.DeviceIdentification.logicalUnitNaa(page)
                .orElseThrow(() -> new AssertionError("no NAA designator for LUN " + lun));
    }

    CscdDescriptor cscd(long lun) {
        return cscd(naa(lun), blockSize(lun == LUN_4K_B ? LUN_4K : lun));
    }

    static CscdDescriptor cscd(byte[] designator, int blockSize) {
        return new CscdDescriptor(false, 0, 0, 1, 0, 3, designator, false, blockSize, 0);
    }

    static SegmentDescriptor segment(int source, int destination, int blocks, long sourceLba, long destinationLba) {
        return new SegmentDescriptor(false, false, source, destination, blocks, sourceLba, destinationLba, 0);
    }

    static byte[] list(int id, ListIdUsage usage, List<CscdDescriptor> cscds, List<? extends Segment> segments) {
        return new ExtendedCopyParameterList(id, false, usage, 0, cscds, segments, new byte[0]).encode();
    }

    Result xcopy(ItNexus nexus, long lun, byte[] list) {
        return write(nexus, lun, new ExtendedCopyCdb(list.length).encode(), list);
    }

    Result xcopy(byte[] list) {
        return xcopy(A, LUN_4K, list);
    }

    Result results(ItNexus nexus, long lun, int sa, int listId) {
        return run(nexus, lun, new ReceiveCopyResultsCdb(sa, listId, 1024).encode());
    }

    Result results(int sa, int listId) {
        return results(A, LUN_4K, sa, listId);
    }

    static long commandSpecific(SenseData s) {
        return s.commandSpecific().orElse(0);
    }

    byte[] readLun(long lun, long lba, int blocks) {
        return read16(lun, lba, blocks);
    }

    // ---------------------------------------------------------------- copies

    @Test
    void copyWithinOneLogicalUnitAndItsStatus() {
        byte[] data = random(1, 8 * 4096);
        write16(LUN_4K, 0, data);
        xcopy(list(1, ListIdUsage.HOLD, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 8, 0, 100)))).good();
        assertThat(readLun(LUN_4K, 100, 8)).isEqualTo(data);
        byte[] status = results(COPY_STATUS, 1).good().data();
        assertThat(HexFormat.of().formatHex(status)).isEqualTo("00000008" + "01" + "0001" + "00" + "00008000");
        assertThat(results(FAILED_SEGMENT_DETAILS, 1).good().data()).isEqualTo(new byte[4]);
        // Another nexus holds no such list.
        results(B, LUN_4K, COPY_STATUS, 1).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
    }

    @Test
    void copyBetweenLogicalUnitsSentToAThird() {
        byte[] a = random(2, 16 * 4096);
        write16(LUN_4K, 40, a);
        // Sent to the 512-byte LUN: its copy manager copies between the two 4 KiB ones. A zero-block segment does
        // nothing and counts as processed.
        xcopy(A, LUN_512, list(9, ListIdUsage.HOLD_NO_DATA, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                List.of(segment(0, 1, 10, 40, 0), segment(0, 1, 0, 0, 5), segment(0, 1, 6, 50, BLOCKS_4K_B - 6))))
                .good();
        assertThat(readLun(LUN_4K_B, 0, 10)).isEqualTo(Arrays.copyOfRange(a, 0, 10 * 4096));
        assertThat(readLun(LUN_4K_B, BLOCKS_4K_B - 6, 6)).isEqualTo(Arrays.copyOfRange(a, 10 * 4096, 16 * 4096));
        byte[] status = results(A, LUN_512, COPY_STATUS, 9).good().data();
        assertThat(HexFormat.of().formatHex(status)).isEqualTo("00000008" + "01" + "0003" + "00" + "00010000");
        // The list is held by the logical unit that received the command.
        results(A, LUN_4K, COPY_STATUS, 9).check(AdditionalSense.INVALID_FIELD_IN_CDB);
    }

    @Test
    void overlappingRangesCopyLikeMemmoveAndSegmentsSeeEarlierOnes() {
        byte[] data = random(3, 16 * 4096);
        write16(LUN_4K, 0, data);
        // Forward overlap inside one segment, then a segment reading what the first wrote.
        xcopy(list(0, ListIdUsage.NONE, List.of(cscd(LUN_4K)),
                List.of(segment(0, 0, 16, 0, 4), segment(0, 0, 4, 16, 200)))).good();
        byte[] expected = new byte[20 * 4096];
        System.arraycopy(data, 0, expected, 0, 4 * 4096);
        System.arraycopy(data, 0, expected, 4 * 4096, 16 * 4096);
        assertThat(readLun(LUN_4K, 0, 20)).isEqualTo(expected);
        assertThat(readLun(LUN_4K, 200, 4)).isEqualTo(Arrays.copyOfRange(data, 12 * 4096, 16 * 4096));
        // Backward overlap.
        xcopy(list(0, ListIdUsage.NONE, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 16, 4, 2)))).good();
        assertThat(readLun(LUN_4K, 2, 16)).isEqualTo(data);
        // LIST ID USAGE 11b holds nothing.
        results(COPY_STATUS, 0).check(AdditionalSense.INVALID_FIELD_IN_CDB);
    }

    @Test
    void zeroLengthParameterListIsGood() {
        write(LUN_4K, new ExtendedCopyCdb(0).encode(), new byte[0]).good();
    }

    // ---------------------------------------------------------------- refusals before any copy

    @Test
    void badDescriptorTypesPointIntoTheParameterList() {
        byte[] l = list(1, ListIdUsage.HOLD, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0, 1)));
        byte[] badCscd = l.clone();
        badCscd[16] = (byte) 0xE0;
        xcopy(badCscd).check(AdditionalSense.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE, FieldPointer.parameter(16, 7));
        byte[] badSegment = l.clone();
        badSegment[48] = 0x03;
        xcopy(badSegment).check(AdditionalSense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE,
                FieldPointer.parameter(48, 7));
        // Nothing was started: the list identifier is free.
        results(COPY_STATUS, 1).check(AdditionalSense.INVALID_FIELD_IN_CDB);
        xcopy(Arrays.copyOf(l, 40)).check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
    }

    @Test
    void tooManyDescriptors() {
        CscdDescriptor c = cscd(LUN_4K);
        List<CscdDescriptor> cscds = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            cscds.add(c);
        }
        xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(segment(0, 0, 1, 0, 1))))
                .check(AdditionalSense.TOO_MANY_TARGET_DESCRIPTORS);
        List<SegmentDescriptor> segments = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            segments.add(segment(0, 0, 1, i, 1000 + i));
        }
        xcopy(list(1, ListIdUsage.HOLD, List.of(c), segments)).check(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS);
        // 64 of each are taken.
        xcopy(list(1, ListIdUsage.HOLD, cscds.subList(0, 64), segments.subList(0, 64))).good();
        byte[] op = results(OPERATING_PARAMETERS, 0).good().data();
        assertThat(HexFormat.of().formatHex(op, 8, 20)).isEqualTo("004000400000100004000000");
    }

    // ---------------------------------------------------------------- COPY ABORTED while processing

    @Test
    void unknownDesignatorAbortsAtItsSegmentAndEarlierSegmentsStayCopied() {
        byte[] data = random(4, 4096);
        write16(LUN_4K, 7, data);
        byte[] stranger = naa(LUN_4K);
        stranger[15] ^= 1;
        byte[] l = list(5, ListIdUsage.HOLD, List.of(cscd(LUN_4K), cscd(stranger, 4096)),
                List.of(segment(0, 0, 1, 7, 8), segment(0, 1, 1, 7, 9)));
        SenseData s = xcopy(l).check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        assertThat(commandSpecific(s)).as("segment number").isEqualTo(1);
        assertThat(readLun(LUN_4K, 8, 1)).isEqualTo(data);
        byte[] status = results(COPY_STATUS, 5).good().data();
        assertThat(HexFormat.of().formatHex(status)).isEqualTo("00000008" + "02" + "0001" + "00" + "00001000");
        byte[] details = results(FAILED_SEGMENT_DETAILS, 5).good().data();
        assertThat(details[56]).as("COPY COMMAND STATUS: CHECK CONDITION").isEqualTo((byte) 0x02);
        int senseLength = (details[58] & 0xFF) << 8 | details[59] & 0xFF;
        SenseData held = SenseData.decode(Arrays.copyOfRange(details, 60, 60 + senseLength));
        assertThat(held).isEqualTo(s);
        // Once transferred, the details are discarded with the list identifier.
        results(FAILED_SEGMENT_DETAILS, 5).check(AdditionalSense.INVALID_FIELD_IN_CDB);
    }

    @Test
    void everyAbortNamesItsSegment() {
        CscdDescriptor lun0 = cscd(LUN_4K);
        CscdDescriptor lun1 = cscd(LUN_512);
        // Beyond the end of the source, then of the destination (libiscsi ExtendedCopy.ValidSegDescr).
        SenseData s = xcopy(list(1, ListIdUsage.HOLD, List.of(lun0),
                List.of(segment(0, 0, 1, 0, 1), segment(0, 0, 2, BLOCKS_4K - 1, 0))))
                .check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        assertThat(commandSpecific(s)).isEqualTo(1);
        s = xcopy(list(1, ListIdUsage.HOLD, List.of(lun0), List.of(segment(0, 0, 2048, 0, BLOCKS_4K - 1))))
                .check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        assertThat(commandSpecific(s)).isEqualTo(0);
        // A CSCD index past the list.
        s = xcopy(list(2, ListIdUsage.HOLD, List.of(lun0), List.of(segment(0, 1, 1, 0, 1))))
                .check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        assertThat(commandSpecific(s)).isEqualTo(0);
        // Different logical block lengths.
        s = xcopy(list(3, ListIdUsage.HOLD, List.of(lun0, lun1),
                List.of(segment(0, 0, 1, 0, 1), segment(0, 0, 1, 0, 2), segment(0, 1, 1, 0, 0))))
                .check(AdditionalSense.INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION);
        assertThat(commandSpecific(s)).isEqualTo(2);
        // A null device, and one that is not a block device.
        CscdDescriptor nul = new CscdDescriptor(true, 0, 0, 1, 0, 3, naa(LUN_4K), false, 4096, 0);
        xcopy(list(4, ListIdUsage.HOLD, List.of(nul), List.of(segment(0, 0, 1, 0, 1))))
                .check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        CscdDescriptor tape = new CscdDescriptor(false, 1, 0, 1, 0, 3, naa(LUN_4K), false, 4096, 0);
        xcopy(list(4, ListIdUsage.HOLD, List.of(tape), List.of(segment(0, 0, 1, 0, 1))))
                .check(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE);
        // Descriptor-format sense (D_SENSE) carries the segment in a command-specific information descriptor.
        assertThat(SenseData.withCommandSpecific(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, 1)
                .encodeDescriptor()[8]).isEqualTo((byte) 0x01);
    }

    @Test
    void ioErrorIsThirdPartyDeviceFailure() {
        xcopy(list(1, ListIdUsage.HOLD, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                List.of(segment(0, 1, 1, 0, 0)))).good();
        extra.failWrites = true;
        try {
            SenseData s = xcopy(list(1, ListIdUsage.HOLD, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                    List.of(segment(0, 0, 1, 0, 1), segment(0, 1, 1, 0, 0))))
                    .check(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE);
            assertThat(commandSpecific(s)).isEqualTo(1);
        } finally {
            extra.failWrites = false;
        }
        assertThat(HexFormat.of().formatHex(results(COPY_STATUS, 1).good().data(), 4, 7)).isEqualTo("020001");
    }

    @Test
    void thirdPartyCopyPageListsTheCommands() {
        byte[] page = run(LUN_4K, new InquiryCdb(true, 0x8F, 1024).encode()).good().data();
        assertThat(page[1]).isEqualTo((byte) 0x8F);
        // Block Device ROD Token Limits first (36 bytes), then Supported Commands: 83h with 00h, 01h, 10h, 11h,
        // 1Ch; 84h with 00h, 03h, 04h, 05h, 06h, 07h, 08h (17 bytes, padded to 20).
        assertThat(HexFormat.of().formatHex(page, 4, 8)).isEqualTo("00000020");
        assertThat(HexFormat.of().formatHex(page, 40, 40 + 4 + 20)).isEqualTo("00010014" + "10" + "83050001"
                + "10111c" + "840700030405060708" + "000000");
    }

    // ---------------------------------------------------------------- a seeded model check

    /**
     * Random lists of up to 6 segments between the first 64 blocks of LUN 0 and LUN 2, some reaching past the end
     * of LUN 2, against byte arrays: each segment is applied in order as a memmove, and a list stops at its first
     * out-of-range segment, which the sense names.
     */
    @Test
    void randomListsMatchAByteArrayModel() {
        Random rnd = new Random(20260106);
        int span = 64;
        byte[][] model = {random(10, span * 4096), random(11, span * 4096)};
        write16(LUN_4K, 0, model[0]);
        write16(LUN_4K_B, 0, model[1]);
        List<CscdDescriptor> cscds = List.of(cscd(LUN_4K), cscd(LUN_4K_B));
        for (int round = 0; round < 40; round++) {
            int n = 1 + rnd.nextInt(6);
            List<SegmentDescriptor> segments = new ArrayList<>();
            int failAt = -1;
            for (int k = 0; k < n; k++) {
                int src = rnd.nextInt(2);
                int dst = rnd.nextInt(2);
                int blocks = rnd.nextInt(17);
                long srcLba = rnd.nextInt(span - blocks + 1);
                long dstLba = rnd.nextInt(span - blocks + 1);
                if (rnd.nextInt(10) == 0) {
                    dst = 1;
                    blocks = 1 + rnd.nextInt(8);
                    dstLba = BLOCKS_4K_B - rnd.nextInt(blocks); // reaches past the end
                    if (failAt < 0) {
                        failAt = k;
                    }
                }
                segments.add(segment(src, dst, blocks, srcLba, dstLba));
            }
            Result r = xcopy(list(round & 0xFF, ListIdUsage.HOLD, cscds, segments));
            int applied = failAt < 0 ? n : failAt;
            for (int k = 0; k < applied; k++) {
                SegmentDescriptor s = segments.get(k);
                byte[] moved = Arrays.copyOfRange(model[s.sourceIndex()], (int) s.sourceLba() * 4096,
                        (int) (s.sourceLba() + s.blocks()) * 4096);
                System.arraycopy(moved, 0, model[s.destinationIndex()], (int) s.destinationLba() * 4096,
                        moved.length);
            }
            if (failAt < 0) {
                r.good();
            } else {
                assertThat(commandSpecific(r.check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE)))
                        .as("round %d", round).isEqualTo(failAt);
            }
            assertThat(readLun(LUN_4K, 0, span)).as("LUN 0 after round %d", round).isEqualTo(model[0]);
            assertThat(readLun(LUN_4K_B, 0, span)).as("LUN 2 after round %d", round).isEqualTo(model[1]);
            byte[] status = results(COPY_STATUS, round & 0xFF).good().data();
            assertThat(((status[5] & 0xFF) << 8) | status[6] & 0xFF).isEqualTo(applied);
        }
    }

    // ---------------------------------------------------------------- LID4, 0Ah, COPY OPERATION ABORT

    static byte[] lid4(long id, ListIdUsage usage, boolean immediate, List<CscdDescriptor> cscds,
                       List<? extends Segment> segments) {
        return new ExtendedCopyParameterList(Format.LID4, id, false, usage, 0, immediate, false, cscds,
                List.copyOf(segments), new byte[0]).encode();
    }

    Result xcopy4(byte[] list) {
        return write(A, LUN_4K, new ExtendedCopyCdb(OperationCode.ExtendedCopy.LID4, list.length).encode(), list);
    }

    Result status4(long listId) {
        return run(A, LUN_4K, new ReceiveCopyResultsCdb(COPY_STATUS_LID4, listId, 1024).encode());
    }

    /**
     * The LID4 status of a copy in the background, polled (bounded: about 3 s) until its operation status is no
     * longer 12h (in progress in the background).
     */
    byte[] statusOnceEnded(long listId) throws InterruptedException {
        byte[] status = null;
        for (int i = 0; i < 3000; i++) {
            status = status4(listId).good().data();
            if (status[5] != 0x12) {
                break;
            }
            Thread.sleep(1);
        }
        return status;
    }

    Result abort(long listId) {
        return run(A, LUN_4K, new CopyOperationAbortCdb(listId).encode());
    }

    @Test
    void lid4CopyStatusThenTheListIdentifierIsReleased() {
        byte[] data = random(20, 8 * 4096);
        write16(LUN_4K, 0, data);
        xcopy4(lid4(0x89ABCDEFL, ListIdUsage.HOLD_NO_DATA, false, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                List.of(segment(0, 1, 8, 0, 16), segment(1, 0, 8, 16, 300)))).good();
        assertThat(readLun(LUN_4K_B, 16, 8)).isEqualTo(data);
        assertThat(readLun(LUN_4K, 300, 8)).isEqualTo(data);
        // RECEIVE COPY DATA: block to block copies hold no data.
        assertThat(run(A, LUN_4K, new ReceiveCopyResultsCdb(COPY_DATA_LID4, 0x89ABCDEFL, 64).encode()).good()
                .data()).isEqualTo(new byte[4]);
        byte[] status = status4(0x89ABCDEFL).good().data();
        assertThat(HexFormat.of().formatHex(status)).isEqualTo("0000001c" + "01" + "01" + "0002" + "00000000" + "00"
                + "00" + "00" + "00" + "0000000000010000" + "0002" + "000000000000");
        // Returned once completed: the identifier is free again.
        status4(0x89ABCDEFL).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        xcopy4(lid4(0x89ABCDEFL, ListIdUsage.HOLD_NO_DATA, false, List.of(cscd(LUN_4K)),
                List.of(segment(0, 0, 1, 0, 1)))).good();
        assertThat(observed).contains("lid4 good 65536", "lid4 good 4096");
    }

    @Test
    void lid4FailureCarriesItsSenseAndTransferCount() {
        SenseData s = xcopy4(lid4(5, ListIdUsage.HOLD, false, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                List.of(segment(0, 1, 4, 0, 0), segment(0, 1, 4, 0, BLOCKS_4K_B - 2))))
                .check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        assertThat(commandSpecific(s)).isEqualTo(1);
        byte[] status = status4(5).good().data();
        // 02h completed with errors, status CHECK CONDITION, 18 bytes of fixed sense, 16 KiB moved, 1 segment.
        assertThat(HexFormat.of().formatHex(status, 4, 26)).isEqualTo("01" + "02" + "0001" + "00000000" + "02" + "12"
                + "12" + "00" + "0000000000004000" + "0001");
        assertThat(SenseData.decode(Arrays.copyOfRange(status, 32, status.length)).commandSpecific())
                .hasValue(1);
        assertThat(observed).containsExactly("lid4 error 16384");
    }

    @Test
    void listIdentifiersAreThoseOfTheNexusAndSharedByBothFormats() {
        xcopy4(lid4(7, ListIdUsage.HOLD, false, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0, 1)))).good();
        // The LID1 view of the same identifier.
        assertThat(HexFormat.of().formatHex(results(COPY_STATUS, 7).good().data(), 4, 7)).isEqualTo("010001");
        // Nexus B holds no list 7, in either view.
        results(B, LUN_4K, COPY_STATUS, 7).check(AdditionalSense.INVALID_FIELD_IN_CDB);
        run(B, LUN_4K, new ReceiveCopyResultsCdb(COPY_STATUS_LID4, 7, 64).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        run(B, LUN_4K, new CopyOperationAbortCdb(7).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        // A completed copy's identifier may be used again; aborting a completed copy changes nothing.
        abort(7).good();
        xcopy(list(7, ListIdUsage.HOLD, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0, 2)))).good();
        // IMMED needs an identifier to be held.
        xcopy4(lid4(0, ListIdUsage.NONE, true, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0, 1))))
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(15, 0));
    }

    /**
     * A copy held at its first source read (the test store's gate, no sleeps): while it runs its list identifier is
     * in use for both formats, its status says in progress; COPY OPERATION ABORT then stops it after the segment
     * under way, so it ends TASK ABORTED with that one segment copied and the LID4 status says terminated.
     */
    @Test
    void copyOperationAbortStopsARunningCopyBetweenSegments() throws Exception {
        byte[] data = random(30, 24 * 4096);
        write16(LUN_4K_B, 0, data);
        byte[] before = readLun(LUN_4K, 500, 16);
        CountingStore.ReadGate gate = extra.holdReads();
        byte[] list = lid4(0x42, ListIdUsage.HOLD, false, List.of(cscd(LUN_4K_B), cscd(LUN_4K)),
                List.of(segment(0, 1, 8, 0, 492), segment(0, 1, 8, 8, 500), segment(0, 1, 8, 16, 508)));
        ByteBuf[] owned = new ByteBuf[1];
        CompletableFuture<ScsiResponse> running = submit(A, LUN_4K,
                new ExtendedCopyCdb(OperationCode.ExtendedCopy.LID4, list.length).encode(), list, list.length,
                false, true, owned);
        Result done;
        try {
            assertThat(gate.awaitFirstRead()).isTrue();
            xcopy(list(0x42, ListIdUsage.HOLD, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0, 1))))
                    .check(AdditionalSense.OPERATION_IN_PROGRESS, FieldPointer.parameter(0, 7));
            xcopy4(lid4(0x42, ListIdUsage.HOLD_NO_DATA, false, List.of(cscd(LUN_4K)), List.of(segment(0, 0, 1, 0,
                    1)))).check(AdditionalSense.OPERATION_IN_PROGRESS, FieldPointer.parameter(20, 7));
            assertThat(HexFormat.of().formatHex(status4(0x42).good().data(), 4, 6)).isEqualTo("0111");
            results(FAILED_SEGMENT_DETAILS, 0x42).check(AdditionalSense.OPERATION_IN_PROGRESS);
            run(A, LUN_4K, new ReceiveCopyResultsCdb(COPY_DATA_LID4, 0x42, 64).encode())
                    .check(AdditionalSense.OPERATION_IN_PROGRESS);
            abort(0x42).good();
            abort(0x43).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        } finally {
            gate.close();
            done = collect(running);
            owned[0].release();
        }
        assertThat(done.status()).isEqualTo(ScsiStatus.TASK_ABORTED);
        assertThat(readLun(LUN_4K, 492, 8)).isEqualTo(Arrays.copyOfRange(data, 0, 8 * 4096));
        assertThat(readLun(LUN_4K, 500, 16)).as("segments after the abort are not copied").isEqualTo(before);
        byte[] status = status4(0x42).good().data();
        assertThat(HexFormat.of().formatHex(status, 4, 26)).isEqualTo("01" + "60" + "0001" + "00000000" + "40"
                + "00" + "00" + "00" + "0000000000008000" + "0001");
        assertThat(observed).containsExactly("lid4 aborted 32768");
    }

    /**
     * ABORT TASK (and the other task management functions, through the transport's {@code abortTask}) stops the
     * copy of the aborted task at its next chunk: nothing is written after the host was told the task is gone.
     */
    @Test
    void abortingTheTaskStopsItsCopyBetweenSegments() throws Exception {
        byte[] data = random(32, 24 * 4096);
        write16(LUN_4K_B, 0, data);
        byte[] before = readLun(LUN_4K, 700, 16);
        CountingStore.ReadGate gate = extra.holdReads();
        byte[] list = list(0x51, ListIdUsage.HOLD, List.of(cscd(LUN_4K_B), cscd(LUN_4K)),
                List.of(segment(0, 1, 8, 0, 692), segment(0, 1, 8, 8, 700), segment(0, 1, 8, 16, 708)));
        ByteBuf[] owned = new ByteBuf[1];
        CompletableFuture<ScsiResponse> running = submit(A, LUN_4K, new ExtendedCopyCdb(list.length).encode(), list,
                list.length, false, true, owned);
        long tag = lastTag();
        Result done;
        try {
            assertThat(gate.awaitFirstRead()).isTrue();
            target.abortTask(B, LUN_4K, tag); // another nexus's task of that tag: not this copy
            target.abortTask(A, LUN_4K_B, tag); // another LU: not this copy
            target.abortTask(A, LUN_4K, tag);
        } finally {
            gate.close();
            done = collect(running);
            owned[0].release();
        }
        assertThat(done.status()).isEqualTo(ScsiStatus.TASK_ABORTED);
        assertThat(readLun(LUN_4K, 692, 8)).isEqualTo(Arrays.copyOfRange(data, 0, 8 * 4096));
        assertThat(readLun(LUN_4K, 700, 16)).as("segments after the abort are not copied").isEqualTo(before);
    }

    @Test
    void aLogicalUnitResetStopsACopyInTheBackground() throws Exception {
        byte[] data = random(33, 24 * 4096);
        write16(LUN_4K_B, 0, data);
        byte[] before = readLun(LUN_4K, 800, 16);
        CountingStore.ReadGate gate = extra.holdReads();
        try {
            xcopy4(lid4(0x52, ListIdUsage.HOLD_NO_DATA, true, List.of(cscd(LUN_4K_B), cscd(LUN_4K)),
                    List.of(segment(0, 1, 8, 0, 792), segment(0, 1, 8, 8, 800), segment(0, 1, 8, 16, 808)))).good();
            assertThat(gate.awaitFirstRead()).isTrue();
            assertThat(target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K))
                    .isEqualTo(TaskManagementFunction.Response.FUNCTION_COMPLETE);
        } finally {
            gate.close();
        }
        run(A, LUN_4K, new byte[6]).check(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED); // TEST UNIT READY
        byte[] status = statusOnceEnded(0x52);
        assertThat(HexFormat.of().formatHex(status, 4, 6)).as("terminated").isEqualTo("0160");
        assertThat(readLun(LUN_4K, 800, 16)).as("segments after the reset are not copied").isEqualTo(before);
    }

    @Test
    void immediateCopyCompletesInTheBackground() throws Exception {
        byte[] data = random(31, 8 * 4096);
        write16(LUN_4K_B, 0, data);
        CountingStore.ReadGate gate = extra.holdReads();
        try {
            // GOOD while the copy is held at its first read.
            xcopy4(lid4(9, ListIdUsage.HOLD_NO_DATA, true, List.of(cscd(LUN_4K_B), cscd(LUN_4K)),
                    List.of(segment(0, 1, 8, 0, 600)))).good();
            assertThat(gate.awaitFirstRead()).isTrue();
            assertThat(HexFormat.of().formatHex(status4(9).good().data(), 4, 6)).isEqualTo("0112");
        } finally {
            gate.close();
        }
        byte[] status = statusOnceEnded(9);
        assertThat(HexFormat.of().formatHex(status, 4, 6)).isEqualTo("0101");
        assertThat(readLun(LUN_4K, 600, 8)).isEqualTo(data);
    }

    @Test
    void byteOffsetSegmentsCopyBytesAndKeepTheRestOfTheirBlocks() {
        byte[] source = random(40, 16 * 4096);
        byte[] target = random(41, 4 * 4096);
        write16(LUN_4K, 0, source);
        write16(LUN_4K_B, 100, target);
        // 8 KiB from LBA 1 + 512 to LBA 100 + 1024 of the other unit: three destination blocks, partly written.
        xcopy(list(3, ListIdUsage.HOLD, List.of(cscd(LUN_4K), cscd(LUN_4K_B)),
                List.of(new ByteOffsetSegmentDescriptor(false, 0, 1, 8192, 1, 100, 512, 1024, 0)))).good();
        byte[] expected = target.clone();
        System.arraycopy(source, 4096 + 512, expected, 1024, 8192);
        assertThat(readLun(LUN_4K_B, 100, 4)).isEqualTo(expected);
        assertThat(HexFormat.of().formatHex(results(COPY_STATUS, 3).good().data(), 4, 12))
                .isEqualTo("01" + "0001" + "00" + "00002000");
        // libiscsi's Large: one 0Ah segment of MAXIMUM SEGMENT LENGTH, whole blocks, is not refused for its size.
        byte[] op = results(OPERATING_PARAMETERS, 0).good().data();
        long max = Integer.toUnsignedLong(java.nio.ByteBuffer.wrap(op, 16, 4).getInt());
        assertThat(max).isEqualTo(64L << 20);
        assertThat(Arrays.copyOfRange(op, 44, op.length)).containsExactly(0x02, 0x0A, 0xE4);
        xcopy(list(0, ListIdUsage.NONE, List.of(cscd(LUN_4K)),
                List.of(new ByteOffsetSegmentDescriptor(false, 0, 0, 4096, 0, BLOCKS_4K - 1, 0, 0, 0)))).good();
    }

    @Test
    void byteOffsetSegmentRules() {
        List<CscdDescriptor> cscds = List.of(cscd(LUN_4K), cscd(LUN_4K_B));
        // An offset outside its block, or a length off the 512-byte granularity: COPY ABORTED at that segment.
        SenseData s = xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(segment(0, 1, 1, 0, 0),
                new ByteOffsetSegmentDescriptor(false, 0, 1, 4096, 0, 0, 4096, 0, 0))))
                .check(AdditionalSense.COPY_SEGMENT_GRANULARITY_VIOLATION);
        assertThat(commandSpecific(s)).isEqualTo(1);
        xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(new ByteOffsetSegmentDescriptor(false, 0, 1, 100, 0, 0, 0, 0,
                0)))).check(AdditionalSense.COPY_SEGMENT_GRANULARITY_VIOLATION);
        // Past the end by a byte offset.
        xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(new ByteOffsetSegmentDescriptor(false, 0, 1, 4096, 0,
                BLOCKS_4K_B - 1, 0, 512, 0)))).check(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
        // Over MAXIMUM SEGMENT LENGTH: 0Ah is refused with the list, at NUMBER OF BYTES.
        xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(new ByteOffsetSegmentDescriptor(false, 0, 1,
                (64L << 20) + 512, 0, 0, 0, 0, 0)))).check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST,
                FieldPointer.parameter(16 + 64 + 8, 7));
        // A 02h segment over it (65535 blocks of 4 KiB) is aborted at its turn, pointing at NUMBER OF BLOCKS.
        Result r = xcopy(list(1, ListIdUsage.HOLD, cscds, List.of(segment(0, 1, 1, 0, 0),
                segment(0, 0, 0xFFFF, 0, 0))));
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        SenseData big = r.sense();
        assertThat(big.key()).isEqualTo(org.copyoffload.protocol.scsi.SenseKey.COPY_ABORTED);
        assertThat(big.asc() << 8 | big.ascq()).isEqualTo(0x2600);
        assertThat(big.commandSpecific()).hasValue(1);
        assertThat(big.fieldPointer()).contains(FieldPointer.parameter(16 + 64 + 28 + 10, 7));
    }
}
