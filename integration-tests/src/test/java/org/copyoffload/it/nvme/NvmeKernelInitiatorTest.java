package org.copyoffload.it.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Linux kernel's nvme-tcp with nvme-cli against our target, once per kernel generation (6.1 and 6.12),
 * in one guest boot each: discovery (following what it advertises), connect, list, identify, direct I/O
 * on 4 KiB and 512-byte namespaces read back identical and checked in the volume files on this host, flush,
 * the NVMe statuses the kernel passes through for bad commands, refused connects, disconnect.
 */
class NvmeKernelInitiatorTest {
    private static final String NQN = "nqn.2026-01.org.copyoffload:it";
    private static final String LOCKED_NQN = "nqn.2026-01.org.copyoffload:locked";

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void stockLinuxInitiator(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        String yaml = """
                data-dir: %s
                listeners:
                  - address: 127.0.0.1
                    port: 0
                    advertise-address: %s
                metrics: {enabled: true, address: 127.0.0.1, port: 0}
                volumes:
                  - {name: big, size: 256MiB, block-size: 4096}
                  - {name: small, size: 64MiB, block-size: 512}
                  - {name: other, size: 16MiB}
                subsystems:
                  - nqn: %s
                    model: copyoffload it
                    namespaces: [{nsid: 1, volume: big}, {nsid: 2, volume: small}]
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [nqn.2026-01.org.copyoffload:someone-else]
                    namespaces: [{nsid: 1, volume: other}]
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, NQN, LOCKED_NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            String script = """
                    export PORT=%d NQN=%s LOCKED=%s HOST=%s
                    # roundtrip DEVICE BS COUNT SEEK NAME: COUNT blocks of BS random bytes kept as /share/NAME, written
                    # to DEVICE at block SEEK with O_DIRECT, read back and compared.
                    cat > /tmp/roundtrip <<'EOF'
                    dd if=/dev/urandom of=/share/$5 bs=$2 count=$3 2>/dev/null
                    dd if=/share/$5 of=$1 bs=$2 seek=$4 oflag=direct 2>&1 | tail -1
                    dd if=$1 of=/tmp/back-$5 bs=$2 skip=$4 count=$3 iflag=direct 2>/dev/null
                    cmp /share/$5 /tmp/back-$5 && echo READBACK-OK
                    EOF
                    step no-default-route '! ip route | grep -q default'
                    step discover 'nvme discover -t tcp -a $HOST -s $PORT'
                    step connect-all 'nvme connect-all -t tcp -a $HOST -s $PORT; sleep 1; ls /sys/class/nvme'
                    step list 'nvme list'
                    step map '
                      for c in /sys/class/nvme/nvme*; do [ "$(cat $c/subsysnqn)" = "$NQN" ] && echo "C=${c##*/}"; done > /tmp/map
                      for b in /sys/block/nvme*n*; do n=${b##*/}; case $n in *c*) continue;; esac
                        echo "N$(cat $b/nsid)=$n"; done | sort >> /tmp/map; cat /tmp/map'
                    step id-ctrl '. /tmp/map; nvme id-ctrl /dev/$C'
                    step id-ns '. /tmp/map; nvme id-ns /dev/$N1'
                    step ns-descs '. /tmp/map; nvme ns-descs /dev/$N1'
                    step dd-4k '. /tmp/map; sh /tmp/roundtrip /dev/$N1 1M 4 3 pattern-4k.bin'
                    step dd-128k '. /tmp/map; sh /tmp/roundtrip /dev/$N1 128k 24 80 pattern-128k.bin'
                    step dd-512 '
                      . /tmp/map; cat /sys/block/$N2/queue/logical_block_size
                      sh /tmp/roundtrip /dev/$N2 512 37 101 pattern-512.bin'
                    step flush '. /tmp/map; nvme flush /dev/$N1 --namespace-id=1'
                    step lba-out-of-range '. /tmp/map; nvme read /dev/$N1 --start-block=65536 --block-count=0 --data-size=4096 >/dev/null'
                    step invalid-opcode '. /tmp/map; nvme io-passthru /dev/$N1 --opcode=0x7e --namespace-id=1'
                    step smart-log '. /tmp/map; nvme smart-log /dev/$C'
                    step error-log '. /tmp/map; nvme error-log /dev/$C --log-entries=2'
                    step disconnect 'nvme disconnect -n $NQN; ls /sys/class/nvme | wc -l'
                    step wrong-nqn 'nvme connect -t tcp -a $HOST -s $PORT -n nqn.2026-01.org.copyoffload:nope'
                    step host-not-allowed 'nvme connect -t tcp -a $HOST -s $PORT -n $LOCKED'
                    step dmesg 'dmesg | grep -i nvme | tail -30'
                    """.formatted(port, NQN, LOCKED_NQN, GuestVm.HOST_ADDRESS);
            GuestRun run = GuestVm.run(dist, script, Duration.ofMinutes(5)).requireDone();
            String log = run.describe();

            run.ok("no-default-route");
            GuestStep discover = run.ok("discover");
            assertThat(discover.output()).as(log).contains("subnqn:  " + NQN)
                    .contains("traddr:  " + GuestVm.HOST_ADDRESS).contains("trsvcid: " + port)
                    .contains("nqn.2014-08.org.nvmexpress.discovery")
                    // The locked subsystem is not listed to a host it refuses.
                    .doesNotContain(LOCKED_NQN);
            run.ok("connect-all");
            assertThat(run.ok("list").output()).as(log).contains("copyoffload it");
            assertThat(run.ok("map").lines()).as(log).hasSize(3).anyMatch(l -> l.startsWith("N1=")).anyMatch(l -> l.startsWith("N2="));
            GuestStep idCtrl = run.ok("id-ctrl");
            assertThat(idCtrl.output()).as(log).containsPattern("mn\\s+: copyoffload it")
                    .containsPattern("subnqn\\s+: " + NQN).containsPattern("mdts\\s+: 8")
                    .containsPattern("ver\\s+: 0x20100").containsPattern("oncs\\s+: 0x18d").containsPattern("ocfs\\s+: 0xf")
                    .containsPattern("ioccsz\\s+: 8196");
            assertThat(run.ok("id-ns").output()).as(log).containsPattern("nsze\\s+: 0x10000")
                    .contains("lbads:12");
            assertThat(run.ok("ns-descs").output()).as(log).containsPattern("uuid\\s+: [0-9a-f-]{36}");
            assertThat(run.ok("dd-4k").output()).as(log).contains("READBACK-OK");
            // 128 KiB writes go in the capsule (IOCCSZ 8196: 128 KiB of data), without an R2T.
            assertThat(run.ok("dd-128k").output()).as(log).contains("READBACK-OK");
            assertThat(run.ok("dd-512").lines()).as(log).contains("512", "READBACK-OK");
            run.ok("flush");
            GuestStep outOfRange = run.step("lba-out-of-range");
            assertThat(outOfRange.rc()).as(log).isNotZero();
            assertThat(outOfRange.output().toUpperCase()).as(log).contains("LBA");
            GuestStep badOpcode = run.step("invalid-opcode");
            assertThat(badOpcode.rc()).as(log).isNotZero();
            assertThat(badOpcode.output().toLowerCase()).as(log).contains("opcode");
            assertThat(run.ok("smart-log").output()).as(log).contains("host_write_commands");
            assertThat(run.ok("error-log").output()).as(log).containsPattern("error_count\\s+: [1-9]");
            assertThat(run.ok("disconnect").lines()).as(log).contains("0");
            assertThat(run.step("wrong-nqn").rc()).as(log).isNotZero();
            // The kernel decodes IATTR/IPO of Connect Invalid Parameters and names the field.
            assertThat(run.ok("dmesg").output()).as(log).contains("Connect Invalid Data Parameter, subsysnqn")
                    .contains("is not allowed");
            assertThat(run.step("host-not-allowed").rc()).as(log).isNotZero();

            // What the guest wrote is in the volume files, at the offsets it wrote to.
            assertThat(GuestRun.readFile(dataDir.resolve("big.img"), 3L << 20, 4 << 20))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-4k.bin")));
            assertThat(GuestRun.readFile(dataDir.resolve("small.img"), 101L * 512, 37 * 512))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-512.bin")));
            assertThat(GuestRun.readFile(dataDir.resolve("big.img"), 80L * 128 * 1024, 24 * 128 * 1024))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-128k.bin")));

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            // The 128 KiB writes of dd-128k came in their capsules: at least their 3 MiB of in-capsule data.
            assertThat(org.copyoffload.testsupport.PrometheusText.parse(metrics).sum("copyoffload_nvme_tcp_data_bytes_total",
                    x -> "in".equals(x.label("direction")) && "capsule_cmd".equals(x.label("type"))))
                    .as(log).isGreaterThanOrEqualTo(24 * 128 * 1024);
            assertThat(metrics).contains("copyoffload_nvme_commands_total{opcode=\"write\",queue=\"io\",status=\"success\"}")
                    .contains("copyoffload_nvme_tcp_pdus_total{direction=\"in\",type=\"h2c_data\"}")
                    .contains("status=\"lba_out_of_range\"");
        }
    }
}
