package org.copyoffload.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.RawNvmeTcpConnection;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * nvme.setup-timeout: an NVMe/TCP connection that does not send ICReq and Connect in time is closed (a socket that
 * says nothing, one that stops inside its ICReq, one that stops after ICReq), counted in
 * {@code copyoffload_connections_timeouts_total{transport="nvme-tcp",phase="setup"}}; a host that connected in time
 * stays beyond it.
 */
@ExtendWith(LeakDetectionExtension.class)
class NvmeSetupTimeoutTest {
    private static final Duration SETUP = Duration.ofMillis(400);

    @Test
    void peersThatDoNotConnectInTimeAreClosedAndConnectedHostsStay(@TempDir Path dir) throws Exception {
        String yaml = TestServer.defaultYaml(dir).replace("nvme:\n  version: \"2.1\"\n",
                "nvme:\n  version: \"2.1\"\n  setup-timeout: " + SETUP.toMillis() + "ms\n");
        assertThat(yaml).contains("setup-timeout");
        try (TestServer server = TestServer.start(dir, yaml);
             NvmeTcpHost host = server.connect(1)) {
            long start = System.nanoTime();
            try (Socket silent = new Socket("127.0.0.1", server.address().getPort());
                 Socket halfway = new Socket("127.0.0.1", server.address().getPort());
                 RawNvmeTcpConnection noConnect = server.rawInitialized(false, false)) {
                // The first 8 bytes of an ICReq's common header (type 0, HLEN 128, PLEN 128), and no more.
                halfway.getOutputStream().write(new byte[] {0, 0, (byte) 128, 0, (byte) 128, 0, 0, 0});
                halfway.getOutputStream().flush();
                assertThat(closedByTarget(silent)).as("a socket that says nothing").isTrue();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the timeout")
                        .isGreaterThanOrEqualTo(SETUP.minusMillis(50));
                assertThat(closedByTarget(halfway)).as("a socket that stops inside its ICReq").isTrue();
                assertThat(noConnect.awaitPeerClose(TestServer.TIMEOUT)).as("ICReq but no Connect").isTrue();
            }
            Thread.sleep(2 * SETUP.toMillis());
            assertThat(host.identifyController()).as("a host connected in time stays").isNotNull();
            PrometheusText m = PrometheusText.parse(server.server().registry().scrape());
            assertThat(m.sum("copyoffload_connections_timeouts_total", s -> "nvme-tcp".equals(s.label("transport"))
                    && "setup".equals(s.label("phase")))).isEqualTo(3);
        }
    }

    /** Whether the target closes the connection (end of stream or reset) within the test timeout. */
    static boolean closedByTarget(Socket s) throws IOException {
        s.setSoTimeout((int) TestServer.TIMEOUT.toMillis());
        InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
