package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.copyoffload.backends.zone.ZoneState;
import org.copyoffload.protocol.nvme.zns.ZoneSendAction;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CacheRangeCdb;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.OperationCode.ServiceActionIn16;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportSupportedOpcodesCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb.ReportingOption;
import org.copyoffload.protocol.scsi.ReportZonesData;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneType;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.SupportedOperationCodes;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.VerifyCdb;
import org.copyoffload.protocol.scsi.VpdPage;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.copyoffload.protocol.scsi.ZbcOutCdb;
import org.copyoffload.protocol.scsi.ZonedBlockDeviceCharacteristics;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.volume.Volume;
import org.copyoffload.server.volume.ZonedVolume;
import org.junit.jupiter.api.Test;

/**
 * The host managed zoned logical unit of {@link ZonedScsiTestBase}: identification, REPORT ZONES, ZBC OUT, the write pointer rules and every sense
 * code a zoned unit reports, and the commands that do not apply to it.
 */
class ZonedLogicalUnitTest extends ZonedScsiTestBase {
    @Test
    void identifiesAsAHostManagedZonedDevice() {
        byte[] standard = run(ZBC, new InquiryCdb(false, 0, 96).encode()).good().data();
        assertThat(standard[0]).isEqualTo((byte) 0x14);
        byte[] pages = run(ZBC, new InquiryCdb(true, VpdPage.SUPPORTED_VPD_PAGES, 255).encode()).good().data();
        assertThat(pages[0]).isEqualTo((byte) 0x14);
        assertThat(java.util.Arrays.copyOfRange(pages, 4, pages.length))
                .containsExactly(0x00, 0x80, 0x83, 0x86, 0x8F, 0xB0, 0xB1, 0xB6);
        byte[] b6 = run(ZBC, new InquiryCdb(true, 0xB6, 255).encode()).good().data();
        assertThat(ZonedBlockDeviceCharacteristics.decode(b6)).isEqualTo(new ZonedBlockDeviceCharacteristics(true,
                ZonedBlockDeviceCharacteristics.NOT_REPORTED, ZonedBlockDeviceCharacteristics.NOT_REPORTED, 3));
        byte[] b1 = run(ZBC, new InquiryCdb(true, 0xB1, 255).encode()).good().data();
        assertThat(b1[8] & 0x30).as("ZONED 00b: the device type says host managed").isZero();
        run(ZBC, new InquiryCdb(true, 0xB2, 255).encode()).check(AdditionalSense.INVALID_FIELD_IN_CDB);
        // the conventional units do not have the zoned page
        run(LUN_4K, new InquiryCdb(true, 0xB6, 255).encode()).check(AdditionalSense.INVALID_FIELD_IN_CDB);
        byte[] cap = run(ZBC, new ServiceActionIn16Cdb(ServiceActionIn16.READ_CAPACITY_16.code(), 0, 32).encode())
                .good().data();
        assertThat(java.nio.ByteBuffer.wrap(cap).getLong()).isEqualTo(ZONE * ZONES - 1);
        assertThat(cap[12] >> 4 & 3).as("RC BASIS").isEqualTo(1);
        assertThat(cap[14] & 0x80).as("LBPME").isZero();
    }

