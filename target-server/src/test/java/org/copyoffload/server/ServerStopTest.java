package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping the server while hosts are connected and commands are still in the storage layer: {@code close()}
 * returns without throwing, and commands that finish after the event loops are gone release what they hold (the
 * leak detector checks the write data). Netty may stop a loop without firing channelInactive on its channels, so
 * controllers can still be open when the target closes them, from the thread that stops the server.
 */
@ExtendWith(LeakDetectionExtension.class)
class ServerStopTest {
    @TempDir
    Path dir;

    @Test
    void stoppingWithWritesInTheStoreThrowsNothingAndReleasesTheirData() {
        String yaml = """
                data-dir: %s
                nvme: {event-loops: 1}
                listeners:
                  - {address: 127.0.0.1, port: 0}
                metrics: {enabled: false}
                volumes:
                  - {name: conv, size: 16MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    namespaces:
                      - {nsid: 1, volume: conv}
                """.formatted(dir, TestServer.NQN);
        AtomicReference<FaultyStore> store = new AtomicReference<>();
        TestServer server = TestServer.start(dir, yaml, s -> {
            FaultyStore f = new FaultyStore(s);
            store.set(f);
            return f;
        });
        CountDownLatch gate = new CountDownLatch(1);
        store.get().writeGate = gate;
        List<CompletableFuture<Completion>> writes = new ArrayList<>();
        try (NvmeTcpHost h = server.connect(2)) {
            Random random = new Random(11);
            // One write with in-capsule data, one large enough for R2T and H2CData, on each queue.
            for (int q = 0; q < 2; q++) {
                for (int blocks : new int[] {1, 64}) {
                    byte[] data = TestServer.randomBytes(random, blocks * 4096);
                    writes.add(h.submitIo(q, Nvme.write(1, q * 128 + blocks, blocks, false),
                            TestServer.buffer(data), 0));
                }
            }
            TestServer.eventually("four writes waiting in the store", Duration.ofSeconds(10),
                    () -> store.get().writesWaiting() == 4);

            assertThatCode(server::close).doesNotThrowAnyException();
            gate.countDown();
            TestServer.eventually("the writes left the store", Duration.ofSeconds(10),
                    () -> store.get().writesWaiting() == 0);
        }
        for (CompletableFuture<Completion> w : writes) {
            // The connection went away with the server: no write can have been acknowledged.
            assertThat(w).isCompletedExceptionally();
        }
    }
}
