package org.copyoffload.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.junit.jupiter.api.Test;
import org.testcontainers.utility.MountableFile;

/**
 * The image with a YAML file of one's own (test resource two-subsystems.yaml) mounted as its configuration:
 * its two subsystems appear in discovery through the mapped port, with their namespaces, block sizes,
 * zoned namespace and NVMe versions; it has no iSCSI, so the container serves none and is still healthy.
 */
class CopyOffloadTargetContainerConfigFileTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final String ALPHA = "nqn.2026-01.org.example:alpha";
    static final String BETA = "nqn.2026-01.org.example:beta";

    @Test
    void theMountedFilesSubsystemsAreServed() {
        try (CopyOffloadTargetContainer target = new CopyOffloadTargetContainer(
                System.getProperty("copyoffload.image", "localhost/copyoffload-target:latest"))
                .withConfigFile(MountableFile.forClasspathResource("two-subsystems.yaml"), List.of(ALPHA, BETA),
                        List.of())) {
            target.start();
            assertThat(target.servesIscsi()).isFalse();
            assertThat(target.getNqns()).containsExactly(ALPHA, BETA);

            List<DiscoveryLogEntry> entries = NvmeTcpHost.discover(HostOptions.builder(target.getNvmeAddress(),
                    HostOptions.DISCOVERY_NQN).connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build()).entries();
            assertThat(entries).filteredOn(e -> e.subtype() == DiscoveryLogEntry.SUBTYPE_NVM)
                    .extracting(DiscoveryLogEntry::subnqn).containsExactlyInAnyOrder(ALPHA, BETA);

            try (NvmeTcpHost alpha = connect(target, ALPHA)) {
                assertThat(alpha.activeNamespaces()).containsExactly(1);
                assertThat(NvmeNamespaceDevice.open(alpha, 1).size()).isEqualTo(16L << 20);
                assertThat(alpha.version()).isEqualTo(0x00020000);
            }
            try (NvmeTcpHost beta = connect(target, BETA)) {
                assertThat(beta.activeNamespaces()).containsExactly(1, 2);
                assertThat(NvmeNamespaceDevice.open(beta, 1).blockSize()).isEqualTo(512);
                assertThat(NvmeNamespaceDevice.open(beta, 2).zoned()).isTrue();
                assertThat(beta.version()).isEqualTo(0x00010400);
            }
        }
    }

    static NvmeTcpHost connect(CopyOffloadTargetContainer target, String nqn) {
        return NvmeTcpHost.connect(HostOptions.builder(target.getNvmeAddress(), nqn).ioQueues(1)
                .connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build());
    }
}