    @Test
    void reportZonesListsEveryZoneWithItsConditionAndWritePointer() {
        writeAt(ZONE, 3).good();
        zbcOut(ZbcOut.OPEN_ZONE, 2 * ZONE, false).good();
        zbcOut(ZbcOut.FINISH_ZONE, 3 * ZONE, false).good();
        ReportZonesData all = report(0, ReportingOption.ALL, false, 64 + ZONES * 64);
        assertThat(all.zoneListLength()).isEqualTo(ZONES * 64);
        assertThat(all.same()).isEqualTo(1);
        assertThat(all.maximumLba()).isEqualTo(ZONE * ZONES - 1);
        assertThat(all.zones()).hasSize(ZONES);
        assertThat(all.zones().get(0)).isEqualTo(new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED,
                ZoneCondition.EMPTY, false, false, ZONE, 0, 0));
        assertThat(all.zones().get(1)).isEqualTo(new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED,
                ZoneCondition.IMPLICITLY_OPENED, false, false, ZONE, ZONE, ZONE + 3));
        assertThat(all.zones().get(2).condition()).isEqualTo(ZoneCondition.EXPLICITLY_OPENED);
        assertThat(all.zones().get(3)).isEqualTo(new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED,
                ZoneCondition.FULL, false, false, ZONE, 3 * ZONE, 4 * ZONE));
        // options filter; PARTIAL decides whether ZONE LIST LENGTH counts what did not fit
        assertThat(report(0, ReportingOption.EMPTY, false, 64 + 2 * 64).zoneListLength()).isEqualTo((ZONES - 3) * 64);
        assertThat(report(0, ReportingOption.EMPTY, true, 64 + 2 * 64).zoneListLength()).isEqualTo(2 * 64);
        assertThat(report(0, ReportingOption.IMPLICITLY_OPENED, false, 4096).zones()).extracting(ZoneDescriptor::startLba)
                .containsExactly(ZONE);
        assertThat(report(0, ReportingOption.EXPLICITLY_OPENED, false, 4096).zones()).hasSize(1);
        assertThat(report(0, ReportingOption.FULL, false, 4096).zones()).hasSize(1);
        assertThat(report(0, ReportingOption.CLOSED, false, 4096).zones()).isEmpty();
        for (ReportingOption none : List.of(ReportingOption.NOT_WRITE_POINTER, ReportingOption.INACTIVE,
                ReportingOption.RESET_WRITE_POINTER_RECOMMENDED, ReportingOption.NON_SEQUENTIAL_WRITE_RESOURCES_ACTIVE,
                ReportingOption.READ_ONLY, ReportingOption.OFFLINE)) {
            assertThat(report(0, none, false, 4096).zoneListLength()).as("%s", none).isZero();
        }
        assertThat(report(0, ReportingOption.ALL_EXCEPT_GAP, false, 4096).zoneListLength()).isEqualTo(ZONES * 64);
        // from the zone holding the start LBA
        assertThat(report(ZONE + 5, ReportingOption.ALL, false, 4096).zones().getFirst().startLba()).isEqualTo(ZONE);
        // a short allocation length cuts the data, header included
        assertThat(run(ZBC, new ReportZonesCdb(0, 10, false, ReportingOption.ALL).encode()).good().data()).hasSize(10);
        run(ZBC, new ReportZonesCdb(ZONE * ZONES, 4096, false, ReportingOption.ALL).encode())
                .check(AdditionalSense.LBA_OUT_OF_RANGE, FieldPointer.cdb(2, 7));
        byte[] reserved = new ReportZonesCdb(0, 4096, false, ReportingOption.ALL).encode();
        reserved[14] = 0x09;
        run(ZBC, reserved).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(14, 5));
    }

    @Test
    void writesOnlyAtTheWritePointerWithZbcSense() {
        writeAt(0, 2).good();
        writeAt(2, 1).good();
        writeAt(2, 1).check(AdditionalSense.UNALIGNED_WRITE_COMMAND);
        writeAt(5, 1).check(AdditionalSense.UNALIGNED_WRITE_COMMAND);
        writeAt(ZONE - 1, 2).check(AdditionalSense.WRITE_BOUNDARY_VIOLATION); // crosses into zone 1, checked first
        writeAt(3, (int) ZONE - 3).good();
        assertThat(zone(0).condition()).isEqualTo(ZoneCondition.FULL);
        writeAt(0, 1).check(AdditionalSense.INVALID_FIELD_IN_CDB); // a full zone, as scsi_debug
        assertThat(read16(ZBC, 0, 3)).isEqualTo(concat(random(0, 2 * BS), random(2, BS)));
        // WRITE (10) and a FUA write take the same path; zero blocks is no write at all
        write(ZBC, new ReadWriteCdb(OperationCode.WRITE_10, ZONE, 1, 0, false, true).encode(), random(9, BS)).good();
        write(ZBC, new ReadWriteCdb(OperationCode.WRITE_10, 7 * ZONE + 9, 0, 0, false, false).encode(), new byte[0])
                .good();
        assertThat(zone(1).writePointer()).isEqualTo(ZONE + 1);
        assertThat(zone(7).condition()).isEqualTo(ZoneCondition.EMPTY);
        // a refused write changes nothing
        assertThat(zone(1).condition()).isEqualTo(ZoneCondition.IMPLICITLY_OPENED);
        // WRITE AND VERIFY writes at the write pointer too, and compares what it wrote
        write(ZBC, new VerifyCdb(OperationCode.WRITE_AND_VERIFY_16, 2 * ZONE, 2, 0, false, 1).encode(),
                random(5, 2 * BS)).good();
        write(ZBC, new VerifyCdb(OperationCode.WRITE_AND_VERIFY_16, 2 * ZONE + 5, 1, 0, false, 1).encode(),
                random(6, BS)).check(AdditionalSense.UNALIGNED_WRITE_COMMAND);
        assertThat(zone(2).writePointer()).isEqualTo(2 * ZONE + 2);
        assertThat(read16(ZBC, 2 * ZONE, 2)).isEqualTo(random(5, 2 * BS));
    }

    @Test
    void readsAreUnrestrictedAcrossZonesAndAboveTheWritePointer() {
        writeAt(0, (int) ZONE).good();
        writeAt(ZONE, 1).good();
        byte[] read = read16(ZBC, ZONE - 1, 3); // last block of zone 0, first of zone 1, one above its WP
        assertThat(read).isEqualTo(concat(java.util.Arrays.copyOfRange(random(0, (int) ZONE * BS), (int) (ZONE - 1) * BS,
                (int) ZONE * BS), random(ZONE, BS), new byte[BS]));
        run(ZBC, new VerifyCdb(OperationCode.VERIFY_16, 0, 2 * ZONE, 0, false, 0).encode()).good();
    }

    @Test
    void readOnlyAndOfflineZonesAreDataProtect() throws Exception {
        writeAt(4 * ZONE, 1).good();
        zones.setReadOnly(4);
        writeAt(4 * ZONE + 1, 1).check(AdditionalSense.ZONE_IS_READ_ONLY);
        zbcOut(ZbcOut.RESET_WRITE_POINTER, 4 * ZONE, false).check(AdditionalSense.ZONE_IS_READ_ONLY);
        zbcOut(ZbcOut.OPEN_ZONE, 4 * ZONE, false).check(AdditionalSense.ZONE_IS_READ_ONLY);
        assertThat(read16(ZBC, 4 * ZONE, 1)).isEqualTo(random(4 * ZONE, BS)); // still readable
        assertThat(report(0, ReportingOption.READ_ONLY, false, 4096).zones()).extracting(ZoneDescriptor::startLba)
                .containsExactly(4 * ZONE);
        zones.manage(ZoneSendAction.OFFLINE, 4 * ZONE, false); // NVMe's action: ZBC has none
        writeAt(4 * ZONE + 1, 1).check(AdditionalSense.ZONE_IS_OFFLINE);
        run(ZBC, new ReadWriteCdb(OperationCode.READ_16, 4 * ZONE - 1, 2, 0, false, false).encode())
                .check(AdditionalSense.ZONE_IS_OFFLINE);
        zbcOut(ZbcOut.FINISH_ZONE, 4 * ZONE, false).check(AdditionalSense.ZONE_IS_OFFLINE);
        // ALL skips them
        zbcOut(ZbcOut.RESET_WRITE_POINTER, 0, true).good();
        assertThat(zone(4).condition()).isEqualTo(ZoneCondition.OFFLINE);
    }

    @Test
    void insufficientZoneResourcesWhenExplicitlyOpenedZonesHoldThemAll() {
        for (int z = 0; z < 3; z++) {
            zbcOut(ZbcOut.OPEN_ZONE, z * ZONE, false).good();
        }
        writeAt(5 * ZONE, 1).check(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES);
        zbcOut(ZbcOut.OPEN_ZONE, 5 * ZONE, false).check(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES);
        // an implicitly opened zone is closed to make room for a write (ZBC-2, as scsi_debug)
        zbcOut(ZbcOut.CLOSE_ZONE, 0, false).good();
        writeAt(6 * ZONE, 1).good();
        writeAt(7 * ZONE, 1).good(); // closes zone 6 (implicitly opened) for its open resource
        assertThat(zone(6).condition()).isEqualTo(ZoneCondition.CLOSED);
        // ZBC-2 has no active limit, but the volume's NVMe side has one (4: zones 1, 2, 6, 7): the same sense
        writeAt(8 * ZONE, 1).check(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES);
        zbcOut(ZbcOut.OPEN_ZONE, 0, true).check(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES); // all closed, or none
        assertThat(zone(6).condition()).isEqualTo(ZoneCondition.CLOSED);
        zbcOut(ZbcOut.RESET_WRITE_POINTER, 6 * ZONE, false).good();
        writeAt(0, 1).good(); // zone 0 was closed to Empty (nothing written): it opens again
    }

    @Test
    void zoneActionsWithZbcRules() {
        zbcOut(ZbcOut.OPEN_ZONE, ZONE, false).good();
        zbcOut(ZbcOut.CLOSE_ZONE, ZONE, false).good();
        assertThat(zone(1).condition()).as("an unwritten zone closes to Empty in ZBC").isEqualTo(ZoneCondition.EMPTY);
        zbcOut(ZbcOut.CLOSE_ZONE, ZONE, false).good(); // Empty: no change
        writeAt(ZONE, 2).good();
        zbcOut(ZbcOut.CLOSE_ZONE, ZONE, false).good();
        assertThat(zone(1).condition()).isEqualTo(ZoneCondition.CLOSED);
        zbcOut(ZbcOut.OPEN_ZONE, 0, true).good();
        assertThat(zone(1).condition()).isEqualTo(ZoneCondition.EXPLICITLY_OPENED);
        zbcOut(ZbcOut.FINISH_ZONE, ZONE, false).good();
        assertThat(zone(1)).isEqualTo(new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED, ZoneCondition.FULL,
                false, false, ZONE, ZONE, 2 * ZONE));
        zbcOut(ZbcOut.OPEN_ZONE, ZONE, false).good(); // Full: no change
        zbcOut(ZbcOut.CLOSE_ZONE, ZONE, false).good();
        assertThat(zone(1).condition()).isEqualTo(ZoneCondition.FULL);
        zbcOut(ZbcOut.RESET_WRITE_POINTER, ZONE, false).good();
        assertThat(zone(1).condition()).isEqualTo(ZoneCondition.EMPTY);
        assertThat(read16(ZBC, ZONE, 2)).isEqualTo(new byte[2 * BS]); // reset: the blocks read as zeros
        writeAt(3 * ZONE, 1).good();
        zbcOut(ZbcOut.FINISH_ZONE, 0, true).good();
        assertThat(zone(3).condition()).isEqualTo(ZoneCondition.FULL);
        zbcOut(ZbcOut.RESET_WRITE_POINTER, 0, true).good();
        assertThat(report(0, ReportingOption.EMPTY, false, 4096).zoneListLength()).isEqualTo(ZONES * 64);
        // ZONE ID checks, ZONE COUNT
        zbcOut(ZbcOut.OPEN_ZONE, ZONE + 1, false).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        zbcOut(ZbcOut.RESET_WRITE_POINTER, ZONE * ZONES, false).check(AdditionalSense.LBA_OUT_OF_RANGE,
                FieldPointer.cdb(2, 7));
        run(ZBC, new ZbcOutCdb(ZbcOut.RESET_WRITE_POINTER, 0, 2, false).encode())
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(12, 7));
        run(ZBC, new ZbcOutCdb(ZbcOut.RESET_WRITE_POINTER, 0, 1, false).encode()).good();
        byte[] sequentialize = new ZbcOutCdb(ZbcOut.OPEN_ZONE, 0, 0, false).encode();
        sequentialize[1] = 0x10;
        run(ZBC, sequentialize).check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 4));
        assertThat(zones.model().openCount()).isZero();
    }

    @Test
    void persistentReservationsHoldZoneActionsAndLetReportsThrough() {
        java.util.HexFormat hex = java.util.HexFormat.of();
        // REGISTER with SERVICE ACTION RESERVATION KEY 123ABCh, then RESERVE Write Exclusive with it (SPC-4 6.16)
        byte[] register = hex.parseHex("5F000000000000001800");
        byte[] sark = hex.parseHex("0000000000000000" + "0000000000123ABC" + "00000000" + "0000" + "0000");
        byte[] holdKey = hex.parseHex("0000000000123ABC" + "0000000000000000" + "00000000" + "0000" + "0000");
        write(A, ZBC, register, sark).good();
        write(A, ZBC, hex.parseHex("5F010100000000001800"), holdKey).good();
        assertThat(run(B, ZBC, new ZbcOutCdb(ZbcOut.OPEN_ZONE, 0, 0, false).encode()).status())
                .isEqualTo(org.copyoffload.protocol.scsi.ScsiStatus.RESERVATION_CONFLICT);
        run(B, ZBC, new ReportZonesCdb(0, 4096, false, ReportingOption.ALL).encode()).good();
        run(A, ZBC, new ZbcOutCdb(ZbcOut.OPEN_ZONE, 0, 0, false).encode()).good();
    }

    @Test
    void synchronizeCacheMakesTheWritePointersDurable() throws Exception {
        writeAt(0, 5).good();
        run(ZBC, new CacheRangeCdb(OperationCode.SYNCHRONIZE_CACHE_10, 0, 0, false).encode()).good();
        // reopened from the metadata file: the zone is where the synced write left it (Closed after a restart)
        zones.close();
        ServerConfig.Volume config = new ServerConfig.Volume("zbc", dir.resolve("zbc.img"), ZONE * ZONES * BS, BS,
                new ServerConfig.Zoned(ZONE, ZONE, 4, 3));
        zones = ZonedVolume.open(config, zoneStore);
        assertThat(zones.model().zone(0).writePointer()).isEqualTo(5);
        assertThat(zones.model().zone(0).state()).isEqualTo(ZoneState.CLOSED);
    }

    @Test
    void commandsThatWouldWriteOffTheWritePointerDoNotExistOnAZonedUnit() {
        run(ZBC, new WriteSameCdb(OperationCode.WRITE_SAME_16, 0, 1, 0, false, false, true).encode())
                .check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        write(ZBC, new UnmapCdb(false, 24).encode(), new byte[24]).check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        write(ZBC, new CompareAndWriteCdb(0, 1, 0, false, false).encode(), new byte[2 * BS])
                .check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        // and the zone commands do not exist on a conventional one
        run(LUN_4K, new ReportZonesCdb(0, 4096, false, ReportingOption.ALL).encode())
                .check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        run(LUN_4K, new ZbcOutCdb(ZbcOut.RESET_WRITE_POINTER, 0, 0, true).encode())
                .check(AdditionalSense.INVALID_COMMAND_OPERATION_CODE);
        // REPORT SUPPORTED OPERATION CODES says the same per unit
        assertThat(supported(ZBC, 0x95, 0x00)).isEqualTo(SupportedOperationCodes.SUPPORT_STANDARD);
        assertThat(supported(ZBC, 0x93, -1)).isEqualTo(SupportedOperationCodes.SUPPORT_NOT_SUPPORTED);
        assertThat(supported(LUN_4K, 0x93, -1)).isEqualTo(SupportedOperationCodes.SUPPORT_STANDARD);
        assertThat(supported(LUN_4K, 0x94, 0x04)).isEqualTo(SupportedOperationCodes.SUPPORT_NOT_SUPPORTED);
    }

    private int supported(long lun, int opcode, int serviceAction) {
        byte[] data = run(lun, new ReportSupportedOpcodesCdb(false, serviceAction < 0 ? 1 : 3, opcode,
                Math.max(0, serviceAction), 512).encode()).good().data();
        return data[1] & 0x07;
    }
}
