package org.copyoffload.protocol.nvme.fabrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.copyoffload.protocol.nvme.NvmeSamples;
import org.copyoffload.protocol.nvme.ProtocolFieldException;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Connect command (NVMe-oF 1.1, Figure 20) and its 1024-byte data (Figure 21). */
class ConnectTest {
    static final byte[] HOST_ID = {(byte) 0x8f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, (byte) 0x87, (byte) 0x96,
            (byte) 0xa5, (byte) 0xb4, (byte) 0xc3, (byte) 0xd2, (byte) 0xe1, (byte) 0xf0};
    static final String SUBNQN = "nqn.2025-01.org.copyoffload:subsystem-1";
    static final String HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:8f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

    /** The SQE of a Connect as laid out by hand: opcode 7Fh, FCTYPE 01h at byte 4, CDW10-12. */
    static byte[] connectSqe(int cid, int recfmt, int qid, int sqsize, int cattr, int kato) {
        return new Le(64).u8(0, 0x7F).u8(1, 0x40).u16(2, cid).u8(4, 0x01)
                .u32(32, 1024).u8(39, 0x01) // SGL: in-capsule data block (offset), 1024 bytes
                .u16(40, recfmt).u16(42, qid).u16(44, sqsize).u8(46, cattr).u32(48, kato)
                .array();
    }

    @Test
    void commandFieldsFromTheSqe() {
        ByteBuf b = NvmeSamples.buf(connectSqe(0x0A0B, 0, 0xFFFE, 127, 0x04, 120_000));
        try {
            SubmissionQueueEntry sqe = SubmissionQueueEntry.decode(b, 0);
            assertThat(sqe.isFabrics()).isTrue();
            assertThat(sqe.fabricsCommandType()).isEqualTo(FabricsCommandType.CONNECT.code());
            ConnectCommand c = ConnectCommand.from(sqe);
            assertThat(c).isEqualTo(new ConnectCommand(0, 0xFFFE, 127, 0x04, 120_000));
            assertThat(c.sqFlowControlDisabled()).isTrue();
        } finally {
            b.release();
        }
    }

    @Test
    void commandToSqeMatchesTheLayout() {
        ConnectCommand c = new ConnectCommand(1, 3, 0xFFFF, 0xFB, -1);
        SubmissionQueueEntry sqe = c.toSqe(0x1234);
        ByteBuf b = NvmeSamples.buf(new byte[64]);
        try {
            sqe.encode(b, 0);
            assertThat(ByteBufUtil.getBytes(b)).isEqualTo(connectSqe(0x1234, 1, 3, 0xFFFF, 0xFB, -1));
        } finally {
            b.release();
        }
        assertThat(ConnectCommand.from(sqe)).isEqualTo(c);
        assertThat(c.sqFlowControlDisabled()).as("CATTR bit 2 clear in FBh").isFalse();
    }

    @Test
    void fieldOffsetsNameTheSqeBytes() {
        assertThat(ConnectCommand.OFFSET_RECFMT).isEqualTo(40);
        assertThat(ConnectCommand.OFFSET_QID).isEqualTo(42);
        assertThat(ConnectCommand.OFFSET_SQSIZE).isEqualTo(44);
        assertThat(ConnectCommand.OFFSET_CATTR).isEqualTo(46);
        assertThat(ConnectCommand.OFFSET_KATO).isEqualTo(48);
        assertThat(ConnectCommand.CATTR_DISABLE_SQ_FLOW_CONTROL).isEqualTo(0x04);
    }

    static byte[] connectData(byte[] hostId, int cntlid, byte[] subnqn, byte[] hostnqn) {
        return new Le(1024).bytes(0, hostId).u16(16, cntlid).bytes(256, subnqn).bytes(512, hostnqn).array();
    }

