package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.ModeSelectCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.VerifyCdb;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.junit.jupiter.api.Test;

class ExpectedDataOutTest {
    @Test
    void dataOutLengthsForWhatTheTargetImplements() {
        assertThat(ExpectedDataOut.bytes(new ReadWriteCdb(OperationCode.WRITE_10, 0, 2, 0, false, false).encode(), 512))
                .hasValue(1024);
        assertThat(ExpectedDataOut.bytes(new ReadWriteCdb(OperationCode.WRITE_6, 0, 256, 0, false, false).encode(), 512))
                .hasValue(256 * 512);
        assertThat(ExpectedDataOut.bytes(new ReadWriteCdb(OperationCode.READ_10, 0, 2, 0, false, false).encode(), 512))
                .hasValue(0);
        assertThat(ExpectedDataOut.bytes(new VerifyCdb(OperationCode.VERIFY_16, 0, 4, 0, false, 1).encode(), 4096))
                .hasValue(4 * 4096);
        assertThat(ExpectedDataOut.bytes(new VerifyCdb(OperationCode.VERIFY_16, 0, 4, 0, false, 3).encode(), 4096))
                .hasValue(4096);
        assertThat(ExpectedDataOut.bytes(new VerifyCdb(OperationCode.VERIFY_10, 0, 4, 0, false, 0).encode(), 4096))
                .hasValue(0);
        assertThat(ExpectedDataOut.bytes(new VerifyCdb(OperationCode.WRITE_AND_VERIFY_12, 0, 3, 0, false, 0).encode(),
                512)).hasValue(1536);
        assertThat(ExpectedDataOut.bytes(new CompareAndWriteCdb(0, 3, 0, false, false).encode(), 512)).hasValue(3072);
        assertThat(ExpectedDataOut.bytes(new WriteSameCdb(OperationCode.WRITE_SAME_16, 0, 9, 0, false, true, true)
                .encode(), 512)).hasValue(0);
        assertThat(ExpectedDataOut.bytes(new WriteSameCdb(OperationCode.WRITE_SAME_10, 0, 9, 0, false, true, false)
                .encode(), 512)).hasValue(512);
        assertThat(ExpectedDataOut.bytes(new UnmapCdb(false, 24).encode(), 512)).hasValue(24);
        assertThat(ExpectedDataOut.bytes(new ModeSelectCdb(OperationCode.MODE_SELECT_10, true, false, 28).encode(), 512))
                .hasValue(28);
        assertThat(ExpectedDataOut.bytes(new InquiryCdb(false, 0, 96).encode(), 512)).hasValue(0);
        assertThat(ExpectedDataOut.bytes(new ExtendedCopyCdb(76).encode(), 512)).hasValue(76);
        assertThat(ExpectedDataOut.bytes(new PersistentReserveOutCdb(PersistentReserveOutCdb.ServiceAction.REGISTER,
                null, 24).encode(), 4096)).hasValue(24);
        assertThat(ExpectedDataOut.bytes(new PersistentReserveInCdb(PersistentReserveInCdb.ServiceAction.READ_KEYS,
                8192).encode(), 4096)).hasValue(0);
        assertThat(ExpectedDataOut.bytes(new byte[] {(byte) 0xC0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 512))
                .isEmpty();
    }
}
