package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Linux kernel's iscsi_tcp with open-iscsi and sg3-utils against our iSCSI target, once per kernel generation
 * (6.1 and 6.12), in one guest boot each: SendTargets discovery (following what it advertises), login, the disks
 * of both LUNs (4 KiB and 512-byte blocks), INQUIRY and VPD pages through sg3-utils, direct I/O read back identical
 * and checked in the volume files on this host, SYNCHRONIZE CACHE, a refused login, logout.
 */
class IscsiKernelInitiatorTest {
    private static final String IQN = "iqn.2026-01.org.copyoffload:it";
    private static final String LOCKED = "iqn.2026-01.org.copyoffload:locked";

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void stockLinuxInitiator(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: true, address: 127.0.0.1, port: 0}
                volumes:
                  - {name: big, size: 256MiB, block-size: 4096}
                  - {name: small, size: 64MiB, block-size: 512}
                  - {name: big2, size: 64MiB, block-size: 4096}
                  - {name: other, size: 16MiB}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0, advertise-address: %s}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: big}, {lun: 1, volume: small}, {lun: 2, volume: big2}]
                    - name: %s
                      allow-any-initiator: false
                      allowed-initiators: [iqn.2026-01.org.copyoffload:someone-else]
                      luns: [{lun: 0, volume: other}]
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, IQN, LOCKED);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.iscsiAddresses().getFirst().getPort();
            String script = """
                    export PORT=%d IQN=%s LOCKED=%s HOST=%s
                    step iscsid 'iscsid; sleep 1; ps | grep "[i]scsid"'
                    step discovery 'iscsiadm -m discovery -t sendtargets -p $HOST:$PORT'
                    STEP_TIMEOUT=60 step login 'iscsiadm -m node -T $IQN -p $HOST:$PORT --login; sleep 2; iscsiadm -m session'
                    step map '
                      for d in /sys/class/scsi_disk/*; do l=${d##*:}; b=$(ls $d/device/block); g=$(ls $d/device/scsi_generic)
                        echo "B$l=$b"; echo "G$l=$g"; done | sort > /tmp/map; cat /tmp/map'
                    step sizes '. /tmp/map; cat /sys/block/$B0/queue/logical_block_size /sys/block/$B1/queue/logical_block_size
                      cat /sys/block/$B0/size /sys/block/$B1/size'
                    step inquiry '. /tmp/map; sg_inq /dev/$G0'
                    step vpd-di '. /tmp/map; sg_vpd -p di /dev/$G0'
                    step vpd-bl '. /tmp/map; sg_vpd -p bl /dev/$G0'
                    step vpd-lbpv '. /tmp/map; sg_vpd -p lbpv /dev/$G0'
                    step readcap '. /tmp/map; sg_readcap -l /dev/$G1'
                    step dd-4k '
                      . /tmp/map; D=/dev/$B0
                      dd if=/dev/urandom of=/share/pattern-4k.bin bs=1M count=4 2>/dev/null
                      dd if=/share/pattern-4k.bin of=$D bs=1M seek=3 oflag=direct 2>&1 | tail -1
                      dd if=$D of=/tmp/back bs=1M skip=3 count=4 iflag=direct 2>/dev/null
                      cmp /share/pattern-4k.bin /tmp/back && echo READBACK-OK'
                    step dd-512 '
                      . /tmp/map; D=/dev/$B1
                      dd if=/dev/urandom of=/share/pattern-512.bin bs=512 count=37 2>/dev/null
                      dd if=/share/pattern-512.bin of=$D bs=512 seek=101 oflag=direct 2>&1 | tail -1
                      dd if=$D of=/tmp/back512 bs=512 skip=101 count=37 iflag=direct 2>/dev/null
                      cmp /share/pattern-512.bin /tmp/back512 && echo READBACK-OK'
                    step sync-cache '. /tmp/map; sg_sync /dev/$G0'
                    step vpd-tpc '. /tmp/map; sg_vpd -p tpc /dev/$G0'
                    step xcopy-same '. /tmp/map
                      sg_xcopy if=/dev/$G0 of=/dev/$G0 bs=4096 skip=768 seek=8192 count=1024 && echo XCOPY-DONE
                      dd if=/dev/$B0 bs=4096 skip=8192 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK'
                    step xcopy-cross '. /tmp/map
                      sg_xcopy if=/dev/$G0 of=/dev/$G2 bs=4096 skip=768 seek=100 count=1024 && echo XCOPY-DONE
                      dd if=/dev/$B2 bs=4096 skip=100 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK'
                    step ddpt-xcopy '. /tmp/map
                      ddpt if=/dev/$G0 of=/dev/$G2 bs=4096 skip=768 seek=5000 count=1024 oflag=xcopy 2>&1 | tail -3
                      dd if=/dev/$B2 bs=4096 skip=5000 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK'
                    step xcopy-past-end '. /tmp/map; sg_xcopy if=/dev/$G0 of=/dev/$G2 bs=4096 skip=0 seek=16380 count=8'
                    step report-luns '. /tmp/map; sg_luns /dev/$G0'
                    step logout 'iscsiadm -m node -T $IQN -p $HOST:$PORT --logout; iscsiadm -m session 2>&1; ls /sys/class/scsi_disk | wc -l'
                    STEP_TIMEOUT=45 step locked 'iscsiadm -m node -o new -T $LOCKED -p $HOST:$PORT >/dev/null
                      iscsiadm -m node -T $LOCKED -p $HOST:$PORT -o update -n node.session.initial_login_retry_max -v 1
                      iscsiadm -m node -T $LOCKED -p $HOST:$PORT --login'
                    step dmesg 'dmesg | grep -iE "iscsi|scsi|sd " | tail -30'
                    """.formatted(port, IQN, LOCKED, GuestVm.HOST_ADDRESS);
            GuestRun run = GuestVm.run(dist, script, Duration.ofMinutes(5)).requireDone();
            String log = run.describe();

            run.ok("iscsid");
            assertThat(run.ok("discovery").output()).as(log).contains(GuestVm.HOST_ADDRESS + ":" + port + ",1 " + IQN)
                    .doesNotContain(LOCKED);
            assertThat(run.ok("login").output()).as(log).contains("successful").contains(IQN);
            assertThat(run.ok("map").lines()).as(log).anyMatch(l -> l.startsWith("B0=sd")).anyMatch(l -> l.startsWith("B1=sd"));
            // 256 MiB of 4 KiB blocks and 64 MiB of 512-byte blocks, in 512-byte sectors.
            assertThat(run.ok("sizes").lines()).as(log).containsExactly("4096", "512", "524288", "131072");
            assertThat(run.ok("inquiry").output()).as(log).contains("COPYOFFL").containsPattern("PQual=0\\s+PDT=0");
            assertThat(run.ok("vpd-di").output()).as(log).contains("designator type: NAA,  code set: Binary")
                    .containsPattern("0x6[0-9a-f]{31}").contains(IQN + ",t,0x0001").contains("Relative target port: 0x1");
            assertThat(run.ok("vpd-bl").output()).as(log).containsPattern("Maximum transfer length: (0x800|2048 blocks)");
            assertThat(run.ok("vpd-lbpv").output()).as(log).containsPattern("LBPU\\)?[=:] ?1").contains("thin provisioned");
            assertThat(run.ok("readcap").output()).as(log).contains("Logical block length=512 bytes")
                    .contains("lbpme=1, lbprz=1").contains("Number of logical blocks=131072");
            assertThat(run.ok("dd-4k").output()).as(log).contains("READBACK-OK");
            assertThat(run.ok("dd-512").output()).as(log).contains("READBACK-OK");
            run.ok("sync-cache");
            // EXTENDED COPY as sg3-utils and ddpt send it: 8Fh page, within one LU and between two, read back identical.
            assertThat(run.ok("vpd-tpc").output()).as(log).containsIgnoringCase("third party copy")
                    .contains("Extended copy(LID1)").doesNotContain("Unexpected type");
            assertThat(run.ok("xcopy-same").output()).as(log).contains("XCOPY-DONE").contains("READBACK-OK");
            assertThat(run.ok("xcopy-cross").output()).as(log).contains("XCOPY-DONE").contains("READBACK-OK");
            assertThat(run.ok("ddpt-xcopy").output()).as(log).contains("READBACK-OK");
            assertThat(run.step("xcopy-past-end").rc()).as(log).isNotZero();
            assertThat(run.ok("report-luns").output()).as(log).contains("0000000000000000").contains("0001000000000000");
            assertThat(run.ok("logout").lines()).as(log).contains("0");
            assertThat(run.step("locked").rc()).as(log).isNotZero();
            assertThat(run.step("locked").output()).as(log).containsIgnoringCase("authoriz");

            assertThat(GuestRun.readFile(dataDir.resolve("big.img"), 3L << 20, 4 << 20))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-4k.bin")));
            assertThat(GuestRun.readFile(dataDir.resolve("big2.img"), 100L * 4096, 4 << 20))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-4k.bin")));
            assertThat(GuestRun.readFile(dataDir.resolve("small.img"), 101L * 512, 37 * 512))
                    .as(log).isEqualTo(Files.readAllBytes(run.share().resolve("pattern-512.bin")));

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("copyoffload_iscsi_pdus_total{direction=\"in\",opcode=\"scsi_data_out\"}")
                    .contains("copyoffload_iscsi_commands_total{opcode=\"0x2a\",status=\"good\"}")
                    .contains("copyoffload_iscsi_login_failures_total{status=\"authorization_failure\"}");
        }
    }
}
