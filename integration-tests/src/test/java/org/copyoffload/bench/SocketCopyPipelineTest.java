package org.copyoffload.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench's protocol-free copy and write ceilings move the bytes they claim to. */
class SocketCopyPipelineTest {
    @TempDir
    Path dir;

    @Test
    void copiesEveryByteToTheSameOffsetOverSeveralQueues() throws Exception {
        // 3 MiB + 12 KiB in 1 MiB chunks over 2 queues: the last chunk is short and the queues get unequal shares.
        byte[] data = new byte[(3 << 20) + 12 * 1024];
        new Random(17).nextBytes(data);
        Path from = Files.write(dir.resolve("a.img"), data);
        Path to = Files.write(dir.resolve("b.img"), new byte[data.length]);
        SocketCopyPipeline.Measured m = SocketCopyPipeline.copy(from, to, data.length, 2, 1 << 20);
        assertThat(Files.readAllBytes(to)).isEqualTo(data);
        assertThat(m.seconds()).isPositive();
        assertThat(m.cpuSeconds()).isPositive();
    }

    @Test
    void aSourceShorterThanTheCopyFailsInsteadOfHanging() throws Exception {
        Path from = Files.write(dir.resolve("a.img"), new byte[1 << 20]);
        Path to = Files.write(dir.resolve("b.img"), new byte[4 << 20]);
        assertThatThrownBy(() -> SocketCopyPipeline.copy(from, to, 4 << 20, 2, 1 << 20))
                .isInstanceOf(IOException.class).hasMessageContaining("failed")
                .cause().hasMessageContaining("a.img ends before byte");
    }

    @Test
    void streamsIntoAFileWriteWhatTheyReceiveWithinTheirRegions() throws Exception {
        Path sink = dir.resolve("sink.img");
        LoopbackBandwidth.Measured m = LoopbackBandwidth.measureIntoFile(java.time.Duration.ofMillis(300), 128 * 1024, 2,
                sink, 4 << 20);
        assertThat(m.bytesPerSecond()).isPositive();
        // Each reader wraps within its own 4 MiB: the file never grows past the two regions written first.
        assertThat(Files.size(sink)).isEqualTo(8 << 20);
        byte[] written = Files.readAllBytes(sink);
        assertThat(written[0]).isEqualTo(LoopbackBandwidth.PATTERN);
        assertThat(written[4 << 20]).isEqualTo(LoopbackBandwidth.PATTERN);
    }
}
