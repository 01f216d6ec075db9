package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ListIdUsage;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseKey;
import org.junit.jupiter.api.Test;

/**
 * EXTENDED COPY into the zoned logical unit: segments that would break its write pointer rules are refused before
 * any data moves; one that fails part-way leaves the write pointer where the copied data ends, and RECEIVE COPY
 * RESULTS says how much was done.
 */
class ZonedExtendedCopyTest extends ZonedScsiTestBase {
    byte[] naa(long lun) {
        byte[] page = run(lun, new InquiryCdb(true, 0x83, 1024).encode()).good().data();
        return org.copyoffload.protocol.scsi.DeviceIdentification.logicalUnitNaa(page).orElseThrow();
    }

    CscdDescriptor cscd(long lun, int peripheralType) {
        return new CscdDescriptor(false, peripheralType, 0, 1, 0, 3, naa(lun), false, BS, 0);
    }

    static SegmentDescriptor segment(int source, int destination, int blocks, long sourceLba, long destinationLba) {
        return new SegmentDescriptor(false, false, source, destination, blocks, sourceLba, destinationLba, 0);
    }

    Result xcopy(int id, List<CscdDescriptor> cscds, List<SegmentDescriptor> segments) {
        byte[] list = new ExtendedCopyParameterList(id, false, ListIdUsage.HOLD, 0, cscds, segments, new byte[0])
                .encode();
        return write(LUN_4K, new ExtendedCopyCdb(list.length).encode(), list);
    }

    /** CSCD 0: the conventional 4 KiB unit (PDT 00h); 1: the zoned unit (PDT 14h). */
    List<CscdDescriptor> cscds() {
        return List.of(cscd(LUN_4K, 0), cscd(ZBC, 0x14));
    }

    SenseData copyAborted(Result r, AdditionalSense expected, int segment) {
        SenseData s = r.sense();
        assertThat(s.key()).as("%s", s).isEqualTo(SenseKey.COPY_ABORTED);
        assertThat(s.asc() << 8 | s.ascq()).as("%s", s).isEqualTo(expected.code());
        assertThat(s.commandSpecific().orElse(0)).as("segment of %s", s).isEqualTo(segment);
        return s;
    }

    @Test
    void segmentsIntoTheZonedUnitWriteAtTheWritePointerInListOrder() {
        byte[] data = random(1, 8 * BS);
        write16(LUN_4K, 100, data);
        writeAt(ZONE, 2).good();
        xcopy(1, cscds(), List.of(segment(0, 1, 3, 100, 0), segment(0, 1, 5, 103, 3), segment(0, 1, 2, 100, ZONE + 2)))
                .good();
        assertThat(read16(ZBC, 0, 8)).isEqualTo(data);
        assertThat(zone(0).writePointer()).isEqualTo(8);
        assertThat(zone(1).writePointer()).isEqualTo(ZONE + 4);
        // the zoned unit as a source: reads are unrestricted
        xcopy(2, cscds(), List.of(segment(1, 0, 3, 6, 200))).good();
        assertThat(read16(LUN_4K, 200, 3)).isEqualTo(concat(java.util.Arrays.copyOfRange(data, 6 * BS, 8 * BS),
                new byte[BS]));
        // a copy filling a zone makes it Full
        xcopy(3, cscds(), List.of(segment(0, 1, (int) ZONE, 0, 5 * ZONE))).good();
        assertThat(zone(5).condition()).isEqualTo(ZoneCondition.FULL);
    }

