package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import static org.copyoffload.protocol.scsi.OperationCode.*;

/**
 * Jazzer fuzz targets for the SCSI decoders: every CDB decoder, on the operation codes the target dispatches to it,
 * the EXTENDED COPY parameter lists (LID1 and LID4), the UNMAP, MODE SELECT, PERSISTENT RESERVE OUT and REGISTER AND
 * MOVE parameter lists and the iSCSI TransportIDs in them, and what an initiator decodes: RECEIVE COPY RESULTS data
 * (LID1, and the LID4 copy status), PERSISTENT RESERVE IN data and sense data. A CDB or parameter list either
 * decodes or is rejected with a {@link CheckCondition} (whose sense names the field); the initiator's decoders throw
 * {@link IllegalArgumentException}, as documented. A decoded value re-encodes to bytes that
 * decode and re-encode to the same bytes. Regression inputs:
 * {@code src/test/resources/org/copyoffload/protocol/scsi/ScsiFuzzTestInputs/<method>/}.
 */
class ScsiFuzzTest {
    /** The limits the target's copy manager reports (as in ThirdPartyCopyCodecTest). */
    static final CopyManagerLimits LIMITS = new CopyManagerLimits(64, 64, 64 * 32 + 64 * 28, 0xFFFFL * 4096, 0,
            255, 255, 9, 0, 0, List.of(0x02, 0xE4));

    static final Map<OperationCode, Class<?>> DECODERS = new LinkedHashMap<>();

    static {
        for (OperationCode op : List.of(READ_6, READ_10, READ_12, READ_16, WRITE_6, WRITE_10, WRITE_12, WRITE_16)) {
            DECODERS.put(op, ReadWriteCdb.class);
        }
        for (OperationCode op : List.of(VERIFY_10, VERIFY_12, VERIFY_16, WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_12,
                WRITE_AND_VERIFY_16)) {
            DECODERS.put(op, VerifyCdb.class);
        }
        for (OperationCode op : List.of(PRE_FETCH_10, PRE_FETCH_16, SYNCHRONIZE_CACHE_10, SYNCHRONIZE_CACHE_16)) {
            DECODERS.put(op, CacheRangeCdb.class);
        }
        for (OperationCode op : List.of(RESERVE_6, RESERVE_10, RELEASE_6, RELEASE_10)) {
            DECODERS.put(op, ReserveReleaseCdb.class);
        }
        DECODERS.put(COMPARE_AND_WRITE, CompareAndWriteCdb.class);
        DECODERS.put(WRITE_SAME_10, WriteSameCdb.class);
        DECODERS.put(WRITE_SAME_16, WriteSameCdb.class);
        DECODERS.put(UNMAP, UnmapCdb.class);
        DECODERS.put(SERVICE_ACTION_IN_16, ServiceActionIn16Cdb.class);
        DECODERS.put(MODE_SENSE_6, ModeSenseCdb.class);
        DECODERS.put(MODE_SENSE_10, ModeSenseCdb.class);
        DECODERS.put(MODE_SELECT_6, ModeSelectCdb.class);
        DECODERS.put(MODE_SELECT_10, ModeSelectCdb.class);
        DECODERS.put(INQUIRY, InquiryCdb.class);
        DECODERS.put(REPORT_LUNS, ReportLunsCdb.class);
        DECODERS.put(REQUEST_SENSE, RequestSenseCdb.class);
        DECODERS.put(START_STOP_UNIT, StartStopUnitCdb.class);
        DECODERS.put(PERSISTENT_RESERVE_IN, PersistentReserveInCdb.class);
        DECODERS.put(PERSISTENT_RESERVE_OUT, PersistentReserveOutCdb.class);
        DECODERS.put(EXTENDED_COPY, ExtendedCopyCdb.class);
        DECODERS.put(RECEIVE_COPY_RESULTS, ReceiveCopyResultsCdb.class);
        DECODERS.put(MAINTENANCE_IN, ReportSupportedOpcodesCdb.class);
        DECODERS.put(ZBC_OUT, ZbcOutCdb.class);
        DECODERS.put(ZBC_IN, ReportZonesCdb.class);
    }