    @Test
    void dataBothWays() {
        byte[] expected = connectData(HOST_ID, 0xFFFF, SUBNQN.getBytes(), HOSTNQN.getBytes());
        ConnectData data = new ConnectData(HOST_ID, ConnectData.DYNAMIC_CONTROLLER, SUBNQN, HOSTNQN);
        ByteBuf out = NvmeSamples.buf(new byte[0]);
        out.clear();
        try {
            out.writeByte(0x55); // encode appends at the writer index
            data.encode(out);
            assertThat(out.readableBytes()).isEqualTo(1 + 1024);
            assertThat(Arrays.copyOfRange(ByteBufUtil.getBytes(out), 1, 1025)).isEqualTo(expected);
        } finally {
            out.release();
        }
        ByteBuf in = NvmeSamples.buf(Le.concat(new byte[7], expected));
        try {
            in.skipBytes(7);
            ConnectData decoded = ConnectData.decode(in);
            assertThat(decoded).isEqualTo(data);
            assertThat(decoded.hashCode()).isEqualTo(data.hashCode());
            assertThat(decoded.hostId()).isEqualTo(HOST_ID);
            assertThat(decoded.cntlid()).isEqualTo(0xFFFF);
            assertThat(decoded.hostIdHex()).isEqualTo("8f1e2d3c4b5a69788796a5b4c3d2e1f0");
            assertThat(decoded.hostIdIsZero()).isFalse();
            assertThat(decoded.toString()).contains(SUBNQN).contains(HOSTNQN).contains("8f1e2d3c");
        } finally {
            in.release();
        }
    }

    @ParameterizedTest(name = "NQN of {0} bytes")
    @ValueSource(ints = {1, 222, 223})
    void nqnsUpToTheMaximumLengthRoundTrip(int length) {
        String nqn = "n".repeat(length);
        ConnectData data = new ConnectData(new byte[16], 1, nqn, nqn);
        ByteBuf b = NvmeSamples.buf(new byte[1024]);
        b.clear();
        try {
            data.encode(b);
            byte[] bytes = ByteBufUtil.getBytes(b);
            assertThat(bytes[256 + length]).as("NUL terminator").isZero();
            assertThat(bytes[512 + length]).isZero();
            assertThat(ConnectData.decode(b)).isEqualTo(data);
            assertThat(ConnectData.decode(b).hostIdIsZero()).isTrue();
        } finally {
            b.release();
        }
    }

    @Test
    void nqnsAreUtf8() {
        String nqn = "nqn.2025-01.example:ünïcødé-€";
        ConnectData data = new ConnectData(HOST_ID, 2, nqn, HOSTNQN);
        ByteBuf b = NvmeSamples.buf(connectData(HOST_ID, 2, nqn.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                HOSTNQN.getBytes()));
        try {
            assertThat(ConnectData.decode(b)).isEqualTo(data);
        } finally {
            b.release();
        }
    }

    @ParameterizedTest(name = "NQN of {0} bytes")
    @ValueSource(ints = {224, 255, 256, 300})
    void encodingRefusesAnNqnAbove223Bytes(int length) {
        assertThat(ConnectData.MAX_NQN_BYTES).isEqualTo(223);
        ByteBuf b = NvmeSamples.buf(new byte[1024]);
        b.clear();
        try {
            assertThatThrownBy(() -> new ConnectData(HOST_ID, 1, "n".repeat(length), HOSTNQN).encode(b))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("223");
            b.clear();
            assertThatThrownBy(() -> new ConnectData(HOST_ID, 1, SUBNQN, "n".repeat(length)).encode(b))
                    .isInstanceOf(IllegalArgumentException.class);
        } finally {
            b.release();
        }
    }

    @Test
    void decodingAcceptsAnyNqnTerminatedWithinItsField() {
        String longest = "q".repeat(255);
        ByteBuf b = NvmeSamples.buf(connectData(HOST_ID, 3, longest.getBytes(), longest.getBytes()));
        try {
            ConnectData d = ConnectData.decode(b);
            assertThat(d.subsystemNqn()).isEqualTo(longest);
            assertThat(d.hostNqn()).isEqualTo(longest);
        } finally {
            b.release();
        }
    }

