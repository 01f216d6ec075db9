package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReportZonesCdb.ReportingOption;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** ZBC IN / ZBC OUT CDBs, REPORT ZONES data and the B6h page against the byte layouts of ZBC-2. */
class ZbcCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void reportZonesAsLinuxSdZbcSendsIt() {
        // sd_zbc: ZBC IN, REPORT ZONES, LBA in bytes 2-9, buffer length in 10-13, PARTIAL (80h) in byte 14.
        byte[] cdb = hex("95 00 0000000000040000 00080000 80 00");
        ReportZonesCdb c = ReportZonesCdb.decode(cdb);
        assertThat(c).isEqualTo(new ReportZonesCdb(0x40000, 0x80000, true, ReportingOption.ALL));
        assertThat(c.encode()).isEqualTo(cdb);
    }

    @Test
    void reportZonesOptionsAndReservedOnes() {
        assertThat(ReportZonesCdb.decode(hex("95 00 0000000000000000 00001000 3F 00")).option())
                .isEqualTo(ReportingOption.NOT_WRITE_POINTER);
        assertThat(ReportZonesCdb.decode(hex("95 00 0000000000000000 00001000 BE 00")))
                .isEqualTo(new ReportZonesCdb(0, 0x1000, true, ReportingOption.ALL_EXCEPT_GAP));
        assertThatThrownBy(() -> ReportZonesCdb.decode(hex("95 00 0000000000000000 00001000 09 00")))
                .isInstanceOfSatisfying(CheckCondition.class, e -> {
                    assertThat(e.sense().additionalSense()).contains(AdditionalSense.INVALID_FIELD_IN_CDB);
                    assertThat(e.sense().fieldPointer()).contains(SenseData.FieldPointer.cdb(14, 5));
                    assertThat(e.getMessage()).contains("REPORTING OPTIONS = 9");
                });
        // REPORT REALMS (06h) and other ZBC IN actions are not implemented
        assertThatThrownBy(() -> ReportZonesCdb.decode(hex("95 06 0000000000000000 00001000 00 00")))
                .isInstanceOfSatisfying(CheckCondition.class, e -> assertThat(e.sense().fieldPointer())
                        .contains(SenseData.FieldPointer.cdb(1, 4)));
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x10, 0x11, 0x3E, 0x3F})
    void everyZbc2ReportingOptionDecodesAndReencodes(int option) {
        byte[] cdb = hex("95 00 0000000000001000 00000200 00 00");
        cdb[14] = (byte) option;
        assertThat(ReportZonesCdb.decode(cdb).encode()).isEqualTo(cdb);
    }

    @Test
    void zbcOutAsSgZoneSendsIt() {
        // sg_zone: SA in byte 1, ZONE ID in 2-9, ZONE COUNT in 12-13, ALL in byte 14 bit 0.
        byte[] cdb = hex("94 04 0000000000010000 0000 0003 00 00");
        ZbcOutCdb c = ZbcOutCdb.decode(cdb);
        assertThat(c).isEqualTo(new ZbcOutCdb(ZbcOut.RESET_WRITE_POINTER, 0x10000, 3, false));
        assertThat(c.zones()).isEqualTo(3);
        assertThat(c.encode()).isEqualTo(cdb);
        ZbcOutCdb all = ZbcOutCdb.decode(hex("94 01 0000000000000000 0000 0000 01 00"));
        assertThat(all).isEqualTo(new ZbcOutCdb(ZbcOut.CLOSE_ZONE, 0, 0, true));
        assertThat(all.zones()).isEqualTo(1);
        assertThat(ZbcOutCdb.decode(hex("94 02 0000000000000000 0000 0000 00 00")).action()).isEqualTo(ZbcOut.FINISH_ZONE);
        assertThat(ZbcOutCdb.decode(hex("94 03 0000000000000000 0000 0000 00 00")).action()).isEqualTo(ZbcOut.OPEN_ZONE);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x05, 0x06, 0x10, 0x1F})
    void zbcOutRefusesOtherServiceActions(int sa) {
        byte[] cdb = hex("94 00 0000000000000000 0000 0000 00 00");
        cdb[1] = (byte) sa;
        assertThatThrownBy(() -> ZbcOutCdb.decode(cdb)).isInstanceOfSatisfying(CheckCondition.class,
                e -> assertThat(e.sense().fieldPointer()).contains(SenseData.FieldPointer.cdb(1, 4)));
    }

    @Test
    void reportZonesDataLayout() {
        ZoneDescriptor empty = new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED, ZoneCondition.EMPTY, false,
                false, 0x4000, 0, 0);
        ZoneDescriptor full = new ZoneDescriptor(ZoneType.SEQUENTIAL_WRITE_REQUIRED, ZoneCondition.FULL, true, true,
                0x4000, 0x4000, 0x8000);
        byte[] b = new ReportZonesData(3 * 64, ReportZonesData.SAME_AS_FIRST, 0xFFFF, 0, List.of(empty, full))
                .encode();
        assertThat(b).hasSize(64 + 2 * 64);
        assertThat(HexFormat.of().formatHex(b, 0, 24)).isEqualTo("000000c0" + "01000000" + "000000000000ffff"
                + "0000000000000000");
        assertThat(HexFormat.of().formatHex(b, 64, 64 + 32)).isEqualTo("02100000" + "00000000"
                + "0000000000004000" + "0000000000000000" + "0000000000000000");
        assertThat(HexFormat.of().formatHex(b, 128, 128 + 32)).isEqualTo("02e30000" + "00000000"
                + "0000000000004000" + "0000000000004000" + "0000000000008000");
        ReportZonesData back = ReportZonesData.decode(b);
        assertThat(back.zoneListLength()).isEqualTo(192);
        assertThat(back.zones()).containsExactly(empty, full); // a list longer than the data: what arrived
        assertThat(back.maximumLba()).isEqualTo(0xFFFF);
    }

    static LongStream seeds() {
        return LongStream.range(0, 32).map(i -> 0x2B6_0000L + i);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomReportsRoundTrip(long seed) {
        Random r = new Random(seed);
        int n = r.nextInt(6);
        List<ZoneDescriptor> zones = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            zones.add(new ZoneDescriptor(ZoneType.values()[r.nextInt(ZoneType.values().length)],
                    ZoneCondition.values()[r.nextInt(ZoneCondition.values().length)], r.nextBoolean(),
                    r.nextBoolean(), r.nextLong(), r.nextLong(), r.nextLong()));
        }
        ReportZonesData d = new ReportZonesData(n * 64L, r.nextInt(16), r.nextLong(), r.nextLong(), zones);
        assertThat(ReportZonesData.decode(d.encode())).as("seed %d", seed).isEqualTo(d);
    }

    @Test
    void reportZonesDataRefusesWhatZbc2Reserves() {
        assertThatThrownBy(() -> ReportZonesData.decode(new byte[63])).hasMessageContaining("63 bytes");
        byte[] b = new byte[128];
        b[3] = 64;
        b[64] = 0x06;
        assertThatThrownBy(() -> ReportZonesData.decode(b)).hasMessageContaining("ZONE TYPE 6");
        b[64] = 0x02;
        b[65] = 0x60;
        assertThatThrownBy(() -> ReportZonesData.decode(b)).hasMessageContaining("ZONE CONDITION 6");
    }

    @ParameterizedTest
    @EnumSource(ZoneCondition.class)
    void conditionCodes(ZoneCondition c) {
        assertThat(ZoneCondition.lookup(c.code())).contains(c);
    }

    @Test
    void zonedBlockDeviceCharacteristicsPage() {
        byte[] page = new ZonedBlockDeviceCharacteristics(true, ZonedBlockDeviceCharacteristics.NOT_REPORTED,
                ZonedBlockDeviceCharacteristics.NOT_REPORTED, 14).encode(StandardInquiryData.HOST_MANAGED_ZONED_BLOCK_DEVICE);
        assertThat(page).hasSize(64);
        // PDT 14h, page B6h, length 3Ch; URSWRZ; optimal counts not reported; 14 open SWR zones at most (sd_zbc
        // reads bytes 8, 12 and 16).
        assertThat(HexFormat.of().formatHex(page, 0, 20)).isEqualTo("14b6003c" + "01000000" + "ffffffff"
                + "ffffffff" + "0000000e");
        assertThat(ZonedBlockDeviceCharacteristics.decode(page)).isEqualTo(new ZonedBlockDeviceCharacteristics(true,
                0xFFFF_FFFFL, 0xFFFF_FFFFL, 14));
        assertThatThrownBy(() -> ZonedBlockDeviceCharacteristics.decode(new byte[19])).hasMessageContaining("19 bytes");
        page[1] = (byte) 0xB1;
        assertThatThrownBy(() -> ZonedBlockDeviceCharacteristics.decode(page)).hasMessageContaining("B1h");
    }

    @Test
    void zbcSenseCodesAsLinuxScsiDebugReportsThem() {
        assertThat(AdditionalSense.UNALIGNED_WRITE_COMMAND.code()).isEqualTo(0x2104);
        assertThat(AdditionalSense.WRITE_BOUNDARY_VIOLATION.code()).isEqualTo(0x2105);
        assertThat(AdditionalSense.READ_BOUNDARY_VIOLATION.code()).isEqualTo(0x2107);
        assertThat(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES.code()).isEqualTo(0x550E);
        assertThat(AdditionalSense.INSUFFICIENT_ZONE_RESOURCES.key()).isEqualTo(SenseKey.DATA_PROTECT);
        assertThat(AdditionalSense.ZONE_IS_READ_ONLY.code()).isEqualTo(0x2708);
        assertThat(AdditionalSense.ZONE_IS_OFFLINE.code()).isEqualTo(0x2C0E);
        assertThat(AdditionalSense.ZONE_IS_OFFLINE.key()).isEqualTo(SenseKey.DATA_PROTECT);
    }
}
