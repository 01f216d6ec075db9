package org.copyoffload.protocol.scsi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Writes the copy results, parameter list and initiator data seeds of {@link ScsiFuzzTest} with the codebase's encoders (not part of the suite: run it
 * by name, {@code -Dtest=ScsiSeeds}, from the module directory). The CDB and parameter list seeds are the layouts of
 * ThirdPartyCopyCodecTest, written as files.
 */
class ScsiSeeds {
    @Test
    void write() throws Exception {
        Path dir = Files.createDirectories(
                Path.of("src/test/resources/org/copyoffload/protocol/scsi/ScsiFuzzTestInputs/copyResults"));
        Files.write(dir.resolve("seed-operating-parameters"),
                prefixed(0, new CopyResults.OperatingParameters(ScsiFuzzTest.LIMITS).encode()));
        Files.write(dir.resolve("seed-copy-status"), prefixed(1,
                new CopyResults.CopyStatus(CopyResults.CopyManagerStatus.COMPLETED_WITHOUT_ERRORS, 2, 0x800000).encode()));
        writeParameterListSeeds();
        writeInitiatorDataSeeds();
    }

    /** UNMAP, MODE SELECT, PERSISTENT RESERVE OUT / REGISTER AND MOVE parameter lists and TransportIDs. */
    private static void writeParameterListSeeds() throws Exception {
        write("unmapParameterList", "seed-two", new UnmapParameterList(List.of(
                new UnmapParameterList.Descriptor(0x1000, 8, 0), new UnmapParameterList.Descriptor(1L << 40, 0x10000, 0)))
                .encode());
        write("unmapParameterList", "seed-empty", new UnmapParameterList(List.of()).encode());
        List<byte[]> pages = List.of(new ModePage.Caching(true, false).encode(),
                new ModePage.Control(0, true, 1, 0, false, true, 0xFFFF).encode());
        write("modeSelectParameterList", "seed-six", prefixed(0, ModeParameters.encode(false, 0,
                Optional.of(new ModeParameters.BlockDescriptor(0x10000, 512)), false, pages)));
        write("modeSelectParameterList", "seed-ten-long-lba", prefixed(1, ModeParameters.encode(true, 0x10,
                Optional.of(new ModeParameters.BlockDescriptor(1L << 33, 4096)), true, pages)));
        write("modeSelectParameterList", "seed-ten-pages-only", prefixed(1, ModeParameters.encode(true, 0,
                Optional.empty(), false, pages)));
        IscsiTransportId a = IscsiTransportId.port("iqn.2026-01.org.copyoffload:initiator-a", 0x400001370000L);
        IscsiTransportId b = new IscsiTransportId("iqn.1993-08.org.debian:01:b", OptionalLong.empty());
        write("persistentReserveOutParameterList", "seed-register", prefixed(0,
                new PersistentReserveOutParameters(0, 0xAA, false, false, true, List.of()).encode()));
        write("persistentReserveOutParameterList", "seed-spec-i-pt", prefixed(0,
                new PersistentReserveOutParameters(0, 0xBB, true, false, false, List.of(a, b)).encode()));
        write("persistentReserveOutParameterList", "seed-register-and-move", prefixed(1,
                new RegisterAndMoveParameters(0xAA, 0xCC, true, false, 1, a).encode()));
        write("transportId", "seed-port", a.encode());
        write("transportId", "seed-name", b.encode());
    }

    /** What an initiator decodes: sense data, RECEIVE COPY STATUS (LID4), PERSISTENT RESERVE IN data. */
    private static void writeInitiatorDataSeeds() throws Exception {
        SenseData pointer = SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB, SenseData.FieldPointer.cdb(2, 7));
        SenseData information = SenseData.of(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 1L << 35);
        write("senseData", "seed-fixed", pointer.encodeFixed());
        write("senseData", "seed-descriptor", pointer.encodeDescriptor());
        write("senseData", "seed-descriptor-information", information.encodeDescriptor());
        write("senseData", "seed-command-specific",
                SenseData.withCommandSpecific(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 2).encodeFixed());
        write("copyStatusLid4", "seed-failed", new CopyResults.CopyStatusLid4(1,
                CopyResults.CopyOperationStatus.COMPLETED_WITH_ERRORS, ScsiStatus.CHECK_CONDITION, 2, 4096,
                pointer.encodeFixed()).encode());
        write("copyStatusLid4", "seed-running", new CopyResults.CopyStatusLid4(0,
                CopyResults.CopyOperationStatus.IN_PROGRESS_BACKGROUND, ScsiStatus.GOOD, 5, 1L << 36, new byte[0])
                .encode());
        IscsiTransportId a = IscsiTransportId.port("iqn.2026-01.org.copyoffload:initiator-a", 0x400001370000L);
        write("persistentReserveInData", "seed-read-keys", prefixed(0,
                new PersistentReserveInData.ReadKeys(4, List.of(0xAAL, 0xBBL)).encode()));
        write("persistentReserveInData", "seed-read-reservation", prefixed(1, new PersistentReserveInData
                .ReadReservation(4, Optional.of(new PersistentReserveInData.Reservation(0xAA,
                        PersistentReservationType.WRITE_EXCLUSIVE))).encode()));
        write("persistentReserveInData", "seed-report-capabilities", prefixed(2,
                new PersistentReserveInData.ReportCapabilities(true, true, true, true, 1, false, 0xEA01).encode()));
        write("persistentReserveInData", "seed-read-full-status", prefixed(3, new PersistentReserveInData
                .ReadFullStatus(3, List.of(new PersistentReserveInData.FullStatus(0xAA, false,
                        Optional.of(PersistentReservationType.EXCLUSIVE_ACCESS), 1, a))).encode()));
    }

    private static void write(String method, String name, byte[] bytes) throws Exception {
        Path dir = Files.createDirectories(
                Path.of("src/test/resources/org/copyoffload/protocol/scsi/ScsiFuzzTestInputs").resolve(method));
        Files.write(dir.resolve(name), bytes);
    }

    private static byte[] prefixed(int selector, byte[] data) {
        byte[] seed = new byte[data.length + 1];
        seed[0] = (byte) selector;
        System.arraycopy(data, 0, seed, 1, data.length);
        return seed;
    }
}