    @Test
    void unterminatedNqnsAreRefusedNamingTheField() {
        byte[] full = new byte[256];
        Arrays.fill(full, (byte) 'x');
        ByteBuf sub = NvmeSamples.buf(connectData(HOST_ID, 1, full, HOSTNQN.getBytes()));
        ByteBuf host = NvmeSamples.buf(connectData(HOST_ID, 1, SUBNQN.getBytes(), full));
        try {
            assertThatThrownBy(() -> ConnectData.decode(sub)).isInstanceOfSatisfying(ProtocolFieldException.class, e -> {
                assertThat(e.field()).isEqualTo("SUBNQN");
                assertThat(e.value()).isEqualTo(256);
                assertThat(e.getMessage()).contains("SUBNQN");
            });
            assertThatThrownBy(() -> ConnectData.decode(host)).isInstanceOfSatisfying(ProtocolFieldException.class,
                    e -> assertThat(e.field()).isEqualTo("HOSTNQN"));
        } finally {
            sub.release();
            host.release();
        }
    }

    /** Found by Jazzer (NvmeStructuresFuzzTest#connectData): bytes that are not UTF-8 used to become U+FFFD. */
    @Test
    void nqnsThatAreNotUtf8AreRefusedNamingTheField() {
        byte[] bad = {'n', 'q', 'n', (byte) 0xC3, (byte) 0x28, (byte) 0xFF};
        ByteBuf sub = NvmeSamples.buf(connectData(HOST_ID, 1, bad, HOSTNQN.getBytes()));
        ByteBuf host = NvmeSamples.buf(connectData(HOST_ID, 1, SUBNQN.getBytes(), bad));
        try {
            assertThatThrownBy(() -> ConnectData.decode(sub)).isInstanceOfSatisfying(ProtocolFieldException.class, e -> {
                assertThat(e.field()).isEqualTo("SUBNQN");
                assertThat(e.value()).isEqualTo(bad.length);
                assertThat(e.getMessage()).contains("not UTF-8");
            });
            assertThatThrownBy(() -> ConnectData.decode(host)).isInstanceOfSatisfying(ProtocolFieldException.class,
                    e -> assertThat(e.field()).isEqualTo("HOSTNQN"));
        } finally {
            sub.release();
            host.release();
        }
    }

    @Test
    void shortDataIsRefused() {
        ByteBuf b = NvmeSamples.buf(new byte[1023]);
        try {
            assertThatThrownBy(() -> ConnectData.decode(b)).isInstanceOfSatisfying(ProtocolFieldException.class,
                    e -> assertThat(e.value()).isEqualTo(1023));
        } finally {
            b.release();
        }
    }

    @Test
    void hostIdIsSixteenBytesAndDefensivelyCopied() {
        assertThatThrownBy(() -> new ConnectData(new byte[15], 1, SUBNQN, HOSTNQN))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] id = HOST_ID.clone();
        ConnectData data = new ConnectData(id, 1, SUBNQN, HOSTNQN);
        id[0] = 0;
        data.hostId()[1] = 0;
        assertThat(data.hostId()).isEqualTo(HOST_ID);
        assertThat(data).isNotEqualTo(new ConnectData(id, 1, SUBNQN, HOSTNQN));
        assertThat(data).isNotEqualTo(new ConnectData(HOST_ID, 2, SUBNQN, HOSTNQN));
    }

    @Test
    void layoutConstants() {
        assertThat(ConnectData.SIZE).isEqualTo(1024);
        assertThat(ConnectData.OFFSET_HOSTID).isZero();
        assertThat(ConnectData.OFFSET_CNTLID).isEqualTo(16);
        assertThat(ConnectData.OFFSET_SUBNQN).isEqualTo(256);
        assertThat(ConnectData.OFFSET_HOSTNQN).isEqualTo(512);
        assertThat(ConnectData.DYNAMIC_CONTROLLER).isEqualTo(0xFFFF);
    }
}
