package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.copyoffload.protocol.scsi.CopyResults.CopyManagerStatus;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.ListIdUsage;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.junit.jupiter.api.Test;

/** EXTENDED COPY (LID1), RECEIVE COPY RESULTS and page 8Fh against the byte layouts of SPC-4 6.4, 6.18 and 7.8.17. */
class ThirdPartyCopyCodecTest {
    static final CopyManagerLimits LIMITS = new CopyManagerLimits(64, 64, 64 * 32 + 64 * 28, 0xFFFFL * 4096, 0,
            255, 255, 9, 0, 0, List.of(0x02, 0xE4));
    static final byte[] NAA = hex("6 02C00F 1 0123456789ABCDEF01234567".replace(" ", ""));

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** One E4h descriptor for {@link #NAA} and one 02h segment, as sg_xcopy and libiscsi build them. */
    static final String LIST = ""
            // header: LIST IDENTIFIER 07h, LIST ID USAGE 10b, PRIORITY 1, CSCD list 32 bytes, segment list 28 bytes
            + "07 11 0020 00000000 0000001C 00000000"
            // E4h: byte 1 = PERIPHERAL DEVICE TYPE 0, RELATIVE INITIATOR PORT 0; binary (1), LU association,
            // NAA (3), length 16; the designator; 4 reserved bytes; PAD 0, DISK BLOCK LENGTH 001000h
            + "E4 00 0000 01 03 00 10" + "602C00F10123456789ABCDEF01234567" + "00000000" + "00 001000"
            // 02h: DC, CAT 0; length 0018h; source 0, destination 0; 2 reserved; 0800h blocks; LBAs
            + "02 02 0018 0000 0000 0000 0800 0000000000000010 00000000000FF800";

    @Test
    void parameterListLayout() {
        byte[] b = hex(LIST);
        ExtendedCopyParameterList l = ExtendedCopyParameterList.decode(b, b.length, LIMITS);
        assertThat(l.listIdentifier()).isEqualTo(7);
        assertThat(l.listIdUsage()).isEqualTo(ListIdUsage.HOLD_NO_DATA);
        assertThat(l.priority()).isEqualTo(1);
        assertThat(l.cscds()).containsExactly(new CscdDescriptor(false, 0, 0, 1, 0, 3,
                hex("602C00F10123456789ABCDEF01234567"), false, 4096, 16));
        assertThat(l.segments()).containsExactly(new SegmentDescriptor(true, false, 0, 0, 0x800, 0x10, 0xFF800, 48));
        assertThat(l.encode()).isEqualTo(b);
        assertThat(l.cscds().getFirst().names(DeviceIdentification.Designator.naaRegisteredExtended(0x02C00F,
                hex("01 0123456789ABCDEF01234567")))).isTrue();
    }

    @Test
    void cdbs() {
        assertThat(new ExtendedCopyCdb(0x0102).encode()).isEqualTo(hex("83 00 0000 0000 0000 0000 00000102 00 00"));
        assertThat(ExtendedCopyCdb.decode(hex("83 00 0000 0000 0000 0000 FFFFFFFF 00 00")).parameterListLength())
                .isEqualTo(0xFFFF_FFFFL);
        assertThat(new ReceiveCopyResultsCdb(3, 9, 1024).encode()).isEqualTo(hex("84 03 09 00 0000 0000 0000 00000400 00 00"));
        assertThat(ReceiveCopyResultsCdb.decode(hex("84 04 2A 00 0000 0000 0000 00000010 00 00")))
                .isEqualTo(new ReceiveCopyResultsCdb(4, 0x2A, 16));
        assertThat(CdbField.usageData(0x84, 16, ReceiveCopyResultsCdb.fields(
                OperationCode.ReceiveCopyResults.COPY_STATUS))).isEqualTo(hex("84 1F FF 00 0000 0000 0000 FFFFFFFF 00 04"));
    }

    private static CheckCondition refused(String hex, int length) {
        byte[] b = hex(hex);
        return catchThrowableOfType(CheckCondition.class, () -> ExtendedCopyParameterList.decode(b, length, LIMITS));
    }

    @Test
    void lengthErrors() {
        int full = hex(LIST).length;
        assertThat(refused(LIST, 15).sense().additionalSense()).contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        // libiscsi ExtendedCopy.ParamHdr: the list cut inside the CSCD descriptor, then inside the segment.
        assertThat(refused(LIST, 16 + 31).sense().additionalSense())
                .contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        assertThat(refused(LIST, full - 1).sense().additionalSense())
                .contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
    }

    @Test
    void badTypeCodesPointAtTheDescriptor() {
        CheckCondition c = refused(LIST.replace("E4 00 0000", "E0 00 0000"), 76);
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.UNSUPPORTED_TARGET_DESCRIPTOR_TYPE_CODE);
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(16, 7));
        c = refused(LIST.replace("02 02 0018", "03 02 0018"), 76);
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE_CODE);
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(48, 7));
        c = refused(LIST.replace("02 02 0018", "02 02 0014"), 76);
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST);
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(50, 7));
        c = refused(LIST.replace("01 03 00 10", "01 03 00 18"), 76);
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(23, 7));
    }

    @Test
    void listIdUsage() {
        assertThat(refused(LIST.replace("07 11", "07 09"), 76).sense().fieldPointer())
                .contains(FieldPointer.parameter(1, 4));
        assertThat(refused(LIST.replace("07 11", "07 18"), 76).sense().fieldPointer())
                .contains(FieldPointer.parameter(0, 7));
        byte[] none = hex(LIST.replace("07 11", "00 18"));
        assertThat(ExtendedCopyParameterList.decode(none, 76, LIMITS).listIdUsage()).isEqualTo(ListIdUsage.NONE);
    }

    @Test
    void countsAndListLength() {
        String cscd = "E4 00 0000 01 03 00 10" + "602C00F10123456789ABCDEF01234567" + "00000000" + "00 001000";
        String segment = "02 00 0018 0000 0000 0000 0001 0000000000000000 0000000000000001";
        CopyManagerLimits two = new CopyManagerLimits(2, 2, 1000, 1 << 20, 0, 1, 1, 9, 0, 0, List.of(2, 0xE4));
        String header3 = "01 00 0060 00000000 0000001C 00000000";
        byte[] b = hex(header3 + cscd.repeat(3) + segment);
        assertThat(catchThrowableOfType(CheckCondition.class, () -> ExtendedCopyParameterList.decode(b, b.length, two))
                .sense().additionalSense()).contains(AdditionalSense.TOO_MANY_TARGET_DESCRIPTORS);
        byte[] s = hex("01 00 0020 00000000 00000054 00000000" + cscd + segment.repeat(3));
        assertThat(catchThrowableOfType(CheckCondition.class, () -> ExtendedCopyParameterList.decode(s, s.length, two))
                .sense().additionalSense()).contains(AdditionalSense.TOO_MANY_SEGMENT_DESCRIPTORS);
        CopyManagerLimits small = new CopyManagerLimits(2, 2, 59, 1 << 20, 0, 1, 1, 9, 0, 0, List.of(2, 0xE4));
        byte[] one = hex(LIST);
        assertThat(catchThrowableOfType(CheckCondition.class, () -> ExtendedCopyParameterList.decode(one, 76, small))
                .sense().additionalSense()).contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        byte[] inline = hex(LIST.replace("0000001C 00000000", "0000001C 00000004") + "DEADBEEF");
        assertThat(catchThrowableOfType(CheckCondition.class, () -> ExtendedCopyParameterList.decode(inline, 80,
                LIMITS)).sense().additionalSense()).contains(AdditionalSense.INLINE_DATA_LENGTH_EXCEEDED);
    }

    @Test
    void operatingParameters() {
        byte[] b = new CopyResults.OperatingParameters(LIMITS).encode();
        assertThat(b).isEqualTo(hex("0000002A 01 000000 0040 0040 00000F00 0FFFF000 00000000 00000000 00000000"
                + "0000 00FF FF 09 00 00 000000 02 02 E4"));
    }

    @Test
    void copyStatusAndFailedSegmentDetails() {
        assertThat(new CopyResults.CopyStatus(CopyManagerStatus.COMPLETED_WITHOUT_ERRORS, 2, 0x800000).encode())
                .isEqualTo(hex("00000008 01 0002 00 00800000"));
        assertThat(new CopyResults.CopyStatus(CopyManagerStatus.IN_PROGRESS, 1, 0x1_0000_0000L).encode())
                .isEqualTo(hex("00000008 00 0001 01 00400000"));
        // From 4 TiB on the count no longer fits in kibibytes (found by Jazzer, ScsiFuzzTest#copyResults: 2^32 KiB
        // was written as 0): mebibytes, and so on up.
        assertThat(new CopyResults.CopyStatus(CopyManagerStatus.IN_PROGRESS, 1, 1L << 43).encode())
                .isEqualTo(hex("00000008 00 0001 02 00800000"));
        assertThat(new CopyResults.CopyStatus(CopyManagerStatus.IN_PROGRESS, 1, Long.MAX_VALUE).encode())
                .isEqualTo(hex("00000008 00 0001 04 007FFFFF"));
        byte[] sense = SenseData.withCommandSpecific(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, 3)
                .encodeFixed();
        byte[] d = new CopyResults.FailedSegmentDetails(ScsiStatus.CHECK_CONDITION, sense).encode();
        assertThat(d).hasSize(60 + 18);
        assertThat(HexFormat.of().formatHex(d, 0, 4)).isEqualTo("0000004a");
        assertThat(d[56]).isEqualTo((byte) 0x02);
        assertThat(HexFormat.of().formatHex(d, 58, 60)).isEqualTo("0012");
        assertThat(SenseData.decode(java.util.Arrays.copyOfRange(d, 60, d.length)).commandSpecific())
                .isEqualTo(OptionalLong.of(3));
        assertThat(CopyResults.FailedSegmentDetails.none()).isEqualTo(new byte[4]);
    }

    @Test
    void operatingParametersAndCopyStatusDecodeWhatTheyEncode() {
        byte[] op = new CopyResults.OperatingParameters(LIMITS).encode();
        assertThat(CopyResults.OperatingParameters.decode(op, op.length).limits()).isEqualTo(LIMITS);
        assertThat(CopyResults.CopyStatus.decode(hex("00000008 82 0003 00 00006000"), 12))
                .isEqualTo(new CopyResults.CopyStatus(CopyManagerStatus.COMPLETED_WITH_ERRORS, 3, 0x6000));
        // Kibibytes (01h) and exbibytes (06h, clamped) as units.
        assertThat(CopyResults.CopyStatus.decode(hex("00000008 00 0001 01 00400000"), 12).bytesTransferred())
                .isEqualTo(0x1_0000_0000L);
        assertThat(CopyResults.CopyStatus.decode(hex("00000008 01 0001 06 00000010"), 12).bytesTransferred())
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void operatingParametersAndCopyStatusErrorsNameTheirField() {
        byte[] op = new CopyResults.OperatingParameters(LIMITS).encode();
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.OperatingParameters.decode(op, op.length - 1)))
                .hasMessageContaining("IMPLEMENTED DESCRIPTOR LIST LENGTH 2");
        byte[] noSegments = op.clone();
        noSegments[10] = 0;
        noSegments[11] = 0;
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.OperatingParameters.decode(noSegments, noSegments.length)))
                .hasMessageContaining("MAXIMUM SEGMENT DESCRIPTOR COUNT 0");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.OperatingParameters.decode(op, 40))).hasMessageContaining("40 bytes");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.CopyStatus.decode(hex("00000008 03 0001 00 00000000"), 12)))
                .hasMessageContaining("COPY MANAGER STATUS 0x3");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.CopyStatus.decode(hex("00000008 01 0001 07 00000000"), 12)))
                .hasMessageContaining("TRANSFER COUNT UNITS 0x7");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.CopyStatus.decode(hex("00000004 01 0001 00 00000000"), 12)))
                .hasMessageContaining("AVAILABLE DATA 4");
    }

    @Test
    void supportedCommandsAreReadBackFromThePage() {
        byte[] page = new ThirdPartyCopyVpdPage(Map.of(0x84, List.of(0, 3, 4), 0x83, List.of(0)), LIMITS).encode(0);
        assertThat(ThirdPartyCopyVpdPage.supportedCommands(page, page.length))
                .isEqualTo(Map.of(0x83, List.of(0), 0x84, List.of(0, 3, 4)));
        // Cut inside the Supported Commands descriptor: its length runs past what arrived.
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> ThirdPartyCopyVpdPage.supportedCommands(page, 12)))
                .hasMessageContaining("DESCRIPTOR LENGTH 12 of descriptor 0x1");
        byte[] badList = page.clone();
        badList[8] = 0x0C; // COMMANDS SUPPORTED LIST LENGTH 12 in a 12-byte descriptor (11 after the length byte)
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> ThirdPartyCopyVpdPage.supportedCommands(badList, badList.length)))
                .hasMessageContaining("COMMANDS SUPPORTED LIST LENGTH 12");
        byte[] otherPage = page.clone();
        otherPage[1] = (byte) 0x83;
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> ThirdPartyCopyVpdPage.supportedCommands(otherPage, otherPage.length)))
                .hasMessageContaining("PAGE CODE 0x83");
    }

    @Test
    void commandSpecificInformationInBothSenseFormats() {
        SenseData s = SenseData.withCommandSpecific(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 5);
        byte[] fixed = s.encodeFixed();
        assertThat(HexFormat.of().formatHex(fixed)).isEqualTo("70000a000000000a000000050d0100000000");
        byte[] desc = s.encodeDescriptor();
        assertThat(HexFormat.of().formatHex(desc)).isEqualTo("720a0d010000000c010a00000000000000000005");
        assertThat(SenseData.decode(desc)).isEqualTo(s);
        assertThat(SenseData.decode(fixed)).isEqualTo(s);
    }

    @Test
    void thirdPartyCopyPage() {
        // Type codes as SPC-4 7.8.17 numbers them (and LIO and sg_vpd read them): 0001h, 0004h, 0008h, 000Ch, 8001h.
        byte[] page = new ThirdPartyCopyVpdPage(Map.of(0x84, List.of(0, 3, 4), 0x83, List.of(0)), LIMITS).encode(0);
        String expected = "00 8F 0064"
                // Supported Commands: a list of 8 bytes (83h: 1 action, 00h; 84h: 3 actions), padded to 12
                + "0001 000C 08 83 01 00 84 03 00 03 04 000000"
                // Parameter Data
                + "0004 001C 00000000 0040 0040 00000F00 00000000 000000000000000000000000"
                // Supported Descriptors: 02h, E4h, padded to 4
                + "0008 0004 02 02 E4 00"
                // Supported CSCD Descriptor IDs: none
                + "000C 0004 0000 0000"
                // General Copy Operations
                + "8001 0020 000000FF 000000FF 0FFFF000 09 00 000000000000000000000000000000000000";
        assertThat(HexFormat.of().formatHex(page)).isEqualTo(HexFormat.of().formatHex(hex(expected)));
    }

    // ---------------------------------------------------------------- LID4, 0Ah, COPY OPERATION ABORT, LID4 status

    static final CopyManagerLimits LIMITS_0A = new CopyManagerLimits(64, 64, 4096, 64L << 20, 0, 255, 255, 9, 0, 0,
            List.of(0x02, 0x0A, 0xE4));

    /** The same E4h descriptor with one 0Ah segment, in a LID4 list (SPC-4 Table 125). */
    static final String LID4 = ""
            // LIST FORMAT 01h; LIST ID USAGE 10b, PRIORITY 2; no header CSCDs; 11 reserved; G_SENSE 0, IMMED 1
            + "01 12 0000 0000000000000000000000 01"
            // HEADER CSCD DESCRIPTOR TYPE CODE, 3 reserved, LIST IDENTIFIER 89ABCDEFh, 18 reserved
            + "00 000000 89ABCDEF 000000000000000000000000000000000000"
            // CSCD list 32 bytes, segment list 32 bytes, no inline data
            + "0020 0020 0000"
            + "E4 00 0000 01 03 00 10" + "602C00F10123456789ABCDEF01234567" + "00000000" + "00 001000"
            // 0Ah: CAT 0; length 001Ch; source 0, destination 0; NUMBER OF BYTES 00012000h; LBAs; byte offsets
            + "0A 00 001C 0000 0000 00012000 0000000000000001 0000000000000100 0200 0400";

    @Test
    void lid4ParameterListLayout() {
        byte[] b = hex(LID4);
        ExtendedCopyParameterList l = ExtendedCopyParameterList.decodeLid4(b, b.length, LIMITS_0A);
        assertThat(l.format()).isEqualTo(ExtendedCopyParameterList.Format.LID4);
        assertThat(l.listIdentifier()).isEqualTo(0x89ABCDEFL);
        assertThat(l.listIdUsage()).isEqualTo(ListIdUsage.HOLD_NO_DATA);
        assertThat(l.priority()).isEqualTo(2);
        assertThat(l.immediate()).isTrue();
        assertThat(l.gSense()).isFalse();
        assertThat(l.cscds().getFirst().offset()).isEqualTo(48);
        ExtendedCopyParameterList.ByteOffsetSegmentDescriptor s = new ExtendedCopyParameterList
                .ByteOffsetSegmentDescriptor(false, 0, 0, 0x12000, 1, 0x100, 0x200, 0x400, 80);
        assertThat(l.segments()).containsExactly(s);
        assertThat(l.encode()).isEqualTo(b);
        // 0Ah places its bytes by LBA and byte offset.
        assertThat(s.ranges(4096, 4096)).isEqualTo(new ExtendedCopyParameterList.ByteRanges(4096 + 0x200,
                0x100 * 4096 + 0x400, 0x12000));
        // 02h counts source blocks, or destination blocks with DC.
        assertThat(new SegmentDescriptor(true, false, 0, 0, 3, 2, 5, 0).ranges(512, 4096))
                .isEqualTo(new ExtendedCopyParameterList.ByteRanges(1024, 5 * 4096, 3 * 4096));
        // The LID1 form of the same list is 16 bytes of header, the descriptors unchanged.
        byte[] lid1 = new ExtendedCopyParameterList(5, false, ListIdUsage.HOLD, 0, l.cscds(), l.segments(),
                new byte[0]).encode();
        assertThat(HexFormat.of().formatHex(lid1, 0, 16)).isEqualTo("0500002000000000000000200000000".concat("0"));
        assertThat(ExtendedCopyParameterList.decode(lid1, lid1.length, LIMITS_0A).segments()).hasSize(1);
    }

    @Test
    void lid4HeaderErrorsNameTheirField() {
        CheckCondition c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(hex(LID4), 47, LIMITS_0A));
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        byte[] format = hex("02" + LID4.substring(2));
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(format, format.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(0, 7));
        assertThat(c.getMessage()).contains("LIST FORMAT");
        byte[] header = hex(LID4.replaceFirst("01 12 0000", "01 12 0020"));
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(header, header.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(2, 7));
        byte[] none = hex(LID4.replaceFirst("01 12", "01 1A"));
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(none, none.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(20, 7));
        byte[] cut = hex(LID4.replace("0020 0020 0000", "0020 001F 0000"));
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(cut, cut.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(44, 7));
        byte[] shortList = hex(LID4);
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(shortList, shortList.length - 1, LIMITS_0A));
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
    }

    @Test
    void byteOffsetSegmentErrors() {
        byte[] length = hex(LID4.replace("0A 00 001C", "0A 00 0018"));
        CheckCondition c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(length, length.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(82, 7));
        assertThat(c.getMessage()).contains("001Ch");
        byte[] tooLong = hex(LID4.replace("00012000", "04000001"));
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decodeLid4(tooLong, tooLong.length, LIMITS_0A));
        assertThat(c.sense().additionalSense()).contains(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST);
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(80 + 8, 7));
        assertThat(c.getMessage()).contains("NUMBER OF BYTES", "MAXIMUM SEGMENT LENGTH");
        // Exactly the maximum is taken.
        byte[] max = hex(LID4.replace("00012000", "04000000"));
        assertThat(ExtendedCopyParameterList.decodeLid4(max, max.length, LIMITS_0A).segments()).hasSize(1);
        // In a LID1 list too, and a 0Ah cut by the segment list length names that length.
        String lid1 = "07 11 0020 00000000 0000001F 00000000" + LID4.substring(LID4.indexOf("E4 00"));
        byte[] cut = hex(lid1);
        c = catchThrowableOfType(CheckCondition.class,
                () -> ExtendedCopyParameterList.decode(cut, cut.length, LIMITS_0A));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.parameter(8, 7));
    }

    @Test
    void lid4CdbsAndStatus() {
        assertThat(new ExtendedCopyCdb(OperationCode.ExtendedCopy.LID4, 0x60).encode())
                .isEqualTo(hex("83 01 0000 0000 0000 0000 00000060 00 00"));
        assertThat(ExtendedCopyCdb.decode(hex("83 01 0000 0000 0000 0000 00000060 00 00")).serviceAction())
                .isEqualTo(OperationCode.ExtendedCopy.LID4);
        assertThat(new CopyOperationAbortCdb(0x01020304L).encode())
                .isEqualTo(hex("83 1C 01020304 0000 0000 0000 0000 00 00"));
        assertThat(CopyOperationAbortCdb.decode(hex("83 1C FFFFFFFF 0000 0000 0000 0000 00 00")).listIdentifier())
                .isEqualTo(0xFFFF_FFFFL);
        assertThat(new ReceiveCopyResultsCdb(5, 0x89ABCDEFL, 64).encode())
                .isEqualTo(hex("84 05 89ABCDEF 0000 0000 00000040 00 00"));
        assertThat(ReceiveCopyResultsCdb.decode(hex("84 06 00000102 0000 0000 00000040 00 00")))
                .isEqualTo(new ReceiveCopyResultsCdb(6, 0x102, 64));
        assertThat(CdbField.usageData(0x84, 16, ReceiveCopyResultsCdb.fields(
                OperationCode.ReceiveCopyResults.COPY_STATUS_LID4)))
                .isEqualTo(hex("84 1F FFFFFFFF 0000 0000 FFFFFFFF 00 04"));
        // RECEIVE COPY STATUS (LID4): RESPONSE TO SERVICE ACTION 01h, 60h terminated, counts, status 40h.
        assertThat(HexFormat.of().formatHex(new CopyResults.CopyStatusLid4(1,
                CopyResults.CopyOperationStatus.TERMINATED, ScsiStatus.TASK_ABORTED, 1, 0x1_0000_8000L,
                new byte[0]).encode())).isEqualTo("0000001c" + "01" + "60" + "0001" + "00000000" + "40" + "00" + "00"
                + "00" + "0000000100008000" + "0001" + "000000000000");
        byte[] sense = SenseData.withCommandSpecific(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 2).encodeFixed();
        byte[] failed = new CopyResults.CopyStatusLid4(0, CopyResults.CopyOperationStatus.COMPLETED_WITH_ERRORS,
                ScsiStatus.CHECK_CONDITION, 2, 4096, sense).encode();
        assertThat(HexFormat.of().formatHex(failed, 0, 16)).isEqualTo("0000002e" + "00" + "02" + "0002" + "00000000"
                + "02" + "12" + "12" + "00");
        assertThat(java.util.Arrays.copyOfRange(failed, 32, failed.length)).isEqualTo(sense);
        // In progress: no estimate of when the status changes.
        assertThat(HexFormat.of().formatHex(new CopyResults.CopyStatusLid4(1,
                CopyResults.CopyOperationStatus.IN_PROGRESS_BACKGROUND, ScsiStatus.GOOD, 0, 0, new byte[0]).encode(),
                4, 12)).isEqualTo("0112" + "0000" + "ffffffff");
        assertThat(CopyResults.noHeldData()).isEqualTo(new byte[4]);
    }

    /** The host's reading of RECEIVE COPY STATUS (LID4): what the target encodes reads back, and bad data is named. */
    @Test
    void copyStatusLid4Decodes() {
        byte[] sense = SenseData.withCommandSpecific(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 2).encodeFixed();
        CopyResults.CopyStatusLid4 failed = new CopyResults.CopyStatusLid4(1,
                CopyResults.CopyOperationStatus.COMPLETED_WITH_ERRORS, ScsiStatus.CHECK_CONDITION, 2, 4096, sense);
        byte[] b = failed.encode();
        assertThat(CopyResults.CopyStatusLid4.decode(b, b.length)).isEqualTo(failed);
        // An in-progress copy without sense, from a buffer longer than the data.
        CopyResults.CopyStatusLid4 running = new CopyResults.CopyStatusLid4(0,
                CopyResults.CopyOperationStatus.IN_PROGRESS_FOREGROUND, ScsiStatus.GOOD, 7, 1L << 40, new byte[0]);
        assertThat(CopyResults.CopyStatusLid4.decode(java.util.Arrays.copyOf(running.encode(), 64), 32))
                .isEqualTo(running);
        // TRANSFER COUNT UNITS 01h: kibibytes; a count too large for bytes is clamped.
        byte[] kib = running.encode();
        kib[15] = 1;
        assertThat(CopyResults.CopyStatusLid4.decode(kib, kib.length).bytesTransferred()).isEqualTo(1L << 50);
        kib[15] = 6;
        assertThat(CopyResults.CopyStatusLid4.decode(kib, kib.length).bytesTransferred()).isEqualTo(Long.MAX_VALUE);

        assertThat(lid4Failure(java.util.Arrays.copyOf(b, 31), 31)).contains("31 bytes, need 32");
        assertThat(lid4Failure(b, b.length + 1)).contains("claimed");
        byte[] reserved = b.clone();
        reserved[5] = 0x03;
        assertThat(lid4Failure(reserved, reserved.length)).contains("COPY OPERATION STATUS 0x3");
        byte[] badStatus = b.clone();
        badStatus[12] = 0x01;
        assertThat(lid4Failure(badStatus, badStatus.length)).contains("COMPLETION STATUS 0x1");
        assertThat(lid4Failure(b, 40)).contains("SENSE DATA LENGTH 18 runs past the 40 bytes");
        byte[] field = b.clone();
        field[13] = 4;
        assertThat(lid4Failure(field, field.length)).contains("exceeds LENGTH OF THE SENSE DATA FIELD 4");
        byte[] units = b.clone();
        units[15] = 7;
        assertThat(lid4Failure(units, units.length)).contains("TRANSFER COUNT UNITS 0x7");
        byte[] available = b.clone();
        available[3] = 27;
        assertThat(lid4Failure(available, available.length)).contains("AVAILABLE DATA 27");
    }

    private static String lid4Failure(byte[] b, int length) {
        return catchThrowableOfType(IllegalArgumentException.class,
                () -> CopyResults.CopyStatusLid4.decode(b, length)).getMessage();
    }

    @Test
    void theLogicalUnitsNaaIsFoundAmongTheDesignators() {
        DeviceIdentification.Designator naa = DeviceIdentification.Designator.naaRegisteredExtended(0x02C00F,
                hex("01 0123456789ABCDEF01234567"));
        byte[] page = new DeviceIdentification(List.of(DeviceIdentification.Designator.t10VendorId("COPYOFFL", "x"),
                DeviceIdentification.Designator.relativeTargetPort(5, 1), naa)).encode(0);
        assertThat(DeviceIdentification.logicalUnitNaa(page)).hasValueSatisfying(d ->
                assertThat(d).isEqualTo(naa.designator()));
        assertThat(DeviceIdentification.logicalUnitNaa(java.util.Arrays.copyOf(page, page.length - 1))).isEmpty();
        assertThat(DeviceIdentification.logicalUnitNaa(new DeviceIdentification(List.of(
                DeviceIdentification.Designator.t10VendorId("COPYOFFL", "x"))).encode(0))).isEmpty();
    }
}
