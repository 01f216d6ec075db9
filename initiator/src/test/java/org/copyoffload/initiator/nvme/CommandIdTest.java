package org.copyoffload.initiator.nvme;

import org.copyoffload.initiator.TagAllocator;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CommandIdTest {
    private final FakeController controller = new FakeController();

    @AfterEach
    void stop() {
        controller.close();
    }

    private List<Integer> flushCids() {
        return controller.commands(1).stream().filter(c -> c.is(NvmOpcode.FLUSH.code())).map(c -> c.sqe().cid()).toList();
    }

    @Test
    void inFlightCommandsHaveDistinctCidsAndAreBoundedByTheQueueSize() throws Exception {
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueueSize(4).build())) {
            controller.holdIo = true;
            List<CompletableFuture<Completion>> futures = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                futures.add(host.submitIo(0, NvmeCommands.flush(1), null, 0));
            }
            // A 4-entry queue holds 3 commands; the other 2 wait in the host.
            Eventually.await("3 commands at the controller", () -> controller.held.size() == 3);
            Thread.sleep(50);
            assertThat(flushCids()).hasSize(3).doesNotHaveDuplicates();
            assertThat(futures).noneMatch(CompletableFuture::isDone);

            controller.releaseHeld(1);
            Eventually.await("4th command sent", () -> flushCids().size() == 4);
            // The freed CID is the only free one, so the waiting command reuses it.
            assertThat(flushCids().get(3)).isEqualTo(flushCids().get(0));
            assertThat(futures.get(0).get().cid()).isEqualTo(flushCids().get(0));

            controller.releaseHeld(1);
            Eventually.await("5th command sent", () -> flushCids().size() == 5);
            controller.holdIo = false;
            controller.releaseHeld(10);
            for (CompletableFuture<Completion> f : futures) {
                assertThat(f.get().isSuccess()).isTrue();
            }
            Set<Integer> inFlightAtOnce = new HashSet<>(flushCids().subList(2, 5));
            assertThat(inFlightAtOnce).hasSize(3);
        }
    }

    @Test
    void freedCidsAreReusedLeastRecentlyUsedFirst() throws Exception {
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueueSize(8).build())) {
            for (int i = 0; i < 10; i++) {
                host.flush(0, 1).get();
            }
            // The queue's Connect took CID 0; 7 CIDs go round in order.
            assertThat(flushCids()).containsExactly(1, 2, 3, 4, 5, 6, 0, 1, 2, 3);
        }
    }

    @Test
    void cancelledFutureStillFreesItsCidWhenTheResponseArrives() throws Exception {
        try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().ioQueueSize(2).build())) {
            controller.holdIo = true;
            CompletableFuture<Completion> first = host.submitIo(0, NvmeCommands.read(1, 0, 1), null, 512);
            Eventually.await("held", () -> controller.held.size() == 1);
            first.cancel(false);
            controller.holdIo = false;
            CompletableFuture<Completion> second = host.submitIo(0, NvmeCommands.flush(1), null, 0);
            Thread.sleep(50);
            assertThat(second).isNotDone();
            controller.releaseHeld(1);
            assertThat(second.get().isSuccess()).isTrue();
            assertThatThrownBy(first::get).isInstanceOf(java.util.concurrent.CancellationException.class);
        }
    }

    @Test
    void allocatorHandsOutEachCidOnceUntilReleased() {
        TagAllocator cids = new TagAllocator(3);
        assertThat(List.of(cids.allocate(), cids.allocate(), cids.allocate())).containsExactly(0, 1, 2);
        assertThat(cids.hasFree()).isFalse();
        assertThatThrownBy(cids::allocate).isInstanceOf(IllegalStateException.class);
        cids.release(1);
        cids.release(0);
        assertThat(cids.inUse()).isEqualTo(1);
        assertThat(cids.allocate()).isEqualTo(1);
        assertThat(cids.allocate()).isEqualTo(0);
        cids.release(2);
        cids.release(1);
        cids.release(0);
        assertThatThrownBy(() -> cids.release(0)).isInstanceOf(IllegalStateException.class);
    }
}
