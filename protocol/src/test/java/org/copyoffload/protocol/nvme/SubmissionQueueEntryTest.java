package org.copyoffload.protocol.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The 64-byte SQE (NVMe Base 2.1, Figure 91) and the SGL descriptor in it (4.3.2). */
class SubmissionQueueEntryTest {

    @Test
    void decodesTheSpecLayout() {
        byte[] bytes = Le.concat(new byte[5], NvmeSamples.sqeBytes(), new byte[3]);
        ByteBuf b = NvmeSamples.buf(bytes);
        try {
            assertThat(SubmissionQueueEntry.decode(b, 5)).isEqualTo(NvmeSamples.sqe());
        } finally {
            b.release();
        }
    }

    @Test
    void encodesTheSpecLayoutAtAnIndex() {
        ByteBuf b = NvmeSamples.buf(new byte[80]);
        try {
            NvmeSamples.sqe().encode(b, 9);
            byte[] all = ByteBufUtil.getBytes(b);
            assertThat(Arrays.copyOfRange(all, 9, 73)).isEqualTo(NvmeSamples.sqeBytes());
            assertThat(Arrays.copyOfRange(all, 0, 9)).containsOnly(0);
            assertThat(Arrays.copyOfRange(all, 73, 80)).containsOnly(0);
        } finally {
            b.release();
        }
    }

    @Test
    void flagsFields() {
        SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(0x02).flags(0b1100_0010).build();
        assertThat(sqe.fuse()).as("FUSE bits 1:0").isEqualTo(2);
        assertThat(sqe.psdt()).as("PSDT bits 7:6").isEqualTo(3);
        assertThat(SubmissionQueueEntry.builder(0x02).flags(0x41).build().fuse()).isEqualTo(1);
        assertThat(SubmissionQueueEntry.builder(0x02).flags(0x41).build().psdt()).isEqualTo(1);
        assertThat(SubmissionQueueEntry.builder(0x02).flags(0x80).build().psdt()).isEqualTo(2);
    }

    @Test
    void builderDefaultsToSglsAndATransportDataBlock() {
        SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(0x01).cid(3).nsid(1).cdw2(2).cdw3(3)
                .cdw10(10).cdw11(11).cdw12(12).cdw13(13).cdw14(14).cdw15(15).build();
        assertThat(sqe.flags()).isEqualTo(0x40);
        assertThat(sqe.psdt()).isEqualTo(1);
        assertThat(sqe.sgl()).isEqualTo(new SglDescriptor(0, 0, 0, 0x5A));
        assertThat(sqe.metadataPointer()).isZero();
        assertThat(new int[] {sqe.cdw2(), sqe.cdw3(), sqe.cdw10(), sqe.cdw11(), sqe.cdw12(), sqe.cdw13(), sqe.cdw14(),
                sqe.cdw15()}).containsExactly(2, 3, 10, 11, 12, 13, 14, 15);
    }

    @Test
    void withCidAndWithSglChangeOnlyThatField() {
        SubmissionQueueEntry sqe = NvmeSamples.sqe();
        SubmissionQueueEntry other = sqe.withCid(0x1234);
        assertThat(other.cid()).isEqualTo(0x1234);
        assertThat(other.withCid(sqe.cid())).isEqualTo(sqe);
        SglDescriptor sgl = SglDescriptor.inCapsule(512);
        assertThat(sqe.withSgl(sgl).sgl()).isEqualTo(sgl);
        assertThat(sqe.withSgl(sgl).withSgl(sqe.sgl())).isEqualTo(sqe);
    }

