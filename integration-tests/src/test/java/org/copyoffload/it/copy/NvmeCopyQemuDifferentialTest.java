package org.copyoffload.it.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.it.copy.CopyCases.Case;
import static org.copyoffload.it.copy.CopyCases.Check;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.api.SoftAssertions;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same nvme-cli Copy commands, in the same 6.1 guest boot, against QEMU's own NVMe emulation (a PCIe
 * controller in the guest) and against our target (nvme-tcp), case by case. Both have the same three
 * namespaces (see {@link CopyCases}); the guest tells them apart by transport and subsystem NQN.
 *
 * <ul>
 *   <li>QEMU 7.2 (this host's, Debian 12): formats 0h and 1h, the MSRC/MSSRL/MCL limits, the LBA range; it
 *       answers some errors differently from the specification ({@link #QEMU_72_DEVIATIONS}).</li>
 *   <li>QEMU 10.0 (Debian 13's, made by {@code guest.sh qemu-root}): the same, plus formats 2h/3h once the host
 *       set CDFE with Set Features Host Behavior Support (which kernel 6.1 passes through).</li>
 * </ul>
 * Our target must answer what the specification asks for; QEMU must answer what ours does, except for the
 * documented deviations, where the test pins what QEMU answers.
 */
class NvmeCopyQemuDifferentialTest {
    static final String NQN_OUR = "nqn.2026-01.org.copyoffload:copy";

    /**
     * Where QEMU 7.2 differs from the specification and from us: case -> QEMU 7.2's status. It answers Internal
     * Error (06h, without DNR, so a host may retry) for errors it finds while copying rather than before, and it
     * does not enforce MCL at all: a Copy of 24 blocks with MCL 20 succeeds (and writes all 24).
     */
    static final Map<String, Integer> QEMU_72_DEVIATIONS = Map.of(
            "f0-past-mssrl", 0x0006,
            "f0-past-mcl", 0,
            "f0-src-tail", 0x0006,
            "f0-src-beyond", 0x0006,
            "f0-dst-tail", 0x0006,
            "f0-dst-beyond", 0x0006,
            "f0-partial", 0x0006,
            "f0-order", 0x0006);

    private static final String INTERNAL = "QEMU 7.2: Internal Error (06h, no DNR) for an error its per-range copy"
            + " loop finds (MSRC and the format, checked up front, are answered right)";

    /** Why QEMU 7.2 answers differently from us, case by case. */
    static final Map<String, String> QEMU_72_WHY = Map.of(
            "f0-past-mssrl", INTERNAL,
            "f0-past-mcl", "QEMU 7.2 does not enforce MCL: it copies all 24 blocks",
            "f0-src-tail", INTERNAL,
            "f0-src-beyond", INTERNAL,
            "f0-dst-tail", INTERNAL,
            "f0-dst-beyond", INTERNAL,
            "f0-partial", INTERNAL + "; range 0 is copied before the error",
            "f0-order", INTERNAL);

    /** Why QEMU 10.0 answers differently from us, case by case. */
    static final Map<String, String> QEMU_10_WHY = Map.of(
            "f2-overlap-above", "QEMU bug: its overlap test is (slba+nlb > sdlba && slba+nlb < sdlba+total), true only"
                    + " when the source's END falls strictly inside the destination; a source above it, or equal to"
                    + " it, is copied",
            "f2-overlap-same", "QEMU bug: same test; source = destination passes it");

    /** Where QEMU 10.0 differs from us: case -> QEMU 10.0's status (see {@link #QEMU_10_WHY}). */
    static final Map<String, Integer> QEMU_10_DEVIATIONS = Map.of(
            "f2-overlap-above", CopyCases.SUCCESS,
            "f2-overlap-same", CopyCases.SUCCESS);

    /**
     * What QEMU 10.0's destination holds where it is not what the Copy asked for: a same-namespace range
     * (SNSID = destination NSID) after a cross-namespace one is read from the previous range's namespace.
     * QEMU's nvme_do_copy sets its source namespace only when SNSID differs from the destination's NSID. So
     * f2-mixed (namespace 1 LBA 8+8, then namespace 2 LBA 500+4, which holds pattern 0+4) gets namespace 1's
     * LBA 500+4 (zeros), and f2-mixed-zero (namespace 1 LBA 16+8, then namespace 2 LBA 0+4, zeros) gets
     * namespace 1's LBA 0+4 (pattern 0+4).
     */
    static final Map<String, Check> QEMU_10_DATA = Map.of(
            "f2-mixed", CopyCases.expect(2, 600, CopyCases.pat(8, 8), CopyCases.zero(4)),
            "f2-mixed-zero", CopyCases.expect(2, 1000, CopyCases.pat(16, 8), CopyCases.pat(0, 4)));

    /**
     * The 4 KiB blocks where QEMU's images and our volumes differ once every case ran: f0-partial (QEMU copies
     * range 0 before it finds range 1 past the end; we check every range first and move nothing; the spec
     * allows both: Dword 0 of a failed Copy names the first range not copied), QEMU 7.2's 24-block Copy past
     * MCL at LBA 1300, QEMU 10.0's f2-mixed and f2-mixed-zero ({@link #QEMU_10_DATA}).
     */
    static final String QEMU_72_DATA_DIFFERENCES = """
            namespace 1: [LBA 1300+24, LBA 1400+8]
            namespace 2: identical
            namespace 3: identical
            """;
    static final String QEMU_10_DATA_DIFFERENCES = """
            namespace 1: [LBA 1400+8]
            namespace 2: [LBA 608+4, LBA 1008+4]
            namespace 3: identical
            """;

    private record Reference(String label, String name, Path qemuRoot, boolean crossNamespace,
                             Map<String, Integer> deviations, Map<String, String> why, Map<String, Check> data,
                             String dataDifferences) {
    }

    @TempDir
    Path dataDir;
    @TempDir
    Path imageDir;

    /**
     * Opt-in ({@code -Dcopyoffload.qemu72=true}), as the tgt and LIO reference runs are: QEMU 7.2 answers several
     * errors with a status the specification does not give (pinned in the deviations below), so QEMU 10.0 is the
     * reference every CI run compares with, and this boot is left out of it to keep the run within its time.
     */
    @Test
    @EnabledIfSystemProperty(named = "copyoffload.qemu72", matches = "true")
    void qemu72VersusOurs() throws Exception {
        differential(new Reference("qemu72", "QEMU 7.2", null, false, QEMU_72_DEVIATIONS,
                QEMU_72_WHY, Map.of(), QEMU_72_DATA_DIFFERENCES));
    }

    @Test
    void qemu10VersusOurs() throws Exception {
        GuestVm.ensureAvailable();
        differential(new Reference("qemu10", "QEMU 10.0", GuestVm.qemuRoot(), true, QEMU_10_DEVIATIONS,
                QEMU_10_WHY, QEMU_10_DATA, QEMU_10_DATA_DIFFERENCES));
    }

    private void differential(Reference ref) throws Exception {
        String label = ref.label();
        Path qemuRoot = ref.qemuRoot();
        boolean crossNamespace = ref.crossNamespace();
        Map<String, Integer> deviations = ref.deviations();
        GuestVm.ensureAvailable();
        GuestVm.Dist dist = GuestVm.Dist.BOOKWORM;
        String yaml = """
                data-dir: %s
                listeners:
                  - {address: 127.0.0.1, port: 0, advertise-address: %s}
                metrics: {enabled: false}
                volumes:
                  - {name: n1, size: 64MiB, block-size: 4096}
                  - {name: n2, size: 64MiB, block-size: 4096}
                  - {name: n3, size: 8MiB, block-size: 512}
                subsystems:
                  - nqn: %s
                    model: copyoffload copy
                    namespaces:
                      - {nsid: 1, volume: n1, mssrl: 8, mcl: 20, msrc: 3}
                      - {nsid: 2, volume: n2, mssrl: 128, mcl: 128, msrc: 127}
                      - {nsid: 3, volume: n3, mssrl: 128, mcl: 128, msrc: 127}
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, NQN_OUR);
        Path[] images = {imageDir.resolve("r1.img"), imageDir.resolve("r2.img"), imageDir.resolve("r3.img")};
        long[] sizes = {64L << 20, 64L << 20, 8L << 20};
        for (int i = 0; i < images.length; i++) {
            try (RandomAccessFile f = new RandomAccessFile(images[i].toFile(), "rw")) {
                f.setLength(sizes[i]); // sparse, as truncate -s makes it
            }
        }
        String qemuExtra = String.join(" ",
                "-drive file=" + images[0] + ",if=none,id=r1,format=raw",
                "-drive file=" + images[1] + ",if=none,id=r2,format=raw",
                "-drive file=" + images[2] + ",if=none,id=r3,format=raw",
                "-device nvme,serial=ref,id=n0",
                "-device nvme-ns,drive=r1,bus=n0,nsid=1,logical_block_size=4096,physical_block_size=4096,mssrl=8,mcl=20,msrc=3",
                "-device nvme-ns,drive=r2,bus=n0,nsid=2,logical_block_size=4096,physical_block_size=4096,mssrl=128,mcl=128,msrc=127",
                "-device nvme-ns,drive=r3,bus=n0,nsid=3,logical_block_size=512,physical_block_size=512,mssrl=128,mcl=128,msrc=127");

        List<Case> same = CopyCases.sameNamespaceCases();
        List<Case> gate = CopyCases.formatGateCases(false);
        List<Case> cross = crossNamespace ? CopyCases.crossNamespaceCases(false) : List.of();
        List<Case> all = new ArrayList<>(same);
        all.addAll(gate);
        all.addAll(cross);

        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            StringBuilder s = new StringBuilder(CopyCases.referenceAndOurs(port, NQN_OUR, 6));
            s.append("""
                    step ref.id-ctrl '. /share/lib.sh; use REF; nvme id-ctrl /dev/$C | grep -E "^(mn|ver|oncs|nn|ocfs) "'
                    step our.id-ctrl '. /share/lib.sh; use OUR; nvme id-ctrl /dev/$C | grep -E "^(mn|ver|oncs|nn|ocfs) "'
                    step ref.id-ns1 '. /share/lib.sh; use REF; nvme id-ns /dev/$N1 | grep -E "^(nsze|mssrl|mcl|msrc) "'
                    step our.id-ns1 '. /share/lib.sh; use OUR; nvme id-ns /dev/$N1 | grep -E "^(nsze|mssrl|mcl|msrc) "'
                    step pattern '
                      . /share/lib.sh
                      dd if=/dev/urandom of=/share/pat.bin bs=4096 count=%d 2>/dev/null
                      for k in REF OUR; do use $k; dd if=/share/pat.bin of=/dev/$N1 bs=4096 oflag=direct 2>&1 | tail -n 1
                        dd if=/share/pat.bin of=/dev/$N3 bs=4096 count=16 oflag=direct 2>&1 | tail -n 1
                        expect $N1 0 /share/pat.bin:0:%d; done'
                    """.formatted(CopyCases.PATTERN_BLOCKS, CopyCases.PATTERN_BLOCKS));
            s.append(CopyCases.steps(same, "REF", "OUR"));
            s.append(CopyCases.steps(gate, "REF", "OUR"));
            if (crossNamespace) {
                s.append("""
                        step ref.hbs-set '. /share/lib.sh; use REF; nvme admin-passthru /dev/$C --opcode=0x09 --cdw10=0x16 --data-len=512 --write --input-file=/share/hbs.bin'
                        step our.hbs-set '. /share/lib.sh; use OUR; nvme admin-passthru /dev/$C --opcode=0x09 --cdw10=0x16 --data-len=512 --write --input-file=/share/hbs.bin'
                        step ref.hbs-get '. /share/lib.sh; use REF; nvme admin-passthru /dev/$C --opcode=0x0a --cdw10=0x16 --data-len=512 --read --raw-binary > /tmp/hbs; rc=$?; od -An -tx1 -N8 /tmp/hbs; exit $rc'
                        step our.hbs-get '. /share/lib.sh; use OUR; nvme admin-passthru /dev/$C --opcode=0x0a --cdw10=0x16 --data-len=512 --read --raw-binary > /tmp/hbs; rc=$?; od -An -tx1 -N8 /tmp/hbs; exit $rc'
                        """);
                s.append(CopyCases.steps(cross, "REF", "OUR"));
            }
            s.append("""
                    step disconnect 'nvme disconnect -n $NQN_OUR'
                    step dmesg 'dmesg | grep -i nvme | tail -n 40'
                    """);

            GuestVm.Options options = GuestVm.Options.defaults()
                    .withName("NvmeCopyQemuDifferentialTest." + label)
                    .withTimeout(Duration.ofMinutes(15))
                    .withQemuExtra(qemuExtra);
            if (qemuRoot != null) {
                options = options.withEnv("QEMU_ROOT", qemuRoot.toString());
            }
            for (Map.Entry<String, byte[]> f : CopyCases.files(all).entrySet()) {
                options = options.withFile(f.getKey(), f.getValue());
            }
            GuestRun run = GuestVm.run(dist, s.toString(), options);
            String log = run.describe();
            run.requireDone();

            List<Case> compared = new ArrayList<>(same);
            compared.addAll(gate);
            compared.addAll(cross);
            List<List<String>> rows = new ArrayList<>();
            SoftAssertions soft = new SoftAssertions();
            for (Case c : compared) {
                int qemu = CopyCases.status(run, "ref." + c.name());
                int ours = CopyCases.status(run, "our." + c.name());
                Integer deviation = deviations.get(c.name());
                String verdict = qemu == ours ? "same" : deviation != null && deviation == qemu ? "QEMU deviates (documented)"
                        : "DIFFERENT";
                String note = ref.why().containsKey(c.name()) ? c.note() + ". " + ref.why().get(c.name()) : c.note();
                if (ref.data().containsKey(c.name())) {
                    verdict += "; QEMU's data wrong (documented)";
                }
                rows.add(List.of(c.name(), CopyCases.describe(qemu), CopyCases.describe(ours),
                        CopyCases.describe(c.expected()), verdict, note));
                soft.assertThat(CopyCases.hex(ours)).as("our status for %s\n%s", c.name(), log)
                        .isEqualTo(CopyCases.hex(c.expected()));
                soft.assertThat(CopyCases.hex(qemu)).as("QEMU (%s) status for %s\n%s", label, c.name(), log)
                        .isEqualTo(CopyCases.hex(deviation != null ? deviation : ours));
            }
            List<List<String>> id = new ArrayList<>();
            for (String field : List.of("ver", "oncs", "ocfs", "nn")) {
                id.add(List.of("id-ctrl " + field, field(run, "ref.id-ctrl", field), field(run, "our.id-ctrl", field)));
            }
            for (String field : List.of("nsze", "mssrl", "mcl", "msrc")) {
                id.add(List.of("id-ns 1 " + field, field(run, "ref.id-ns1", field), field(run, "our.id-ns1", field)));
            }
            if (crossNamespace) {
                id.add(List.of("Set Features 16h", CopyCases.describe(CopyCases.status(run, "ref.hbs-set")),
                        CopyCases.describe(CopyCases.status(run, "our.hbs-set"))));
                id.add(List.of("Get Features 16h bytes 0-7", last(run, "ref.hbs-get"), last(run, "our.hbs-get")));
            }
            String qemuName = ref.name();
            CopyCases.publish(run.logFile(), "NVMe Copy: " + qemuName + " versus ours, kernel 6.1, guest "
                            + Math.round(run.elapsed().toMillis() / 1000.0) + " s",
                    CopyCases.table(List.of("case", qemuName, "ours", "spec", "verdict", "note"), rows) + "\n"
                            + CopyCases.table(List.of("identify / features", qemuName, "ours"), id));

            Map<String, String> map = CopyCases.map(run.step("map"));
            soft.assertThat(map).as("device map\n%s", log).containsKeys("REF_C", "REF_N1", "REF_N2", "REF_N3",
                    "OUR_C", "OUR_N1", "OUR_N2", "OUR_N3");
            soft.assertThat(map).as(log).containsEntry("REF_TRANSPORT", "pcie").containsEntry("OUR_TRANSPORT", "tcp");
            for (String k : List.of("mssrl", "mcl", "msrc", "nsze")) {
                soft.assertThat(field(run, "our.id-ns1", k)).as("id-ns %s\n%s", k, log).isEqualTo(field(run, "ref.id-ns1", k));
            }
            soft.assertThat(run.step("pattern").output().split("DATA-OK", -1)).as(log).hasSize(3);

            // Every copy that had to succeed read back right from both devices, and is in the files here.
            byte[] pattern = Files.readAllBytes(run.share().resolve("pat.bin"));
            for (Case c : compared) {
                Check k = c.check();
                if (k == null || k.probe()) {
                    continue;
                }
                Check qemuData = ref.data().getOrDefault(c.name(), k);
                GuestStep ourData = run.step("our." + c.name() + ".data");
                soft.assertThat(ourData.output()).as("%s\n%s", ourData.name(), log).contains("DATA-OK");
                GuestStep qemuRead = run.step("ref." + c.name() + ".data");
                soft.assertThat(qemuRead.output()).as("%s\n%s", qemuRead.name(), log)
                        .contains(qemuData == k ? "DATA-OK" : "DATA-DIFF");
                soft.assertThat(CopyCases.onHost(dataDir.resolve("n" + k.nsid() + ".img"), k))
                        .as("our volume n%d LBA %d+%d", k.nsid(), k.lba(), k.blocks()).isEqualTo(CopyCases.expected(k, pattern));
                soft.assertThat(CopyCases.onHost(images[k.nsid() - 1], qemuData))
                        .as("QEMU image r%d LBA %d+%d", k.nsid(), k.lba(), k.blocks())
                        .isEqualTo(CopyCases.expected(qemuData, pattern));
            }
            // Where the two end up holding different data: refused Copies that QEMU carried out, in part or whole.
            String diffs = blockDifferences(images, dataDir);
            Files.writeString(CopyCases.besideLog(run.logFile(), ".data-diff.txt"), diffs);
            System.out.println("==== blocks that differ between " + qemuName + "'s images and our volumes ====\n" + diffs);
            soft.assertThat(diffs).as("blocks where %s's images and our volumes differ", qemuName)
                    .isEqualTo(ref.dataDifferences());
            // f0-partial: QEMU copies range 0 before it finds range 1 out of range; we move nothing.
            soft.assertThat(last(run, "ref.f0-partial.data")).as(log).startsWith("PROBE copied");
            soft.assertThat(last(run, "our.f0-partial.data")).as(log).startsWith("PROBE untouched");
            soft.assertAll();
        }
    }

    /** Runs of 4 KiB blocks that differ between QEMU's image and our volume file, per namespace. */
    private static String blockDifferences(Path[] images, Path dataDir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int ns = 1; ns <= images.length; ns++) {
            byte[] a = Files.readAllBytes(images[ns - 1]);
            byte[] b = Files.readAllBytes(dataDir.resolve("n" + ns + ".img"));
            int bs = ns == 3 ? 512 : CopyCases.BLOCK;
            TreeMap<Long, Long> runs = new TreeMap<>();
            long start = -1;
            long blocks = Math.max(a.length, b.length) / bs;
            for (long i = 0; i <= blocks; i++) {
                boolean differs = i < blocks && !java.util.Arrays.equals(a, (int) (i * bs), (int) Math.min((i + 1) * bs, a.length),
                        b, (int) (i * bs), (int) Math.min((i + 1) * bs, b.length));
                if (differs && start < 0) {
                    start = i;
                } else if (!differs && start >= 0) {
                    runs.put(start, i - start);
                    start = -1;
                }
            }
            sb.append("namespace ").append(ns).append(": ");
            if (a.length != b.length) {
                sb.append("sizes ").append(a.length).append(" / ").append(b.length).append("; ");
            }
            sb.append(runs.isEmpty() ? "identical" : runs.entrySet().stream()
                    .map(e -> "LBA " + e.getKey() + "+" + e.getValue()).toList().toString()).append('\n');
        }
        return sb.toString();
    }

    private static String field(GuestRun run, String step, String name) {
        return run.findStep(step).flatMap(s -> s.lines().stream()
                        .filter(l -> l.startsWith(name + " ") || l.startsWith(name + "\t"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst())
                .orElse("?");
    }

    private static String last(GuestRun run, String step) {
        return run.findStep(step).map(s -> s.lines().isEmpty() ? "" : s.lines().getLast().trim()).orElse("?");
    }
}
