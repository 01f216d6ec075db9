package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.protocol.iscsi.IscsiPdus.buf;
import static org.copyoffload.protocol.iscsi.IscsiPdus.pattern;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every PDU against the figures of RFC 7143 section 11, written by hand at the RFC's byte offsets: the
 * encoder must produce exactly these bytes, and the receiving side's decoder must give back an equal PDU.
 */
class IscsiPduLayoutTest {
    static final long LUN3 = Lun.encode(3);

    /** Encodes {@code pdu} with its sender's settings, decodes {@code expected} with its receiver's; releases pdu. */
    static void check(IscsiPdu pdu, byte[] expected, boolean headerDigest, boolean dataDigest) {
        try {
            assertThat(IscsiPdus.encode(pdu, IscsiPdus.senderOf(pdu, headerDigest, dataDigest)))
                    .as("%s encoded", pdu.opcode()).isEqualTo(expected);
            List<Object> decoded = IscsiPdus.decode(IscsiPdus.receiverOf(pdu, headerDigest, dataDigest), List.of(expected));
            try {
                assertThat(IscsiPdus.untracked(decoded)).as("%s decoded", pdu.opcode())
                        .containsExactly(IscsiPdus.untracked(pdu));
            } finally {
                IscsiPdus.release(decoded);
            }
        } finally {
            ReferenceCountUtil.release(pdu);
        }
    }