    @Test
    void aSegmentBreakingTheRulesRefusesTheListBeforeAnyDataMoves() {
        write16(LUN_4K, 0, random(2, 4 * BS));
        long writesBefore = zoneStore.writes.get();
        // segment 1 does not start where segment 0 leaves the write pointer
        copyAborted(xcopy(1, cscds(), List.of(segment(0, 1, 2, 0, 0), segment(0, 1, 1, 0, 3))),
                AdditionalSense.UNALIGNED_WRITE_COMMAND, 1);
        // segment 2 crosses the end of zone 1
        copyAborted(xcopy(2, cscds(), List.of(segment(0, 0, 1, 0, 9), segment(0, 1, 1, 0, 0),
                        segment(0, 1, 2, 0, 2 * ZONE - 1))), AdditionalSense.WRITE_BOUNDARY_VIOLATION, 2);
        // within the zoned unit, reading what it writes
        copyAborted(xcopy(3, cscds(), List.of(segment(1, 1, 4, 0, 0))),
                AdditionalSense.INVALID_OPERATION_FOR_COPY_SOURCE_OR_DESTINATION, 0);
        assertThat(zoneStore.writes.get()).as("nothing written to the zoned unit").isEqualTo(writesBefore);
        assertThat(zone(0).condition()).isEqualTo(ZoneCondition.EMPTY);
        assertThat(read16(LUN_4K, 9, 1)).as("nor to the conventional one").isEqualTo(new byte[BS]);
        // a full zone, a read-only one
        zbcOut(ZbcOut.FINISH_ZONE, 3 * ZONE, false).good();
        copyAborted(xcopy(4, cscds(), List.of(segment(0, 1, 1, 0, 3 * ZONE))), AdditionalSense.INVALID_FIELD_IN_CDB, 0);
        try {
            zones.setReadOnly(4);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        copyAborted(xcopy(5, cscds(), List.of(segment(0, 1, 1, 0, 4 * ZONE))), AdditionalSense.ZONE_IS_READ_ONLY, 0);
        // a CSCD must give the unit's own device type
        xcopy(6, List.of(cscd(LUN_4K, 0), cscd(ZBC, 0)), List.of(segment(0, 1, 1, 0, 0)))
                .check(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE);
        xcopy(7, List.of(cscd(LUN_4K, 0x14), cscd(ZBC, 0x14)), List.of(segment(0, 1, 1, 0, 0)))
                .check(AdditionalSense.INCORRECT_COPY_TARGET_DEVICE_TYPE);
    }

    @Test
    void aCopyFailingPartWayLeavesTheWritePointerWhereItsDataEnds() {
        byte[] data = random(3, 4 * BS);
        write16(LUN_4K, 0, data);
        // segment 1 reads past the end of the source: segment 0 is copied, then the copy stops
        copyAborted(xcopy(9, cscds(), List.of(segment(0, 1, 4, 0, 0), segment(0, 1, 2, BLOCKS_4K - 1, 4))),
                AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, 1);
        assertThat(zone(0).writePointer()).isEqualTo(4);
        assertThat(read16(ZBC, 0, 4)).isEqualTo(data);
        byte[] status = run(LUN_4K, new ReceiveCopyResultsCdb(0x00, 9, 1024).encode()).good().data();
        // COPY STATUS: aborted (02h), 1 segment processed, transfer count 4 blocks of 4 KiB in bytes
        assertThat(HexFormat.of().formatHex(status)).isEqualTo("00000008" + "02" + "0001" + "00" + "00004000");
        // an I/O error while writing the zoned unit: the write pointer covers the blocks of the failed chunk, as
        // after a failed WRITE (the host got an error and must reset or finish the zone)
        zoneStore.failWrites = true;
        try {
            copyAborted(xcopy(10, cscds(), List.of(segment(0, 1, 1, 0, 4))), AdditionalSense.THIRD_PARTY_DEVICE_FAILURE,
                    0);
        } finally {
            zoneStore.failWrites = false;
        }
        assertThat(zone(0).writePointer()).isEqualTo(5);
        // zone resources met while copying stop the copy there
        writeAt(7 * ZONE, 1).good();
        zbcOut(ZbcOut.CLOSE_ZONE, 7 * ZONE, false).good();
        zbcOut(ZbcOut.OPEN_ZONE, ZONE, false).good();
        zbcOut(ZbcOut.OPEN_ZONE, 2 * ZONE, false).good(); // zones 0 (implicitly), 1, 2 open; 7 closed: 4 active
        copyAborted(xcopy(11, cscds(), List.of(segment(0, 1, 1, 0, 5), segment(0, 1, 1, 0, 6 * ZONE))),
                AdditionalSense.INSUFFICIENT_ZONE_RESOURCES, 1);
        assertThat(zone(0).writePointer()).isEqualTo(6);
    }
}
