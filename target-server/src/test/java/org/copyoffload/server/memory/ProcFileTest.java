package org.copyoffload.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sysctl files read whole: the DirtyPageHeadroom read dirty_background_ratio 10 as 1 through Files.readString. */
class ProcFileTest {
    @Test
    void readsASysctlAsCatDoes() throws Exception {
        for (String name : new String[] {"dirty_background_ratio", "dirty_ratio", "dirty_expire_centisecs"}) {
            Path file = Path.of("/proc/sys/vm", name);
            Process cat = new ProcessBuilder("cat", file.toString()).start();
            String expected = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(cat.waitFor()).isZero();
            assertThat(ProcFile.read(file)).as(name).isEqualTo(expected);
        }
    }

    @Test
    void readsAnOrdinaryFileAndNamesAMissingOne(@TempDir Path dir) throws IOException {
        Path f = Files.writeString(dir.resolve("v"), "12345\n");
        assertThat(ProcFile.read(f)).isEqualTo("12345\n");
        assertThat(ProcFile.read(Files.writeString(dir.resolve("empty"), ""))).isEmpty();
        assertThatThrownBy(() -> ProcFile.read(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("missing");
    }
}
