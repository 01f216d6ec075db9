package org.copyoffload.protocol.scsi;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Writes the copy results seeds of {@link ScsiFuzzTest} with the codebase's encoders (not part of the suite: run it
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
    }

    private static byte[] prefixed(int selector, byte[] data) {
        byte[] seed = new byte[data.length + 1];
        seed[0] = (byte) selector;
        System.arraycopy(data, 0, seed, 1, data.length);
        return seed;
    }
}
