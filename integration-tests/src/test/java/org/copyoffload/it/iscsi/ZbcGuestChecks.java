package org.copyoffload.it.iscsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;

/**
 * Guest steps for a host managed zoned logical unit seen by the stock Linux initiator, to fold into a guest boot that
 * has iscsid running: our target's zoned LU (logged in by {@link #setup}) and, beside it, Linux's own
 * {@code scsi_debug} host managed emulation of the same geometry, run through the same checks so that their results
 * can be set side by side ({@link #table}). Both disks: 64 MiB of 4 KiB blocks, 16 sequential write required zones of
 * 4 MiB (1024 blocks, 8192 sectors), at most 8 open zones, no conventional zone. Our side's volume:
 * <pre>{@code - {name: zbc, size: 64MiB, block-size: 4096, zoned: {zone-size: 4MiB, zone-capacity: 4MiB, max-open: 8}}}</pre>
 * exported as a LUN of the target {@code IQN} (any LUN: the map finds the disk by its device type, 20).
 *
 * <p>The checks: the block layer's view ({@code queue/zoned}, {@code nr_zones}, {@code chunk_sectors},
 * {@code max_open_zones}), INQUIRY and the B6h page ({@code sg_inq}, {@code sg_vpd -p zbdc}), {@code blkzone report}
 * and {@code sg_rep_zones}, a direct write at the write pointer ({@code dd oflag=direct}) and one elsewhere, the sense
 * of writes off the write pointer, across a zone end, into a full zone and beyond the open zones ({@code sg_raw}
 * WRITE (16)), {@code sg_reset_wp}, {@code blkzone reset}, {@code sg_zone} open/close/finish, unrestricted reads and
 * reporting options.
 */
public final class ZbcGuestChecks {
    /** The shell variables of the two disks live in /tmp/zmap-ours and /tmp/zmap-ref ($Z block, $ZG sg). */
    public static final String OURS = "zbc-ours";
    public static final String REFERENCE = "zbc-ref";

    private ZbcGuestChecks() {
    }

    /** One condition on a step's result. */
    interface Expect {
        Optional<String> miss(GuestStep step);
    }

    /** A check: its name, its snippet (run for each side, with $Z and $ZG set), what both sides must show. */
    record Check(String name, String snippet, List<Expect> expect) {
        Check {
            if (snippet.contains("'")) {
                throw new IllegalArgumentException("a single quote would end the snippet of " + name);
            }
        }
    }

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

