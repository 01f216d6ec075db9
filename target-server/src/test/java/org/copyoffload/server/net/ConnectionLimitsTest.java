package org.copyoffload.server.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** limits.connections and limits.connections-per-host: the gate's arithmetic, and the target closing what is over. */
@ExtendWith(LeakDetectionExtension.class)
class ConnectionLimitsTest {

    @Test
    void theGateCountsPerHostAndInAllAndForgetsWhatCloses() throws Exception {
        ConnectionGate gate = new ConnectionGate(3, 2);
        InetAddress a = InetAddress.getByName("127.0.0.1");
        InetAddress b = InetAddress.getByName("127.0.0.2");
        InetAddress c = InetAddress.getByName("127.0.0.3");
        assertThat(gate.admit(a)).isNull();
        assertThat(gate.admit(a)).isNull();
        assertThat(gate.admit(a)).contains("2 connections from 127.0.0.1").contains("connections-per-host");
        assertThat(gate.admit(b)).isNull();
        assertThat(gate.admit(c)).contains("3 connections are open").contains("limits.connections");
        assertThat(gate.open()).isEqualTo(3);
        assertThat(gate.refused()).isEqualTo(2);
        gate.release(a);
        assertThat(gate.admit(c)).isNull();
        assertThat(gate.admit(a)).as("a's other connection is still open, b and c hold the rest").contains("3 connections");
        gate.release(b);
        assertThat(gate.admit(a)).isNull();
        assertThatThrownBy(() -> new ConnectionGate(2, 3)).hasMessageContaining("2 in all, 3 per host");
    }

    @Test
    void theTargetClosesConnectionsOverTheLimitsAndServesTheRest(@TempDir Path dir) throws Exception {
        String yaml = TestServer.defaultYaml(dir) + "limits: {connections: 4, connections-per-host: 3}\n";
        try (TestServer server = TestServer.start(dir, yaml)) {
            InetSocketAddress target = server.address();
            List<Socket> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(connect(target, "127.0.0.1"));
                }
                TestServer.eventually("three connections counted", TestServer.TIMEOUT, () -> server.connections() == 3);
                try (Socket fourth = connect(target, "127.0.0.1")) {
                    assertThat(closedByTarget(fourth)).as("a fourth from one host").isTrue();
                }
                Socket other = connect(target, "127.0.0.2");
                open.add(other);
                assertThat(closedByTarget(other)).as("another host's first, the fourth in all").isFalse();
                try (Socket fifth = connect(target, "127.0.0.3")) {
                    assertThat(closedByTarget(fifth)).as("a fifth in all").isTrue();
                }
                open.removeFirst().close();
                TestServer.eventually("a connection released", TestServer.TIMEOUT, () -> server.connections() == 3);
                // Room for one again.
                Socket again = connect(target, "127.0.0.1");
                open.add(again);
                assertThat(closedByTarget(again)).isFalse();
            } finally {
                for (Socket s : open) {
                    s.close();
                }
            }
            TestServer.eventually("all closed", TestServer.TIMEOUT, () -> server.connections() == 0);
            try (NvmeTcpHost host = server.connect(1)) {
                assertThat(host.identifyController()).isNotNull();
            }
            PrometheusText m = PrometheusText.parse(server.server().registry().scrape());
            assertThat(m.sum("copyoffload_connections_refused_total", s -> "nvme-tcp".equals(s.label("transport"))))
                    .isEqualTo(2);
        }
    }

    private static Socket connect(InetSocketAddress target, String from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(target, 5000);
        return s;
    }

    /** Whether the target closes the connection (end of stream) within a second, with nothing sent to it. */
    private static boolean closedByTarget(Socket s) throws IOException {
        s.setSoTimeout(1000);
        InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }
}
