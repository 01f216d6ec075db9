package org.copyoffload.it.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock Linux 6.12 host copying between two of our namespaces, both ways the issue compares: the kernel moving the
 * data itself ({@code dd} with direct I/O, 256 MiB from namespace 1 to namespace 2) and {@code nvme copy --format=2
 * --snsids} offloading the same copy to the target (namespace 1 to namespace 3). Each runs on its own connections,
 * and the target's per-connection series, scraped from the guest right after each copy, give its bytes on the wire,
 * headers and data apart; tshark, capturing the NVMe/TCP port on this host's loopback (QEMU's user network turns the
 * guest's connections into loopback ones), counts the same connections' TCP payload. Both copies are checked in the
 * volume files here.
 *
 * <p>Then F2FS, the log-structured file system the proposal has in mind: made on a zoned namespace with a conventional
 * one for its metadata ({@code mkfs.f2fs -m -c}), filled, half overwritten and partly deleted, and its garbage
 * collection forced; the target's counters around the collection give the bytes it cost on the wire today, without
 * copy offload (Linux has none), beside F2FS's own count of the blocks it moved.
 */
class HostCopyInGuestTest {
    static final String NQN = "nqn.2026-01.org.copyoffload:guestcopy";
    static final int MIB = 1 << 20;
    static final int COPY_MIB = 256;
    static final int BLOCK = 4096;
    static final String BYTES = "copyoffload_connection_bytes_total";
    /** nvme copy sends the 256 MiB as two ranges of this many blocks (a range holds at most 65,536; MSSRL 32,768). */
    static final int HALF = COPY_MIB * (MIB / BLOCK) / 2;

    @TempDir
    Path dataDir;