    @ParameterizedTest(name = "opcode {0} FCTYPE {1} -> {2}")
    @CsvSource({
            "0x00, 0,    NONE",
            "0x01, 0,    HOST_TO_CONTROLLER",
            "0x02, 0,    CONTROLLER_TO_HOST",
            "0x05, 0,    HOST_TO_CONTROLLER",
            "0x06, 0,    CONTROLLER_TO_HOST",
            "0x7D, 0,    HOST_TO_CONTROLLER",
            "0x03, 0,    BIDIRECTIONAL",
            "0x7F, 0x01, HOST_TO_CONTROLLER",
            "0x7F, 0x04, NONE",
            "0x7F, 0x00, NONE",
            "0x7F, 0x05, HOST_TO_CONTROLLER",
            "0x7F, 0x06, CONTROLLER_TO_HOST",
            "0x7F, 0x08, NONE"})
    void dataDirectionFromTheOpcodeOrTheFabricsCommandType(String opcode, String fctype, DataDirection expected) {
        int op = Integer.decode(opcode);
        // NSID bytes 5-7 must not matter for FCTYPE (byte 4)
        SubmissionQueueEntry sqe = SubmissionQueueEntry.builder(op).nsid(0xABCDEF00 | Integer.decode(fctype)).build();
        assertThat(sqe.isFabrics()).isEqualTo(op == 0x7F);
        if (op == 0x7F) {
            assertThat(sqe.fabricsCommandType()).isEqualTo(Integer.decode(fctype));
        }
        assertThat(sqe.dataDirection()).isEqualTo(expected);
    }

    @Test
    void rejectsOutOfRangeByteAndShortFields() {
        SglDescriptor sgl = SglDescriptor.transport(0);
        assertThatThrownBy(() -> new SubmissionQueueEntry(0x100, 0, 0, 0, 0, 0, 0, sgl, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SubmissionQueueEntry(0, -1, 0, 0, 0, 0, 0, sgl, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SubmissionQueueEntry(0, 0, 0x10000, 0, 0, 0, 0, sgl, 0, 0, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new SubmissionQueueEntry(0xFF, 0xFF, 0xFFFF, -1, 0, 0, -1, sgl, 0, 0, 0, 0, 0, 0).cid())
                .isEqualTo(0xFFFF);
    }

    // ---- SGL descriptor ----

    @Test
    void sglLayout() {
        SglDescriptor sgl = new SglDescriptor(0x0102030405060708L, 0xF0E0D0C0, 0xABCDEF, 0x5A);
        byte[] expected = new Le(16).u64(0, 0x0102030405060708L).u32(8, 0xF0E0D0C0L).u24(12, 0xABCDEF).u8(15, 0x5A)
                .array();
        ByteBuf b = NvmeSamples.buf(new byte[18]);
        try {
            sgl.encode(b, 2);
            assertThat(Arrays.copyOfRange(ByteBufUtil.getBytes(b), 2, 18)).isEqualTo(expected);
            assertThat(SglDescriptor.decode(b, 2)).isEqualTo(sgl);
        } finally {
            b.release();
        }
        assertThat(sgl.type()).isEqualTo(5);
        assertThat(sgl.subtype()).isEqualTo(0xA);
        assertThat(sgl.lengthUnsigned()).isEqualTo(0xF0E0D0C0L);
    }

    @Test
    void sglFactories() {
        assertThat(SglDescriptor.inCapsule(1024)).isEqualTo(new SglDescriptor(0, 1024, 0, 0x01));
        assertThat(SglDescriptor.inCapsule(1024).type()).as("Data Block").isZero();
        assertThat(SglDescriptor.inCapsule(1024).subtype()).as("Offset").isEqualTo(1);
        assertThat(SglDescriptor.transport(4096)).isEqualTo(new SglDescriptor(0, 4096, 0, 0x5A));
        assertThat(SglDescriptor.transport(-1).lengthUnsigned()).isEqualTo(0xFFFFFFFFL);
        assertThat(SglDescriptor.SIZE).isEqualTo(16);
        assertThat(SubmissionQueueEntry.SIZE).isEqualTo(64);
        assertThat(CompletionQueueEntry.SIZE).isEqualTo(16);
    }

    @Test
    void sglRejectsOutOfRangeFields() {
        assertThatThrownBy(() -> new SglDescriptor(0, 0, 0x1000000, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SglDescriptor(0, 0, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SglDescriptor(0, 0, 0, 0x100)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SglDescriptor(0, 0, 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
