package org.copyoffload.backends.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicStateFileTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void missingFileReadsEmptyAndWritesRoundTrip() throws IOException {
        AtomicStateFile f = new AtomicStateFile(dir.resolve("a.state"), "TEST", 1);
        assertThat(f.read()).isEmpty();
        f.write(bytes("first"));
        f.write(bytes("second, longer"));
        assertThat(f.read()).hasValueSatisfying(p -> assertThat(p).isEqualTo(bytes("second, longer")));
        assertThat(new AtomicStateFile(f.file(), "TEST", 1).read()).isPresent();
        assertThat(Files.exists(dir.resolve("a.state.tmp"))).as("no temporary file left behind").isFalse();
        // Layout: magic, kind, version, length, payload, CRC.
        byte[] raw = Files.readAllBytes(f.file());
        assertThat(new String(raw, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("COSTATE1");
        assertThat(new String(raw, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("TEST");
        assertThat(raw).hasSize(AtomicStateFile.HEADER + 14 + 4);
    }

    @Test
    void emptyPayloadIsValid() throws IOException {
        AtomicStateFile f = new AtomicStateFile(dir.resolve("e.state"), "TEST", 1);
        f.write(new byte[0]);
        assertThat(f.read()).hasValueSatisfying(p -> assertThat(p).isEmpty());
    }

    @Test
    void everyFlippedByteIsRefusedNamingTheFile() throws IOException {
        AtomicStateFile f = new AtomicStateFile(dir.resolve("c.state"), "TEST", 1);
        f.write(bytes("payload"));
        byte[] good = Files.readAllBytes(f.file());
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            Files.write(f.file(), bad);
            assertThatThrownBy(f::read).as("byte %d flipped", i).isInstanceOf(StateFileException.class)
                    .hasMessageContaining(f.file().toString());
        }
    }

    @Test
    void truncatedOtherKindOrVersionRefused() throws IOException {
        AtomicStateFile f = new AtomicStateFile(dir.resolve("t.state"), "TEST", 1);
        f.write(bytes("payload"));
        byte[] good = Files.readAllBytes(f.file());
        for (int n : new int[] {0, 5, AtomicStateFile.HEADER, good.length - 1}) {
            Files.write(f.file(), Arrays.copyOf(good, n));
            assertThatThrownBy(f::read).isInstanceOf(StateFileException.class).hasMessageContaining("t.state");
        }
        Files.write(f.file(), good);
        assertThatThrownBy(() -> new AtomicStateFile(f.file(), "OTHER", 1).read())
                .isInstanceOf(StateFileException.class).hasMessageContaining("'TEST' state, expected 'OTHER'");
        assertThatThrownBy(() -> new AtomicStateFile(f.file(), "TEST", 2).read())
                .isInstanceOf(StateFileException.class).hasMessageContaining("version 1");
    }

    @Test
    void deleteRemovesTheFile() throws IOException {
        AtomicStateFile f = new AtomicStateFile(dir.resolve("d.state"), "TEST", 1);
        f.delete();
        f.write(bytes("x"));
        f.delete();
        assertThat(f.read()).isEmpty();
        assertThat(Files.exists(f.file())).isFalse();
    }
}
