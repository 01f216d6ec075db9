package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.iscsi.Be.hex;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CRC examples of RFC 3720 Appendix B.4, which lists each CRC as the four bytes in wire order: the
 * digest is the CRC32C value sent least significant byte first (0x8A9136AA goes out as aa 36 91 8a).
 */
class IscsiCrc32cTest {
    /** RFC 3720 B.4: "An iSCSI - SCSI Read (10) Command PDU". */
    static final byte[] READ_10_PDU = hex("""
            01 c0 00 00  00 00 00 00  00 00 00 00  00 00 00 00
            14 00 00 00  00 00 04 00  00 00 00 14  00 00 00 18
            28 00 00 00  00 00 00 00  02 00 00 00  00 00 00 00""");

    static Stream<Arguments> vectors() {
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xFF);
        byte[] incrementing = new byte[32];
        byte[] decrementing = new byte[32];
        for (int i = 0; i < 32; i++) {
            incrementing[i] = (byte) i;
            decrementing[i] = (byte) (31 - i);
        }
        return Stream.of(
                Arguments.of("32 bytes of zeroes", new byte[32], "aa 36 91 8a"),
                Arguments.of("32 bytes of ones", ones, "43 ab a8 62"),
                Arguments.of("32 bytes of incrementing 00..1f", incrementing, "4e 79 dd 46"),
                Arguments.of("32 bytes of decrementing 1f..00", decrementing, "5c db 3f 11"),
                Arguments.of("an iSCSI - SCSI Read (10) Command PDU", READ_10_PDU, "56 3a 96 d9"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void rfc3720AppendixB4(String name, byte[] bytes, String crcOnTheWire) {
        ByteBuf b = IscsiPdus.buf(bytes);
        ByteBuf wire = Unpooled.buffer(4);
        try {
            int crc = IscsiDigest.crc32c(b, 0, bytes.length);
            assertThat(crc).as("the reference agrees").isEqualTo(Crc32cReference.of(bytes));
            wire.writeIntLE(crc);
            assertThat(ByteBufUtil.getBytes(wire)).as(name).isEqualTo(hex(crcOnTheWire));
        } finally {
            b.release();
            wire.release();
        }
    }

    @Test
    void theRead10PduEncodesToTheRfcBytesFollowedByItsHeaderDigest() {
        IscsiPdu.ScsiCommand read = new IscsiPdu.ScsiCommand(false, true, true, false, 0, 0, 0x14000000, 1024, 0x14,
                0x18, Arrays.copyOf(hex("28 00 00 00 00 00 00 00 02 00"), 16), -1, Unpooled.EMPTY_BUFFER);
        IscsiCodecSettings digests = IscsiPdus.initiator(true, true);
        byte[] wire = IscsiPdus.encode(read, digests);
        assertThat(wire).isEqualTo(Be.concat(READ_10_PDU, hex("56 3a 96 d9")));

        List<Object> decoded = IscsiPdus.decode(IscsiPdus.target(true, true), List.of(wire));
        try {
            assertThat(IscsiPdus.untracked(decoded)).containsExactly(read);
        } finally {
            IscsiPdus.release(decoded);
        }
    }

    @Test
    void theDataDigestCoversThePadding() {
        byte[] data = {1, 2, 3, 4, 5};
        ByteBuf b = IscsiPdus.buf(data);
        try {
            assertThat(IscsiDigest.padding(5)).isEqualTo(3);
            assertThat(IscsiDigest.dataDigest(b, 0, 5)).isEqualTo(Crc32cReference.of(Arrays.copyOf(data, 8)));
            assertThat(IscsiDigest.dataDigest(b, 0, 4)).isEqualTo(Crc32cReference.of(Arrays.copyOf(data, 4)));
            assertThat(IscsiDigest.crc32c(b, 0, 0)).as("empty").isZero();
        } finally {
            b.release();
        }
        for (int n = 0; n < 9; n++) {
            assertThat(IscsiDigest.padding(n)).as("padding after %d bytes", n).isEqualTo((4 - n % 4) % 4);
        }
    }

    @Test
    void aCompositeIsDigestedAcrossItsComponents() {
        CompositeByteBuf c = Unpooled.compositeBuffer();
        c.addComponent(true, IscsiPdus.buf(Arrays.copyOfRange(READ_10_PDU, 0, 5)));
        c.addComponent(true, IscsiPdus.buf(Arrays.copyOfRange(READ_10_PDU, 5, 31)));
        c.addComponent(true, IscsiPdus.buf(Arrays.copyOfRange(READ_10_PDU, 31, 48)));
        try {
            assertThat(IscsiDigest.crc32c(c, 0, 48)).isEqualTo(0xD9963A56);
        } finally {
            c.release();
        }
    }
}
