package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class CdbFieldTest {
    @Test
    void read6LbaSpansThreeBytesFromBit4() {
        byte[] cdb = HexFormat.of().parseHex("08FF12340A00");
        assertThat(ReadWriteCdb.LBA_6.read(cdb)).isEqualTo(0x1F1234);
        ReadWriteCdb.LBA_6.write(cdb, 0x0ABCDE);
        // The three bits above the LBA in byte 1 are left alone.
        assertThat(HexFormat.of().formatHex(cdb)).isEqualTo("08eabcde0a00");
    }

    @Test
    void subByteFieldsAndSixtyFourBitOnes() {
        byte[] cdb = new byte[16];
        ReadWriteCdb.PROTECT.write(cdb, 0b101);
        ReadWriteCdb.FUA.write(cdb, 1);
        ReadWriteCdb.LBA_16.write(cdb, -2L);
        assertThat(cdb[1] & 0xFF).isEqualTo(0b1010_1000);
        assertThat(ReadWriteCdb.LBA_16.read(cdb)).isEqualTo(-2L);
        assertThat(ReadWriteCdb.PROTECT.read(cdb)).isEqualTo(5);
    }

    @Test
    void usageDataIsTheUnionOfTheFieldsAfterTheOpcode() {
        byte[] usage = CdbField.usageData(0x28, 10, ReadWriteCdb.fields(OperationCode.READ_10));
        // READ (10): RDPROTECT DPO FUA in byte 1 (E0 | 10 | 08), LBA, TRANSFER LENGTH, NACA in CONTROL.
        assertThat(HexFormat.of().formatHex(usage)).isEqualTo("28f8ffffffff00ffff04");
    }

    @Test
    void fieldsMustFitTheCdb() {
        assertThatThrownBy(() -> CdbField.usageData(0x28, 6, List.of(ReadWriteCdb.LBA_16)))
                .hasMessageContaining("does not fit");
        assertThatThrownBy(() -> CdbField.bits("X", 1, 1, 3)).hasMessageContaining("leave the byte");
        assertThatThrownBy(() -> ReadWriteCdb.LBA_16.read(new byte[9])).hasMessageContaining("needs a CDB of 10 bytes, got 9");
    }

    @Test
    void pointerIsTheFieldsFirstByteAndLeftmostBit() {
        assertThat(ReadWriteCdb.TRANSFER_LENGTH_10.pointer()).isEqualTo(SenseData.FieldPointer.cdb(7, 7));
        assertThat(VerifyCdb.BYTCHK.pointer()).isEqualTo(SenseData.FieldPointer.cdb(1, 2));
    }
}
