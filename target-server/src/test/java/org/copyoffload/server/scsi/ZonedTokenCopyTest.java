package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.CopyResults.CopyOperationStatus;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PopulateTokenParameters;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.RodTokenInformation;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.SenseKey;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.WriteUsingTokenParameters;
import org.junit.jupiter.api.Test;

/**
 * WRITE USING TOKEN into the zoned logical unit obeys its write pointer rules as EXTENDED COPY does: a range list
 * that would break them is refused before any data moves (ILLEGAL REQUEST with the sense a WRITE of those blocks
 * gets); one refused part-way leaves the write pointers where the data ends, and RECEIVE ROD TOKEN INFORMATION
 * reports the blocks written. The zone base's unit: 16 zones of 64 blocks, at most 3 open and 4 active.
 */
class ZonedTokenCopyTest extends ZonedScsiTestBase {
    private RodToken token(long lba, long blocks) {
        byte[] list = new PopulateTokenParameters(false, false, 0, 0, List.of(new BlockDeviceRange(lba, blocks)))
                .encode();
        write(LUN_4K, new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, 1, list.length, 0).encode(), list)
                .good();
        return rrti(LUN_4K, 1).token().orElseThrow();
    }

    private RodTokenInformation rrti(long lun, long listId) {
        byte[] data = run(lun, new ReceiveCopyResultsCdb(0x07, listId, 4096).encode()).good().data();
        return RodTokenInformation.decode(data, data.length);
    }

    private Result wut(RodToken token, long... lbaBlocks) {
        List<BlockDeviceRange> ranges = new java.util.ArrayList<>();
        for (int i = 0; i < lbaBlocks.length; i += 2) {
            ranges.add(new BlockDeviceRange(lbaBlocks[i], lbaBlocks[i + 1]));
        }
        byte[] list = new WriteUsingTokenParameters(false, false, 0, token.bytes(), ranges).encode();
        return write(ZBC, new TokenCopyCdb(OperationCode.ExtendedCopy.WRITE_USING_TOKEN, 2, list.length, 0).encode(),
                list);
    }

    private static void sense(Result r, SenseKey key, AdditionalSense expected) {
        assertThat(r.status()).isEqualTo(ScsiStatus.CHECK_CONDITION);
        SenseData s = r.sense();
        assertThat(s.key()).as("%s", s).isEqualTo(key);
        assertThat(s.asc() << 8 | s.ascq()).as("%s", s).isEqualTo(expected.code());
    }

    @Test
    void aTokenCopiesIntoAZoneAtItsWritePointer() {
        byte[] data = random(1, 8 * BS);
        write16(LUN_4K, 0, data);
        wut(token(0, 8), ZONE, 8).good();
        ZoneDescriptor z = zone(1);
        assertThat(z.writePointer()).isEqualTo(ZONE + 8);
        assertThat(z.condition()).isEqualTo(ZoneCondition.IMPLICITLY_OPENED);
        assertThat(read16(ZBC, ZONE, 8)).isEqualTo(data);
        assertThat(rrti(ZBC, 2).transferCount()).isEqualTo(8);
        // The next copy continues at the moved write pointer.
        wut(token(0, 8), ZONE + 8, 8).good();
        assertThat(zone(1).writePointer()).isEqualTo(ZONE + 16);
    }

    @Test
    void rangesThatBreakTheRulesAreRefusedBeforeAnyDataMoves() {
        write16(LUN_4K, 0, random(2, 70 * BS));
        long writesBefore = zoneStore.writes.get();
        // off the write pointer
        sense(wut(token(0, 8), ZONE + 4, 8), SenseKey.ILLEGAL_REQUEST, AdditionalSense.UNALIGNED_WRITE_COMMAND);
        // across the end of zone 2
        sense(wut(token(0, 70), 2 * ZONE, 70), SenseKey.ILLEGAL_REQUEST, AdditionalSense.WRITE_BOUNDARY_VIOLATION);
        // the first range is fine, the second is not where the first leaves the write pointer: nothing is written
        sense(wut(token(0, 16), 3 * ZONE, 8, 3 * ZONE + 10, 8), SenseKey.ILLEGAL_REQUEST,
                AdditionalSense.UNALIGNED_WRITE_COMMAND);
        // a Full zone
        zbcOut(OperationCode.ZbcOut.FINISH_ZONE, 4 * ZONE, false).good();
        sense(wut(token(0, 1), 4 * ZONE, 1), SenseKey.ILLEGAL_REQUEST, AdditionalSense.INVALID_FIELD_IN_CDB);
        assertThat(zoneStore.writes.get()).isEqualTo(writesBefore);
        for (int i = 1; i <= 3; i++) {
            assertThat(zone(i).writePointer()).as("zone %d", i).isEqualTo(i * ZONE);
            assertThat(zone(i).condition()).as("zone %d", i).isEqualTo(ZoneCondition.EMPTY);
        }
    }

    @Test
    void theBlockDeviceZeroTokenWritesAtTheWritePointerToo() {
        writeAt(5 * ZONE, 4).good();
        wut(RodToken.blockDeviceZero(), 5 * ZONE + 4, 6).good();
        assertThat(zone(5).writePointer()).isEqualTo(5 * ZONE + 10);
        assertThat(read16(ZBC, 5 * ZONE + 4, 6)).isEqualTo(new byte[6 * BS]);
        sense(wut(RodToken.blockDeviceZero(), 5 * ZONE + 20, 1), SenseKey.ILLEGAL_REQUEST,
                AdditionalSense.UNALIGNED_WRITE_COMMAND);
    }

    /**
     * Open zone resources are not simulated before the copy: five ranges each opening a zone meet the unit's limit
     * of four active zones at the fifth, which is refused while the copy runs. The four before it stay written.
     */
    @Test
    void aCopyRefusedPartWayLeavesTheWritePointersWhereTheDataEnds() {
        byte[] data = random(3, 10 * BS);
        write16(LUN_4K, 0, data);
        Result r = wut(token(0, 10), 6 * ZONE, 2, 7 * ZONE, 2, 8 * ZONE, 2, 9 * ZONE, 2, 10 * ZONE, 2);
        sense(r, SenseKey.COPY_ABORTED, AdditionalSense.INSUFFICIENT_ZONE_RESOURCES);
        for (int i = 0; i < 4; i++) {
            assertThat(zone(6 + i).writePointer()).as("zone %d", 6 + i).isEqualTo((6 + i) * ZONE + 2);
            assertThat(read16(ZBC, (6 + i) * ZONE, 2)).isEqualTo(Arrays.copyOfRange(data, 2 * i * BS,
                    (2 * i + 2) * BS));
        }
        assertThat(zone(10).condition()).isEqualTo(ZoneCondition.EMPTY);
        RodTokenInformation info = rrti(ZBC, 2);
        assertThat(info.status()).isEqualTo(CopyOperationStatus.COMPLETED_WITH_ERRORS);
        assertThat(info.transferCount()).isEqualTo(8);
        SenseData s = SenseData.decode(info.sense());
        assertThat(s.asc() << 8 | s.ascq()).isEqualTo(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES.code());
    }
}