    /**
     * Byte 0 picks the operation code among those with a decoder (and is replaced by it); the CDB is the input
     * zero-padded to iSCSI's 16-byte CDB field, or longer as an Extended CDB AHS would make it.
     */
    @FuzzTest(maxDuration = "60s")
    void cdb(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        List<OperationCode> ops = List.copyOf(DECODERS.keySet());
        OperationCode op = ops.get((input[0] & 0xFF) % ops.size());
        byte[] cdb = Arrays.copyOf(input, Math.max(16, Math.min(input.length, 260)));
        cdb[0] = (byte) op.code();
        Class<?> decoder = decoderOf(op, cdb);
        Object decoded;
        try {
            decoded = decode(decoder, cdb);
        } catch (CheckCondition expected) {
            return;
        }
        byte[] encoded = (byte[]) decoder.getMethod("encode").invoke(decoded);
        byte[] again = (byte[]) decoder.getMethod("encode").invoke(decode(decoder, Arrays.copyOf(encoded, 16)));
        assertThat(again).isEqualTo(encoded);
    }

    /** The dispatch of the target's command table: by service action where one operation code has several. */
    private static Class<?> decoderOf(OperationCode op, byte[] cdb) {
        int sa = OperationCode.SERVICE_ACTION.readInt(cdb);
        if (op == MAINTENANCE_IN && sa == MaintenanceIn.REPORT_SUPPORTED_TASK_MANAGEMENT_FUNCTIONS.code()) {
            return ReportSupportedTmfCdb.class;
        }
        if (op == EXTENDED_COPY && sa == ExtendedCopy.COPY_OPERATION_ABORT.code()) {
            return CopyOperationAbortCdb.class;
        }
        if (op == EXTENDED_COPY && (sa == ExtendedCopy.POPULATE_TOKEN.code()
                || sa == ExtendedCopy.WRITE_USING_TOKEN.code())) {
            return TokenCopyCdb.class;
        }
        return DECODERS.get(op);
    }

