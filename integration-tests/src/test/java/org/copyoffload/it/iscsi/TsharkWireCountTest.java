package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.copyoffload.initiator.TrafficByKind;
import org.copyoffload.initiator.cli.CopyComparison;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.IscsiTrafficSnapshot;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.initiator.nvme.TrafficSnapshot;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three independent counts of the same traffic agree: the Java initiators' counters, the target's per-connection
 * metrics and tshark reading a capture of the loopback ports. The NVMe/TCP run is {@code compare}'s (a 4 MiB copy
 * between two namespaces, offloaded then host-driven, with the fill and the checks around it); the iSCSI run writes
 * and reads 4 MiB. tshark gives the TCP payload bytes per direction and, from its NVMe/TCP and iSCSI dissectors,
 * every PDU's type and data length; headers and data must agree apart. What none of them counts is TCP/IP itself
 * (frame, IP and TCP headers, ACK-only segments): the test prints it from the capture.
 */
class TsharkWireCountTest {
    private static final String NQN = "nqn.2026-01.org.copyoffload:wirecount";
    private static final String IQN = "iqn.2026-01.org.copyoffload:wirecount";
    private static final int SIZE = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void initiatorCountersTargetMetricsAndTsharkAgree() throws Exception {
        IscsiTools.ensureInstalled();
        String yaml = """
                data-dir: %s
                nvme:
                  version: "2.1"
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: true, port: 0}
                volumes:
                  - {name: a, size: 16MiB, block-size: 4096}
                  - {name: b, size: 16MiB, block-size: 4096}
                subsystems:
                  - nqn: %s
                    namespaces: [{nsid: 1, volume: a}, {nsid: 2, volume: b}]
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets: [{name: %s, luns: [{lun: 0, volume: a}]}]
                """.formatted(dir, NQN, IQN);
        Path capture = dir.resolve("wire.pcapng");
        Path log = IscsiLogs.dir().resolve("tshark-wirecount.log");
        Files.deleteIfExists(log);
        TrafficSnapshot nvme;
        IscsiTrafficSnapshot iscsi;
        Set<Integer> nvmePorts;
        int iscsiPort;
        int nvmeTargetPort;
        int iscsiTargetPort;
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            nvmeTargetPort = server.nvmeAddresses().getFirst().getPort();
            iscsiTargetPort = server.iscsiAddresses().getFirst().getPort();
            int metricsPort = server.metricsPort();
            // -P prints each packet as it is written: the probes to the metrics port below show when capturing has
            // really begun ("Capturing on" comes a moment before; a connection opened in between would lose its
            // first segments, and the counts with them).
            Process tshark = Processes.startLogged(List.of("tshark", "-i", "lo", "-B", "256", "-P", "-f",
                    "tcp port " + nvmeTargetPort + " or tcp port " + iscsiTargetPort + " or tcp port " + metricsPort,
                    "-w", capture.toString(), "-a", "duration:300"), log);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!(Files.exists(log) && Files.readString(log).contains(" " + metricsPort + " [SYN]"))) {
                    assertThat(System.nanoTime()).as("tshark captured a probe: " + (Files.exists(log)
                            ? Files.readString(log) : "no log")).isLessThan(deadline);
                    if (Files.exists(log) && Files.readString(log).contains("Capturing on")) {
                        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", metricsPort)) {
                            probe.setSoLinger(true, 0);
                        }
                    }
                    Thread.sleep(100);
                }
                HostOptions options = HostOptions.builder(server.nvmeAddresses().getFirst(), NQN).ioQueues(2)
                        .connectTimeout(Duration.ofSeconds(10)).commandTimeout(Duration.ofSeconds(30)).build();
                NvmeTcpHost host = NvmeTcpHost.connect(options);
                try {
                    nvmePorts = host.localAddresses().stream().map(InetSocketAddress::getPort).collect(Collectors.toSet());
                    NvmeNamespaceDevice.enableCrossNamespaceCopy(host);
                    CopyComparison c = CopyComparison.on(host, 1, 2, "", SIZE);
                    c.fillSource(SIZE, 128 << 10);
                    CopyComparison.Outcome o = c.run(SIZE, 1);
                    assertThat(o.offloaded().verified() && o.hostDriven().verified()).isTrue();
                    assertAgree(server, "nvme-tcp", nvmePorts, host.traffic().snapshot());
                } finally {
                    host.close();
                }
                nvme = host.traffic().snapshot();

                IscsiSession s = IscsiSession.login(IscsiOptions.of(server.iscsiAddresses().getFirst(), IQN)
                        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30)));
                try {
                    iscsiPort = s.localAddress().getPort();
                    byte[] data = new byte[SIZE];
                    new Random(7).nextBytes(data);
                    s.write16(0, 0, Unpooled.wrappedBuffer(data), 4096, false).get(30, TimeUnit.SECONDS);
                    s.read16(0, 0, SIZE / 4096, 4096).get(30, TimeUnit.SECONDS).release();
                    assertAgree(server, "iscsi", Set.of(iscsiPort), s.traffic().snapshot());
                } finally {
                    s.close();
                }
                iscsi = s.traffic().snapshot();
                Thread.sleep(500); // the last segments reach the capture
            } finally {
                Processes.signal(tshark.pid(), "INT");
                if (!tshark.waitFor(20, TimeUnit.SECONDS)) {
                    Processes.killGroup(tshark);
                }
            }
        }
        assertThat(Files.readString(log)).as("tshark dropped no packets").doesNotContainPattern("[1-9]\\d* packets? dropped");

        Wire nvmeWire = Wire.read(capture, nvmeTargetPort, "nvme-tcp", nvmePorts);
        System.out.printf("NVMe/TCP: initiator %s%n  tshark: %s%n", nvme, nvmeWire);
        assertThat(nvmeWire.payloadSent).as("TCP payload host to target").isEqualTo(nvme.bytesSent());
        assertThat(nvmeWire.payloadReceived).as("TCP payload target to host").isEqualTo(nvme.bytesReceived());
        assertThat(nvmeWire.dataSent).as("data host to target").isEqualTo(nvme.dataBytesSent());
        assertThat(nvmeWire.dataReceived).as("data target to host").isEqualTo(nvme.dataBytesReceived());
        Map<String, Long> expected = new HashMap<>();
        for (PduType t : PduType.values()) {
            long n = nvme.sent(t).pdus() + nvme.received(t).pdus();
            if (n > 0) {
                expected.put(String.valueOf(t.code()), n);
            }
        }
        assertThat(nvmeWire.pdus).as("PDUs by type").isEqualTo(expected);

        Wire iscsiWire = Wire.read(capture, iscsiTargetPort, "iscsi", Set.of(iscsiPort));
        System.out.printf("iSCSI: initiator %s%n  tshark: %s%n", iscsi, iscsiWire);
        assertThat(iscsiWire.payloadSent).isEqualTo(iscsi.bytesSent());
        assertThat(iscsiWire.payloadReceived).isEqualTo(iscsi.bytesReceived());
        assertThat(iscsiWire.dataSent).isEqualTo(iscsi.dataBytesSent());
        assertThat(iscsiWire.dataReceived).isEqualTo(iscsi.dataBytesReceived());
        Map<String, Long> opcodes = new HashMap<>();
        for (IscsiOpcode op : IscsiOpcode.values()) {
            long n = iscsi.sent(op).pdus() + iscsi.received(op).pdus();
            if (n > 0) {
                opcodes.put(String.valueOf(op.code()), n);
            }
        }
        assertThat(iscsiWire.pdus).as("PDUs by opcode").isEqualTo(opcodes);
    }

    /** While the connections are open, the target's series for them equal the initiator's counters. */
    private static void assertAgree(CopyoffloadServer server, String transport, Set<Integer> ports, TrafficByKind<?> host) {
        PrometheusText m = PrometheusText.parse(server.registry().scrape());
        Predicate<PrometheusText.Sample> ours = s -> transport.equals(s.label("transport"))
                && ports.contains(Integer.parseInt(s.label("peer").substring(s.label("peer").lastIndexOf(':') + 1)));
        String bytes = "copyoffload_connection_bytes_total";
        assertThat((long) m.sum(bytes, ours.and(s -> "in".equals(s.label("direction")) && "data".equals(s.label("part")))))
                .as(transport + " data in").isEqualTo(host.dataBytesSent());
        assertThat((long) m.sum(bytes, ours.and(s -> "in".equals(s.label("direction"))))).as(transport + " bytes in")
                .isEqualTo(host.bytesSent());
        assertThat((long) m.sum(bytes, ours.and(s -> "out".equals(s.label("direction")) && "data".equals(s.label("part")))))
                .as(transport + " data out").isEqualTo(host.dataBytesReceived());
        assertThat((long) m.sum(bytes, ours.and(s -> "out".equals(s.label("direction"))))).as(transport + " bytes out")
                .isEqualTo(host.bytesReceived());
        assertThat((long) m.sum("copyoffload_connection_pdus_total", ours)).as(transport + " PDUs")
                .isEqualTo(host.pdusSent() + host.pdusReceived());
    }

    /** What tshark reads from the capture for one target port and the given initiator ports. */
    private record Wire(long frames, long frameBytes, long segmentBytes, long payloadSent, long payloadReceived,
                        long dataSent, long dataReceived, Map<String, Long> pdus) {
        static Wire read(Path capture, int targetPort, String dissector, Set<Integer> hostPorts) {
            List<String> fields = dissector.equals("nvme-tcp")
                    ? List.of("nvme-tcp.type", "nvme-tcp.plen", "nvme-tcp.pdo", "nvme-tcp.flags.pdu.ddgst")
                    : List.of("iscsi.opcode", "iscsi.datasegmentlength");
            List<String> command = new java.util.ArrayList<>(List.of("tshark", "-r", capture.toString(),
                    "-o", "tcp.relative_sequence_numbers:TRUE", "-d", "tcp.port==" + targetPort + "," + dissector, "-Y", "tcp.port==" + targetPort,
                    "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
                    "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.len", "-e", "frame.len", "-e", "tcp.stream",
                    "-e", "tcp.seq"));
            fields.forEach(f -> command.addAll(List.of("-e", f)));
            Processes.Done done = Processes.run(command, Duration.ofMinutes(5));
            assertThat(done.ok()).as(done.output()).isTrue();
            long frames = 0;
            long frameBytes = 0;
            long segmentBytes = 0;
            // The payload of a direction of a connection is the relative sequence number of its last payload byte
            // (tshark numbers the first 1): segments TCP sent again (zero-window probes, retransmissions) count once.
            Map<String, Long> streamEnd = new HashMap<>();
            long[] data = new long[2];
            Map<String, Long> pdus = new HashMap<>();
            for (String line : done.output().lines().toList()) {
                String[] f = line.split("\t", -1);
                if (f.length < 4 || !f[0].matches("\\d+")) {
                    continue; // "Running as root" and the like
                }
                int src = Integer.parseInt(f[0]);
                int dst = Integer.parseInt(f[1]);
                int toTarget = dst == targetPort ? 0 : 1;
                if (!hostPorts.contains(toTarget == 0 ? src : dst)) {
                    continue;
                }
                frames++;
                frameBytes += Long.parseLong(f[3]);
                long length = Long.parseLong(f[2]);
                segmentBytes += length;
                if (length > 0) {
                    streamEnd.merge(f[4] + "/" + toTarget, Long.parseLong(f[5]) + length - 1, Math::max);
                }
                if (f.length <= 6 || f[6].isEmpty()) {
                    continue;
                }
                String[] types = f[6].split(",");
                for (int i = 0; i < types.length; i++) {
                    String type = String.valueOf(Integer.decode(types[i]));
                    pdus.merge(type, 1L, Long::sum);
                    if (dissector.equals("nvme-tcp")) {
                        long plen = Long.parseLong(f[7].split(",")[i]);
                        int pdo = Integer.parseInt(f[8].split(",")[i]);
                        boolean ddgst = isTrue(f[9].split(",")[i]);
                        // Termination requests (types 0x02, 0x03) have PDO 0: no data, as the counters say.
                        data[toTarget] += pdo > 0 ? plen - pdo - (ddgst ? 4 : 0) : 0;
                    } else {
                        data[toTarget] += Long.parseLong(f[7].split(",")[i]);
                    }
                }
            }
            long[] payload = new long[2];
            streamEnd.forEach((k, end) -> payload[k.endsWith("/0") ? 0 : 1] += end);
            return new Wire(frames, frameBytes, segmentBytes, payload[0], payload[1], data[0], data[1], pdus);
        }

        private static boolean isTrue(String s) {
            return s.equals("1") || s.equalsIgnoreCase("true") || s.equalsIgnoreCase("set");
        }

        @Override
        public String toString() {
            long payload = payloadSent + payloadReceived;
            return ("%d frames, %d frame bytes; TCP payload host->target %d, target->host %d; data %d / %d; left out: "
                    + "link, IP and TCP headers %d bytes (%.2f%% of the payload) and payload TCP sent again %d bytes; "
                    + "PDUs by type %s").formatted(frames, frameBytes, payloadSent, payloadReceived, dataSent,
                    dataReceived, frameBytes - segmentBytes, 100.0 * (frameBytes - segmentBytes) / payload,
                    segmentBytes - payload, pdus);
        }
    }
}
