package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinuxFileTest {
    @TempDir
    Path dir;

    @Test
    void failuresCarryPathErrnoAndItsMeaning() throws IOException {
        Path file = Files.createFile(dir.resolve("f"));
        try (LinuxFile linux = LinuxFile.open(file)) {
            assertThatThrownBy(() -> linux.fallocate(Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, 0, -1))
                    .isInstanceOf(IOException.class)
                    .hasMessageContainingAll(file.toString(), "fallocate", "errno 22", "Invalid argument")
                    .cause().isInstanceOfSatisfying(ErrnoException.class,
                            e -> assertThat(e.errno()).isEqualTo(Libc.EINVAL));
        }
    }

    @Test
    void openNamesTheMissingFile() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> LinuxFile.open(missing))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(2))
                .hasMessageContainingAll(missing.toString(), "No such file or directory");
    }

    @Test
    void truncateGrowsWithoutAllocating() throws IOException {
        Path file = Files.createFile(dir.resolve("g"));
        try (LinuxFile linux = LinuxFile.open(file)) {
            linux.truncate(1L << 30);
            assertThat(Files.size(file)).isEqualTo(1L << 30);
            assertThat(linux.stat().allocatedBytes()).isLessThan(64 * 1024);
        }
    }

    @Test
    void refusesCallsAfterClose() throws IOException {
        LinuxFile linux = LinuxFile.open(Files.createFile(dir.resolve("c")));
        linux.close();
        linux.close();
        assertThatThrownBy(linux::stat).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> linux.fallocate(Libc.FALLOC_FL_ZERO_RANGE, 0, 1))
                .isInstanceOf(ClosedChannelException.class);
    }
}