    private static Object decode(Class<?> decoder, byte[] cdb) throws Exception {
        Method m = decoder.getMethod("decode", byte[].class);
        try {
            return m.invoke(null, (Object) cdb);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The input is an EXTENDED COPY parameter list (its PARAMETER LIST LENGTH is the input's length). */
    @FuzzTest(maxDuration = "60s")
    void extendedCopyParameterList(byte[] input) {
        ExtendedCopyParameterList list;
        try {
            list = ExtendedCopyParameterList.decode(input, input.length, LIMITS);
        } catch (CheckCondition expected) {
            return;
        }
        byte[] encoded = list.encode();
        byte[] again = ExtendedCopyParameterList.decode(encoded, encoded.length, LIMITS).encode();
        assertThat(again).isEqualTo(encoded);
    }

    /** Byte 0 picks the decoder (OPERATING PARAMETERS or COPY STATUS); the rest is its parameter data. */
    @FuzzTest(maxDuration = "60s")
    void copyResults(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                byte[] encoded = CopyResults.OperatingParameters.decode(data, data.length).encode();
                assertThat(CopyResults.OperatingParameters.decode(encoded, encoded.length).encode()).isEqualTo(encoded);
            } else {
                byte[] encoded = CopyResults.CopyStatus.decode(data, data.length).encode();
                assertThat(CopyResults.CopyStatus.decode(encoded, encoded.length).encode()).isEqualTo(encoded);
            }
        } catch (IllegalArgumentException expected) {
            // documented: the data is short or a field is out of range
        }
    }

    /**
     * Byte 0, bit 0: a WRITE USING TOKEN rather than a POPULATE TOKEN parameter list; the rest is the list. What
     * decodes re-encodes to bytes that decode to the same list; a token inside decodes or is refused (ROD TOKEN
     * LENGTH), and a creator descriptor read from it stays inside the token.
     */
    @FuzzTest(maxDuration = "60s")
    void tokenCopyParameterList(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                PopulateTokenParameters p = PopulateTokenParameters.decode(data, data.length);
                byte[] encoded = p.encode();
                assertThat(PopulateTokenParameters.decode(encoded, encoded.length)).isEqualTo(p);
            } else {
                WriteUsingTokenParameters w = WriteUsingTokenParameters.decode(data, data.length);
                byte[] encoded = w.encode();
                assertThat(WriteUsingTokenParameters.decode(encoded, encoded.length)).isEqualTo(w);
                RodToken t = RodToken.decode(w.rodToken());
                if (t.creator() != null) {
                    assertThat(t.creator().designator().length).isLessThanOrEqualTo(20);
                }
                t.bytesRepresented();
            }
        } catch (CheckCondition expected) {
            // the field is named in the sense
        }
    }

    /** The input is REPORT ALL ROD TOKENS data as a copy manager returns it, cut anywhere. */
    @FuzzTest(maxDuration = "60s")
    void rodManagementTokens(byte[] input) {
        RodManagementTokens tokens;
        try {
            tokens = RodManagementTokens.decode(input, input.length);
        } catch (IllegalArgumentException expected) {
            return; // documented: the header is short or AVAILABLE DATA is not 4 plus whole tokens
        }
        byte[] encoded = tokens.encode();
        assertThat(RodManagementTokens.decode(encoded, encoded.length)).isEqualTo(tokens);
    }

    /** The input is RECEIVE ROD TOKEN INFORMATION data as a copy manager returns it. */
    @FuzzTest(maxDuration = "60s")
    void rodTokenInformation(byte[] input) {
        RodTokenInformation info;
        try {
            info = RodTokenInformation.decode(input, input.length);
        } catch (IllegalArgumentException expected) {
            return; // documented: the data is short or a field is out of range
        }
        byte[] encoded = info.encode();
        assertThat(RodTokenInformation.decode(encoded, encoded.length)).isEqualTo(info);
    }

    /**
     * Byte 0 picks what a zoned device's initiator decodes (REPORT ZONES data, or the Zoned Block Device
     * Characteristics page); the rest is the data.
     */
    @FuzzTest(maxDuration = "60s")
    void zbcData(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                byte[] encoded = ReportZonesData.decode(data).encode();
                assertThat(ReportZonesData.decode(encoded).encode()).isEqualTo(encoded);
            } else {
                byte[] encoded = ZonedBlockDeviceCharacteristics.decode(data).encode(data[0] & 0xFF);
                assertThat(ZonedBlockDeviceCharacteristics.decode(encoded).encode(data[0] & 0xFF)).isEqualTo(encoded);
            }
        } catch (IllegalArgumentException expected) {
            // documented: the data is short or a field is reserved
        }
    }

    /** The input is an UNMAP parameter list (its PARAMETER LIST LENGTH is the input's length). */
    @FuzzTest(maxDuration = "60s")
    void unmapParameterList(byte[] input) {
        UnmapParameterList list;
        try {
            list = UnmapParameterList.decode(input, input.length);
        } catch (CheckCondition expected) {
            return;
        }
        for (UnmapParameterList.Descriptor d : list.descriptors()) {
            assertThat(d.offset() + 16).as("a descriptor inside the list").isLessThanOrEqualTo(input.length);
        }
        byte[] encoded = list.encode();
        assertThat(UnmapParameterList.decode(encoded, encoded.length).encode()).isEqualTo(encoded);
    }

    /**
     * Byte 0, bit 0: MODE SELECT (10) rather than (6); the rest is the parameter list. The pages lie inside the list,
     * one after the other; a Caching or Control page of its length decodes as the target reads it; a list with at
     * most one block descriptor re-encodes (as MODE SENSE data) to one that parses the same.
     */
    @FuzzTest(maxDuration = "60s")
    void modeSelectParameterList(byte[] input) {
        if (input.length == 0) {
            return;
        }
        boolean ten = (input[0] & 1) != 0;
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        ModeParameters.Parsed parsed;
        try {
            parsed = ModeParameters.decode(ten, data, data.length);
        } catch (CheckCondition expected) {
            return;
        }
        int end = 0;
        for (ModeParameters.Page page : parsed.pages()) {
            assertThat(page.offset()).isGreaterThanOrEqualTo(end);
            end = page.offset() + page.bytes().length;
            assertThat(end).isLessThanOrEqualTo(data.length);
            if (page.pageCode() == ModePage.CACHING && page.bytes().length == ModePage.Caching.LENGTH) {
                ModePage.Caching.decode(page.bytes());
            } else if (page.pageCode() == ModePage.CONTROL && page.bytes().length == ModePage.Control.LENGTH) {
                ModePage.Control.decode(page.bytes());
            }
        }
        if (parsed.blockDescriptors().size() > 1) {
            return;
        }
        java.util.Optional<ModeParameters.BlockDescriptor> descriptor = parsed.blockDescriptors().stream().findFirst();
        boolean longLba = descriptor.map(ModeParameters.BlockDescriptor::longLba).orElse(false);
        byte[] encoded;
        try {
            encoded = ModeParameters.encode(ten, parsed.deviceSpecific(), descriptor, longLba,
                    parsed.pages().stream().map(ModeParameters.Page::bytes).toList());
        } catch (IllegalArgumentException tooLongForSix) {
            return;
        }
        ModeParameters.Parsed again = ModeParameters.decode(ten, encoded, encoded.length);
        assertThat(again.deviceSpecific()).isEqualTo(parsed.deviceSpecific());
        assertThat(again.blockDescriptors()).extracting(d -> d.blocks() + "/" + d.blockLength() + "/" + d.longLba())
                .isEqualTo(parsed.blockDescriptors().stream()
                        .map(d -> d.blocks() + "/" + d.blockLength() + "/" + d.longLba()).toList());
        assertThat(again.pages()).hasSameSizeAs(parsed.pages());
        for (int i = 0; i < again.pages().size(); i++) {
            assertThat(again.pages().get(i).bytes()).isEqualTo(parsed.pages().get(i).bytes());
        }
    }

    /**
     * Byte 0, bit 0: REGISTER AND MOVE rather than the other PERSISTENT RESERVE OUT service actions; the rest is the
     * parameter list (its PARAMETER LIST LENGTH is its length).
     */
    @FuzzTest(maxDuration = "60s")
    void persistentReserveOutParameterList(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        try {
            if ((input[0] & 1) == 0) {
                byte[] encoded = PersistentReserveOutParameters.decode(data, data.length).encode();
                assertThat(PersistentReserveOutParameters.decode(encoded, encoded.length).encode()).isEqualTo(encoded);
            } else {
                byte[] encoded = RegisterAndMoveParameters.decode(data, data.length).encode();
                assertThat(RegisterAndMoveParameters.decode(encoded, encoded.length).encode()).isEqualTo(encoded);
            }
        } catch (CheckCondition expected) {
            // the field is named in the sense
        }
    }

    /** The input is one iSCSI TransportID (SPC-5 7.6.4.6) ending where the input ends. */
    @FuzzTest(maxDuration = "60s")
    void transportId(byte[] input) {
        IscsiTransportId id;
        try {
            id = IscsiTransportId.decode(input, 0, input.length);
        } catch (CheckCondition expected) {
            return;
        }
        assertThat(IscsiTransportId.length(input, 0)).isLessThanOrEqualTo(input.length);
        byte[] encoded = id.encode();
        assertThat(IscsiTransportId.length(encoded, 0)).isEqualTo(encoded.length);
        assertThat(IscsiTransportId.decode(encoded, 0, encoded.length)).isEqualTo(id);
    }

    /**
     * The input is sense data as a target returns it: it decodes or is refused with {@link IllegalArgumentException};
     * what decodes survives descriptor format whole and fixed format as far as that format reaches.
     */
    @FuzzTest(maxDuration = "60s")
    void senseData(byte[] input) {
        SenseData sense;
        try {
            sense = SenseData.decode(input);
        } catch (IllegalArgumentException expected) {
            return;
        }
        assertThat(SenseData.decode(sense.encodeDescriptor())).isEqualTo(sense);
        byte[] fixed = sense.encodeFixed();
        assertThat(SenseData.decode(fixed).encodeFixed()).isEqualTo(fixed);
    }

    /** The input is RECEIVE COPY STATUS (LID4) parameter data (SPC-5 6.22.3), all of it received. */
    @FuzzTest(maxDuration = "60s")
    void copyStatusLid4(byte[] input) {
        CopyResults.CopyStatusLid4 status;
        try {
            status = CopyResults.CopyStatusLid4.decode(input, input.length);
        } catch (IllegalArgumentException expected) {
            return;
        }
        byte[] encoded = status.encode();
        assertThat(CopyResults.CopyStatusLid4.decode(encoded, encoded.length)).isEqualTo(status);
    }

    /**
     * Byte 0 picks the PERSISTENT RESERVE IN data an initiator reads (READ KEYS, READ RESERVATION, REPORT
     * CAPABILITIES, READ FULL STATUS); the rest is that data.
     */
    @FuzzTest(maxDuration = "60s")
    void persistentReserveInData(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] data = Arrays.copyOfRange(input, 1, input.length);
        try {
            byte[] encoded = switch (input[0] & 3) {
                case 0 -> PersistentReserveInData.ReadKeys.decode(data).encode();
                case 1 -> PersistentReserveInData.ReadReservation.decode(data).encode();
                case 2 -> PersistentReserveInData.ReportCapabilities.decode(data).encode();
                default -> PersistentReserveInData.ReadFullStatus.decode(data).encode();
            };
            byte[] again = switch (input[0] & 3) {
                case 0 -> PersistentReserveInData.ReadKeys.decode(encoded).encode();
                case 1 -> PersistentReserveInData.ReadReservation.decode(encoded).encode();
                case 2 -> PersistentReserveInData.ReportCapabilities.decode(encoded).encode();
                default -> PersistentReserveInData.ReadFullStatus.decode(encoded).encode();
            };
            assertThat(again).isEqualTo(encoded);
        } catch (IllegalArgumentException | CheckCondition expected) {
            // documented: short data or a reserved value (a TransportID inside READ FULL STATUS: CheckCondition)
        }
    }
}
