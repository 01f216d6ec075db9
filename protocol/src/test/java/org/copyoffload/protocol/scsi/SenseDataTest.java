package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Fixed (SPC-5 4.4.3, Table 49) and descriptor (4.4.2, Tables 45, 47, 48) sense data, byte by byte. */
class SenseDataTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void fixedFormatInvalidFieldInCdbWithBitPointer() {
        // RDPROTECT of READ (10): CDB byte 1, bits 7:5.
        SenseData sense = SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(1, 7));
        assertThat(sense.encodeFixed()).isEqualTo(hex(
                "70 00 05 00000000 0A 00000000 24 00 00 CF 0001"));
        // byte 15: SKSV 1, C/D 1, BPV 1, BIT POINTER 111b
    }

    @Test
    void fixedFormatParameterListPointerWithoutBit() {
        SenseData sense = SenseData.of(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(0x123));
        assertThat(sense.encodeFixed()).isEqualTo(hex(
                "70 00 05 00000000 0A 00000000 26 00 00 80 0123"));
    }

    @Test
    void fixedFormatMiscompareCarriesTheOffsetInInformation() {
        SenseData sense = SenseData.of(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION, 0x01020304L);
        assertThat(sense.encodeFixed()).isEqualTo(hex(
                "F0 00 0E 01020304 0A 00000000 1D 00 00 000000"));
    }

    @Test
    void fixedFormatCannotHoldA64BitInformationSoItIsNotValid() {
        byte[] b = SenseData.of(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION, 1L << 32).encodeFixed();
        assertThat(b[0] & 0xFF).isEqualTo(0x70);
        assertThat(SenseData.decode(b).information()).isEmpty();
    }

    @Test
    void descriptorFormatWithInformationAndSenseKeySpecificDescriptors() {
        SenseData sense = new SenseData(SenseKey.ILLEGAL_REQUEST, 0x24, 0x00, OptionalLong.of(0x1122334455667788L),
                Optional.of(FieldPointer.cdb(7)));
        assertThat(sense.encodeDescriptor()).isEqualTo(hex(
                "72 05 24 00 000000 14"
                        + " 00 0A 80 00 1122334455667788"      // Information descriptor, VALID set
                        + " 02 06 0000 C0 0007 00"));           // Sense key specific: SKSV, C/D, field pointer 7
    }

    @Test
    void descriptorFormatWithoutDescriptorsIsEightBytes() {
        assertThat(new SenseData(AdditionalSense.BUS_DEVICE_RESET_FUNCTION_OCCURRED).encodeDescriptor())
                .isEqualTo(hex("72 06 29 03 000000 00"));
    }

    @ParameterizedTest
    @EnumSource(AdditionalSense.class)
    void everyAdditionalSenseRoundTripsInBothFormats(AdditionalSense a) {
        SenseData plain = new SenseData(a);
        assertThat(SenseData.decode(plain.encodeFixed())).isEqualTo(plain);
        assertThat(SenseData.decode(plain.encodeDescriptor())).isEqualTo(plain);
        assertThat(plain.additionalSense()).contains(a);
    }

    @Test
    void pointersAndInformationRoundTrip() {
        SenseData withBoth = new SenseData(SenseKey.ILLEGAL_REQUEST, 0x26, 0, OptionalLong.of(42),
                Optional.of(new FieldPointer(false, 300, OptionalInt.of(3))));
        assertThat(SenseData.decode(withBoth.encodeDescriptor())).isEqualTo(withBoth);
        assertThat(SenseData.decode(withBoth.encodeFixed())).isEqualTo(withBoth);
    }

    @Test
    void decodeNamesTheBadField() {
        assertThatThrownBy(() -> SenseData.decode(hex("7F 00 05 00 00 00 00 00")))
                .hasMessageContaining("RESPONSE CODE = 7Fh");
        assertThatThrownBy(() -> SenseData.decode(hex("70 00 0C 00000000 0A 00000000 00 00 00 000000")))
                .hasMessageContaining("SENSE KEY = Ch");
    }

    @Test
    void fieldPointerRangeIsChecked() {
        assertThatThrownBy(() -> FieldPointer.cdb(0x10000)).hasMessageContaining("16 bits");
        assertThatThrownBy(() -> FieldPointer.cdb(1, 8)).hasMessageContaining("BIT POINTER");
    }

    @Test
    void checkConditionFactoriesPointAtTheField() {
        CheckCondition c = CheckCondition.invalidField(ReadWriteCdb.PROTECT, 5, "no protection information");
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.cdb(1, 7));
        assertThat(c.getMessage()).contains("RDPROTECT/WRPROTECT = 5");
        assertThat(CheckCondition.miscompare(77).sense().information()).hasValue(77);
        assertThat(CheckCondition.lbaOutOfRange(-1, 1, 10).getMessage()).contains("18446744073709551615");
    }
}
