package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
    private final FakeController controller = new FakeController();

    @AfterEach
    void stop() {
        controller.close();
    }

    private static List<DiscoveryLogEntry> entries(int count) {
        List<DiscoveryLogEntry> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            entries.add(new DiscoveryLogEntry(DiscoveryLogEntry.TRTYPE_TCP, DiscoveryLogEntry.ADRFAM_IPV4,
                    DiscoveryLogEntry.SUBTYPE_NVM, DiscoveryLogEntry.TREQ_NOT_REQUIRED, 1, 0xFFFF, 32, 0, "4420",
                    "nqn.2024-01.org.copyoffload:sub" + i, "127.0.0.1", 0));
        }
        return entries;
    }

    private List<GetLogPageCommand> logReads() {
        return controller.commands(0).stream().filter(c -> c.is(AdminOpcode.GET_LOG_PAGE.code()))
                .map(c -> GetLogPageCommand.from(c.sqe())).toList();
    }

    @Test
    void readsHeaderThenWholePageThenChecksTheGenerationCounter() {
        controller.discovery = true;
        controller.discoveryGenctr = 42;
        controller.discoveryEntries = entries(3);
        DiscoveryLogPage page = NvmeTcpHost.discover(controller.address(), "nqn.2014-08.org.nvmexpress:uuid:test");
        assertThat(page.generationCounter()).isEqualTo(42);
        assertThat(page.entries()).isEqualTo(controller.discoveryEntries);
        assertThat(logReads()).extracting(GetLogPageCommand::lengthBytes).containsExactly(1024L, 4096L, 16L);
        assertThat(controller.connects).hasSize(1);
        assertThat(controller.connects.getFirst().data().subsystemNqn()).isEqualTo(HostOptions.DISCOVERY_NQN);
        // No I/O queues: no Number of Queues either.
        assertThat(FakeController.names(controller.commands)).doesNotContain("SET_FEATURES");
        Eventually.await("disconnected", () -> controller.open.get() == 0);
    }

    @Test
    void rereadsWhenThePageChangesWhileRead() {
        controller.discovery = true;
        controller.discoveryEntries = entries(2);
        controller.bumpGenctrAfterPageReads.set(0);
        DiscoveryLogPage page = NvmeTcpHost.discover(controller.address(), "nqn.2014-08.org.nvmexpress:uuid:test");
        assertThat(page.generationCounter()).isEqualTo(2);
        assertThat(page.entries()).hasSize(2);
        assertThat(logReads()).extracting(GetLogPageCommand::lengthBytes)
                .containsExactly(1024L, 3072L, 16L, 1024L, 3072L, 16L);
    }

    @Test
    void largePagesAreReadInPiecesOfAtMostMdts() {
        controller.discovery = true;
        controller.mdts = 0;
        controller.discoveryEntries = entries(5);
        // MDTS 0 means no limit: one read for the whole page.
        assertThat(NvmeTcpHost.discover(controller.address(), "nqn.2014-08.org.nvmexpress:uuid:t").entries()).hasSize(5);
        controller.commands.clear();
        controller.mdts = 1;
        controller.discoveryEntries = entries(9);
        DiscoveryLogPage page = NvmeTcpHost.discover(controller.address(), "nqn.2014-08.org.nvmexpress:uuid:t");
        assertThat(page.entries()).isEqualTo(controller.discoveryEntries);
        // 10 KiB in 8 KiB pieces.
        assertThat(logReads()).extracting(GetLogPageCommand::lengthBytes).containsExactly(1024L, 8192L, 2048L, 16L);
        assertThat(logReads()).extracting(GetLogPageCommand::offset).containsExactly(0L, 0L, 8192L, 0L);
    }
}
