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
import org.junit.jupiter.params.provider.EnumSource;

/** The 16-byte CQE (NVMe Base 2.1, Figure 92) and its Status Field (4.2.3, Figure 101). */
class CompletionQueueEntryTest {

    @Test
    void cqeLayoutBothWays() {
        ByteBuf b = NvmeSamples.buf(Le.concat(new byte[3], NvmeSamples.cqeBytes()));
        try {
            assertThat(CompletionQueueEntry.decode(b, 3)).isEqualTo(NvmeSamples.cqe());
        } finally {
            b.release();
        }
        ByteBuf out = NvmeSamples.buf(new byte[20]);
        try {
            NvmeSamples.cqe().encode(out, 4);
            byte[] all = ByteBufUtil.getBytes(out);
            assertThat(Arrays.copyOfRange(all, 4, 20)).isEqualTo(NvmeSamples.cqeBytes());
            assertThat(Arrays.copyOfRange(all, 0, 4)).containsOnly(0);
        } finally {
            out.release();
        }
    }

    @Test
    void dw01IsOneUnsigned64BitValue() {
        NvmeStatus ok = NvmeStatus.SUCCESS;
        assertThat(new CompletionQueueEntry(0x89ABCDEF, 0x01234567, 0, 0, 0, ok).dw01()).isEqualTo(0x0123456789ABCDEFL);
        assertThat(new CompletionQueueEntry(-1, 0, 0, 0, 0, ok).dw01()).isEqualTo(0xFFFFFFFFL);
        assertThat(new CompletionQueueEntry(0, -1, 0, 0, 0, ok).dw01()).isEqualTo(0xFFFFFFFF00000000L);
    }

    @ParameterizedTest(name = "status bit {0}")
    @CsvSource({
            // bit, sct, sc, crd, more, dnr
            "1,  0, 0x01, 0, false, false",
            "2,  0, 0x02, 0, false, false",
            "3,  0, 0x04, 0, false, false",
            "4,  0, 0x08, 0, false, false",
            "5,  0, 0x10, 0, false, false",
            "6,  0, 0x20, 0, false, false",
            "7,  0, 0x40, 0, false, false",
            "8,  0, 0x80, 0, false, false",
            "9,  1, 0x00, 0, false, false",
            "10, 2, 0x00, 0, false, false",
            "11, 4, 0x00, 0, false, false",
            "12, 0, 0x00, 1, false, false",
            "13, 0, 0x00, 2, false, false",
            "14, 0, 0x00, 0, true,  false",
            "15, 0, 0x00, 0, false, true"})
    void everyStatusFieldBit(int bit, int sct, String sc, int crd, boolean more, boolean dnr) {
        NvmeStatus expected = new NvmeStatus(sct, Integer.decode(sc), crd, more, dnr);
        assertThat(NvmeStatus.fromField(1 << bit)).isEqualTo(expected);
        assertThat(expected.toField()).isEqualTo(1 << bit);
        // through a CQE: the field is the upper half of dword 3, bytes 14-15
        ByteBuf b = NvmeSamples.buf(new Le(16).u16(14, 1 << bit).array());
        try {
            assertThat(CompletionQueueEntry.decode(b, 0).status()).isEqualTo(expected);
        } finally {
            b.release();
        }
    }

    @Test
    void thePhaseTagIsIgnoredAndNeverWritten() {
        assertThat(NvmeStatus.fromField(0x0001)).isEqualTo(NvmeStatus.SUCCESS);
        assertThat(NvmeStatus.fromField(0xFFFF).toField()).isEqualTo(0xFFFE);
        NvmeStatus all = NvmeStatus.fromField(0xFFFF);
        assertThat(all).isEqualTo(new NvmeStatus(7, 0xFF, 3, true, true));
    }

    @Test
    void everyFieldValueRoundTrips() {
        for (int field = 0; field < 0x10000; field += 2) {
            assertThat(NvmeStatus.fromField(field).toField()).as("field 0x%04x", field).isEqualTo(field);
        }
    }

    @Test
    void rangeChecks() {
        assertThatThrownBy(() -> new NvmeStatus(8, 0, 0, false, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NvmeStatus(-1, 0, 0, false, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NvmeStatus(0, 0x100, 0, false, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NvmeStatus(0, -1, 0, false, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NvmeStatus(0, 0, 4, false, false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new NvmeStatus(0, 0, -1, false, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void codesAndHelpers() {
        NvmeStatus s = new NvmeStatus(1, 0x83, 0, false, false);
        assertThat(s.code()).isEqualTo(0x183);
        assertThat(s.isSuccess()).isFalse();
        assertThat(s.is(StatusCode.COMMAND_SIZE_LIMIT_EXCEEDED)).isTrue();
        assertThat(s.is(StatusCode.CONNECT_RESTART_DISCOVERY)).as("same SCT/SC, another name").isTrue();
        assertThat(s.withDnr()).isEqualTo(new NvmeStatus(1, 0x83, 0, false, true));
        assertThat(s.withDnr().toField() & 0x8000).isEqualTo(0x8000);
        assertThat(NvmeStatus.SUCCESS.isSuccess()).isTrue();
        assertThat(new NvmeStatus(0, 0, 3, true, true).isSuccess()).as("success ignores CRD/M/DNR").isTrue();
        assertThat(new NvmeStatus(0, 0x02, 0, false, true).toString())
                .contains("INVALID_FIELD_IN_COMMAND").contains("DNR");
        assertThat(new NvmeStatus(3, 0x77, 0, true, false).toString()).contains("UNKNOWN").contains("M");
        // 183h named for the command it answers: a Copy's (I/O) and a Connect's (Fabrics).
        assertThat(s.toStringForIo()).startsWith("COMMAND_SIZE_LIMIT_EXCEEDED (sct=1h sc=83h");
        assertThat(s.toString()).startsWith("CONNECT_RESTART_DISCOVERY");
    }

    @ParameterizedTest
    @EnumSource(StatusCode.class)
    void statusCodesMapToTheirFields(StatusCode code) {
        assertThat(code.status()).isEqualTo(new NvmeStatus(code.sct(), code.sc(), 0, false, false));
        assertThat(code.dnr()).isEqualTo(new NvmeStatus(code.sct(), code.sc(), 0, false, true));
        assertThat(code.code()).isEqualTo(code.sct() << 8 | code.sc());
        assertThat(code.status().is(code)).isTrue();
        assertThat(StatusCode.lookup(code.sct(), code.sc())).get()
                .satisfies(first -> assertThat(first.code()).isEqualTo(code.code()));
    }

    @Test
    void specValuesOfSomeStatusCodes() {
        assertThat(StatusCode.INVALID_COMMAND_OPCODE.code()).isEqualTo(0x001);
        assertThat(StatusCode.INVALID_FIELD_IN_COMMAND.code()).isEqualTo(0x002);
        assertThat(StatusCode.LBA_OUT_OF_RANGE.code()).isEqualTo(0x080);
        assertThat(StatusCode.CONNECT_INVALID_PARAMETERS.code()).isEqualTo(0x182);
        assertThat(StatusCode.CONNECT_INVALID_HOST.code()).isEqualTo(0x184);
        assertThat(StatusCode.COMPARE_FAILURE.code()).isEqualTo(0x285);
        assertThat(StatusCode.lookup(1, 0x80)).contains(StatusCode.CONNECT_INCOMPATIBLE_FORMAT);
        assertThat(StatusCode.lookup(7, 0xFF)).isEmpty();
    }
}
