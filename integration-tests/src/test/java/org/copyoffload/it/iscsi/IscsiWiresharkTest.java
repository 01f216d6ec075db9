package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wireshark's iSCSI dissector as an independent reader of our bytes: tshark captures a libiscsi run against our
 * target on loopback (login, discovery, INQUIRY, reads and writes with R2T, task management, EXTENDED COPY and
 * RECEIVE COPY RESULTS, logout), then reads the capture back: it must decode the iSCSI PDUs and flag no field as
 * malformed.
 */
class IscsiWiresharkTest {
    private static final String IQN = "iqn.2026-01.org.copyoffload:wireshark";

    @TempDir
    Path dataDir;

    @Test
    void tsharkDecodesAnIscsiSessionWithoutMalformedFields() throws Exception {
        IscsiTools.ensureInstalled();
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 64MiB, block-size: 512}
                  - {name: b, size: 64MiB, block-size: 512}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  targets: [{name: %s, luns: [{lun: 0, volume: a}, {lun: 1, volume: b}]}]
                """.formatted(dataDir, IQN);
        Path capture = dataDir.resolve("iscsi.pcapng");
        Path log = IscsiLogs.dir().resolve("tshark-capture.log");
        Files.deleteIfExists(log);
        int port;
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            port = server.iscsiAddresses().getFirst().getPort();
            // A large capture buffer: on a busy machine the default 2 MiB drops packets, and a dropped segment
            // leaves the PDUs in it undecoded.
            Process tshark = Processes.startLogged(List.of("tshark", "-i", "lo", "-B", "256", "-f", "tcp port " + port,
                    "-w", capture.toString(), "-a", "duration:120"), log);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!(Files.exists(log) && Files.readString(log).contains("Capturing on"))) {
                    assertThat(System.nanoTime()).as("tshark started capturing: " + (Files.exists(log)
                            ? Files.readString(log) : "no log")).isLessThan(deadline);
                    Thread.sleep(100);
                }
                LibiscsiSuite.Result r = LibiscsiSuite.run(LibiscsiSuite.Options.of(new IscsiUrl("127.0.0.1", port, IQN, 0))
                        .withTests("SCSI.Inquiry.Standard", "SCSI.Read10.Simple", "SCSI.Write10.Simple",
                                "SCSI.ExtendedCopy.Simple", "SCSI.ReceiveCopyResults.OpParams",
                                "iSCSI.iSCSITMF.AbortTaskSimpleAsync", "iSCSI.iSCSIResiduals.Read10Residuals")
                        .withDataloss(true).withTimeouts(Duration.ofMinutes(3), Duration.ofSeconds(60))
                        .withName("wireshark-run"));
                assertThat(r.totals().failed()).as(r.describe()).isZero();
                Thread.sleep(500); // the last segments reach the capture
            } finally {
                Processes.signal(tshark.pid(), "INT");
                if (!tshark.waitFor(20, TimeUnit.SECONDS)) {
                    Processes.killGroup(tshark);
                }
            }
        }
        String decode = "tcp.port==" + port + ",iscsi";
        Processes.Done malformed = Processes.run(List.of("tshark", "-r", capture.toString(), "-d", decode,
                "-Y", "_ws.malformed || _ws.expert.severity >= error", "-T", "fields", "-e", "frame.number"),
                Duration.ofMinutes(2));
        Processes.Done opcodes = Processes.run(List.of("tshark", "-r", capture.toString(), "-d", decode,
                "-Y", "iscsi", "-T", "fields", "-e", "iscsi.opcode", "-e", "scsi_sbc.opcode"), Duration.ofMinutes(2));
        assertThat(malformed.ok()).as(malformed.output()).isTrue();
        assertThat(malformed.output().lines().filter(l -> !l.isBlank() && !l.startsWith("Running as"))
                .toList()).as("frames Wireshark flags as malformed or in error").isEmpty();
        assertThat(opcodes.ok()).as(opcodes.output()).isTrue();
        Set<String> seen = new TreeSet<>();
        opcodes.output().lines().filter(l -> !l.startsWith("Running as"))
                .forEach(l -> seen.addAll(Arrays.asList(l.trim().split("[\\t,]+"))));
        System.out.println("tshark iSCSI opcodes and SCSI operation codes seen: " + seen);
        // Login request/response, SCSI command/response, Data-Out/Data-In, R2T, TMF, Logout; EXTENDED COPY (0x83)
        // and RECEIVE COPY RESULTS (0x84) among the CDBs.
        assertThat(seen).contains("0x03", "0x23", "0x01", "0x21", "0x05", "0x25", "0x31", "0x02", "0x22", "0x06",
                "0x26");
        // The copy commands themselves, as SCSI Command PDUs whose CDB Wireshark decodes.
        for (String cdb : List.of("0x83", "0x84")) {
            Processes.Done frames = Processes.run(List.of("tshark", "-r", capture.toString(), "-d", decode, "-Y",
                    "iscsi.opcode == 0x01 && scsi_sbc.opcode == " + cdb, "-T", "fields", "-e", "frame.number"),
                    Duration.ofMinutes(2));
            assertThat(frames.output().lines().filter(l -> l.matches("\\d+"))).as("SCSI Command with CDB " + cdb
                    + "; capture log: " + Files.readString(log)).isNotEmpty();
        }
    }
}