    static Expect matches(String regex) {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE | Pattern.CASE_INSENSITIVE);
        return s -> p.matcher(s.output()).find() ? Optional.empty() : Optional.of("no /" + regex + "/");
    }

    /** sg_raw WRITE (16) of {@code blocks} 4 KiB blocks of zeros at {@code lba}. */
    private static String write16(long lba, int blocks) {
        StringBuilder cdb = new StringBuilder("8a 00");
        for (int i = 7; i >= 0; i--) {
            cdb.append(String.format(" %02x", lba >>> (8 * i) & 0xFF));
        }
        for (int i = 3; i >= 0; i--) {
            cdb.append(String.format(" %02x", blocks >>> (8 * i) & 0xFF));
        }
        cdb.append(" 00 00");
        return "dd if=/dev/zero of=/tmp/zero bs=4096 count=" + blocks + " 2>/dev/null; sg_raw -s " + blocks * 4096
                + " -i /tmp/zero /dev/$ZG " + cdb + " 2>&1";
    }

    static List<Check> checks() {
        return List.of(
                new Check("sysfs", """
                        cd /sys/block/$Z/queue; echo zoned=$(cat zoned) nr_zones=$(cat nr_zones) chunk=$(cat chunk_sectors) \
                        max_open=$(cat max_open_zones) lbs=$(cat logical_block_size)""",
                        List.of(rc0(), has("zoned=host-managed"), has("nr_zones=16"), has("chunk=8192"),
                                has("max_open=8"), has("lbs=4096"))),
                new Check("inquiry", "sg_inq /dev/$ZG | grep -i pdt; sg_vpd -p 0xb6 /dev/$ZG",
                        List.of(rc0(), matches("PDT=20"), matches("URSWRZ.*1"))),
                new Check("blkzone-report", "blkzone report -c 2 /dev/$Z",
                        List.of(rc0(), matches("start: 0x0+, len 0x0*2000"), has("zcond: 1(em)"),
                                has("SEQ_WRITE_REQUIRED"))),
                new Check("sg-rep-zones", "sg_rep_zones /dev/$ZG | head -16",
                        List.of(rc0(), matches("sequential write required"), matches("zone condition: empty"))),
                new Check("dd-at-wp", """
                        dd if=/dev/urandom of=/dev/$Z bs=4096 count=8 oflag=direct 2>&1 | tail -1; blkzone report -c 1 /dev/$Z""",
                        List.of(rc0(), has("wptr 0x000040"), has("zcond: 2(oi)"))),
                new Check("dd-off-wp", "dd if=/dev/zero of=/dev/$Z bs=4096 count=1 seek=100 oflag=direct 2>&1",
                        List.of(rcNot0())),
                new Check("sense-unaligned", write16(100, 1), List.of(matches("unaligned write command"))),
                new Check("sense-boundary", write16(1023, 2), List.of(matches("write boundary violation"))),
                new Check("sg-reset-wp", "sg_reset_wp --zone=0 /dev/$ZG && blkzone report -c 1 /dev/$Z",
                        List.of(rc0(), has("wptr 0x000000"), has("zcond: 1(em)"))),
                new Check("blkzone-reset", """
                        dd if=/dev/urandom of=/dev/$Z bs=4096 count=4 seek=1024 oflag=direct 2>/dev/null
                        blkzone report -o 8192 -c 1 /dev/$Z; blkzone reset -o 8192 -c 1 /dev/$Z && blkzone report -o 8192 -c 1 /dev/$Z""",
                        List.of(rc0(), has("wptr 0x000020"), has("wptr 0x000000"), has("zcond: 1(em)"))),
                new Check("open-close", """
                        sg_zone --open --zone=0x800 /dev/$ZG && blkzone report -o 16384 -c 1 /dev/$Z \
                        && sg_zone --close --zone=0x800 /dev/$ZG && blkzone report -o 16384 -c 1 /dev/$Z""",
                        List.of(rc0(), has("zcond: 3(oe)"), has("zcond: 1(em)"))),
                new Check("sense-full", "sg_zone --finish --zone=0xc00 /dev/$ZG && blkzone report -o 24576 -c 1 /dev/$Z; "
                        + write16(0xc00, 1), List.of(matches("\\(fu\\)"), matches("invalid field in cdb"))),
                new Check("read-unrestricted", "dd if=/dev/$Z of=/dev/null bs=4096 skip=1020 count=8 iflag=direct 2>&1",
                        List.of(rc0())),
                new Check("report-options", """
                        sg_rep_zones --report=5 /dev/$ZG | grep -ci "zone descriptor"; sg_rep_zones --report=1 /dev/$ZG | grep -ci "zone descriptor\"""",
                        List.of(rc0(), matches("^1$"), matches("^15$"))),
                new Check("sense-resources", """
                        for z in 4 5 6 7 8 9 10 11; do sg_zone --open --zone=$((z*1024)) /dev/$ZG || echo OPEN-FAIL $z; done
                        """ + write16(12 * 1024, 1) + """

                        sg_zone --close --all /dev/$ZG; sg_reset_wp --all /dev/$ZG; blkzone report -c 16 /dev/$Z | grep -c "1(em)\"""",
                        List.of(matches("insufficient zone resources"), matches("^16$"))));
    }

    /**
     * Steps that log in to {@code iqn} at {@code portal} (iscsid running), load scsi_debug with the same geometry, and
     * write the two maps.
     */
    public static String setup(String portal, String iqn) {
        return """
                step zbc-login 'iscsiadm -m node -o new -T %2$s -p %1$s >/dev/null; iscsiadm -m node -T %2$s -p %1$s --login; sleep 2'
                step zbc-scsi-debug 'modprobe scsi_debug zbc=managed zone_size_mb=4 sector_size=4096 dev_size_mb=64 zone_nr_conv=0 zone_max_open=8; sleep 2; ls /sys/bus/pseudo/drivers/scsi_debug'
                step zbc-map 'for d in /sys/class/scsi_disk/*; do [ "$(cat $d/device/type)" = 20 ] || continue
                  b=$(ls $d/device/block); g=$(ls $d/device/scsi_generic); v=$(cat $d/device/vendor)
                  case "$v" in COPYOFFL*) echo "Z=$b ZG=$g" > /tmp/zmap-ours;; Linux*) echo "Z=$b ZG=$g" > /tmp/zmap-ref;; esac
                done; cat /tmp/zmap-ours /tmp/zmap-ref'
                """.formatted(portal, iqn);
    }

    /** The checks, first against our LU then against scsi_debug (step names {@code zbc-ours.NAME}, {@code zbc-ref.NAME}). */
    public static String steps() {
        StringBuilder script = new StringBuilder();
        for (String side : List.of(OURS, REFERENCE)) {
            String map = side.equals(OURS) ? "/tmp/zmap-ours" : "/tmp/zmap-ref";
            for (Check c : checks()) {
                script.append("step ").append(side).append('.').append(c.name()).append(" '. ").append(map)
                        .append("; ").append(c.snippet()).append("'\n");
            }
        }
        script.append("step zbc-dmesg 'dmesg | grep -iE \"zone|zbc|unaligned|boundary|sd [0-9]\" | tail -30'\n");
        return script.toString();
    }

    /** "pass", or "FAIL: " and how the step missed. */
    static String verdict(GuestRun run, String side, Check c) {
        Optional<GuestStep> step = run.findStep(side + "." + c.name());
        if (step.isEmpty()) {
            return "NOT RUN";
        }
        List<String> misses = c.expect().stream().map(e -> e.miss(step.get())).flatMap(Optional::stream).toList();
        return misses.isEmpty() ? "pass" : ("FAIL: " + String.join("; ", misses)).replace("|", "\\|");
    }

    /** The checks our LU missed (empty: all passed), each with how. */
    public static List<String> oursMissed(GuestRun run) {
        List<String> missed = new ArrayList<>();
        for (Check c : checks()) {
            String v = verdict(run, OURS, c);
            if (!v.equals("pass")) {
                missed.add(c.name() + ": " + v);
            }
        }
        return missed;
    }

    /** A Markdown table: each check, ours and scsi_debug's verdicts side by side. */
    public static String table(GuestRun run, String kernel) {
        StringBuilder t = new StringBuilder("| check (kernel " + kernel + ") | ours | scsi_debug |\n| --- | --- | --- |\n");
        for (Check c : checks()) {
            t.append("| ").append(c.name()).append(" | ").append(verdict(run, OURS, c)).append(" | ")
                    .append(verdict(run, REFERENCE, c)).append(" |\n");
        }
        return t.toString();
    }
}
