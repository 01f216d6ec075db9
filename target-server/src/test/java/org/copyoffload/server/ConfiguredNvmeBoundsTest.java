package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.initiator.nvme.NvmeCommands;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.ConnectCommand;
import org.copyoffload.protocol.nvme.fabrics.ConnectData;
import org.copyoffload.protocol.nvme.fabrics.ControllerRegisters;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NVMe bounds of the configuration, set away from their defaults, reach the wire: max-queue-entries (CAP.MQES,
 * MAXCMD, a Connect above it refused), max-io-queues (Set Features Number of Queues grants no more), mdts (Identify
 * MDTS), in-capsule-data-size (IOCCSZ) and max-h2c-data (ICResp MAXH2CDATA). The defaults are checked by the tests
 * that use {@link TestServer}'s constants.
 */
@ExtendWith(LeakDetectionExtension.class)
class ConfiguredNvmeBoundsTest {

    @Test
    void theConfiguredBoundsAreAdvertisedAndEnforced(@TempDir Path dir) {
        String yaml = TestServer.defaultYaml(dir).replace("nvme:\n  version: \"2.1\"\n", """
                nvme:
                  version: "2.1"
                  max-queue-entries: 16
                  max-io-queues: 3
                  mdts: 2
                  in-capsule-data-size: 4096
                  max-h2c-data: 8192
                  max-write-data-per-connection: 1MiB
                """);
        assertThat(yaml).contains("max-queue-entries: 16");
        try (TestServer server = TestServer.start(dir, yaml);
             NvmeTcpHost host = server.connect(server.options(TestServer.NQN).ioQueues(0).adminQueueSize(16)
                     .build())) {
            assertThat(ControllerRegisters.mqes(host.capabilities())).isEqualTo(15);
            IdentifyController id = host.identifyController();
            assertThat(id.maxcmd()).isEqualTo(16);
            assertThat(id.mdts()).isEqualTo(2);
            assertThat(id.ioccsz()).isEqualTo((64 + 4096) / 16);
            int granted = host.setFeatures(NvmeCommands.FID_NUMBER_OF_QUEUES, (63 << 16) | 63);
            assertThat(granted).as("NSQA and NCQA, 0's based").isEqualTo((2 << 16) | 2);

            try (RawNvmeTcpConnection raw = server.raw()) {
                assertThat(raw.initialize(false, false, TestServer.TIMEOUT).maxH2cData()).isEqualTo(8192);
            }
            try (RawQueue q = new RawQueue(server.rawInitialized(false, false))) {
                CompletionQueueEntry cqe = q.connect(RawQueue.connectSqe(0, 0, 16, 0, 0), RawQueue.connectData(
                        server.options(TestServer.NQN).build(), ConnectData.DYNAMIC_CONTROLLER, TestServer.NQN));
                Nvme.assertStatus(cqe, StatusCode.CONNECT_INVALID_PARAMETERS, true);
                assertThat(cqe.dw0()).as("IPO: SQSIZE").isEqualTo(ConnectCommand.OFFSET_SQSIZE);
            }
        }
    }
}
