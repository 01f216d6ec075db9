package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.copyoffload.protocol.scsi.OperationCode.MaintenanceIn;
import org.copyoffload.protocol.scsi.OperationCode.ServiceActionIn16;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The CDB decoders against the layouts of SBC-4 and SPC-5, and their usage data against what they read. */
class CdbDecodeTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void read6ZeroLengthMeans256() {
        ReadWriteCdb r = ReadWriteCdb.decode(hex("08 1F FF FF 00 00"));
        assertThat(r).isEqualTo(new ReadWriteCdb(OperationCode.READ_6, 0x1FFFFF, 256, 0, false, false));
        assertThat(r.encode()).isEqualTo(hex("08 1F FF FF 00 00"));
    }

    @Test
    void write10Flags() {
        // WRPROTECT 011b, DPO, FUA; LBA 01020304h; GROUP 1Fh (ignored); TRANSFER LENGTH 0102h.
        ReadWriteCdb w = ReadWriteCdb.decode(hex("2A 78 01020304 1F 0102 00"));
        assertThat(w).isEqualTo(new ReadWriteCdb(OperationCode.WRITE_10, 0x01020304L, 0x102, 3, true, true));
        assertThat(w.isWrite()).isTrue();
    }

    @Test
    void read16SixtyFourBitLbaAndThirtyTwoBitLength() {
        ReadWriteCdb r = ReadWriteCdb.decode(hex("88 00 FFFFFFFFFFFFFFFF FFFFFFFF 00 00"));
        assertThat(r.lba()).isEqualTo(-1L);
        assertThat(r.transferLength()).isEqualTo(0xFFFF_FFFFL);
    }

    @Test
    void read12LengthIsFourBytesAtSix() {
        assertThat(ReadWriteCdb.decode(hex("A8 00 00000010 00010000 00 00")).transferLength()).isEqualTo(0x10000);
    }

    @Test
    void verifyBytchkAndWriteSameFlags() {
        assertThat(VerifyCdb.decode(hex("2F 16 00000007 00 0003 00")))
                .isEqualTo(new VerifyCdb(OperationCode.VERIFY_10, 7, 3, 0, true, 0b11));
        assertThat(WriteSameCdb.decode(hex("93 19 0000000000000010 00000100 00 00")))
                .isEqualTo(new WriteSameCdb(OperationCode.WRITE_SAME_16, 16, 256, 0, true, true, true));
        // WRITE SAME (10) has no NDOB: bit 0 of byte 1 is reserved there.
        assertThat(WriteSameCdb.decode(hex("41 01 00000000 00 0001 00")).ndob()).isFalse();
    }

    @Test
    void compareAndWriteBlocksIsByte13() {
        assertThat(CompareAndWriteCdb.decode(hex("89 18 0000000000000009 000000 05 00 00")))
                .isEqualTo(new CompareAndWriteCdb(9, 5, 0, true, true));
    }

    @Test
    void modeSenseAndSelect() {
        assertThat(ModeSenseCdb.decode(hex("5A 18 BF FF 000000 0100 00")))
                .isEqualTo(new ModeSenseCdb(OperationCode.MODE_SENSE_10, true, true, 0b10, 0x3F, 0xFF, 0x100));
        assertThat(ModeSenseCdb.decode(hex("1A 10 08 00 FF 00")).llbaa()).isFalse();
        assertThat(ModeSelectCdb.decode(hex("15 11 00 00 18 00")))
                .isEqualTo(new ModeSelectCdb(OperationCode.MODE_SELECT_6, true, true, 0x18));
    }

    @Test
    void serviceActionIn16AndMaintenanceIn() {
        assertThat(ServiceActionIn16Cdb.decode(hex("9E 12 0000000000000100 00000018 00 00")))
                .isEqualTo(new ServiceActionIn16Cdb(0x12, 0x100, 24));
        // READ CAPACITY (16)'s LBA field is obsolete: not read.
        assertThat(ServiceActionIn16Cdb.decode(hex("9E 10 0000000000000100 00000020 00 00")).lba()).isZero();
        assertThat(ReportSupportedOpcodesCdb.decode(hex("A3 0C 82 9E 0010 0000FFFF 00 00")))
                .isEqualTo(new ReportSupportedOpcodesCdb(true, 2, 0x9E, 0x10, 0xFFFF));
        assertThat(ReportSupportedTmfCdb.decode(hex("A3 0D 80 00 0000 00000010 00 00")))
                .isEqualTo(new ReportSupportedTmfCdb(true, 16));
    }

    @Test
    void unmapParameterList() {
        byte[] list = hex("0026 0020 00000000"
                + " 0000000000000010 00000008 00000000"
                + " 0000000000000100 FFFFFFFF 00000000");
        UnmapParameterList p = UnmapParameterList.decode(list, list.length);
        assertThat(p.descriptors()).containsExactly(
                new UnmapParameterList.Descriptor(0x10, 8, 8),
                new UnmapParameterList.Descriptor(0x100, 0xFFFF_FFFFL, 24));
        // A descriptor the BLOCK DESCRIPTOR DATA LENGTH covers but the data-out does not is dropped, as is a
        // partial one.
        assertThat(UnmapParameterList.decode(list, 30).descriptors()).hasSize(1);
        assertThat(p.encode()).isEqualTo(list);
        assertThat(catchSense(() -> UnmapParameterList.decode(list, 7)))
                .isEqualTo(new SenseData(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
    }

    static SenseData catchSense(Runnable r) {
        try {
            r.run();
        } catch (CheckCondition c) {
            return c.sense();
        }
        throw new AssertionError("no CHECK CONDITION");
    }

    /** One decoder with the operation code (and service action) it reads and the fields it claims to evaluate. */
    record Form(String name, int opcode, int serviceAction, int cdbLength, Function<byte[], Object> decoder,
                List<CdbField> fields) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Form> forms() {
        List<Form> forms = new ArrayList<>();
        for (OperationCode op : List.of(OperationCode.READ_6, OperationCode.WRITE_6, OperationCode.READ_10,
                OperationCode.WRITE_10, OperationCode.READ_12, OperationCode.WRITE_12, OperationCode.READ_16,
                OperationCode.WRITE_16)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), ReadWriteCdb::decode, ReadWriteCdb.fields(op)));
        }
        for (OperationCode op : List.of(OperationCode.VERIFY_10, OperationCode.VERIFY_12, OperationCode.VERIFY_16,
                OperationCode.WRITE_AND_VERIFY_10, OperationCode.WRITE_AND_VERIFY_12,
                OperationCode.WRITE_AND_VERIFY_16)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), VerifyCdb::decode, VerifyCdb.fields(op)));
        }
        for (OperationCode op : List.of(OperationCode.WRITE_SAME_10, OperationCode.WRITE_SAME_16)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), WriteSameCdb::decode, WriteSameCdb.fields(op)));
        }
        for (OperationCode op : List.of(OperationCode.SYNCHRONIZE_CACHE_10, OperationCode.SYNCHRONIZE_CACHE_16,
                OperationCode.PRE_FETCH_10, OperationCode.PRE_FETCH_16)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), CacheRangeCdb::decode,
                    CacheRangeCdb.fields(op)));
        }
        for (OperationCode op : List.of(OperationCode.MODE_SENSE_6, OperationCode.MODE_SENSE_10)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), ModeSenseCdb::decode, ModeSenseCdb.fields(op)));
        }
        for (OperationCode op : List.of(OperationCode.MODE_SELECT_6, OperationCode.MODE_SELECT_10)) {
            forms.add(new Form(op.name(), op.code(), -1, op.cdbLength(), ModeSelectCdb::decode,
                    ModeSelectCdb.fields(op)));
        }
        forms.add(new Form("COMPARE_AND_WRITE", 0x89, -1, 16, CompareAndWriteCdb::decode, CompareAndWriteCdb.FIELDS));
        forms.add(new Form("INQUIRY", 0x12, -1, 6, InquiryCdb::decode, InquiryCdb.FIELDS));
        forms.add(new Form("REPORT_LUNS", 0xA0, -1, 12, ReportLunsCdb::decode, ReportLunsCdb.FIELDS));
        forms.add(new Form("REQUEST_SENSE", 0x03, -1, 6, RequestSenseCdb::decode, RequestSenseCdb.FIELDS));
        forms.add(new Form("START_STOP_UNIT", 0x1B, -1, 6, StartStopUnitCdb::decode, StartStopUnitCdb.FIELDS));
        forms.add(new Form("UNMAP", 0x42, -1, 10, UnmapCdb::decode, UnmapCdb.FIELDS));
        for (ServiceActionIn16 sa : ServiceActionIn16.values()) {
            forms.add(new Form(sa.name(), 0x9E, sa.code(), 16, ServiceActionIn16Cdb::decode,
                    ServiceActionIn16Cdb.fields(sa)));
        }
        forms.add(new Form("REPORT_SUPPORTED_OPERATION_CODES", 0xA3,
                MaintenanceIn.REPORT_SUPPORTED_OPERATION_CODES.code(), 12, ReportSupportedOpcodesCdb::decode,
                ReportSupportedOpcodesCdb.FIELDS));
        forms.add(new Form("REPORT_SUPPORTED_TMF", 0xA3,
                MaintenanceIn.REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS.code(), 12, ReportSupportedTmfCdb::decode,
                ReportSupportedTmfCdb.FIELDS));
        return forms.stream();
    }

    /**
     * Usage data is exact: a bit outside it never changes what the decoder returns, and every bit inside it does
     * (except NACA and SERVICE ACTION, which the target evaluates before the decoder runs).
     */
    @ParameterizedTest
    @MethodSource("forms")
    void usageDataMatchesWhatTheDecoderReads(Form form) {
        byte[] usage = CdbField.usageData(form.opcode, form.cdbLength, form.fields);
        byte[] dispatcherBits = new byte[form.cdbLength];
        CdbField.naca(form.cdbLength).mark(dispatcherBits);
        if (form.serviceAction >= 0) {
            OperationCode.SERVICE_ACTION.mark(dispatcherBits);
        }
        Random random = new Random(form.name.hashCode());
        for (int round = 0; round < 20; round++) {
            byte[] cdb = new byte[form.cdbLength];
            random.nextBytes(cdb);
            cdb[0] = (byte) form.opcode;
            if (form.serviceAction >= 0) {
                OperationCode.SERVICE_ACTION.write(cdb, form.serviceAction);
            }
            Object decoded = form.decoder.apply(cdb);
            for (int bit = 8; bit < form.cdbLength * 8; bit++) {
                int at = bit >>> 3;
                int mask = 1 << (7 - (bit & 7));
                if ((dispatcherBits[at] & mask) != 0) {
                    continue;
                }
                byte[] flipped = cdb.clone();
                flipped[at] ^= (byte) mask;
                Object other = form.decoder.apply(flipped);
                if ((usage[at] & mask) != 0) {
                    assertThat(other).as("byte %d bit %d is in the usage data", at, 7 - (bit & 7))
                            .isNotEqualTo(decoded);
                } else {
                    assertThat(other).as("byte %d bit %d is not in the usage data", at, 7 - (bit & 7))
                            .isEqualTo(decoded);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("forms")
    void usageDataStartsWithTheOpcodeAndMarksNaca(Form form) {
        byte[] usage = CdbField.usageData(form.opcode, form.cdbLength, form.fields);
        assertThat(usage[0] & 0xFF).isEqualTo(form.opcode);
        assertThat(usage[form.cdbLength - 1] & 0x04).isEqualTo(0x04);
    }
}
