package org.copyoffload.it.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.it.copy.CopyCases.Case;
import static org.copyoffload.it.copy.CopyCases.Check;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NVMe Copy from the stock Linux host (nvme-tcp) and nvme-cli against our target, one guest boot per kernel
 * generation: 6.1 with nvme-cli 2.3, 6.12 with nvme-cli 2.13.
 *
 * <p>Three subsystems: {@value #NQN_OUR} (NVMe 2.1, OCFS 0xF, formats 2h/3h wait for the host's CDFE),
 * {@value #NQN_OLD} (NVMe 1.4: Copy is an unknown opcode) and {@value #NQN_XC} (NVMe 2.1 with
 * {@code cross-namespace-copy-at-connect: true}: CDFE is set when the controller is created). In the guest:
 * random data written with dd; {@code nvme copy} format 0h (one range, several, overlapping destinations)
 * read back and compared, and checked again in the volume files on this host; the status of every refused
 * Copy (183h past MSRC/MSSRL/MCL, 80h past either end, 10Ah for format 1h, Invalid Opcode on 1.4, Invalid
 * Field for format 2h before CDFE); then formats 2h/3h. Kernel 6.1 lets Set Features Host Behavior Support
 * (16h) through from user space, so CDFE is enabled with {@code nvme admin-passthru} and the cross-namespace
 * cases go through {@code nvme io-passthru} with descriptor lists built by the test. Kernel 6.12 refuses that
 * Set Features (the suite records it), so its cross-namespace cases run on {@value #NQN_XC} with
 * {@code nvme copy --format=2|3 --snsids=...}.
 */
class NvmeCopyKernelInitiatorTest {
    static final String NQN_OUR = "nqn.2026-01.org.copyoffload:copy";
    static final String NQN_OLD = "nqn.2026-01.org.copyoffload:nvme14";
    static final String NQN_XC = "nqn.2026-01.org.copyoffload:xcopy";

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void copyFromStockLinux(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        boolean newKernel = dist == GuestVm.Dist.TRIXIE;
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0, advertise-address: %s}
                metrics: {enabled: false}
                volumes:
                  - {name: n1, size: 64MiB, block-size: 4096}
                  - {name: n2, size: 64MiB, block-size: 4096}
                  - {name: n3, size: 8MiB, block-size: 512}
                  - {name: old1, size: 16MiB, block-size: 4096}
                  - {name: x1, size: 64MiB, block-size: 4096}
                  - {name: x2, size: 64MiB, block-size: 4096}
                  - {name: x3, size: 8MiB, block-size: 512}
                subsystems:
                  - nqn: %s
                    model: copyoffload copy
                    cross-namespace-copy-at-connect: false
                    namespaces:
                      - {nsid: 1, volume: n1, mssrl: 8, mcl: 20, msrc: 3}
                      - {nsid: 2, volume: n2, mssrl: 128, mcl: 128, msrc: 127}
                      - {nsid: 3, volume: n3, mssrl: 128, mcl: 128, msrc: 127}
                  - nqn: %s
                    model: copyoffload nvme 1.4
                    nvme-version: "1.4"
                    namespaces: [{nsid: 1, volume: old1}]
                  - nqn: %s
                    model: copyoffload xcopy
                    cross-namespace-copy-at-connect: true
                    namespaces:
                      - {nsid: 1, volume: x1, mssrl: 8, mcl: 20, msrc: 3}
                      - {nsid: 2, volume: x2, mssrl: 128, mcl: 128, msrc: 127}
                      - {nsid: 3, volume: x3, mssrl: 128, mcl: 128, msrc: 127}
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, NQN_OUR, NQN_OLD, NQN_XC);

        List<Case> same = CopyCases.sameNamespaceCases();
        List<Case> gate = CopyCases.formatGateCases(newKernel);
        // 6.1: CDFE through Set Features on OUR, then every cross-namespace case there (io-passthru) and on XC.
        // 6.12: Set Features is refused; format 2h stays refused on OUR; XC takes the cases (nvme copy --format).
        List<Case> cross = CopyCases.crossNamespaceCases(newKernel);
        List<Case> afterRefusal = List.of(CopyCases.copyCross("f2-after-refused-set", 1, 1300, 2,
                CopyCases.INVALID_FIELD, "format 2h after the kernel refused Set Features 16h: CDFE still clear",
                null, CopyCases.r(1, 0, 8)));
        Case invalidOpcode = CopyCases.copy("copy-on-1.4", "--sdlba=100 --slbs=0 --blocks=0",
                CopyCases.INVALID_OPCODE, "Copy on a subsystem advertising NVMe 1.4", null);

        List<Case> all = new ArrayList<>(same);
        all.addAll(gate);
        all.addAll(cross);
        all.addAll(afterRefusal);
        all.add(invalidOpcode);

        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            StringBuilder s = new StringBuilder();
            s.append("""
                    export PORT=%d HOST=%s NQN_OUR=%s NQN_OLD=%s NQN_XC=%s
                    step connect 'for n in $NQN_OUR $NQN_OLD $NQN_XC; do nvme connect -t tcp -a $HOST -s $PORT -n $n || exit 1; done'
                    step wait-ns '. /share/lib.sh; wait_ns 7'
                    step map '. /share/lib.sh; build_map'
                    step our.id-ctrl '. /share/lib.sh; use OUR; nvme id-ctrl /dev/$C | grep -E "^(mn|ver|oncs|nn|ocfs) "'
                    step old.id-ctrl '. /share/lib.sh; use OLD; nvme id-ctrl /dev/$C | grep -E "^(mn|ver|oncs|nn|ocfs) "'
                    step xc.id-ctrl '. /share/lib.sh; use XC; nvme id-ctrl /dev/$C | grep -E "^(mn|ver|oncs|nn|ocfs) "'
                    step our.id-ns1 '. /share/lib.sh; use OUR; nvme id-ns /dev/$N1 | grep -E "^(nsze|mssrl|mcl|msrc) "'
                    step our.id-ns2 '. /share/lib.sh; use OUR; nvme id-ns /dev/$N2 | grep -E "^(nsze|mssrl|mcl|msrc) "'
                    step pattern '
                      . /share/lib.sh
                      dd if=/dev/urandom of=/share/pat.bin bs=4096 count=%d 2>/dev/null
                      for k in OUR XC; do use $k; dd if=/share/pat.bin of=/dev/$N1 bs=4096 oflag=direct 2>&1 | tail -n 1
                        dd if=/share/pat.bin of=/dev/$N3 bs=4096 count=16 oflag=direct 2>&1 | tail -n 1; done
                      use OUR; expect $N1 0 /share/pat.bin:0:%d'
                    """.formatted(port, GuestVm.HOST_ADDRESS, NQN_OUR, NQN_OLD, NQN_XC,
                    CopyCases.PATTERN_BLOCKS, CopyCases.PATTERN_BLOCKS));
            s.append(CopyCases.steps(same, "OUR"));
            s.append(CopyCases.steps(gate, "OUR"));
            s.append(CopyCases.steps(List.of(invalidOpcode), "OLD"));
            s.append("""
                    step our.hbs-get-before '. /share/lib.sh; use OUR; nvme admin-passthru /dev/$C --opcode=0x0a --cdw10=0x16 --data-len=512 --read --raw-binary > /tmp/hbs; rc=$?; od -An -tx1 -N8 /tmp/hbs; exit $rc'
                    step xc.hbs-get '. /share/lib.sh; use XC; nvme admin-passthru /dev/$C --opcode=0x0a --cdw10=0x16 --data-len=512 --read --raw-binary > /tmp/hbs; rc=$?; od -An -tx1 -N8 /tmp/hbs; exit $rc'
                    step our.hbs-set '. /share/lib.sh; use OUR; nvme admin-passthru /dev/$C --opcode=0x09 --cdw10=0x16 --data-len=512 --write --input-file=/share/hbs.bin'
                    step our.hbs-get-after '. /share/lib.sh; use OUR; nvme admin-passthru /dev/$C --opcode=0x0a --cdw10=0x16 --data-len=512 --read --raw-binary > /tmp/hbs; rc=$?; od -An -tx1 -N8 /tmp/hbs; exit $rc'
                    """);
            if (newKernel) {
                s.append(CopyCases.steps(afterRefusal, "OUR"));
                s.append(CopyCases.steps(cross, "XC"));
            } else {
                s.append(CopyCases.steps(cross, "OUR", "XC"));
            }
            s.append("""
                    step disconnect 'for n in $NQN_OUR $NQN_OLD $NQN_XC; do nvme disconnect -n $n; done'
                    step dmesg 'dmesg | grep -i nvme | tail -n 40'
                    """);

            GuestVm.Options options = GuestVm.Options.defaults()
                    .withName("NvmeCopyKernelInitiatorTest.copyFromStockLinux")
                    .withTimeout(Duration.ofMinutes(15));
            for (Map.Entry<String, byte[]> f : CopyCases.files(all).entrySet()) {
                options = options.withFile(f.getKey(), f.getValue());
            }
            GuestRun run = GuestVm.run(dist, s.toString(), options);
            String log = run.describe();
            run.requireDone();

            // ---- the table: case, how it was sent, the specification's status, ours
            List<List<String>> rows = new ArrayList<>();
            Map<String, Integer> got = new LinkedHashMap<>();
            Map<String, Integer> want = new LinkedHashMap<>();
            addRows(rows, got, want, run, same, "OUR");
            addRows(rows, got, want, run, gate, "OUR");
            addRows(rows, got, want, run, List.of(invalidOpcode), "OLD");
            if (newKernel) {
                addRows(rows, got, want, run, afterRefusal, "OUR");
                addRows(rows, got, want, run, cross, "XC");
            } else {
                addRows(rows, got, want, run, cross, "OUR");
                addRows(rows, got, want, run, cross, "XC");
            }
            String title = "NVMe Copy statuses, kernel " + dist.kernel() + " (" + dist.id() + "), guest "
                    + Math.round(run.elapsed().toMillis() / 1000.0) + " s";
            CopyCases.publish(run.logFile(), title, CopyCases.table(
                    List.of("device", "case", "sent by", "spec", "ours", "note"), rows));

            SoftAssertions soft = new SoftAssertions();
            Map<String, String> map = CopyCases.map(run.ok("map"));
            soft.assertThat(map).as("device map\n%s", log).containsKeys("OUR_C", "OUR_N1", "OUR_N2", "OUR_N3",
                    "OLD_C", "OLD_N1", "XC_C", "XC_N1", "XC_N2", "XC_N3");
            soft.assertThat(map).as(log).containsEntry("OUR_TRANSPORT", "tcp").containsEntry("XC_TRANSPORT", "tcp");
            soft.assertThat(run.ok("our.id-ctrl").output()).as(log).containsPattern("ver\\s+: 0x20100")
                    .containsPattern("ocfs\\s+: 0xf");
            soft.assertThat(oncs(run.ok("our.id-ctrl")) & 0x100).as("ONCS Copy bit, NVMe 2.1\n%s", log).isEqualTo(0x100);
            soft.assertThat(run.ok("old.id-ctrl").output()).as(log).containsPattern("ver\\s+: 0x10400");
            soft.assertThat(oncs(run.ok("old.id-ctrl")) & 0x100).as("ONCS Copy bit, NVMe 1.4\n%s", log).isZero();
            soft.assertThat(run.ok("xc.id-ctrl").output()).as(log).containsPattern("ocfs\\s+: 0xf");
            soft.assertThat(run.ok("our.id-ns1").output()).as(log).containsPattern("nsze\\s+: 0x4000")
                    .containsPattern("mssrl\\s+: 8\\b").containsPattern("mcl\\s+: 20\\b").containsPattern("msrc\\s+: 3\\b");
            soft.assertThat(run.ok("our.id-ns2").output()).as(log).containsPattern("mssrl\\s+: 128\\b")
                    .containsPattern("mcl\\s+: 128\\b").containsPattern("msrc\\s+: 127\\b");
            soft.assertThat(run.ok("pattern").output()).as(log).contains("DATA-OK");

            for (Map.Entry<String, Integer> e : want.entrySet()) {
                soft.assertThat(CopyCases.hex(got.get(e.getKey()))).as("status of %s\n%s", e.getKey(), log)
                        .isEqualTo(CopyCases.hex(e.getValue()));
            }

            // Host Behavior Support: XC starts with CDFE 0x0C; OUR with 0 until the host sets it.
            soft.assertThat(run.ok("xc.hbs-get").output()).as(log).contains("00 00 00 00 0c 00 00 00");
            soft.assertThat(run.ok("our.hbs-get-before").output()).as(log).contains("00 00 00 00 00 00 00 00");
            GuestStep set = run.step("our.hbs-set");
            if (newKernel) {
                // Kernel 6.12 refuses Set Features Host Behavior Support from user space (REAL-CLIENTS.md).
                soft.assertThat(set.rc()).as("6.12 refuses Set Features 16h\n%s", log).isNotZero();
                soft.assertThat(set.output()).as(log).containsIgnoringCase("permission denied");
                soft.assertThat(run.ok("our.hbs-get-after").output()).as(log).contains("00 00 00 00 00 00 00 00");
            } else {
                soft.assertThat(set.ok()).as("6.1 passes Set Features 16h through\n%s", log).isTrue();
                soft.assertThat(run.ok("our.hbs-get-after").output()).as(log).contains("00 00 00 00 0c 00 00 00");
            }

            // ---- every copy that had to succeed reads back right in the guest and in the volume files here
            byte[] pattern = Files.readAllBytes(run.share().resolve("pat.bin"));
            soft.assertThat(pattern).hasSize(CopyCases.PATTERN_BLOCKS * CopyCases.BLOCK);
            List<Check> ourChecks = new ArrayList<>();
            List<Check> xcChecks = new ArrayList<>();
            checks(soft, run, log, same, "OUR", ourChecks);
            if (newKernel) {
                checks(soft, run, log, cross, "XC", xcChecks);
            } else {
                checks(soft, run, log, cross, "OUR", ourChecks);
                checks(soft, run, log, cross, "XC", xcChecks);
            }
            for (Check c : ourChecks) {
                Path file = dataDir.resolve("n" + c.nsid() + ".img");
                soft.assertThat(CopyCases.onHost(file, c)).as("%s LBA %d+%d on the host", file, c.lba(), c.blocks())
                        .isEqualTo(CopyCases.expected(c, pattern));
            }
            for (Check c : xcChecks) {
                Path file = dataDir.resolve("x" + c.nsid() + ".img");
                soft.assertThat(CopyCases.onHost(file, c)).as("%s LBA %d+%d on the host", file, c.lba(), c.blocks())
                        .isEqualTo(CopyCases.expected(c, pattern));
            }
            // A refused Copy moves nothing: range 0 of f0-partial is not in place.
            soft.assertThat(run.step("our.f0-partial.data").output()).as(log).contains("PROBE untouched");
            soft.assertThat(CopyCases.onHost(dataDir.resolve("n1.img"), same.stream()
                    .filter(c -> c.name().equals("f0-partial")).findFirst().orElseThrow().check()))
                    .as("f0-partial destination on the host").containsOnly((byte) 0);
            soft.assertAll();
        }
    }

    private static void addRows(List<List<String>> rows, Map<String, Integer> got, Map<String, Integer> want,
                                GuestRun run, List<Case> cases, String key) {
        for (Case c : cases) {
            String step = key.toLowerCase() + "." + c.name();
            int status = CopyCases.status(run, step);
            got.put(step, status);
            want.put(step, c.expected());
            String sentBy = c.command().startsWith("nvme io-passthru") ? "io-passthru" : c.command().contains("--format=")
                    ? "nvme copy --format" : "nvme copy";
            rows.add(List.of(key, c.name(), sentBy, CopyCases.describe(c.expected()), CopyCases.describe(status),
                    c.note()));
        }
    }

    private static void checks(SoftAssertions soft, GuestRun run, String log, List<Case> cases, String key,
                               List<Check> hostChecks) {
        for (Case c : cases) {
            if (c.check() != null && !c.check().probe()) {
                GuestStep data = run.step(key.toLowerCase() + "." + c.name() + ".data");
                soft.assertThat(data.output()).as("%s read back\n%s", data.name(), log).contains("DATA-OK");
                hostChecks.add(c.check());
            }
        }
    }

    private static int oncs(GuestStep idCtrl) {
        for (String l : idCtrl.lines()) {
            if (l.startsWith("oncs")) {
                return Integer.decode(l.substring(l.indexOf(':') + 1).trim());
            }
        }
        return -1;
    }
}
