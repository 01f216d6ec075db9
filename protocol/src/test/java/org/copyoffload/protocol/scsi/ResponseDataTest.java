package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.copyoffload.protocol.scsi.DeviceIdentification.Designator;
import org.junit.jupiter.api.Test;

/** Parameter data layouts: INQUIRY and VPD pages (SPC-5 6.7, 7.7; SBC-4 6.6), capacity, LBA status, LUNs, modes. */
class ResponseDataTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static String hexOf(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void standardInquiry() {
        byte[] b = new StandardInquiryData(0, false, 6, true, 0, false, false, true, "COPYOFFL", "copyoffload", "0.1",
                List.of(0x00A0, 0x0960, 0x0460, 0x04C0)).encode();
        assertThat(b).hasSize(74);
        assertThat(hexOf(java.util.Arrays.copyOf(b, 8))).isEqualTo("0000061245000002");
        assertThat(new String(b, 8, 28, java.nio.charset.StandardCharsets.US_ASCII))
                .isEqualTo("COPYOFFLcopyoffload     0.1 ");
        assertThat(hexOf(java.util.Arrays.copyOfRange(b, 58, 74))).isEqualTo("00a00960046004c00000000000000000");
    }

    @Test
    void vpdHeaderCarriesQualifierTypeAndPageLength() {
        assertThat(new SupportedVpdPages(List.of(0x00, 0x80, 0x83)).encode(0x00)).isEqualTo(hex("00 00 0003 00 80 83"));
        assertThat(new UnitSerialNumber("AB12").encode(0x7F)).isEqualTo(hex("7F 80 0004 41423132"));
    }

    @Test
    void deviceIdentificationDesignators() {
        byte[] vendorSpecific = hex("0F 0102030405060708090A0B0C");
        Designator naa = Designator.naaRegisteredExtended(0x02C00F, vendorSpecific);
        // 6h | company id 02C00Fh | 100 vendor specific bits.
        assertThat(naa.designator()).isEqualTo(hex("602C00FF0102030405060708090A0B0C"));
        Designator port = Designator.scsiNameString(Designator.ASSOCIATION_TARGET_PORT,
                OptionalInt.of(Designator.PROTOCOL_ISCSI), "iqn.x,t,0x0001");
        Designator rel = Designator.relativeTargetPort(Designator.PROTOCOL_ISCSI, 1);
        Designator tpg = Designator.targetPortGroup(1);
        byte[] page = new DeviceIdentification(List.of(naa, port, rel, tpg)).encode(0);
        assertThat(hexOf(page)).isEqualTo("00830038"
                + "01030010" + "602c00ff0102030405060708090a0b0c"
                // UTF-8, PIV, target port, SCSI name string; "iqn.x,t,0x0001" + NUL padded to 16 bytes
                + "5398" + "0010" + "69716e2e782c742c3078303030310000"
                + "51940004" + "00000001"
                + "01150004" + "00000001");
    }

    @Test
    void blockLimitsFieldOffsets() {
        byte[] page = new BlockLimits(true, 128, 1, 256, 256, 0, 0x100000, 4095, 8, -1, 0xFFFF).encode(0);
        assertThat(page).hasSize(64);
        assertThat(hexOf(java.util.Arrays.copyOf(page, 44))).isEqualTo("00b0003c" // header, page length 3Ch
                + "01" + "80" + "0001"     // WSNZ, MAXIMUM COMPARE AND WRITE LENGTH, OPTIMAL TRANSFER LENGTH GRAN.
                + "00000100" + "00000100"  // MAXIMUM / OPTIMAL TRANSFER LENGTH
                + "00000000"               // MAXIMUM PREFETCH LENGTH
                + "00100000" + "00000fff"  // MAXIMUM UNMAP LBA COUNT / BLOCK DESCRIPTOR COUNT
                + "00000008" + "00000000"  // OPTIMAL UNMAP GRANULARITY, UGAVALID 0
                + "000000000000ffff");     // MAXIMUM WRITE SAME LENGTH
        assertThat(new BlockLimits(false, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0).encode(0)[32] & 0xFF).isEqualTo(0x80);
    }

    @Test
    void provisioningCharacteristicsAndExtendedInquiry() {
        assertThat(new LogicalBlockProvisioning(0, true, true, true, 1, false, 2).encode(0))
                .isEqualTo(hex("00b20004 00 e4 02 00"));
        byte[] b1 = new BlockDeviceCharacteristics(1, 0, 0, true).encode(0);
        assertThat(hexOf(java.util.Arrays.copyOf(b1, 9))).isEqualTo("00b1003c0001000001");
        byte[] ext = new ExtendedInquiryData(false, false, true, true, false, 32).encode(0);
        assertThat(hexOf(java.util.Arrays.copyOf(ext, 14))).isEqualTo("0086003c" + "00" + "01" + "01" + "000000000000" + "20");
    }

    @Test
    void readCapacity() {
        ReadCapacityData big = new ReadCapacityData(0x1_0000_0000L, 512, 3, true, true, 0);
        assertThat(big.encode10()).isEqualTo(hex("FFFFFFFF 00000200"));
        assertThat(hexOf(big.encode16())).isEqualTo("0000000100000000" + "00000200" + "10" + "03" + "c000"
                + "00000000000000000000000000000000");
    }

    @Test
    void lbaStatusAndReportLuns() {
        assertThat(LbaStatusDescriptor.encode(List.of(new LbaStatusDescriptor(5, 3, 1))))
                .isEqualTo(hex("00000014 00000000 0000000000000005 00000003 01 000000"));
        assertThat(new ReportLunsData(List.of(0L, 300L)).encode())
                .isEqualTo(hex("00000010 00000000 0000000000000000 412C000000000000"));
    }

    @Test
    void modePages() {
        assertThat(new ModePage.Caching(true, false).encode()).isEqualTo(hex("0812 04" + "00".repeat(17)));
        assertThat(new ModePage.Control(0, true, 1, 0, false, false, 0xFFFF).encode())
                .isEqualTo(hex("0A0A 04 10 00 00 0000 FFFF 0000"));
        assertThat(ModePage.Control.decode(new ModePage.Control(0, true, 1, 0, false, false, 0xFFFF).encode()).dSense())
                .isTrue();
        assertThat(new ModePage.InformationalExceptions(true, 0).encode()).isEqualTo(hex("1C0A 08 00" + "00".repeat(8)));
    }

    @Test
    void modeParameterHeadersAndBlockDescriptors() {
        byte[] caching = new ModePage.Caching(true, false).encode();
        byte[] six = ModeParameters.encode(false, ModeParameters.DPOFUA,
                Optional.of(new ModeParameters.BlockDescriptor(0x1_0000_0000L, 4096)), false, List.of(caching));
        assertThat(hexOf(java.util.Arrays.copyOf(six, 12))).isEqualTo("1f001008" + "ffffffff00001000");
        byte[] ten = ModeParameters.encode(true, 0, Optional.of(new ModeParameters.BlockDescriptor(7, 512)), true,
                List.of());
        assertThat(ten).isEqualTo(hex("0016 00 00 01 00 0010 0000000000000007 00000000 00000200"));

        ModeParameters.Parsed parsed = ModeParameters.decode(false, six, six.length);
        assertThat(parsed.deviceSpecific()).isEqualTo(0x10);
        assertThat(parsed.blockDescriptors()).containsExactly(new ModeParameters.BlockDescriptor(0xFFFF_FFFFL, 4096, 4, false));
        assertThat(parsed.pages()).hasSize(1);
        assertThat(parsed.pages().get(0).offset()).isEqualTo(12);
        assertThat(parsed.pages().get(0).bytes()).isEqualTo(caching);
    }

    @Test
    void truncatedModeParameterListsAreLengthErrors() {
        byte[] six = ModeParameters.encode(false, 0, Optional.empty(), false,
                List.of(new ModePage.Caching(true, false).encode()));
        for (int length : new int[] {2, 5, 23}) {
            assertThat(CdbDecodeTest.catchSense(() -> ModeParameters.decode(false, six, length)))
                    .isEqualTo(new SenseData(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        }
        byte[] badDescriptorLength = hex("00000004 00000000");
        assertThat(CdbDecodeTest.catchSense(() -> ModeParameters.decode(false, badDescriptorLength, 8)))
                .isEqualTo(SenseData.of(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST,
                        SenseData.FieldPointer.parameter(3, 7)));
    }

    @Test
    void supportedOperationCodes() {
        SupportedOperationCodes.Timeouts t = new SupportedOperationCodes.Timeouts(1, 30);
        byte[] all = SupportedOperationCodes.encodeAll(List.of(
                new SupportedOperationCodes.Command(0x28, OptionalInt.empty(), 10, t),
                new SupportedOperationCodes.Command(0x9E, OptionalInt.of(0x10), 16, t)), true);
        assertThat(hexOf(all)).isEqualTo("00000028"
                + "28000000000200" + "0a" + "000a0000" + "00000001" + "0000001e"
                + "9e000010000300" + "10" + "000a0000" + "00000001" + "0000001e");
        byte[] one = SupportedOperationCodes.encodeOne(SupportedOperationCodes.SUPPORT_STANDARD, hex("0000"), t, false);
        assertThat(one).isEqualTo(hex("00 03 0002 0000"));
        assertThat(SupportedOperationCodes.encodeOne(SupportedOperationCodes.SUPPORT_STANDARD, hex("00"), t, true))
                .isEqualTo(hex("00 83 0001 00 000a0000 00000001 0000001e"));
    }

    @Test
    void taskManagementFunctions() {
        SupportedOperationCodes.TaskManagementFunctions tmf = new SupportedOperationCodes.TaskManagementFunctions(
                true, true, false, true, true, false, true, false, false, false, false);
        assertThat(tmf.encode(false)).isEqualTo(hex("DA 00 00 00"));
        assertThat(tmf.encode(true)).isEqualTo(hex("DA 00 00 0C" + "00".repeat(12)));
    }
}
