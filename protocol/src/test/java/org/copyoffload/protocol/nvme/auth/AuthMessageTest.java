package org.copyoffload.protocol.nvme.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.SglDescriptor;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte layouts of the DH-HMAC-CHAP messages (NVMe Base 2.1, 8.3.4.4 to 8.3.4.6; the same layouts as Linux's
 * struct nvmf_auth_dhchap_*_data), round trips, and every field the decoder refuses.
 */
class AuthMessageTest {
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] encode(AuthMessage m) {
        return AuthMessage.toBytes(m);
    }

    private static AuthMessage decode(byte[] bytes) {
        ByteBuf b = Unpooled.wrappedBuffer(bytes);
        try {
            return AuthMessage.decode(b);
        } finally {
            b.release();
        }
    }

    @Test
    void negotiateAsLinuxSendsIt() {
        // What Linux's host sends: one DH-HMAC-CHAP descriptor, SHA-256/384/512, the NULL group and ffdhe2048..8192.
        AuthMessage.Negotiate n = new AuthMessage.Negotiate(0x0102, 0, List.of(new AuthMessage.DhchapDescriptor(
                List.of(1, 2, 3), List.of(0, 1, 2, 3, 4, 5))));
        byte[] b = encode(n);
        assertThat(b).hasSize(72);
        assertThat(HEX.formatHex(b, 0, 14)).isEqualTo("0000000002010001" + "01000306" + "0102");
        assertThat(b[8 + 4 + 3]).isZero(); // hash ids padded to 30
        assertThat(Arrays.copyOfRange(b, 8 + 4 + 30, 8 + 4 + 36)).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(decode(b)).isEqualTo(n);
    }

    @Test
    void challengeLayout() {
        byte[] c = new byte[48];
        Arrays.fill(c, (byte) 0xC1);
        byte[] dh = new byte[256];
        dh[0] = 0x7F;
        AuthMessage.Challenge m = new AuthMessage.Challenge(7, DhchapHash.SHA_384, DhGroup.FFDHE2048, 0x11223344, c, dh);
        byte[] b = encode(m);
        assertThat(b).hasSize(16 + 48 + 256);
        assertThat(HEX.formatHex(b, 0, 16)).isEqualTo("01010000" + "0700" + "3000" + "0201" + "0001" + "44332211");
        assertThat(b[16]).isEqualTo((byte) 0xC1);
        assertThat(b[16 + 48]).isEqualTo((byte) 0x7F);
        assertThat(decode(b)).isEqualTo(m);
    }

    @Test
    void replyWithAndWithoutSecondChallenge() {
        byte[] r = filled(32, 0x11);
        byte[] c2 = filled(32, 0x22);
        AuthMessage.Reply bidirectional = new AuthMessage.Reply(3, r, c2, 9, new byte[0]);
        byte[] b = encode(bidirectional);
        assertThat(b).hasSize(16 + 64);
        assertThat(HEX.formatHex(b, 0, 16)).isEqualTo("01020000" + "0300" + "2000" + "0100" + "0000" + "09000000");
        assertThat(b[16 + 32]).isEqualTo((byte) 0x22);
        assertThat(decode(b)).isEqualTo(bidirectional);

        AuthMessage.Reply oneWay = new AuthMessage.Reply(3, r, null, 0, filled(256, 0x33));
        b = encode(oneWay);
        // The C2 field is there (zeros) even with CVALID 0: the DH value follows 2 * HL bytes.
        assertThat(b).hasSize(16 + 64 + 256);
        assertThat(b[8]).isZero();
        assertThat(Arrays.copyOfRange(b, 48, 80)).containsOnly(0);
        assertThat(HEX.formatHex(b, 10, 12)).isEqualTo("0001");
        assertThat(decode(b)).isEqualTo(oneWay);
        assertThat(((AuthMessage.Reply) decode(b)).challengeValid()).isFalse();
    }

    @Test
    void successAndFailureLayouts() {
        AuthMessage.Success1 s1 = new AuthMessage.Success1(5, 64, filled(64, 0x44));
        byte[] b = encode(s1);
        assertThat(HEX.formatHex(b, 0, 16)).isEqualTo("01030000" + "0500" + "4000" + "01" + "00000000000000");
        assertThat(b).hasSize(80);
        assertThat(decode(b)).isEqualTo(s1);
        AuthMessage.Success1 noResponse = new AuthMessage.Success1(5, 32, null);
        assertThat(encode(noResponse)).hasSize(48);
        assertThat(decode(Arrays.copyOf(encode(noResponse), 16))).isEqualTo(noResponse);

        assertThat(HEX.formatHex(encode(new AuthMessage.Success2(0xABCD)))).isEqualTo("01040000cdab" + "00".repeat(10));

        AuthMessage.Failure f1 = AuthMessage.Failure.failure1(0x10, AuthFailureReason.AUTHENTICATION_FAILED);
        assertThat(HEX.formatHex(encode(f1))).isEqualTo("00f10000" + "1000" + "0101");
        AuthMessage.Failure f2 = AuthMessage.Failure.failure2(0x10, AuthFailureReason.INCORRECT_PROTOCOL_MESSAGE);
        assertThat(HEX.formatHex(encode(f2))).isEqualTo("00f00000" + "1000" + "0107");
        assertThat(decode(encode(f2))).isEqualTo(f2);
        assertThat(f2.describeReason()).isEqualTo("incorrect protocol message (07h)");
        assertThat(new AuthMessage.Failure(true, 1, 1, 0x99).describeReason()).isEqualTo("unknown explanation (99h)");
    }

    @Test
    void paddingAfterAMessageIsIgnored() {
        // An Authentication Receive returns AL bytes; Linux's nvmet pads its messages with zeros to AL.
        AuthMessage.Failure f1 = AuthMessage.Failure.failure1(1, AuthFailureReason.DH_GROUP_NOT_USABLE);
        assertThat(decode(Arrays.copyOf(encode(f1), 4096))).isEqualTo(f1);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> refused() {
        byte[] challenge = encode(new AuthMessage.Challenge(1, DhchapHash.SHA_256, DhGroup.NULL, 1, new byte[32], new byte[0]));
        byte[] reply = encode(new AuthMessage.Reply(1, new byte[32], null, 0, new byte[0]));
        byte[] negotiate = encode(new AuthMessage.Negotiate(1, 0, List.of(new AuthMessage.DhchapDescriptor(List.of(1), List.of(0)))));
        byte[] success1 = encode(new AuthMessage.Success1(1, 32, new byte[32]));
        return Stream.of(
                args("too short", new byte[7], "length"),
                args("AUTH_TYPE 02h", with(challenge, 0, 2), "AUTH_TYPE"),
                args("DH-HMAC-CHAP AUTH_ID 05h", with(challenge, 1, 5), "AUTH_ID"),
                args("common AUTH_ID 01h", with(negotiate, 1, 1), "AUTH_ID"),
                args("NAPD 0", with(negotiate, 7, 0), "NAPD"),
                args("NAPD 2 with one descriptor", with(negotiate, 7, 2), "length"),
                args("AUTHID 02h", with(negotiate, 8, 2), "AUTHID[0]"),
                args("HALEN 31", with(negotiate, 10, 31), "HALEN[0]"),
                args("DHLEN 31", with(negotiate, 11, 31), "DHLEN[0]"),
                args("challenge HASHID 04h", with(challenge, 8, 4), "HASHID"),
                args("challenge HL 48 for SHA-256", with(challenge, 6, 48), "HL"),
                args("challenge DHGID 06h", with(challenge, 9, 6), "DHGID"),
                args("challenge DHVLEN for NULL", with(challenge, 10, 1), "DHVLEN"),
                args("challenge cut short", Arrays.copyOf(challenge, 40), "length"),
                args("reply HL 33", with(reply, 6, 33), "HL"),
                args("reply CVALID 2", with(reply, 8, 2), "CVALID"),
                args("reply DHVLEN 1025", with(with(reply, 10, 0x01), 11, 0x04), "DHVLEN"),
                args("reply DH value missing", with(reply, 10, 8), "length"),
                args("success1 HL 0", with(success1, 6, 0), "HL"),
                args("success1 RVALID 3", with(success1, 8, 3), "RVALID"),
                args("success1 response missing", Arrays.copyOf(success1, 20), "length"));
    }

    private static org.junit.jupiter.params.provider.Arguments args(String name, byte[] bytes, String field) {
        return org.junit.jupiter.params.provider.Arguments.of(name, bytes, field);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void decoderNamesTheField(String name, byte[] bytes, String field) {
        assertThatThrownBy(() -> decode(bytes)).isInstanceOf(ProtocolFieldException.class)
                .satisfies(e -> assertThat(((ProtocolFieldException) e).field()).isEqualTo(field));
    }

    /** Seeded random messages of every kind: encode, decode, equal; and the size says how many bytes were written. */
    @ParameterizedTest
    @CsvSource({"1", "2", "3", "4", "5", "6", "7", "8"})
    void randomMessagesRoundTrip(long seed) {
        Random random = new Random(seed);
        for (int i = 0; i < 50; i++) {
            AuthMessage m = randomMessage(random);
            byte[] b = encode(m);
            assertThat(b).hasSize(m.size());
            assertThat(decode(b)).as("%s", m).isEqualTo(m);
        }
    }

    private static AuthMessage randomMessage(Random r) {
        int tid = r.nextInt(0x10000);
        DhchapHash hash = DhchapHash.values()[r.nextInt(3)];
        DhGroup group = DhGroup.values()[r.nextInt(6)];
        return switch (r.nextInt(6)) {
            case 0 -> {
                List<AuthMessage.DhchapDescriptor> ds = new ArrayList<>();
                for (int d = 0, n = 1 + r.nextInt(3); d < n; d++) {
                    ds.add(new AuthMessage.DhchapDescriptor(ids(r), ids(r)));
                }
                yield new AuthMessage.Negotiate(tid, r.nextInt(256), ds);
            }
            case 1 -> new AuthMessage.Challenge(tid, hash, group, r.nextInt(), random(r, hash.length()),
                    random(r, group.valueLength()));
            case 2 -> new AuthMessage.Reply(tid, random(r, hash.length()), r.nextBoolean() ? random(r, hash.length()) : null,
                    r.nextInt(), random(r, group.valueLength()));
            case 3 -> new AuthMessage.Success1(tid, hash.length(), r.nextBoolean() ? random(r, hash.length()) : null);
            case 4 -> new AuthMessage.Success2(tid);
            default -> new AuthMessage.Failure(r.nextBoolean(), tid, r.nextInt(256), r.nextInt(256));
        };
    }

    private static List<Integer> ids(Random r) {
        return IntStream.range(0, r.nextInt(31)).map(i -> r.nextInt(256)).boxed().toList();
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    @Test
    void authenticationSendAndReceiveCommands() {
        AuthenticationCommand send = AuthenticationCommand.dhchap(true, 72);
        SubmissionQueueEntry sqe = send.toSqe(9, SglDescriptor.inCapsule(72));
        ByteBuf b = Unpooled.buffer(64).writeZero(64);
        try {
            sqe.encode(b, 0);
            // Byte 4: fctype 05h; bytes 41..43: SPSP0 01h, SPSP1 01h, SECP E9h; bytes 44..47: TL.
            assertThat((int) b.getUnsignedByte(0)).isEqualTo(0x7F);
            assertThat((int) b.getUnsignedByte(4)).isEqualTo(0x05);
            assertThat(ByteBufUtil.hexDump(b, 40, 8)).isEqualTo("000101e948000000");
        } finally {
            b.release();
        }
        assertThat(AuthenticationCommand.from(sqe)).isEqualTo(send);
        assertThat(send.invalidFieldOffset()).isEqualTo(-1);
        AuthenticationCommand receive = AuthenticationCommand.dhchap(false, 4096);
        SubmissionQueueEntry rsqe = receive.toSqe(1, SglDescriptor.transport(4096));
        assertThat(rsqe.fabricsCommandType()).isEqualTo(0x06);
        assertThat(AuthenticationCommand.from(rsqe)).isEqualTo(receive);
        assertThat(new AuthenticationCommand(true, 0xEA, 1, 1, 8).invalidFieldOffset()).isEqualTo(AuthenticationCommand.OFFSET_SECP);
        assertThat(new AuthenticationCommand(true, 0xE9, 2, 1, 8).invalidFieldOffset()).isEqualTo(AuthenticationCommand.OFFSET_SPSP0);
        assertThat(new AuthenticationCommand(true, 0xE9, 1, 0, 8).invalidFieldOffset()).isEqualTo(AuthenticationCommand.OFFSET_SPSP1);
    }

    private static byte[] filled(int n, int v) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) v);
        return b;
    }

    private static byte[] with(byte[] b, int index, int value) {
        byte[] c = b.clone();
        c[index] = (byte) value;
        return c;
    }
}