    static void check(IscsiPdu pdu, byte[] expected) {
        check(pdu, expected, false, false);
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    // ---- 11.18 NOP-Out

    @Test
    void nopOut() {
        byte[] ping = ascii("ping!");
        byte[] bhs = new Be(48).u8(0, 0x40).u8(1, 0x80).u24(5, 5).u64(8, 0x0003_0000_0000_0000L).u32(16, 0x11223344)
                .u32(20, 0xFFFFFFFFL).u32(24, 7).u32(28, 9).array();
        byte[] expected = Be.concat(bhs, ping, new byte[3]);
        check(new IscsiPdu.NopOut(true, LUN3, 0x11223344, 0xFFFFFFFF, 7, 9, buf(ping)), expected);
    }

    // ---- 11.3 SCSI Command

    @Test
    void scsiCommandWithImmediateData() {
        byte[] cdb = {0x2A, 0, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
        byte[] immediate = pattern(10, 1);
        byte[] expected = Be.concat(new Be(48)
                .u8(0, 0x01).u8(1, 0xA1) // F, W, ATTR 1 (simple)
                .u24(5, 10).u64(8, LUN3).u32(16, 0xA0B0C0D0L).u32(20, 4096).u32(24, 0xFFFFFFF0L).u32(28, 0x10)
                .bytes(32, cdb).array(), immediate, new byte[2]);
        check(new IscsiPdu.ScsiCommand(false, true, false, true, 1, LUN3, 0xA0B0C0D0, 4096, 0xFFFFFFF0, 0x10, cdb, -1,
                buf(immediate)), expected);
    }

    @Test
    void scsiCommandWithExtendedCdbAndBidirectionalAhs() {
        byte[] cdb = pattern(32, 0x7F);
        cdb[0] = 0x7F;
        // 11.2.2.3: AHSLength = CDB length - 15 = 17, AHSType 1, reserved, bytes 16..31 of the CDB (no padding)
        byte[] ecdb = Be.concat(new Be(4).u16(0, 17).u8(2, 1).array(), Be.range(cdb, 16, 32));
        // 11.2.2.4: AHSLength 5, AHSType 2, reserved, the 32-bit length
        byte[] bidi = new Be(8).u16(0, 5).u8(2, 2).u32(4, 0x12345).array();
        byte[] ahs = Be.concat(ecdb, bidi);
        byte[] expected = Be.concat(new Be(48)
                .u8(0, 0x41).u8(1, 0xE2) // I; F, R, W, ATTR 2 (ordered)
                .u8(4, 7).u24(5, 0).u64(8, LUN3).u32(16, 1).u32(20, 512).u32(24, 2).u32(28, 3)
                .bytes(32, Be.range(cdb, 0, 16)).array(), ahs);
        assertThat(ahs).hasSize(28);
        check(new IscsiPdu.ScsiCommand(true, true, true, true, 2, LUN3, 1, 512, 2, 3, cdb, 0x12345,
                Unpooled.EMPTY_BUFFER), expected);
    }

    @Test
    void anExtendedCdbAhsIsPaddedAndDigested() {
        byte[] cdb = pattern(18, 5);
        // CDB of 18 bytes: AHSLength 3 (reserved byte + 2 CDB bytes), 6 bytes padded to 8
        byte[] ahs = Be.concat(new Be(4).u16(0, 3).u8(2, 1).array(), Be.range(cdb, 16, 18), new byte[2]);
        byte[] header = Be.concat(new Be(48).u8(0, 0x01).u8(1, 0x80).u8(4, 2).u32(16, 9).bytes(32, Be.range(cdb, 0, 16))
                .array(), ahs);
        // 11.2.1/13.1: the header digest covers BHS and AHS
        byte[] expected = Be.concat(header, Le.le32(Crc32cReference.of(header)));
        check(new IscsiPdu.ScsiCommand(false, true, false, false, 0, 0, 9, 0, 0, 0, cdb, -1, Unpooled.EMPTY_BUFFER),
                expected, true, true);
    }

    // ---- 11.5 Task Management Function Request

    @Test
    void taskManagementRequest() {
        byte[] expected = new Be(48).u8(0, 0x42).u8(1, 0x81).u64(8, LUN3).u32(16, 0x77).u32(20, 0x55).u32(24, 100)
                .u32(28, 200).u32(32, 99).u32(36, 4).array();
        check(new IscsiPdu.TaskManagementRequest(true, 1, LUN3, 0x77, 0x55, 100, 200, 99, 4), expected);
    }

    // ---- 11.12 Login Request

    @Test
    void loginRequest() {
        byte[] text = ascii("InitiatorName=iqn.2026-01.org.copyoffload:test\0SessionType=Normal\0");
        long isid = 0x80_1234_5678_9AL;
        byte[] expected = Be.concat(new Be(48)
                .u8(0, 0x43) // I is always 1 on a Login Request
                .u8(1, 0x80 | 1 << 2 | 3) // T, CSG 1, NSG 3
                .u8(2, 0).u8(3, 0).u24(5, text.length).u48(8, isid).u16(14, 0x0102).u32(16, 0xCAFE).u16(20, 7)
                .u32(24, 1).u32(28, 0xFFFF0000L).array(), text, new byte[IscsiDigest.padding(text.length)]);
        check(new IscsiPdu.LoginRequest(true, false, 1, 3, 0, 0, isid, 0x0102, 0xCAFE, 7, 1, 0xFFFF0000, buf(text)),
                expected);
    }

    @Test
    void loginRequestContinuing() {
        byte[] expected = new Be(48).u8(0, 0x43).u8(1, 0x40).u8(2, 2).u8(3, 1).u48(8, 0xFFFF_FFFF_FFFFL).u32(16, 1)
                .array();
        check(new IscsiPdu.LoginRequest(false, true, 0, 0, 2, 1, 0xFFFF_FFFF_FFFFL, 0, 1, 0, 0, 0, Unpooled.EMPTY_BUFFER),
                expected);
    }

    // ---- 11.10 Text Request

    @Test
    void textRequest() {
        byte[] text = ascii("SendTargets=All\0");
        byte[] expected = Be.concat(new Be(48).u8(0, 0x04).u8(1, 0x40).u24(5, 16).u32(16, 3).u32(20, 0xFFFFFFFFL)
                .u32(24, 5).u32(28, 6).array(), text);
        check(new IscsiPdu.TextRequest(false, false, true, 0, 3, 0xFFFFFFFF, 5, 6, buf(text)), expected);
        byte[] finalImmediate = new Be(48).u8(0, 0x44).u8(1, 0x80).u64(8, LUN3).array();
        check(new IscsiPdu.TextRequest(true, true, false, LUN3, 0, 0, 0, 0, Unpooled.EMPTY_BUFFER), finalImmediate);
    }

    // ---- 11.7.1 SCSI Data-Out

    @Test
    void dataOut() {
        byte[] data = pattern(7, 2);
        byte[] expected = Be.concat(new Be(48).u8(0, 0x05).u8(1, 0x80).u24(5, 7).u64(8, LUN3).u32(16, 0x10)
                .u32(20, 0x20).u32(28, 0x30).u32(36, 2).u32(40, 8192).array(), data, new byte[1]);
        check(new IscsiPdu.DataOut(true, LUN3, 0x10, 0x20, 0x30, 2, 8192, buf(data)), expected);
    }

    // ---- 11.14 Logout Request

    @Test
    void logoutRequest() {
        byte[] expected = new Be(48).u8(0, 0x46).u8(1, 0x81).u32(16, 0x99).u16(20, 3).u32(24, 11).u32(28, 12).array();
        check(new IscsiPdu.LogoutRequest(true, 1, 0x99, 3, 11, 12), expected);
    }

    // ---- 11.16 SNACK Request

    @Test
    void snackRequest() {
        byte[] expected = new Be(48).u8(0, 0x10).u8(1, 0x83).u64(8, LUN3).u32(16, 0x44).u32(20, 0x66).u32(28, 8)
                .u32(40, 5).u32(44, 0).array();
        check(new IscsiPdu.SnackRequest(3, LUN3, 0x44, 0x66, 8, 5, 0), expected);
    }

    // ---- 11.19 NOP-In

    @Test
    void nopIn() {
        byte[] expected = new Be(48).u8(0, 0x20).u8(1, 0x80).u32(16, 0xFFFFFFFFL).u32(20, 0x1234).u32(24, 40)
                .u32(28, 41).u32(32, 72).array();
        check(new IscsiPdu.NopIn(0, 0xFFFFFFFF, 0x1234, 40, 41, 72, Unpooled.EMPTY_BUFFER), expected);
    }

    // ---- 11.4 SCSI Response

    @Test
    void scsiResponseWithSense() {
        byte[] sense = new byte[18];
        sense[0] = 0x70;
        sense[2] = 0x05; // ILLEGAL REQUEST
        sense[7] = 10;
        sense[12] = 0x24; // INVALID FIELD IN CDB
        byte[] segment = Be.concat(new Be(2).u16(0, 18).array(), sense);
        byte[] expected = Be.concat(new Be(48).u8(0, 0x21).u8(1, 0x8A) // u (bidi underflow), U (underflow)
                .u8(2, 0x00).u8(3, 0x02).u24(5, 20).u32(16, 0x0BAD).u32(20, 0).u32(24, 1000).u32(28, 51).u32(32, 82)
                .u32(36, 3).u32(40, 16).u32(44, 512).array(), segment);
        ByteBuf data = IscsiPdu.ScsiResponse.senseSegment(ByteBufAllocator.DEFAULT, sense);
        IscsiPdu.ScsiResponse pdu = new IscsiPdu.ScsiResponse(false, true, false, true, 0, 2, 0x0BAD, 0, 1000, 51, 82, 3,
                16, 512, data);
        assertThat(pdu.sense()).isEqualTo(sense);
        check(pdu, expected);
    }

    @Test
    void noSenseIsNoDataSegment() {
        assertThat(IscsiPdu.ScsiResponse.senseSegment(ByteBufAllocator.DEFAULT, new byte[0]).readableBytes()).isZero();
    }

    @Test
    void scsiResponseGoodWithOverflow() {
        byte[] expected = new Be(48).u8(0, 0x21).u8(1, 0x94).u8(2, 0x01).u8(3, 0x00).u32(16, 1).u32(20, 7).u32(24, 2)
                .u32(28, 3).u32(32, 4).u32(36, 5).u32(40, 6).u32(44, 0xFFFFFFFFL).array();
        IscsiPdu.ScsiResponse pdu = new IscsiPdu.ScsiResponse(true, false, true, false, 1, 0, 1, 7, 2, 3, 4, 5, 6,
                0xFFFFFFFF, Unpooled.EMPTY_BUFFER);
        assertThat(pdu.sense()).isEmpty();
        check(pdu, expected);
    }

    // ---- 11.6 Task Management Function Response

    @Test
    void taskManagementResponse() {
        byte[] expected = new Be(48).u8(0, 0x22).u8(1, 0x80).u8(2, 0x05).u32(16, 0x77).u32(24, 9).u32(28, 10)
                .u32(32, 41).array();
        check(new IscsiPdu.TaskManagementResponse(5, 0x77, 9, 10, 41), expected);
    }

    // ---- 11.13 Login Response

    @Test
    void loginResponse() {
        byte[] text = ascii("TargetPortalGroupTag=1\0HeaderDigest=None\0");
        long isid = 0x40_0001_3700_00L;
        byte[] expected = Be.concat(new Be(48).u8(0, 0x23).u8(1, 0x80 | 1 << 2 | 3).u8(2, 0).u8(3, 0)
                .u24(5, text.length).u48(8, isid).u16(14, 0x8001).u32(16, 0xCAFE).u32(24, 77).u32(28, 2).u32(32, 33)
                .u8(36, 0).u8(37, 0).array(), text, new byte[IscsiDigest.padding(text.length)]);
        check(new IscsiPdu.LoginResponse(true, false, 1, 3, 0, 0, isid, 0x8001, 0xCAFE, 77, 2, 33, 0, 0, buf(text)),
                expected);
    }

    @Test
    void loginResponseRejectingTheInitiator() {
        // Status-Class 2 (initiator error), Status-Detail 1 (authentication failure)
        byte[] expected = new Be(48).u8(0, 0x23).u8(1, 0x00).u48(8, 1).u32(16, 5).u8(36, 2).u8(37, 1).array();
        check(new IscsiPdu.LoginResponse(false, false, 0, 0, 0, 0, 1, 0, 5, 0, 0, 0, 2, 1, Unpooled.EMPTY_BUFFER),
                expected);
    }

    // ---- 11.11 Text Response

    @Test
    void textResponse() {
        byte[] text = ascii("TargetName=iqn.2026-01.org.copyoffload:t0\0TargetAddress=10.0.0.1:3260,1\0");
        byte[] expected = Be.concat(new Be(48).u8(0, 0x24).u8(1, 0x80).u24(5, text.length).u32(16, 3)
                .u32(20, 0xFFFFFFFFL).u32(24, 8).u32(28, 9).u32(32, 40).array(), text,
                new byte[IscsiDigest.padding(text.length)]);
        check(new IscsiPdu.TextResponse(true, false, 0, 3, 0xFFFFFFFF, 8, 9, 40, buf(text)), expected);
    }

    // ---- 11.7.2 SCSI Data-In

    @Test
    void dataInWithStatus() {
        byte[] data = pattern(13, 3);
        byte[] expected = Be.concat(new Be(48).u8(0, 0x25).u8(1, 0x83).u8(3, 0x00).u24(5, 13).u64(8, LUN3)
                .u32(16, 0x42).u32(20, 0xFFFFFFFFL).u32(24, 17).u32(28, 18).u32(32, 49).u32(36, 1).u32(40, 8192)
                .u32(44, 3).array(), data, new byte[3]);
        check(new IscsiPdu.DataIn(true, false, false, true, true, 0, LUN3, 0x42, 0xFFFFFFFF, 17, 18, 49, 1, 8192, 3,
                buf(data)), expected);
    }

    @Test
    void dataInAskingForAcknowledgement() {
        byte[] data = pattern(4, 4);
        byte[] expected = Be.concat(new Be(48).u8(0, 0x25).u8(1, 0x40).u24(5, 4).u64(8, LUN3).u32(16, 0x42)
                .u32(20, 0x1000).u32(28, 18).u32(32, 49).u32(36, 0).u32(40, 0).array(), data);
        check(new IscsiPdu.DataIn(false, true, false, false, false, 0, LUN3, 0x42, 0x1000, 0, 18, 49, 0, 0, 0, buf(data)),
                expected);
        // 11.7.4: S needs F
        byte[] overflow = new Be(48).u8(0, 0x25).u8(1, 0x85).u8(3, 0x02).u32(44, 100).array();
        check(new IscsiPdu.DataIn(true, false, true, false, true, 2, 0, 0, 0, 0, 0, 0, 0, 0, 100, Unpooled.EMPTY_BUFFER),
                overflow);
    }

    // ---- 11.15 Logout Response

    @Test
    void logoutResponse() {
        byte[] expected = new Be(48).u8(0, 0x26).u8(1, 0x80).u8(2, 0x02).u32(16, 0x99).u32(24, 5).u32(28, 6)
                .u32(32, 37).u16(40, 2).u16(42, 20).array();
        check(new IscsiPdu.LogoutResponse(2, 0x99, 5, 6, 37, 2, 20), expected);
    }

    // ---- 11.8 R2T

    @Test
    void r2t() {
        byte[] expected = new Be(48).u8(0, 0x31).u8(1, 0x80).u64(8, LUN3).u32(16, 0x42).u32(20, 0x3000).u32(24, 17)
                .u32(28, 18).u32(32, 49).u32(36, 2).u32(40, 65536).u32(44, 262144).array();
        check(new IscsiPdu.R2t(LUN3, 0x42, 0x3000, 17, 18, 49, 2, 65536, 262144), expected);
    }

    // ---- 11.9 Asynchronous Message

    @Test
    void asyncMessage() {
        byte[] expected = new Be(48).u8(0, 0x32).u8(1, 0x80).u64(8, LUN3).u32(16, 0xFFFFFFFFL).u32(24, 17).u32(28, 18)
                .u32(32, 49).u8(36, 1).u8(37, 0).u16(38, 0).u16(40, 0).u16(42, 20).array();
        check(new IscsiPdu.AsyncMessage(LUN3, 17, 18, 49, 1, 0, 0, 0, 20, Unpooled.EMPTY_BUFFER), expected);
        byte[] sense = new Be(20).u16(0, 18).u8(2, 0x70).u8(4, 0x06).array();
        byte[] withSense = Be.concat(new Be(48).u8(0, 0x32).u8(1, 0x80).u24(5, 20).u32(16, 0xFFFFFFFFL).u8(36, 0)
                .u8(37, 0xEE).u16(38, 0x1111).u16(40, 0x2222).u16(42, 0x3333).array(), sense);
        check(new IscsiPdu.AsyncMessage(0, 0, 0, 0, 0, 0xEE, 0x1111, 0x2222, 0x3333, buf(sense)), withSense);
    }

    // ---- 11.17 Reject

    @Test
    void reject() {
        byte[] rejected = new Be(48).u8(0, 0x07).u8(1, 0x80).u32(16, 5).array();
        byte[] expected = Be.concat(new Be(48).u8(0, 0x3F).u8(1, 0x80).u8(2, 0x05).u24(5, 48).u32(16, 0xFFFFFFFFL)
                .u32(24, 4).u32(28, 5).u32(32, 36).u32(36, 0).array(), rejected);
        check(new IscsiPdu.Reject(RejectReason.COMMAND_NOT_SUPPORTED.code(), 4, 5, 36, 0, buf(rejected)), expected);
    }

    // ---- digests and padding (11.2, 13.1)

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,false", "false,true", "true,true"})
    void digestsFollowTheHeaderAndThePaddedData(boolean hdgst, boolean ddgst) {
        byte[] data = pattern(5, 9);
        byte[] bhs = new Be(48).u8(0, 0x05).u8(1, 0x80).u24(5, 5).u32(16, 1).u32(20, 2).array();
        byte[] padded = Be.concat(data, new byte[3]);
        byte[] expected = Be.concat(bhs, hdgst ? Le.le32(Crc32cReference.of(bhs)) : new byte[0], padded,
                ddgst ? Le.le32(Crc32cReference.of(padded)) : new byte[0]);
        IscsiWire wire = IscsiWire.of(0x05).data(data).digests(hdgst, ddgst);
        wire.bhs().u8(1, 0x80).u32(16, 1).u32(20, 2);
        assertThat(wire.build()).as("the tests' own wire builder agrees").isEqualTo(expected);
        check(new IscsiPdu.DataOut(true, 0, 1, 2, 0, 0, 0, buf(data)), expected, hdgst, ddgst);
    }

    @Test
    void noDataDigestWithoutData() {
        byte[] bhs = new Be(48).u8(0, 0x20).u8(1, 0x80).u32(16, 1).array();
        byte[] expected = Be.concat(bhs, Le.le32(Crc32cReference.of(bhs)));
        check(new IscsiPdu.NopIn(0, 1, 0, 0, 0, 0, Unpooled.EMPTY_BUFFER), expected, true, true);
        check(new IscsiPdu.NopIn(0, 1, 0, 0, 0, 0, Unpooled.EMPTY_BUFFER), bhs, false, true);
    }

    @Test
    void paddingBytesAreIgnoredButDigested() {
        byte[] data = pattern(6, 1);
        byte[] wire = IscsiWire.of(0x25).data(data).padding(0xEE).digests(true, true).build();
        List<Object> out = IscsiPdus.decode(IscsiPdus.initiator(true, true), List.of(wire));
        try {
            assertThat(out).singleElement().isInstanceOfSatisfying(IscsiPdu.DataIn.class,
                    d -> assertThat(ByteBufUtil.getBytes(d.data())).isEqualTo(data));
        } finally {
            IscsiPdus.release(out);
        }
    }

    @Test
    void aHeaderForDataSentFromElsewhereIsTheEncodedPrefix() {
        byte[] data = pattern(11, 6);
        IscsiPdu.DataIn withData = new IscsiPdu.DataIn(true, false, false, false, true, 0, LUN3, 1, -1, 2, 3, 4, 0, 0, 0,
                buf(data));
        IscsiPdu.DataIn headerOnly = new IscsiPdu.DataIn(true, false, false, false, true, 0, LUN3, 1, -1, 2, 3, 4, 0, 0,
                0, Unpooled.EMPTY_BUFFER);
        IscsiCodecSettings s = IscsiPdus.target(true, false);
        try {
            byte[] whole = IscsiPdus.encode(withData, s);
            ByteBuf header = IscsiPduEncoder.encodeHeader(ByteBufAllocator.DEFAULT, headerOnly, 11, s);
            try {
                assertThat(ByteBufUtil.getBytes(header)).isEqualTo(Be.range(whole, 0, 52));
                assertThat(whole).hasSize(52 + 11 + 1);
            } finally {
                header.release();
            }
        } finally {
            withData.release();
        }
    }

    @Test
    void theEncoderRefusesWhatTheWireCannotCarry() {
        IscsiCodecSettings s = IscsiPdus.target(false, false);
        assertThatThrownBy(() -> IscsiPduEncoder.encodeHeader(ByteBufAllocator.DEFAULT,
                new IscsiPdu.R2t(0, 0, 0, 0, 0, 0, 0, 0, 0), 4, s)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IscsiPduEncoder.encodeHeader(ByteBufAllocator.DEFAULT,
                new IscsiPdu.NopIn(0, 0, 0, 0, 0, 0, Unpooled.EMPTY_BUFFER), 1 << 24, s))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("24 bits");
        ByteBuf header = Unpooled.buffer(48).writeZero(48);
        IscsiPdu.Malformed m = new IscsiPdu.Malformed(RejectReason.PROTOCOL_ERROR, false, "x", header);
        try {
            assertThatThrownBy(() -> IscsiPdus.encode(m, s)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            m.release();
        }
    }

    @Test
    void recordsRefuseFieldsWiderThanTheWire() {
        assertThatThrownBy(() -> new IscsiPdu.TaskManagementRequest(false, 128, 0, 0, 0, 0, 0, 0, 0))
                .hasMessageContaining("Function 128");
        assertThatThrownBy(() -> new IscsiPdu.LoginRequest(false, false, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                Unpooled.EMPTY_BUFFER)).hasMessageContaining("CSG 4");
        assertThatThrownBy(() -> new IscsiPdu.LoginRequest(false, false, 0, 0, 0, 0, 1L << 48, 0, 0, 0, 0, 0,
                Unpooled.EMPTY_BUFFER)).hasMessageContaining("ISID");
        assertThatThrownBy(() -> new IscsiPdu.ScsiCommand(false, false, false, false, 8, 0, 0, 0, 0, 0, new byte[16], -1,
                Unpooled.EMPTY_BUFFER)).hasMessageContaining("ATTR 8");
        assertThatThrownBy(() -> new IscsiPdu.ScsiCommand(false, false, false, false, 0, 0, 0, 0, 0, 0, new byte[15], -1,
                Unpooled.EMPTY_BUFFER)).hasMessageContaining("CDB of 15 bytes");
        assertThatThrownBy(() -> new IscsiPdu.SnackRequest(16, 0, 0, 0, 0, 0, 0)).hasMessageContaining("Type 16");
        assertThatThrownBy(() -> new IscsiPdu.LogoutResponse(0, 0, 0, 0, 0, 0x10000, 0))
                .hasMessageContaining("Time2Wait");
    }

    @Test
    void aScsiCommandKeepsItsOwnCdb() {
        byte[] cdb = new byte[16];
        IscsiPdu.ScsiCommand c = new IscsiPdu.ScsiCommand(false, true, true, false, 0, 0, 0, 0, 0, 0, cdb, -1,
                Unpooled.EMPTY_BUFFER);
        cdb[0] = 0x28;
        c.cdb()[1] = 1;
        assertThat(c.cdb()).isEqualTo(new byte[16]);
        assertThat(c).isEqualTo(new IscsiPdu.ScsiCommand(false, true, true, false, 0, 0, 0, 0, 0, 0, new byte[16], -1,
                Unpooled.EMPTY_BUFFER));
        assertThat(c.toString()).contains("cdb=00000000");
    }
}