    @Test
    void ddAgainstNvmeCopyAndF2fsGarbageCollection() throws Exception {
        GuestVm.ensureAvailable();
        GuestVm.Dist dist = GuestVm.Dist.TRIXIE;
        // Cross-namespace copy enabled at connect: kernel 6.12 refuses Set Features 16h from user space.
        String yaml = """
                data-dir: %s
                nvme:
                  version: "2.1"
                listeners:
                  - {address: 127.0.0.1, port: 0, advertise-address: %s}
                metrics: {enabled: true, address: 127.0.0.1, port: 0}
                volumes:
                  - {name: n1, size: 256MiB, block-size: 4096}
                  - {name: n2, size: 256MiB, block-size: 4096}
                  - {name: n3, size: 256MiB, block-size: 4096}
                  - {name: meta, size: 64MiB, block-size: 4096}
                  - {name: zoned, size: 256MiB, block-size: 4096, zoned: {zone-size: 4MiB, zone-capacity: 4MiB, max-active: 14, max-open: 14}}
                subsystems:
                  - nqn: %s
                    model: copyoffload guest copy
                    cross-namespace-copy-at-connect: true
                    namespaces:
                      - {nsid: 1, volume: n1, mssrl: 32768, mcl: 65536, msrc: 1}
                      - {nsid: 2, volume: n2, mssrl: 32768, mcl: 65536, msrc: 1}
                      - {nsid: 3, volume: n3, mssrl: 32768, mcl: 65536, msrc: 1}
                      - {nsid: 4, volume: meta}
                      - {nsid: 5, volume: zoned}
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, NQN);
        Path capture = dataDir.resolve("nvme.pcapng");
        Path tsharkLog = dataDir.resolve("tshark.log");
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            String source = fill(server);
            // Headers only (the first 128 bytes of each packet): TCP's sequence numbers and lengths are all we need.
            Process tshark = new ProcessBuilder("tshark", "-i", "lo", "-B", "64", "-s", "128", "-f", "tcp port " + port,
                    "-w", capture.toString()).redirectErrorStream(true).redirectOutput(tsharkLog.toFile()).start();
            GuestRun run;
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!Files.readString(tsharkLog).contains("Capturing on")) {
                    assertThat(System.nanoTime()).as("tshark started").isLessThan(deadline);
                    Thread.sleep(100);
                }
                run = GuestVm.run(dist, script(port, server.metricsPort()), GuestVm.Options.defaults()
                        .withName("HostCopyInGuestTest")
                        .withTimeout(Duration.ofMinutes(20)).withStepTimeout(Duration.ofMinutes(6))
                        .withFile("hc.sh", LIB.getBytes(StandardCharsets.US_ASCII)));
                Thread.sleep(500);
            } finally {
                tshark.destroy();
                tshark.waitFor(20, TimeUnit.SECONDS);
            }
            String log = run.describe();
            run.requireDone();
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(run.ok("dd").output()).as(log).contains("copied");
            soft.assertThat(run.step("copy").ok()).as("nvme copy\n%s", log).isTrue();
            soft.assertThat(sha256(dataDir.resolve("n2.img"))).as("dd's destination equals the source").isEqualTo(source);
            soft.assertThat(sha256(dataDir.resolve("n3.img"))).as("nvme copy's destination equals the source")
                    .isEqualTo(source);

            Phase dd = Phase.of("dd (kernel READ + WRITE)", run, "dd", run.share().resolve("dd.prom"));
            Phase copy = Phase.of("nvme copy --format=2", run, "copy", run.share().resolve("copy.prom"));
            // The copy's connections also carried their own start (Connect, Identify of the controller and its
            // namespaces); the scrape just before the command leaves the Copy command alone.
            Traffic beforeCopy = Traffic.of(PrometheusText.parse(Files.readString(run.share().resolve("copy-before.prom"))));
            Map<Integer, Long> tsharkPayload = tsharkPayloadByClientPort(capture, port);
            Map<String, Object> figures = new LinkedHashMap<>();
            for (Phase p : List.of(dd, copy)) {
                long captured = p.ports.stream().mapToLong(q -> tsharkPayload.getOrDefault(q, 0L)).sum();
                // tshark saw the whole connections; the scrape stopped just after the copy: the disconnect (and a
                // keep-alive or two) come after it, a few hundred bytes.
                soft.assertThat(captured).as("%s: tshark's TCP payload of the phase's connections, against the target's "
                        + "%d bytes", p.name, p.total()).isBetween(p.total(), p.total() + 16384);
                figures.put(p.key, p.figures(captured));
            }
            Map<String, Object> alone = new LinkedHashMap<>();
            alone.put("header_bytes_to_target", copy.headerIn - beforeCopy.headerIn());
            alone.put("data_bytes_to_target", copy.dataIn - beforeCopy.dataIn());
            alone.put("header_bytes_from_target", copy.headerOut - beforeCopy.headerOut());
            alone.put("data_bytes_from_target", copy.dataOut - beforeCopy.dataOut());
            alone.put("bytes_on_the_wire", copy.total() - beforeCopy.in() - beforeCopy.out());
            figures.put("copy_command_alone", alone);
            soft.assertThat((Long) alone.get("bytes_on_the_wire")).as("the Copy command alone: a capsule with its range "
                    + "list and a response (and maybe a keep-alive)").isBetween(100L, 1024L);
            soft.assertThat(dd.dataIn + dd.dataOut).as("dd moves every byte twice over the wire")
                    .isGreaterThanOrEqualTo(2L * COPY_MIB * MIB);
            soft.assertThat((double) copy.total() / dd.total()).as("offloaded bytes against dd's").isLessThan(0.001);

            soft.assertThat(run.ok("io-errors").output()).as("no I/O errors in the guest's log\n%s", log)
                    .contains("io-error lines: 0");
            Map<String, Object> f2fs = f2fs(run, soft, log);
            figures.put("f2fs", f2fs);
            String json = new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(figures);
            Path out = run.logFile().resolveSibling(run.logFile().getFileName().toString().replace(".log", ".json"));
            Files.writeString(out, json);
            System.out.println("==== host copy in the 6.12 guest ====\n" + json + "\n(" + out + ")");
            soft.assertAll();
        }
    }

    /** F2FS on the zoned namespace: what mkfs and mount said, GC's bytes on the wire and blocks it moved. */
    private Map<String, Object> f2fs(GuestRun run, SoftAssertions soft, String log) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        GuestStep mkfs = run.step("f2fs.mkfs");
        GuestStep mount = run.step("f2fs.mount");
        soft.assertThat(mkfs.ok()).as("mkfs.f2fs -m on the zoned namespace\n%s", log).isTrue();
        soft.assertThat(mount.ok()).as("mount -t f2fs\n%s", log).isTrue();
        if (!mkfs.ok() || !mount.ok()) {
            return m;
        }
        Path before = run.share().resolve("gc-before.prom");
        Path after = run.share().resolve("gc-after.prom");
        if (Files.exists(before) && Files.exists(after)) {
            Traffic b = Traffic.of(PrometheusText.parse(Files.readString(before)));
            Traffic a = Traffic.of(PrometheusText.parse(Files.readString(after)));
            m.put("gc_bytes_in", a.in() - b.in());
            m.put("gc_bytes_out", a.out() - b.out());
            m.put("gc_data_in", a.dataIn - b.dataIn);
            m.put("gc_data_out", a.dataOut - b.dataOut);
        }
        long moved = 0;
        for (String l : run.step("f2fs.gc").lines()) {
            if (l.startsWith("after moved_blocks_")) {
                moved += Long.parseLong(l.substring(l.lastIndexOf(' ') + 1));
            }
        }
        m.put("moved_blocks", moved);
        m.put("gc", run.step("f2fs.gc").output());
        m.put("status", run.step("f2fs.status").output());
        soft.assertThat(moved).as("F2FS's garbage collection moved blocks\n%s", log).isPositive();
        soft.assertThat((Long) m.get("gc_data_in")).as("the moved blocks were written to the target")
                .isGreaterThanOrEqualTo(moved * BLOCK);
        soft.assertThat(run.step("f2fs.check").ok()).as("the files read back after the collection\n%s", log).isTrue();
        return m;
    }

    /** One copy's figures: the target's per-connection series at the scrape, and the guest's timing. */
    record Phase(String name, String key, Set<Integer> ports, long headerIn, long dataIn, long headerOut, long dataOut,
                 double seconds) {
        static Phase of(String name, GuestRun run, String step, Path scrape) throws IOException {
            assertThat(scrape).as("the guest scraped the target's metrics after %s", step).exists();
            PrometheusText m = PrometheusText.parse(Files.readString(scrape));
            Traffic t = Traffic.of(m);
            Set<Integer> ports = m.named(BYTES, s -> "nvme-tcp".equals(s.label("transport"))).stream()
                    .map(s -> Integer.parseInt(s.label("peer").substring(s.label("peer").lastIndexOf(':') + 1)))
                    .collect(Collectors.toSet());
            double seconds = run.step(step).lines().stream().filter(l -> l.startsWith("SECONDS "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(8))).findFirst().orElse(Double.NaN);
            return new Phase(name, step, ports, t.headerIn, t.dataIn, t.headerOut, t.dataOut, seconds);
        }

        long total() {
            return headerIn + dataIn + headerOut + dataOut;
        }

        Map<String, Object> figures(long tsharkPayload) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("what", name);
            f.put("connections", ports.size());
            f.put("seconds_in_guest", seconds);
            f.put("header_bytes_to_target", headerIn);
            f.put("data_bytes_to_target", dataIn);
            f.put("header_bytes_from_target", headerOut);
            f.put("data_bytes_from_target", dataOut);
            f.put("bytes_on_the_wire", total());
            f.put("tshark_tcp_payload", tsharkPayload);
            return f;
        }
    }

    /** Sums of the target's per-connection NVMe/TCP series (all connections open at the scrape). */
    record Traffic(long headerIn, long dataIn, long headerOut, long dataOut) {
        static Traffic of(PrometheusText m) {
            return new Traffic(sum(m, "in", "header"), sum(m, "in", "data"), sum(m, "out", "header"),
                    sum(m, "out", "data"));
        }

        private static long sum(PrometheusText m, String direction, String part) {
            return (long) m.sum(BYTES, s -> "nvme-tcp".equals(s.label("transport"))
                    && direction.equals(s.label("direction")) && part.equals(s.label("part")));
        }

        long in() {
            return headerIn + dataIn;
        }

        long out() {
            return headerOut + dataOut;
        }
    }

    /** TCP payload per client port (both directions): the last relative sequence number each direction reached. */
    static Map<Integer, Long> tsharkPayloadByClientPort(Path capture, int serverPort) throws Exception {
        Process p = new ProcessBuilder("tshark", "-r", capture.toString(), "-o", "tcp.relative_sequence_numbers:TRUE",
                "-T", "fields", "-E", "separator=/t", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq",
                "-e", "tcp.len").redirectErrorStream(true).start();
        Map<String, Long> end = new HashMap<>();
        try (InputStream in = p.getInputStream()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.trim().split("\t");
                if (f.length < 4 || !f[0].matches("\\d+")) {
                    continue;
                }
                long length = Long.parseLong(f[3]);
                if (length > 0) {
                    end.merge(f[0] + ">" + f[1], Long.parseLong(f[2]) + length - 1, Math::max);
                }
            }
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        Map<Integer, Long> byClient = new HashMap<>();
        end.forEach((k, v) -> {
            String[] ports = k.split(">");
            int client = Integer.parseInt(ports[0]) == serverPort ? Integer.parseInt(ports[1]) : Integer.parseInt(ports[0]);
            byClient.merge(client, v, Long::sum);
        });
        return byClient;
    }

    /** Random data in namespace 1 (over loopback with the Java host: the guest need not carry it); its SHA-256. */
    private static String fill(CopyoffloadServer server) throws Exception {
        HostOptions options = HostOptions.builder(server.nvmeAddresses().getFirst(), NQN).ioQueues(2)
                .connectTimeout(Duration.ofSeconds(10)).commandTimeout(Duration.ofSeconds(60)).build();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(256);
        byte[] chunk = new byte[128 << 10];
        try (NvmeTcpHost host = NvmeTcpHost.connect(options)) {
            List<CompletableFuture<Void>> window = new ArrayList<>();
            for (long at = 0; at < (long) COPY_MIB * MIB; at += chunk.length) {
                random.nextBytes(chunk);
                sha.update(chunk);
                window.add(host.write((int) (at / chunk.length) % 2, 1, at / BLOCK,
                        Unpooled.wrappedBuffer(chunk.clone()), BLOCK, false));
                if (window.size() == 16) {
                    window.removeFirst().get(60, TimeUnit.SECONDS);
                }
            }
            for (CompletableFuture<Void> f : window) {
                f.get(60, TimeUnit.SECONDS);
            }
            host.flush(0, 1).get(60, TimeUnit.SECONDS);
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = new byte[1 << 20];
            long left = (long) COPY_MIB * MIB;
            for (int n; left > 0 && (n = in.read(b, 0, (int) Math.min(b.length, left))) > 0; left -= n) {
                sha.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Sourced by every step: finds our namespaces' block devices and scrapes the target's metrics. */
    static final String LIB = """
            # dev NSID: the block device of that namespace of our subsystem (the multipath head, not a path)
            dev() {
                for b in /sys/block/nvme*n*; do
                    n=${b##*/}
                    case $n in *c*) continue ;; esac
                    [ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$NQN" ] || continue
                    [ "$(cat "$b/nsid")" = "$1" ] && { echo "$n"; return 0; }
                done
                return 1
            }
            wait_ns() {
                i=0
                while [ $i -lt 120 ]; do
                    dev "$1" >/dev/null && { echo "namespace $1 is $(dev "$1")"; return 0; }
                    sleep 0.5; i=$((i + 1))
                done
                echo "namespace $1 did not appear"; return 1
            }
            scrape() {
                busybox wget -q -O "/share/$1.prom" "http://$HOST:$MPORT/metrics" || return 1
                grep -c '^copyoffload_connection_bytes_total' "/share/$1.prom"
            }
            now() { date +%s.%N; }
            """;

    private static String script(int port, int metricsPort) {
        return """
                export PORT=%d HOST=%s NQN=%s MPORT=%d
                step connect-dd 'nvme connect -t tcp -a $HOST -s $PORT -n $NQN && . /share/hc.sh && wait_ns 1 && wait_ns 2'
                step dd '. /share/hc.sh; s=$(now); dd if=/dev/$(dev 1) of=/dev/$(dev 2) bs=1M count=%d iflag=direct oflag=direct 2>&1 | tail -n 1; rc=$?; e=$(now); echo "SECONDS $(awk "BEGIN{print $e - $s}")"; exit $rc'
                step scrape-dd '. /share/hc.sh; scrape dd'
                step disconnect-dd 'nvme disconnect -n $NQN'
                step connect-copy 'sleep 1; nvme connect -t tcp -a $HOST -s $PORT -n $NQN && . /share/hc.sh && wait_ns 1 && wait_ns 3 && wait_ns 5'
                step scrape-copy-before '. /share/hc.sh; scrape copy-before'
                step copy '. /share/hc.sh; s=$(now); nvme copy /dev/$(dev 3) --format=2 --sdlba=0 --slbs=0,%d --blocks=%d,%d --snsids=1,1; rc=$?; e=$(now); echo "SECONDS $(awk "BEGIN{print $e - $s}")"; exit $rc'
                step scrape-copy '. /share/hc.sh; scrape copy'
                step disconnect-copy 'nvme disconnect -n $NQN'
                step connect-f2fs 'sleep 1; nvme connect -t tcp -a $HOST -s $PORT -n $NQN && . /share/hc.sh && wait_ns 4 && wait_ns 5'
                step f2fs.mkfs '. /share/hc.sh; modprobe f2fs || exit 1; z=$(dev 5); for a in zoned chunk_sectors max_open_zones max_active_zones; do echo "$a $(cat /sys/block/$z/queue/$a)"; done; mkfs.f2fs -f -m -c /dev/$z /dev/$(dev 4) > /tmp/mkfs.log 2>&1; rc=$?; tail -n 25 /tmp/mkfs.log; exit $rc'
                step f2fs.mount '. /share/hc.sh; mkdir -p /mnt/f && mount -t f2fs /dev/$(dev 4) /mnt/f && grep f2fs /proc/mounts && df -k /mnt/f'
                step f2fs.fill 'for i in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/mnt/f/file$i bs=1M count=8 2>/dev/null || exit 1; done; sync; df -k /mnt/f'
                step f2fs.overwrite '
                  # Every other 128 KiB of each file written again: F2FS writes out of place, so each section of the
                  # files keeps about half its blocks valid, and garbage collection has something to move.
                  for i in 1 2 3 4 5 6 7 8; do k=0; while [ $k -lt 64 ]; do
                    dd if=/dev/urandom of=/mnt/f/file$i bs=128k seek=$k count=1 conv=notrunc 2>/dev/null || exit 1
                    k=$((k + 2)); done; done
                  rm /mnt/f/file2 /mnt/f/file5; sync
                  sha256sum /mnt/f/file1 /mnt/f/file3 /mnt/f/file4 /mnt/f/file6 /mnt/f/file7 /mnt/f/file8 > /share/sums
                  # Cold caches: the collection reads what it moves from the device, as it would long after the writes.
                  echo 3 > /proc/sys/vm/drop_caches; df -k /mnt/f'
                step f2fs.scrape-before '. /share/hc.sh; scrape gc-before'
                step f2fs.gc '
                  d=$(ls /sys/fs/f2fs | grep -v features | head -n 1)
                  for f in moved_blocks_foreground moved_blocks_background; do [ -r /sys/fs/f2fs/$d/$f ] && echo "before $f $(cat /sys/fs/f2fs/$d/$f)"; done
                  n=0; while [ $n -lt 64 ] && f2fs_io gc 1 /mnt/f > /tmp/gc.out 2>&1; do n=$((n + 1)); done
                  echo "f2fs_io gc calls that collected: $n; the last said: $(tail -n 1 /tmp/gc.out)"
                  sync
                  for f in moved_blocks_foreground moved_blocks_background; do [ -r /sys/fs/f2fs/$d/$f ] && echo "after $f $(cat /sys/fs/f2fs/$d/$f)"; done
                  df -k /mnt/f'
                step f2fs.scrape-after '. /share/hc.sh; scrape gc-after'
                step f2fs.status 'mount -t debugfs none /sys/kernel/debug 2>/dev/null; grep -E "GC calls|data segments|data blocks|node segments|node blocks|Utilization" /sys/kernel/debug/f2fs/status'
                step f2fs.check 'echo 3 > /proc/sys/vm/drop_caches; sha256sum -c /share/sums'
                step f2fs.umount 'umount /mnt/f'
                step disconnect-f2fs 'nvme disconnect -n $NQN'
                step io-errors 'dmesg | grep -i -E "I/O Error|critical|blk_update_request" ; echo "io-error lines: $(dmesg | grep -c -i -E "I/O Error")"'
                """.formatted(port, GuestVm.HOST_ADDRESS, NQN, metricsPort, COPY_MIB, HALF, HALF - 1, HALF - 1);
    }
}
