package org.copyoffload.server.zns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.zns.ZnsFixture.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.server.Nvme;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code cross-zone-read: true}: OZCS RAZB is advertised and reads (and Copy sources) may span zones, not offline ones. */
@ExtendWith(LeakDetectionExtension.class)
class ZnsCrossZoneReadTest {
    @TempDir
    Path dir;

    @Test
    void readsCrossZoneBoundariesButNotIntoOfflineZones() throws Exception {
        String yaml = ZnsFixture.yaml(dir, "zone-size: 1MiB, zone-capacity: 768KiB, max-active: 4, max-open: 3,"
                + " cross-zone-read: true");
        try (TestServer server = TestServer.start(dir, yaml); NvmeTcpHost host = server.connect(1)) {
            try (Completion c = Nvme.admin(host, Nvme.identify(Cns.IO_COMMAND_SET_NAMESPACE, NS, Cns.CSI_ZONED), null, 4096)) {
                Nvme.assertSuccess(c);
                assertThat(c.data().getShortLE(c.data().readerIndex() + 2)).as("OZCS: RAZB").isEqualTo((short) 1);
            }
            byte[] a = TestServer.randomBytes(new Random(5), 4 * BLOCK);
            byte[] b = TestServer.randomBytes(new Random(6), 4 * BLOCK);
            Nvme.write(host, NS, zslba(2), a, false);
            Nvme.write(host, NS, zslba(3), b, false);
            // The last 2 blocks of zone 2 (never written: zeros) and the first 2 of zone 3.
            byte[] expected = new byte[4 * BLOCK];
            System.arraycopy(b, 0, expected, 2 * BLOCK, 2 * BLOCK);
            assertThat(Nvme.read(host, NS, zslba(3) - 2, 4)).isEqualTo(expected);
            // All of zone 2's written blocks and the rest of it, then zone 3's data: 1 MiB, the most one read takes.
            byte[] wide = Nvme.read(host, NS, zslba(2), (int) ZSZE);
            assertThat(Arrays.copyOfRange(wide, 0, 4 * BLOCK)).isEqualTo(a);
            byte[] across = Nvme.read(host, NS, zslba(2) + 2, (int) ZSZE);
            assertThat(Arrays.copyOfRange(across, (int) (ZSZE - 2) * BLOCK, (int) ZSZE * BLOCK))
                    .isEqualTo(Arrays.copyOfRange(b, 0, 2 * BLOCK));
            // Into an offline zone: Zone Is Offline.
            ZnsFixture.zones(server).setReadOnly(4);
            sendOk(host, zslba(4), OFFLINE, false);
            Nvme.expectIo(host, Nvme.read(NS, zslba(4) - 1, 2), null, 2 * BLOCK, StatusCode.ZONE_IS_OFFLINE, true);
        }
    }
}
