package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Linux kernel's iscsi_tcp with open-iscsi, sg3-utils and ddpt against our iSCSI target and, in the same guest
 * boot, against the guest's own LIO: once per kernel generation (6.1 and 6.12). The same steps run on both targets:
 * SendTargets discovery, login, the disks of three LUNs (4 KiB and 512-byte blocks), INQUIRY and VPD pages, direct
 * I/O read back identical and found in the backing files, SYNCHRONIZE CACHE, EXTENDED COPY through sg_xcopy and
 * ddpt within and across LUs, a copy past the end refused, persistent reservations through sg_persist, REPORT LUNS,
 * logout, a login the access list refuses. The results are printed side by side ({@code target/iscsi-logs/
 * iscsi-kernel-initiator-DIST.table.md}): ours must pass every step; LIO's column is the reference, asserted only
 * where LIO is known to be right ({@link #LIO_PASSES}).
 *
 * <p>Where LIO (6.1 and 6.12, fileio with {@code emulate_tpu}) misses, seen in this test: it has no third-party copy
 * VPD page (8Fh: sg_vpd -p tpc fails); its SendTargets answer lists a target whose access list refuses the initiator;
 * it reports LBPRZ=0 and provisioning type "not known or fully provisioned" (SBC-4 6.6.6) although it unmaps; it
 * does not increment PRgeneration when a key is unregistered (SPC-4 6.16.2 asks it to).
 */
class IscsiKernelInitiatorTest {
    private static final String IQN = "iqn.2026-01.org.copyoffload:it";
    private static final String LOCKED = "iqn.2026-01.org.copyoffload:locked";
    private static final String LIO_IQN = "iqn.2003-01.org.linux-iscsi.copyoffload:it";
    private static final String LIO_LOCKED = "iqn.2003-01.org.linux-iscsi.copyoffload:locked";
    private static final String SOMEONE_ELSE = "iqn.2026-01.org.copyoffload:someone-else";
    private static final String ZONED = "iqn.2026-01.org.copyoffload:zoned";
    private static final String KEY = "0x1234abcd";
    /** The steps LIO passes on both kernels, asserted so that a broken reference does not go unnoticed. */
    private static final Set<String> LIO_PASSES = Set.of("login", "map", "sizes", "inquiry", "vpd-di", "vpd-bl",
            "dd-4k", "dd-512", "sync-cache", "xcopy-same", "xcopy-cross", "ddpt-xcopy", "xcopy-past-end",
            "pr-register", "pr-read-keys", "pr-reserve-we", "pr-read-we", "pr-release-we", "pr-reserve-ea",
            "pr-release-ea", "pr-unregister", "report-luns", "logout", "locked", "backing-files");

    /**
     * One target as the steps see it: the shell variables PORTAL, IQN and LOCKED are exported before its steps.
     *
     * @param prefix     step name prefix ({@code ours.login})
     * @param label      table column
     * @param portal     where the guest connects
     * @param advertised the portal its SendTargets answer should give
     * @param vendor     INQUIRY vendor identification
     */
    record Side(String prefix, String label, String portal, String advertised, String iqn, String locked,
                String vendor) {
    }

    /** One condition on a step's result; {@link #miss} says briefly, for the table, how the step missed it. */
    interface Expect {
        Optional<String> miss(GuestStep step);
    }

    /**
     * One step of the suite.
     *
     * @param name    the step's name (after the side's prefix)
     * @param snippet its shell snippet (no single quote)
     * @param expect  what it must show on a side
     */
    record Check(String name, String snippet, Function<Side, List<Expect>> expect) {
    }

    @TempDir
    Path dataDir;

    static Expect rc0() {
        return s -> s.ok() ? Optional.empty()
                : Optional.of(!s.finished() ? "not finished" : s.timedOut() ? "timed out" : "rc=" + s.rc());
    }

    static Expect rcNot0() {
        return s -> s.finished() && !s.timedOut() && s.rc() != 0 ? Optional.empty() : Optional.of("rc=" + s.rc());
    }

    static Expect has(String text) {
        return s -> s.contains(text) ? Optional.empty() : Optional.of("no '" + text + "'");
    }

    static Expect hasNot(String text) {
        return s -> s.contains(text) ? Optional.of("has '" + text + "'") : Optional.empty();
    }

    static Expect matches(String regex) {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        return s -> p.matcher(s.output()).find() ? Optional.empty() : Optional.of("no /" + regex + "/");
    }

    static Expect lines(String... exact) {
        return s -> s.lines().equals(List.of(exact)) ? Optional.empty() : Optional.of("lines " + s.lines());
    }

    private static final Pattern COMPLAINT = Pattern.compile("(?i)fail|error|not supported|invalid|illegal|conflict|abort");

    /** What the step said instead, for the table: its first complaint, else its last line. */
    private static String hint(GuestStep s) {
        List<String> lines = s.lines().stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String l = lines.stream().filter(x -> COMPLAINT.matcher(x).find()).findFirst()
                .orElse(lines.isEmpty() ? "" : lines.getLast());
        return l.isEmpty() ? "" : " (said: " + (l.length() > 70 ? l.substring(0, 67) + "..." : l) + ")";
    }

    static Check check(String name, String snippet, Function<Side, List<Expect>> expect) {
        if (snippet.contains("'")) {
            throw new IllegalArgumentException("a single quote would end the snippet of " + name);
        }
        return new Check(name, snippet, expect);
    }

    static Check check(String name, String snippet, Expect... expect) {
        return check(name, snippet, side -> List.of(expect));
    }

    /** The steps, in order; every snippet after {@code map} finds its devices in /tmp/map ({@code $B0}, {@code $G0}...). */
    static List<Check> checks() {
        String persist = ". /tmp/map; sg_persist ";
        List<Check> checks = new ArrayList<>(List.of(
                check("discovery", "iscsiadm -m discovery -t sendtargets -p $PORTAL",
                        side -> List.of(rc0(), has(side.advertised() + ",1 " + side.iqn()), hasNot(side.locked()))),
                check("login", "iscsiadm -m node -T $IQN -p $PORTAL --login; sleep 2; iscsiadm -m session",
                        side -> List.of(rc0(), has("successful"), has(side.iqn()))),
                check("map", """
                        for d in /sys/class/scsi_disk/*; do l=${d##*:}; b=$(ls $d/device/block); g=$(ls $d/device/scsi_generic)
                          echo "B$l=$b"; echo "G$l=$g"; done | sort > /tmp/map; cat /tmp/map""",
                        rc0(), matches("^B0=sd"), matches("^B1=sd"), matches("^B2=sd")),
                // 256 MiB of 4 KiB blocks and 64 MiB of 512-byte blocks, in 512-byte sectors.
                check("sizes", """
                        . /tmp/map; cat /sys/block/$B0/queue/logical_block_size /sys/block/$B1/queue/logical_block_size
                        cat /sys/block/$B0/size /sys/block/$B1/size""", lines("4096", "512", "524288", "131072")),
                check("inquiry", ". /tmp/map; sg_inq /dev/$G0",
                        side -> List.of(rc0(), has("Vendor identification: " + side.vendor()),
                                matches("PQual=0\\s+PDT=0"), matches("3PC=1\\b"))),
                check("vpd-di", ". /tmp/map; sg_vpd -p di /dev/$G0",
                        side -> List.of(rc0(), has("designator type: NAA,  code set: Binary"),
                                matches("0x6[0-9a-f]{31}"), has(side.iqn() + ",t,0x0001"),
                                has("Relative target port: 0x1"))),
                check("vpd-bl", ". /tmp/map; sg_vpd -p bl /dev/$G0",
                        rc0(), matches("Maximum transfer length: (0x800|2048 blocks)")),
                check("vpd-lbpv", ". /tmp/map; sg_vpd -p lbpv /dev/$G0",
                        rc0(), matches("LBPU\\)?[=:] ?1"), has("thin provisioned")),
                check("readcap", ". /tmp/map; sg_readcap -l /dev/$G1", rc0(), has("Logical block length=512 bytes"),
                        has("lbpme=1, lbprz=1"), has("Number of logical blocks=131072")),
                check("dd-4k", """
                        . /tmp/map; D=/dev/$B0
                        dd if=/share/pattern-4k.bin of=$D bs=1M seek=3 oflag=direct 2>&1 | tail -1
                        dd if=$D of=/tmp/back bs=1M skip=3 count=4 iflag=direct 2>/dev/null
                        cmp /share/pattern-4k.bin /tmp/back && echo READBACK-OK""", rc0(), has("READBACK-OK")),
                check("dd-512", """
                        . /tmp/map; D=/dev/$B1
                        dd if=/share/pattern-512.bin of=$D bs=512 seek=101 oflag=direct 2>&1 | tail -1
                        dd if=$D of=/tmp/back512 bs=512 skip=101 count=37 iflag=direct 2>/dev/null
                        cmp /share/pattern-512.bin /tmp/back512 && echo READBACK-OK""", rc0(), has("READBACK-OK")),
                check("sync-cache", ". /tmp/map; sg_sync /dev/$G0", rc0()),
                check("vpd-tpc", ". /tmp/map; sg_vpd -p tpc /dev/$G0",
                        rc0(), matches("(?i)third party copy"), has("Extended copy(LID1)"), hasNot("Unexpected type")),
                // EXTENDED COPY as sg3-utils and ddpt send it: within one LU and between two, read back identical.
                check("xcopy-same", """
                        . /tmp/map
                        sg_xcopy if=/dev/$G0 of=/dev/$G0 bs=4096 skip=768 seek=8192 count=1024 && echo XCOPY-DONE
                        dd if=/dev/$B0 bs=4096 skip=8192 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK""",
                        rc0(), has("XCOPY-DONE"), has("READBACK-OK")),
                check("xcopy-cross", """
                        . /tmp/map
                        sg_xcopy if=/dev/$G0 of=/dev/$G2 bs=4096 skip=768 seek=100 count=1024 && echo XCOPY-DONE
                        dd if=/dev/$B2 bs=4096 skip=100 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK""",
                        rc0(), has("XCOPY-DONE"), has("READBACK-OK")),
                check("ddpt-xcopy", """
                        . /tmp/map
                        ddpt if=/dev/$G0 of=/dev/$G2 bs=4096 skip=768 seek=5000 count=1024 oflag=xcopy 2>&1 | tail -3
                        dd if=/dev/$B2 bs=4096 skip=5000 count=1024 iflag=direct 2>/dev/null | cmp - /share/pattern-4k.bin && echo READBACK-OK""",
                        rc0(), has("READBACK-OK"))));
        // Token copy (ODX): LIO has none, so none of these is in LIO_PASSES.
        checks.addAll(IscsiOdxChecks.checks());
        checks.addAll(List.of(
                // Out-of-range LBAs inside a copy: COPY ABORTED (SPC-4 6.4.3.5), as sg_xcopy reports it.
                check("xcopy-past-end", ". /tmp/map; sg_xcopy if=/dev/$G0 of=/dev/$G2 bs=4096 skip=0 seek=16380 count=8",
                        rcNot0(), has("Copy aborted")),
                // PERSISTENT RESERVE OUT/IN (SPC-4 6.15, 6.16): register, reserve Write Exclusive then Exclusive
                // Access, release each, unregister; the generation counts the two registrations changes only.
                check("pr-register", persist + "--out --register --param-sark=" + KEY + " /dev/$G0", rc0()),
                check("pr-read-keys", persist + "--in --read-keys /dev/$G0", rc0(),
                        has("PR generation=0x1, 1 registered reservation key follows:"), matches("^\\s+" + KEY + "$")),
                check("pr-reserve-we", persist + "--out --reserve --param-rk=" + KEY + " --prout-type=1 /dev/$G0", rc0()),
                check("pr-read-we", persist + "--in --read-reservation /dev/$G0", rc0(), has("Key=" + KEY),
                        matches("scope: LU_SCOPE,  type: Write Exclusive$")),
                check("pr-release-we", persist + "--out --release --param-rk=" + KEY + " --prout-type=1 /dev/$G0 && "
                        + "sg_persist --in --read-reservation /dev/$G0", rc0(), has("there is NO reservation held")),
                check("pr-reserve-ea", persist + "--out --reserve --param-rk=" + KEY + " --prout-type=3 /dev/$G0 && "
                        + "sg_persist --in --read-reservation /dev/$G0", rc0(), has("Key=" + KEY),
                        matches("scope: LU_SCOPE,  type: Exclusive Access$")),
                check("pr-release-ea", persist + "--out --release --param-rk=" + KEY + " --prout-type=3 /dev/$G0 && "
                        + "sg_persist --in --read-reservation /dev/$G0", rc0(), has("there is NO reservation held")),
                check("pr-unregister", persist + "--out --register --param-rk=" + KEY + " --param-sark=0 /dev/$G0 && "
                        + "sg_persist --in --read-keys /dev/$G0", rc0(), has("there are NO registered reservation keys")),
                // SPC-4 6.16.2: REGISTER increments PRgeneration, unregistering too; RESERVE and RELEASE do not.
                check("pr-generation", persist + "--in --read-keys /dev/$G0", rc0(), has("PR generation=0x2,")),
                check("report-luns", ". /tmp/map; sg_luns /dev/$G0",
                        rc0(), has("0000000000000000"), has("0001000000000000"), has("0002000000000000")),
                check("logout", "iscsiadm -m node -T $IQN -p $PORTAL --logout; iscsiadm -m session 2>&1; ls /sys/class/scsi_disk | wc -l",
                        rc0(), matches("^0$")),
                check("locked", """
                        iscsiadm -m node -o new -T $LOCKED -p $PORTAL >/dev/null
                        iscsiadm -m node -T $LOCKED -p $PORTAL -o update -n node.session.initial_login_retry_max -v 1
                        iscsiadm -m node -T $LOCKED -p $PORTAL --login""", rcNot0(), matches("(?i)authoriz"))));
        return checks;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void stockLinuxInitiatorAgainstOursAndLio(GuestVm.Dist dist) throws Exception {
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
                  - %s
                  - {name: beside, size: 16MiB, block-size: 4096}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0, advertise-address: %s}]
                  targets:
                    - name: %s
                      luns: [{lun: 0, volume: big}, {lun: 1, volume: small}, {lun: 2, volume: big2}]
                    - name: %s
                      allow-any-initiator: false
                      allowed-initiators: [%s]
                      luns: [{lun: 0, volume: other}]
                    - name: %s
                      luns: [{lun: 0, volume: zoned}, {lun: 1, volume: beside}]
                """.formatted(dataDir, ZonedLuGuestChecks.OUR_VOLUME, GuestVm.HOST_ADDRESS, IQN, LOCKED, SOMEONE_ELSE,
                ZONED);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.iscsiAddresses().getFirst().getPort();
            String hostPortal = GuestVm.HOST_ADDRESS + ":" + port;
            Side ours = new Side("ours", "ours", hostPortal, hostPortal, IQN, LOCKED, "COPYOFFL");
            Side lio = new Side("lio", "LIO " + dist.kernel(), GuestLio.PORTAL, GuestLio.PORTAL, LIO_IQN, LIO_LOCKED,
                    "LIO-ORG");
            // The same LUs as ours: LUN 0 4 KiB, LUN 1 512 B, LUN 2 4 KiB; a locked target beside them.
            String lioSetup = GuestLio.setup(LIO_IQN, List.of(new GuestLio.Lun("big", 256L << 20, 4096),
                    new GuestLio.Lun("small", 64L << 20, 512), new GuestLio.Lun("big2", 64L << 20, 4096)),
                    new GuestLio.Locked(LIO_LOCKED, new GuestLio.Lun("other", 16L << 20, 512), SOMEONE_ELSE));

            StringBuilder script = new StringBuilder("""
                    step iscsid 'iscsid; sleep 1; ps | grep "[i]scsid"'
                    step patterns 'dd if=/dev/urandom of=/share/pattern-4k.bin bs=1M count=4 2>/dev/null
                      dd if=/dev/urandom of=/share/pattern-512.bin bs=512 count=37 2>/dev/null; ls -l /share/pattern-*'
                    """);
            script.append("step lio-setup '").append(lioSetup).append("'\n");
            for (Side side : List.of(ours, lio)) {
                script.append("export PORTAL=").append(side.portal()).append(" IQN=").append(side.iqn())
                        .append(" LOCKED=").append(side.locked()).append('\n');
                for (Check c : checks()) {
                    script.append("step ").append(side.prefix()).append('.').append(c.name()).append(" '")
                            .append(c.snippet()).append("'\n");
                }
            }
            // Where LIO keeps what the guest wrote: the checks ours gets from its volume files on this host.
            script.append("""
                    step lio.backing-files '
                      dd if=/tmp/lio/big.img bs=1M skip=3 count=4 2>/dev/null | cmp - /share/pattern-4k.bin && echo BIG-OK
                      dd if=/tmp/lio/big2.img bs=4096 skip=100 count=1024 2>/dev/null | cmp - /share/pattern-4k.bin && echo BIG2-OK
                      dd if=/tmp/lio/small.img bs=512 skip=101 count=37 2>/dev/null | cmp - /share/pattern-512.bin && echo SMALL-OK'
                    """);
            // The zoned LU (ZBC), then the same steps against scsi_debug's host-managed emulation.
            script.append("export PORTAL=").append(hostPortal).append(" ZIQN=").append(ZONED).append('\n');
            script.append("step zbc-ours.login 'iscsiadm -m node -o new -T $ZIQN -p $PORTAL >/dev/null; "
                    + "iscsiadm -m node -T $ZIQN -p $PORTAL --login; sleep 2'\n");
            appendZbcSteps(script, "zbc-ours.");
            for (Check c : ZonedLuGuestChecks.copyChecks()) {
                script.append("step zbc-ours.").append(c.name()).append(" '").append(c.snippet()).append("'\n");
            }
            script.append("step zbc-ours.logout 'iscsiadm -m node -T $ZIQN -p $PORTAL --logout'\n");
            script.append("step zbc-sdebug.load '").append(ZonedLuGuestChecks.SCSI_DEBUG).append("; sleep 2'\n");
            appendZbcSteps(script, "zbc-sdebug.");
            script.append("step dmesg 'dmesg | grep -iE \"iscsi|scsi|sd |target|xcopy|PR|zone\" | tail -40'\n");
            GuestRun run = GuestVm.run(dist, script.toString(), ZonedLuGuestChecks.withFiles(IscsiOdxChecks.withFiles(
                    GuestVm.Options.defaults().withTimeout(Duration.ofMinutes(8))
                            .withName("IscsiKernelInitiatorTest.stockLinuxInitiator"))));
            run.requireDone();
            String log = run.describe();
            run.ok("iscsid");
            run.ok("patterns");
            assertThat(run.ok("lio-setup").output()).as(log).contains("big: block_size=4096 emulate_3pc=1");

            byte[] pattern4k = Files.readAllBytes(run.share().resolve("pattern-4k.bin"));
            byte[] pattern512 = Files.readAllBytes(run.share().resolve("pattern-512.bin"));
            boolean oursBacking = Arrays.equals(GuestRun.readFile(dataDir.resolve("big.img"), 3L << 20, 4 << 20), pattern4k)
                    && Arrays.equals(GuestRun.readFile(dataDir.resolve("big2.img"), 100L * 4096, 4 << 20), pattern4k)
                    && Arrays.equals(GuestRun.readFile(dataDir.resolve("small.img"), 101L * 512, 37 * 512), pattern512);

            List<List<String>> rows = new ArrayList<>();
            List<String> oursMissed = new ArrayList<>();
            List<String> lioMissed = new ArrayList<>();
            for (Check c : checks()) {
                String o = verdict(run, ours, c);
                String l = verdict(run, lio, c);
                rows.add(List.of(c.name(), o, l));
                if (!o.equals("pass")) {
                    oursMissed.add(c.name() + ": " + o);
                }
                if (!l.equals("pass") && LIO_PASSES.contains(c.name())) {
                    lioMissed.add(c.name() + ": " + l);
                }
            }
            String lioBacking = verdict(run.findStep("lio.backing-files"),
                    List.of(rc0(), has("BIG-OK"), has("BIG2-OK"), has("SMALL-OK")));
            rows.add(List.of("backing-files", oursBacking ? "pass" : "FAIL: volume files differ from the patterns",
                    lioBacking));
            if (!oursBacking) {
                oursMissed.add("backing-files");
            }
            if (!lioBacking.equals("pass")) {
                lioMissed.add("backing-files: " + lioBacking);
            }
            String table = SuiteTable.table(List.of("step", ours.label() + " (" + hostPortal + ")",
                    lio.label() + " (" + GuestLio.PORTAL + " in the guest)"), rows);
            Path tableFile = IscsiLogs.dir().resolve("iscsi-kernel-initiator-" + dist.id() + ".table.md");
            Files.createDirectories(tableFile.getParent());
            Files.writeString(tableFile, "# open-iscsi + sg3-utils on kernel " + dist.kernel() + ": ours and LIO\n\n"
                    + table);
            System.out.println("open-iscsi + sg3-utils on kernel " + dist.kernel() + ", ours and LIO side by side ("
                    + tableFile + "):\n" + table);

            // The zoned LU beside scsi_debug: both must show what each step expects.
            List<List<String>> zbcRows = new ArrayList<>();
            List<String> zbcMissed = new ArrayList<>();
            run.ok("zbc-ours.login");
            run.ok("zbc-sdebug.load");
            for (Check c : zbcChecks()) {
                String o = verdict(run.findStep("zbc-ours." + c.name()), c.expect().apply(null));
                String d = verdict(run.findStep("zbc-sdebug." + c.name()), c.expect().apply(null));
                zbcRows.add(List.of(c.name(), o, d));
                if (!o.equals("pass")) {
                    zbcMissed.add("ours " + c.name() + ": " + o);
                }
                if (!d.equals("pass")) {
                    zbcMissed.add("scsi_debug " + c.name() + ": " + d);
                }
            }
            for (Check c : ZonedLuGuestChecks.copyChecks()) {
                String o = verdict(run.findStep("zbc-ours." + c.name()), c.expect().apply(null));
                zbcRows.add(List.of(c.name(), o, "(no copy manager)"));
                if (!o.equals("pass")) {
                    zbcMissed.add("ours " + c.name() + ": " + o);
                }
            }
            String zbcTable = SuiteTable.table(List.of("step", "ours (zoned LU)", "scsi_debug zbc=managed"), zbcRows);
            Files.writeString(IscsiLogs.dir().resolve("zbc-kernel-initiator-" + dist.id() + ".table.md"),
                    "# blkzone + sg3-utils on kernel " + dist.kernel() + ": our zoned LU and scsi_debug\n\n" + zbcTable);
            System.out.println("zoned LU on kernel " + dist.kernel() + ", ours and scsi_debug side by side:\n" + zbcTable);

            assertThat(oursMissed).as("steps our target did not pass:\n" + table + "\n" + log).isEmpty();
            assertThat(zbcMissed).as("zoned steps missed:\n" + zbcTable + "\n" + log).isEmpty();
            assertThat(lioMissed).as("steps the LIO reference no longer passes:\n" + table + "\n" + log).isEmpty();

            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("copyoffload_iscsi_pdus_total{direction=\"in\",opcode=\"scsi_data_out\"}")
                    .contains("copyoffload_iscsi_commands_total{opcode=\"0x2a\",status=\"good\"}")
                    .contains("copyoffload_iscsi_login_failures_total{status=\"authorization_failure\"}");
        }
    }

    private static List<Check> zbcChecks() {
        List<Check> all = new ArrayList<>();
        all.add(ZonedLuGuestChecks.map());
        all.addAll(ZonedLuGuestChecks.checks());
        return all;
    }

    private static void appendZbcSteps(StringBuilder script, String prefix) {
        for (Check c : zbcChecks()) {
            script.append("step ").append(prefix).append(c.name()).append(" '").append(c.snippet()).append("'\n");
        }
    }

    /** "pass", or "FAIL: " and how the side's step missed its expectations. */
    private static String verdict(GuestRun run, Side side, Check c) {
        return verdict(run.findStep(side.prefix() + "." + c.name()), c.expect().apply(side));
    }

    private static String verdict(Optional<GuestStep> step, List<Expect> expect) {
        if (step.isEmpty()) {
            return "NOT RUN";
        }
        List<String> misses = expect.stream().map(e -> e.miss(step.get())).flatMap(Optional::stream).toList();
        return misses.isEmpty() ? "pass"
                : ("FAIL: " + String.join("; ", misses) + hint(step.get())).replace("|", "\\|");
    }
}
