package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.copyoffload.protocol.scsi.CopyResults.CopyOperationStatus;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.RodTokenLimits.SupportedRodType;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * POPULATE TOKEN, WRITE USING TOKEN, RECEIVE ROD TOKEN INFORMATION, the ROD token and the token descriptors of page
 * 8Fh against the byte layouts of SBC-4 (POPULATE TOKEN, WRITE USING TOKEN) and SPC-4 (RECEIVE ROD TOKEN INFORMATION, 7.8.17; as FreeBSD CTL and Windows' scsi.h lay
 * them out), and seeded round trips.
 */
class TokenCopyCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void cdbs() {
        assertThat(new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, 0x01020304, 0x30, 0).encode())
                .isEqualTo(hex("83 10 0000 0000 01020304 00000030 00 00"));
        assertThat(TokenCopyCdb.decode(hex("83 11 0000 0000 FFFFFFFE 00000228 1F 00")))
                .isEqualTo(new TokenCopyCdb(OperationCode.ExtendedCopy.WRITE_USING_TOKEN, 0xFFFF_FFFEL, 0x228, 0x1F));
        CheckCondition c = catchThrowableOfType(CheckCondition.class,
                () -> TokenCopyCdb.decode(hex("83 01 0000 0000 00000000 00000000 00 00")));
        assertThat(c.sense().fieldPointer()).contains(FieldPointer.cdb(1, 4));
        assertThat(CdbField.usageData(0x83, 16, TokenCopyCdb.FIELDS))
                .isEqualTo(hex("83 1F 0000 0000 FFFFFFFF FFFFFFFF 00 04"));
        assertThat(new ReceiveCopyResultsCdb(7, 0xA0B0C0D0L, 0x226).encode())
                .isEqualTo(hex("84 07 A0B0C0D0 0000 0000 00000226 00 00"));
        assertThat(CdbField.usageData(0x84, 16, ReceiveCopyResultsCdb.fields(
                OperationCode.ReceiveCopyResults.REPORT_ALL_ROD_TOKENS))).isEqualTo(hex("84 1F 00000000 0000 0000 FFFFFFFF 00 04"));
    }

    /** RTV and IMMED set, 30 s, point in time default, two ranges. */
    static final String POPULATE = "002E 03 00 0000001E 00800000 0000 0020"
            + "0000000000000100 00000008 00000000" + "FFFFFFFF00000000 00000001 00000000";

    @Test
    void populateTokenLayout() {
        byte[] b = hex(POPULATE);
        PopulateTokenParameters p = PopulateTokenParameters.decode(b, b.length);
        assertThat(p).isEqualTo(new PopulateTokenParameters(true, true, 30, RodToken.TYPE_POINT_IN_TIME_DEFAULT,
                List.of(new BlockDeviceRange(0x100, 8), new BlockDeviceRange(0xFFFFFFFF00000000L, 1))));
        assertThat(p.encode()).isEqualTo(b);
    }

    @Test
    void populateTokenRefusals() {
        byte[] b = hex(POPULATE);
        assertThat(catchThrowableOfType(CheckCondition.class, () -> PopulateTokenParameters.decode(b, 15)).sense())
                .isEqualTo(new SenseData(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        assertThat(catchThrowableOfType(CheckCondition.class, () -> PopulateTokenParameters.decode(b, 40)).sense())
                .isEqualTo(new SenseData(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        byte[] odd = b.clone();
        odd[15] = 0x18; // 24 bytes: not a multiple of 16
        odd[1] = 0x28;
        assertThat(catchThrowableOfType(CheckCondition.class, () -> PopulateTokenParameters.decode(odd, odd.length))
                .sense()).isEqualTo(SenseData.of(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST,
                FieldPointer.parameter(14, 7)));
        byte[] none = b.clone();
        none[15] = 0;
        assertThat(catchThrowableOfType(CheckCondition.class, () -> PopulateTokenParameters.decode(none, none.length))
                .sense().fieldPointer()).contains(FieldPointer.parameter(14, 7));
        byte[] shortData = b.clone();
        shortData[1] = 0x1D; // leaves out part of the second descriptor
        assertThat(catchThrowableOfType(CheckCondition.class,
                () -> PopulateTokenParameters.decode(shortData, shortData.length)).sense().fieldPointer())
                .contains(FieldPointer.parameter(0, 7));
    }

    static byte[] token(int fill) {
        byte[] t = new byte[512];
        java.util.Arrays.fill(t, (byte) fill);
        t[6] = 0x01;
        t[7] = (byte) 0xF8;
        return t;
    }

    @Test
    void writeUsingTokenLayout() {
        byte[] t = token(0x5A);
        java.util.Arrays.fill(t, 128, 512, (byte) 0x77);
        String head = "0226 02 0000000000 0000000000000010";
        byte[] b = new byte[536 + 16];
        System.arraycopy(hex(head), 0, b, 0, 16);
        System.arraycopy(t, 0, b, 16, 512);
        System.arraycopy(hex("0000 0000 0000 0010"), 0, b, 528, 8);
        System.arraycopy(hex("0000000000000040 00000020 00000000"), 0, b, 536, 16);
        WriteUsingTokenParameters w = WriteUsingTokenParameters.decode(b, b.length);
        assertThat(w).isEqualTo(new WriteUsingTokenParameters(true, false, 16, t,
                List.of(new BlockDeviceRange(0x40, 0x20))));
        assertThat(w.encode()).isEqualTo(b);
        assertThat(w.toString()).doesNotContain("7777"); // the token is a capability: not in logs
        assertThat(catchThrowableOfType(CheckCondition.class, () -> WriteUsingTokenParameters.decode(b, 535))
                .sense()).isEqualTo(new SenseData(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        byte[] bad = b.clone();
        bad[535] = 0x0F;
        assertThat(catchThrowableOfType(CheckCondition.class, () -> WriteUsingTokenParameters.decode(bad, bad.length))
                .sense().fieldPointer()).contains(FieldPointer.parameter(534, 7));
    }

    @Test
    void rodTokenLayout() {
        CscdDescriptor creator = new CscdDescriptor(false, 0, 0, 1, 0, 3,
                hex("602C00F10123456789ABCDEF01234567"), false, 512, 16);
        byte[] nonce = new byte[16];
        nonce[0] = 0x11;
        byte[] digest = new byte[32];
        digest[31] = 0x22;
        RodToken t = RodToken.create(RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE, 7, creator, 0x10000, 512, nonce,
                digest);
        byte[] b = t.bytes();
        assertThat(java.util.Arrays.copyOfRange(b, 0, 48)).isEqualTo(hex("00800001 0000 01F8 0000000000000007"
                + "E4 00 0000 01 03 00 10 602C00F10123456789ABCDEF01234567 00000000 00 000200"));
        assertThat(java.util.Arrays.copyOfRange(b, 48, 64)).isEqualTo(hex("0000000000000000 0000000000010000"));
        assertThat(java.util.Arrays.copyOfRange(b, 96, 100)).isEqualTo(hex("00000200"));
        assertThat(b[128]).isEqualTo((byte) 0x11);
        assertThat(b[175]).isEqualTo((byte) 0x22);
        assertThat(t.creator()).isEqualTo(creator);
        assertThat(t.bytesRepresented()).isEqualTo(0x10000);
        assertThat(t.identifier()).isEqualTo(7);
        assertThat(t.blockLength()).isEqualTo(512);
        byte[] sig = new byte[32];
        sig[0] = 1;
        RodToken signed = t.withSignature(sig);
        assertThat(signed.signature()).isEqualTo(sig);
        assertThat(signed.signedPart()).isEqualTo(java.util.Arrays.copyOf(b, 480));
        assertThat(RodToken.decode(signed.bytes())).isEqualTo(signed);
        assertThat(signed.toString()).doesNotContain("602c00f1");
        byte[] zero = RodToken.blockDeviceZero().bytes();
        assertThat(java.util.Arrays.copyOf(zero, 8)).isEqualTo(hex("FFFF0001 0000 01F8"));
        byte[] wrongLength = zero.clone();
        wrongLength[7] = 0;
        assertThat(catchThrowableOfType(CheckCondition.class, () -> RodToken.decode(wrongLength)).sense())
                .isEqualTo(new SenseData(AdditionalSense.INVALID_TOKEN_OPERATION_INVALID_TOKEN_LENGTH));
        byte[] huge = b.clone();
        huge[48] = 1;
        assertThat(new RodToken(huge).bytesRepresented()).isEqualTo(-1);
        byte[] notE4 = b.clone();
        notE4[16] = 0;
        assertThat(new RodToken(notE4).creator()).isNull();
    }

    @Test
    void receiveRodTokenInformationLayout() {
        RodToken t = new RodToken(token(0x33));
        RodTokenInformation info = new RodTokenInformation(0x10, CopyOperationStatus.COMPLETED_WITHOUT_ERRORS, 0, 0,
                ScsiStatus.GOOD, 0x18, 0, new byte[0], Optional.of(t));
        byte[] b = info.encode();
        assertThat(b).hasSize(32 + 4 + 514);
        assertThat(java.util.Arrays.copyOf(b, 38)).isEqualTo(hex("00000222 10 01 0000 00000000 00 00 00 F1"
                + "0000000000000018 0000 000000000000 00000202 0000"));
        assertThat(java.util.Arrays.copyOfRange(b, 38, 550)).isEqualTo(t.bytes());
        assertThat(RodTokenInformation.decode(b, b.length)).isEqualTo(info);

        byte[] sense = new SenseData(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_REVOKED).encode(false);
        RodTokenInformation failed = new RodTokenInformation(0x11, CopyOperationStatus.COMPLETED_WITH_ERRORS, 0,
                0, ScsiStatus.CHECK_CONDITION, 3, 0, sense, Optional.empty());
        byte[] f = failed.encode();
        assertThat(f[13]).isEqualTo((byte) sense.length);
        assertThat(f[12]).isEqualTo((byte) 0x02);
        assertThat(RodTokenInformation.decode(f, f.length)).isEqualTo(failed);
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> RodTokenInformation.decode(f, 35)))
                .hasMessageContaining("need 36");
        byte[] units = f.clone();
        units[15] = 0;
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> RodTokenInformation.decode(units, units.length))).hasMessageContaining("TRANSFER COUNT UNITS");
    }

    /** REPORT ALL ROD TOKENS data: AVAILABLE DATA, 4 reserved bytes, 96 bytes of each token (as FreeBSD CTL). */
    @Test
    void reportAllRodTokensLayout() {
        byte[] t1 = new byte[RodToken.LENGTH];
        byte[] t2 = new byte[RodToken.LENGTH];
        for (int i = 0; i < RodToken.LENGTH; i++) {
            t1[i] = (byte) i;
            t2[i] = (byte) (255 - i);
        }
        RodManagementTokens m = RodManagementTokens.of(List.of(new RodToken(t1), new RodToken(t2)));
        byte[] b = m.encode();
        assertThat(b).hasSize(8 + 2 * 96);
        assertThat(java.util.Arrays.copyOf(b, 8)).isEqualTo(hex("000000C4 00000000"));
        assertThat(java.util.Arrays.copyOfRange(b, 8, 104)).isEqualTo(java.util.Arrays.copyOf(t1, 96));
        assertThat(java.util.Arrays.copyOfRange(b, 104, 200)).isEqualTo(java.util.Arrays.copyOf(t2, 96));
        assertThat(RodManagementTokens.decode(b, b.length)).isEqualTo(m);
        // cut by ALLOCATION LENGTH: whole management tokens only
        assertThat(RodManagementTokens.decode(b, 150).tokens()).hasSize(1);
        assertThat(RodManagementTokens.decode(hex("00000004 00000000"), 8).tokens()).isEmpty();
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> RodManagementTokens.decode(hex("00000005 00000000 00"), 9))).hasMessageContaining("AVAILABLE DATA 5");
        assertThat(catchThrowableOfType(IllegalArgumentException.class,
                () -> RodManagementTokens.decode(hex("000000"), 3))).hasMessageContaining("header");
    }

    @Test
    void vpdDescriptors() {
        RodTokenLimits r = new RodTokenLimits(64, 1, 600, 60, 0x800000, 0x20000, 64L << 20, List.of(
                new SupportedRodType(RodToken.TYPE_POINT_IN_TIME_CHANGE_VULNERABLE, true, true),
                new SupportedRodType(RodToken.TYPE_BLOCK_DEVICE_ZERO, true, false)));
        ThirdPartyCopyVpdPage page = new ThirdPartyCopyVpdPage(Map.of(0x83, List.of(0x10, 0x11)),
                ThirdPartyCopyCodecTest.LIMITS, Optional.of(r));
        byte[] p = page.payload();
        // Block Device ROD Token Limits first: type 0000h, length 0020h.
        assertThat(java.util.Arrays.copyOf(p, 36)).isEqualTo(hex("0000 0020 000000000000 0040 00000258 0000003C"
                + "0000000000800000 0000000000020000"));
        int rtf = indexOf(p, 0x0106);
        assertThat(java.util.Arrays.copyOfRange(p, rtf, rtf + 28)).isEqualTo(hex("0106 005C 00 0000000000000000000000"
                + "00000001 FFFFFFFF 00000258"));
        assertThat(java.util.Arrays.copyOfRange(p, rtf + 46, rtf + 52)).isEqualTo(hex("0030 00 00 002C"));
        int srt = indexOf(p, 0x0108);
        assertThat(java.util.Arrays.copyOfRange(p, srt, srt + 16)).isEqualTo(hex("0108 0084 0000 0080 00800001 03 00 0000"));
        assertThat(java.util.Arrays.copyOfRange(p, srt + 72, srt + 80)).isEqualTo(hex("FFFF0001 02 00 0000"));
        byte[] full = page.encode(0);
        assertThat(ThirdPartyCopyVpdPage.supportedCommands(full, full.length)).containsEntry(0x83, List.of(0x10, 0x11));
        assertThat(new ThirdPartyCopyVpdPage(Map.of(0x83, List.of(0x10, 0x11)), ThirdPartyCopyCodecTest.LIMITS).payload())
                .hasSize(p.length - 36 - 96 - 136);
    }

    /** The offset of the descriptor of {@code type} in a page payload. */
    private static int indexOf(byte[] payload, int type) {
        for (int at = 0; at + 4 <= payload.length; at += 4 + Be.getShort(payload, at + 2)) {
            if (Be.getShort(payload, at) == type) {
                return at;
            }
        }
        throw new AssertionError("no descriptor " + Integer.toHexString(type));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void seededRoundTrips(long seed) {
        Random random = new Random(seed);
        List<BlockDeviceRange> ranges = new java.util.ArrayList<>();
        for (int i = 1 + random.nextInt(8); i > 0; i--) {
            ranges.add(new BlockDeviceRange(random.nextLong(), random.nextLong(1L << 32)));
        }
        PopulateTokenParameters p = new PopulateTokenParameters(random.nextBoolean(), random.nextBoolean(),
                random.nextLong(1L << 32), random.nextInt(), ranges);
        byte[] pb = p.encode();
        assertThat(PopulateTokenParameters.decode(pb, pb.length)).isEqualTo(p);
        byte[] t = new byte[512];
        random.nextBytes(t);
        WriteUsingTokenParameters w = new WriteUsingTokenParameters(random.nextBoolean(), random.nextBoolean(),
                random.nextLong(), t, ranges);
        byte[] wb = w.encode();
        assertThat(WriteUsingTokenParameters.decode(wb, wb.length)).isEqualTo(w);
        RodTokenInformation info = new RodTokenInformation(0x10 + random.nextInt(2),
                CopyOperationStatus.values()[random.nextInt(CopyOperationStatus.values().length)],
                random.nextInt(0x10000), random.nextLong(1L << 32), ScsiStatus.GOOD, random.nextLong(),
                random.nextInt(0x10000), new byte[random.nextInt(32)],
                random.nextBoolean() ? Optional.of(new RodToken(t)) : Optional.empty());
        byte[] ib = info.encode();
        assertThat(RodTokenInformation.decode(ib, ib.length)).isEqualTo(info);
    }
}
