package org.copyoffload.it.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;

/**
 * The NVMe Copy cases the guest suites run, the same for our target and for QEMU's NVMe emulation: the
 * nvme-cli command of each (written against the shell variables {@code $N1 $N2 $N3} for the namespaces and
 * {@code $C} for the controller that {@code use KEY} sets), the status the NVM Command Set specification asks
 * for, and what the destination must hold afterwards.
 *
 * <p>Every namespace set the suites build has the same shape, on our target and on QEMU's device alike:
 * <ul>
 *   <li>NSID 1: 4 KiB LBAs, {@value #NSZE} blocks, MSSRL 8, MCL 20, MSRC 3 (4 ranges). MCL is below
 *       MSSRL x ranges, so each limit can be exceeded alone.</li>
 *   <li>NSID 2: 4 KiB LBAs, {@value #NSZE} blocks, MSSRL 128, MCL 128, MSRC 127 (QEMU's defaults).</li>
 *   <li>NSID 3: 512-byte LBAs, 8 MiB, MSSRL 128, MCL 128, MSRC 127.</li>
 * </ul>
 * The guest writes 256 random 4 KiB blocks to LBA 0 of namespace 1 ({@code /share/pat.bin}) before the cases.
 *
 * <p>Statuses are as nvme-cli prints them in parentheses: the completion's Status Field without the phase
 * bit, so DNR is 0x4000, SCT sits in bits 10:8 and SC in 7:0 ({@code 0x4183} = DNR | 183h).
 */
public final class CopyCases {
    static final int BLOCK = 4096;
    /** Blocks in namespaces 1 and 2 (64 MiB of 4 KiB). */
    static final long NSZE = 16384;
    static final int PATTERN_BLOCKS = 256;

    public static final int SUCCESS = 0;
    static final int INVALID_OPCODE = 0x4001;
    static final int INVALID_FIELD = 0x4002;
    static final int INVALID_NAMESPACE = 0x400b;
    static final int LBA_OUT_OF_RANGE = 0x4080;
    static final int INVALID_FORMAT = 0x410a;
    static final int SIZE_LIMIT = 0x4183;
    static final int INCOMPATIBLE_NAMESPACE = 0x4185;
    static final int OVERLAPPING_RANGE = 0x4187;

    /** A status that is not an NVMe status: the command failed before reaching the device (errno). */
    public static final int NOT_SENT = -1;
    /** The step did not run or printed nothing recognisable. */
    public static final int UNKNOWN = -2;

    private CopyCases() {
    }

    /** Part of what a destination must hold: {@code count} blocks of the pattern from {@code block}, or zeros. */
    record Piece(boolean zero, long block, int count) {
        String guestSpec() {
            return (zero ? "/dev/zero" : "/share/pat.bin") + ":" + block + ":" + count;
        }
    }

    static Piece pat(long block, int count) {
        return new Piece(false, block, count);
    }

    static Piece zero(int count) {
        return new Piece(true, 0, count);
    }

    /**
     * What to look at after a case: the blocks of namespace {@code nsid} from {@code lba}. {@code probe}: only
     * report whether they hold the pieces or are untouched (zeros), not require either.
     */
    record Check(int nsid, long lba, List<Piece> pieces, boolean probe) {
        int blocks() {
            return pieces.stream().mapToInt(Piece::count).sum();
        }
    }

    static Check expect(int nsid, long lba, Piece... pieces) {
        return new Check(nsid, lba, List.of(pieces), false);
    }

    static Check probe(int nsid, long lba, Piece... pieces) {
        return new Check(nsid, lba, List.of(pieces), true);
    }

    /**
     * One Copy case.
     *
     * @param name     step name (after the device key)
     * @param command  the shell command, against $N1.. $C
     * @param expected the status the specification asks for (for our target)
     * @param note     what the case is about
     * @param check    the data to verify afterwards, or null
     * @param files    files the command reads from /share (descriptor lists)
     */
    record Case(String name, String command, int expected, String note, Check check, Map<String, byte[]> files) {
    }

    /** A source range of a descriptor list: source namespace (formats 2h/3h), first LBA, number of blocks. */
    record Range(int snsid, long slba, int blocks) {
    }

    static Range r(int snsid, long slba, int blocks) {
        return new Range(snsid, slba, blocks);
    }

    // ------------------------------------------------------------------------------------------ the cases

    /** {@code nvme copy} formats 0h and 1h into namespace 1 (MSSRL 8, MCL 20, MSRC 3), as both nvme-cli versions send them. */
    static List<Case> sameNamespaceCases() {
        List<Case> l = new ArrayList<>();
        l.add(copy("f0-single", "--sdlba=1000 --slbs=0 --blocks=7", SUCCESS, "one range of 8 blocks",
                expect(1, 1000, pat(0, 8))));
        l.add(copy("f0-multi", "--sdlba=1100 --slbs=8,20,40 --blocks=7,3,7", SUCCESS,
                "3 ranges, 20 blocks = MCL", expect(1, 1100, pat(8, 8), pat(20, 4), pat(40, 8))));
        l.add(copy("f0-msrc-max", "--sdlba=1200 --slbs=64,80,96,112 --blocks=4,4,4,4", SUCCESS,
                "4 ranges = MSRC+1, 20 blocks", expect(1, 1200, pat(64, 5), pat(80, 5), pat(96, 5), pat(112, 5))));
        l.add(copy("f0-overlap-fwd", "--sdlba=204 --slbs=200 --blocks=7", SUCCESS,
                "destination 204+8 overlaps source 200+8 from above", expect(1, 200, pat(200, 4), pat(200, 8))));
        l.add(copy("f0-overlap-back", "--sdlba=220 --slbs=224 --blocks=7", SUCCESS,
                "destination 220+8 overlaps source 224+8 from below", expect(1, 220, pat(224, 8), pat(228, 4))));
        l.add(copy("f0-past-msrc", "--sdlba=1300 --slbs=0,1,2,3,4 --blocks=0,0,0,0,0", SIZE_LIMIT,
                "5 ranges, MSRC 3", null));
        l.add(copy("f0-past-mssrl", "--sdlba=1300 --slbs=0 --blocks=8", SIZE_LIMIT, "9 blocks, MSSRL 8", null));
        l.add(copy("f0-past-mcl", "--sdlba=1300 --slbs=0,8,16 --blocks=7,7,7", SIZE_LIMIT,
                "3 ranges of 8 = 24 blocks, MCL 20", null));
        l.add(copy("f0-src-tail", "--sdlba=1300 --slbs=16380 --blocks=7", LBA_OUT_OF_RANGE,
                "source 16380+8 runs past NSZE 16384", null));
        l.add(copy("f0-src-beyond", "--sdlba=1300 --slbs=16384 --blocks=0", LBA_OUT_OF_RANGE,
                "source starts at NSZE", null));
        l.add(copy("f0-dst-tail", "--sdlba=16380 --slbs=0 --blocks=7", LBA_OUT_OF_RANGE,
                "destination 16380+8 runs past NSZE", null));
        l.add(copy("f0-dst-beyond", "--sdlba=16384 --slbs=0 --blocks=0", LBA_OUT_OF_RANGE,
                "destination starts at NSZE", null));
        l.add(copy("f0-partial", "--sdlba=1400 --slbs=0,16380 --blocks=7,7", LBA_OUT_OF_RANGE,
                "range 0 valid, range 1 past NSZE", probe(1, 1400, pat(0, 8))));
        l.add(copy("f0-order", "--sdlba=16382 --slbs=0,8 --blocks=3,8", LBA_OUT_OF_RANGE,
                "range 0's destination (16382+4) past NSZE is found before range 1 (9 blocks) past MSSRL", null));
        l.add(copy("f1-no-pi", "--format=1 --sdlba=1300 --slbs=0 --blocks=7", INVALID_FORMAT,
                "format 1h (40-byte entries) on a namespace without PI", null));
        return l;
    }

    /** Format 2h before the host enabled it, and a reserved format. */
    static List<Case> formatGateCases(boolean nvmeCopyKnowsFormat2) {
        List<Case> l = new ArrayList<>();
        String note = "format 2h while CDFE is clear (Host Behavior Support)";
        l.add(nvmeCopyKnowsFormat2
                ? copyCross("f2-before-cdfe", 1, 1300, 2, INVALID_FIELD, note, null, r(1, 0, 8))
                : passthru("f2-before-cdfe", 1, 1300, 2, INVALID_FIELD, note, null, r(1, 0, 8)));
        l.add(passthru("f4-reserved", 1, 1300, 4, INVALID_FIELD, "descriptor format 4h (reserved)", null, r(0, 0, 8)));
        return l;
    }

    /**
     * Formats 2h/3h once CDFE allows them: through {@code nvme io-passthru} with a descriptor list built here
     * (nvme-cli 2.3), or through {@code nvme copy --format=2 --snsids=...} (nvme-cli 2.13).
     */
    static List<Case> crossNamespaceCases(boolean viaNvmeCopy) {
        List<Case> l = new ArrayList<>();
        CaseMaker m = viaNvmeCopy ? CopyCases::copyCross : CopyCases::passthru;
        l.add(m.make("f2-cross", 2, 500, 2, SUCCESS, "namespace 1 -> namespace 2", expect(2, 500, pat(0, 8)),
                r(1, 0, 8)));
        l.add(m.make("f2-mixed", 2, 600, 2, SUCCESS, "ranges from namespaces 1 and 2 into namespace 2",
                expect(2, 600, pat(8, 8), pat(0, 4)), r(1, 8, 8), r(2, 500, 4)));
        l.add(m.make("f2-mixed-zero", 2, 1000, 2, SUCCESS,
                "namespace 1 LBA 16+8, then namespace 2 LBA 0+4 (zeros there, pattern in namespace 1)",
                expect(2, 1000, pat(16, 8), zero(4)), r(1, 16, 8), r(2, 0, 4)));
        l.add(m.make("f2-mssrl-of-source", 1, 1500, 2, SUCCESS,
                "9 blocks from namespace 2 (MSSRL 128) into namespace 1 (MSSRL 8): the source's MSSRL applies",
                expect(1, 1500, pat(0, 8), zero(1)), r(2, 500, 9)));
        l.add(m.make("f2-past-source-mssrl", 2, 800, 2, SIZE_LIMIT,
                "9 blocks from namespace 1 (MSSRL 8) into namespace 2 (MSSRL 128)", null, r(1, 0, 9)));
        l.add(m.make("f2-past-msrc", 1, 1300, 2, SIZE_LIMIT, "5 ranges into namespace 1 (MSRC 3)", null,
                r(2, 0, 1), r(2, 1, 1), r(2, 2, 1), r(2, 3, 1), r(2, 4, 1)));
        l.add(m.make("f2-512", 2, 900, 2, INCOMPATIBLE_NAMESPACE, "512-byte namespace 3 into 4 KiB namespace 2",
                null, r(3, 0, 8)));
        l.add(m.make("f2-snsid-1000", 2, 900, 2, INVALID_NAMESPACE, "SNSID 1000 (above NN)", null, r(1000, 0, 8)));
        l.add(m.make("f2-snsid-0", 2, 900, 2, INVALID_NAMESPACE, "SNSID 0", null, r(0, 0, 8)));
        l.add(m.make("f2-snsid-9", 2, 900, 2, INVALID_FIELD, "SNSID 9: a valid NSID with no namespace attached",
                null, r(9, 0, 8)));
        l.add(m.make("f2-overlap", 2, 700, 2, OVERLAPPING_RANGE,
                "same-namespace source 696+8 overlaps destination 700+8 (source below)", null, r(2, 696, 8)));
        l.add(m.make("f2-overlap-above", 2, 700, 2, OVERLAPPING_RANGE,
                "same-namespace source 704+8 overlaps destination 700+8 (source above)", null, r(2, 704, 8)));
        l.add(m.make("f2-overlap-same", 2, 700, 2, OVERLAPPING_RANGE,
                "same-namespace source 700+8 = destination 700+8", null, r(2, 700, 8)));
        l.add(m.make("f2-src-tail", 2, 900, 2, LBA_OUT_OF_RANGE, "source 16380+8 in namespace 1 past NSZE", null,
                r(1, 16380, 8)));
        l.add(m.make("f2-dst-tail", 2, 16380, 2, LBA_OUT_OF_RANGE, "destination 16380+8 past NSZE", null, r(1, 0, 8)));
        l.add(m.make("f3-no-pi", 2, 900, 3, INVALID_FORMAT,
                "format 3h (40-byte entries) on namespaces without PI", null, r(1, 0, 8)));
        return l;
    }

    @FunctionalInterface
    interface CaseMaker {
        Case make(String name, int destNsid, long sdlba, int format, int expected, String note, Check check,
                  Range... ranges);
    }

    static Case copy(String name, String args, int expected, String note, Check check) {
        return new Case(name, "nvme copy /dev/$N1 " + args, expected, note, check, Map.of());
    }

    /** nvme-cli 2.13: {@code nvme copy --format=F --snsids=...}. */
    static Case copyCross(String name, int destNsid, long sdlba, int format, int expected, String note, Check check,
                          Range... ranges) {
        String cmd = "nvme copy /dev/$N" + destNsid + " --format=" + format + " --sdlba=" + sdlba
                + " --slbs=" + join(ranges, rg -> Long.toString(rg.slba()))
                + " --blocks=" + join(ranges, rg -> Integer.toString(rg.blocks() - 1))
                + " --snsids=" + join(ranges, rg -> Integer.toUnsignedString(rg.snsid()));
        return new Case(name, cmd, expected, note, check, Map.of());
    }

    /** Any nvme-cli: {@code nvme io-passthru --opcode=0x19} with a descriptor list built here. */
    static Case passthru(String name, int destNsid, long sdlba, int format, int expected, String note, Check check,
                         Range... ranges) {
        byte[] list = descriptors(format, ranges);
        String file = "d-" + name + ".bin";
        String cmd = "nvme io-passthru /dev/$N" + destNsid + " --opcode=0x19 --namespace-id=" + destNsid
                + " --data-len=" + list.length + " --write --input-file=/share/" + file
                + " --cdw10=" + (sdlba & 0xFFFF_FFFFL) + " --cdw11=" + (sdlba >>> 32)
                + " --cdw12=$(( (" + format + " << 8) | " + (ranges.length - 1) + " ))";
        return new Case(name, cmd, expected, note, check, Map.of(file, list));
    }

    private static String join(Range[] ranges, java.util.function.Function<Range, String> f) {
        return String.join(",", Arrays.stream(ranges).map(f).toList());
    }

    /**
     * A Copy source range list, built by hand from the NVM Command Set layout (not by our codec): 32-byte
     * entries for formats 0h/2h (and reserved ones), 40-byte for 1h/3h; SNSID bytes 3:0 (2h/3h), SLBA 15:8,
     * NLB (0's based) 17:16, little-endian; everything else zero.
     */
    static byte[] descriptors(int format, Range... ranges) {
        int size = format == 1 || format == 3 ? 40 : 32;
        ByteBuffer b = ByteBuffer.allocate(size * ranges.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ranges.length; i++) {
            Range rg = ranges[i];
            int at = i * size;
            if (format == 2 || format == 3) {
                b.putInt(at, rg.snsid());
            }
            b.putLong(at + 8, rg.slba());
            b.putShort(at + 16, (short) (rg.blocks() - 1));
        }
        return b.array();
    }

    /** Host Behavior Support data (512 bytes) with CDFE (bytes 5:4) = 0x000C: formats 2h and 3h enabled. */
    static byte[] hostBehaviorCdfe() {
        byte[] hbs = new byte[512];
        hbs[4] = 0x0C;
        return hbs;
    }

    // ------------------------------------------------------------------------------------------ the script

    /**
     * The guest's helper, sourced by each step: {@code use KEY} sets C, N1, N2, N3 from /tmp/map;
     * {@code build_map} finds the controllers (by subsystem NQN and transport, never by number) and their
     * namespaces' block devices; {@code expect} and {@code probe} read a destination back (O_DIRECT).
     */
    public static final String LIB = """
            # lib.sh: sourced by every step of the copy suites (busybox ash on 6.1, dash on 6.12)
            [ -f /tmp/map ] && . /tmp/map
            use() {
                eval "C=\\${${1}_C:-no-$1-controller} N1=\\${${1}_N1:-no-$1-ns1} N2=\\${${1}_N2:-no-$1-ns2} N3=\\${${1}_N3:-no-$1-ns3}"
            }
            key_of() {
                case "$1" in
                    "$NQN_OUR") echo OUR ;;
                    "$NQN_OLD") echo OLD ;;
                    "$NQN_XC") echo XC ;;
                    *) [ "$2" = pcie ] && echo REF ;;
                esac
            }
            # wait_ns N: until N namespace block devices exist (nvme-tcp scans them after connect returns)
            wait_ns() {
                i=0
                while [ $i -lt 60 ]; do
                    n=0
                    for b in /sys/block/nvme*; do case ${b##*/} in *c*|'nvme*') ;; *) n=$((n + 1)) ;; esac; done
                    [ $n -ge $1 ] && { echo "$n namespaces"; return 0; }
                    sleep 0.5; i=$((i + 1))
                done
                echo "only $n namespaces"; return 1
            }
            build_map() {
                : > /tmp/map.new
                for c in /sys/class/nvme/nvme*; do
                    [ -r "$c/subsysnqn" ] || continue
                    nqn=$(cat "$c/subsysnqn"); tr=$(cat "$c/transport")
                    k=$(key_of "$nqn" "$tr")
                    echo "# ${c##*/} transport=$tr model=$(sed 's/ *$//' "$c/model") subsysnqn=$nqn -> ${k:-ignored}"
                    [ -n "$k" ] || continue
                    printf '%s_C=%s\\n%s_TRANSPORT=%s\\n%s_NQN=%s\\n' "$k" "${c##*/}" "$k" "$tr" "$k" "$nqn" >> /tmp/map.new
                done
                for b in /sys/block/nvme*; do
                    n=${b##*/}
                    case $n in *c*) continue ;; esac
                    nqn=$(cat "$b/device/subsysnqn" 2>/dev/null) || continue
                    k=$(awk -F= -v q="$nqn" '$1 ~ /_NQN$/ && $2 == q { sub(/_NQN$/, "", $1); print $1; exit }' /tmp/map.new)
                    [ -n "$k" ] || continue
                    echo "${k}_N$(cat "$b/nsid")=$n" >> /tmp/map.new
                done
                mv /tmp/map.new /tmp/map
                cat /tmp/map
            }
            # pieces FILE:BLOCK:COUNT ... > OUT: the concatenation, in 4 KiB blocks
            pieces() {
                for p in "$@"; do
                    src=${p%%:*}; rest=${p#*:}
                    dd if="$src" bs=4096 skip="${rest%%:*}" count="${rest#*:}" 2>/dev/null
                done
            }
            # expect DEV LBA PIECE...: DEV holds the pieces from LBA on
            expect() {
                dev=$1; lba=$2; shift 2
                pieces "$@" > /tmp/exp
                total=$(( $(wc -c < /tmp/exp) / 4096 ))
                dd if="/dev/$dev" of=/tmp/got bs=4096 skip="$lba" count="$total" iflag=direct 2>/dev/null
                if cmp /tmp/exp /tmp/got; then echo "DATA-OK $dev@$lba+$total"; else echo "DATA-DIFF $dev@$lba+$total"; return 1; fi
            }
            # probe DEV LBA PIECE...: whether DEV holds the pieces from LBA on, or zeros, or something else
            probe() {
                dev=$1; lba=$2; shift 2
                pieces "$@" > /tmp/exp
                total=$(( $(wc -c < /tmp/exp) / 4096 ))
                dd if="/dev/$dev" of=/tmp/got bs=4096 skip="$lba" count="$total" iflag=direct 2>/dev/null
                dd if=/dev/zero of=/tmp/zero bs=4096 count="$total" 2>/dev/null
                if cmp -s /tmp/exp /tmp/got; then echo "PROBE copied $dev@$lba+$total"
                elif cmp -s /tmp/zero /tmp/got; then echo "PROBE untouched $dev@$lba+$total"
                else echo "PROBE other $dev@$lba+$total"; fi
            }
            """;

    /** The steps of {@code cases}, each run against every device key in turn ({@code key.case}, {@code key.case.data}). */
    /**
     * The first steps of a differential run: QEMU's PCIe controller ("REF") appears, the guest connects to our
     * target ("OUR", subsystem {@code NQN_OUR}) over nvme-tcp, waits for {@code namespaces} block devices in all and
     * maps both sides for lib.sh's {@code use REF|OUR}.
     */
    public static String referenceAndOurs(int port, String nqn, int namespaces) {
        return """
                export PORT=%d HOST=%s NQN_OUR=%s
                step qemu-device '
                  modprobe nvme || exit 1
                  i=0; while [ $i -lt 60 ]; do
                    for c in /sys/class/nvme/nvme*; do [ "$(cat $c/transport 2>/dev/null)" = pcie ] && { echo "${c##*/} pcie"; exit 0; }; done
                    sleep 0.5; i=$((i + 1)); done; exit 1'
                step connect 'nvme connect -t tcp -a $HOST -s $PORT -n $NQN_OUR'
                step wait-ns '. /share/lib.sh; wait_ns %d'
                step map '. /share/lib.sh; build_map'
                """.formatted(port, GuestVm.HOST_ADDRESS, nqn, namespaces);
    }

    static String steps(List<Case> cases, String... keys) {
        StringBuilder sb = new StringBuilder();
        for (Case c : cases) {
            for (String key : keys) {
                String prefix = key.toLowerCase() + "." + c.name();
                sb.append("step ").append(prefix).append(" '. /share/lib.sh; use ").append(key).append("; ")
                        .append(c.command()).append("'\n");
                if (c.check() != null) {
                    Check k = c.check();
                    sb.append("step ").append(prefix).append(".data '. /share/lib.sh; use ").append(key).append("; ")
                            .append(k.probe() ? "probe" : "expect").append(" $N").append(k.nsid()).append(' ')
                            .append(k.lba());
                    for (Piece p : k.pieces()) {
                        sb.append(' ').append(p.guestSpec());
                    }
                    sb.append("'\n");
                }
            }
        }
        return sb.toString();
    }

    /** The files every case list needs in /share. */
    static Map<String, byte[]> files(List<Case> cases) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("lib.sh", LIB.getBytes(StandardCharsets.UTF_8));
        m.put("hbs.bin", hostBehaviorCdfe());
        for (Case c : cases) {
            m.putAll(c.files());
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------ results

    private static final Pattern NVME_STATUS = Pattern.compile("NVMe status: .*\\(0x([0-9a-fA-F]+)\\)");

    /** The NVMe status nvme-cli printed, 0 for success, {@link #NOT_SENT} for an errno failure. */
    public static int status(GuestStep s) {
        Matcher m = NVME_STATUS.matcher(s.output());
        if (m.find()) {
            return Integer.parseInt(m.group(1), 16);
        }
        if (!s.finished() || s.timedOut()) {
            return UNKNOWN;
        }
        return s.rc() == 0 ? SUCCESS : NOT_SENT;
    }

    public static int status(GuestRun run, String step) {
        return run.findStep(step).map(CopyCases::status).orElse(UNKNOWN);
    }

    public static String hex(int status) {
        return switch (status) {
            case SUCCESS -> "0";
            case NOT_SENT -> "errno";
            case UNKNOWN -> "?";
            default -> String.format("0x%04x", status);
        };
    }

    /** The status with its name, as a table cell. */
    public static String describe(int status) {
        String name = switch (status & 0x7FF) {
            case 0x000 -> status == 0 ? "Success" : "Success?";
            case 0x001 -> "Invalid Opcode";
            case 0x002 -> "Invalid Field";
            case 0x006 -> "Internal Error";
            case 0x00B -> "Invalid NS or Format";
            case 0x00F -> "Data SGL Length Invalid";
            case 0x080 -> "LBA Out of Range";
            case 0x10A -> "Invalid Format";
            case 0x183 -> "Cmd Size Limit Exceeded";
            case 0x185 -> "Incompatible NS or Format";
            case 0x187 -> "Overlapping I/O Range";
            case 0x1B8 -> "Zone Boundary Error";
            case 0x1B9 -> "Zone Is Full";
            case 0x1BA -> "Zone Is Read Only";
            case 0x1BB -> "Zone Is Offline";
            case 0x1BC -> "Zone Invalid Write";
            case 0x1BD -> "Too Many Active Zones";
            case 0x1BE -> "Too Many Open Zones";
            case 0x1BF -> "Invalid Zone State Transition";
            default -> "";
        };
        if (status == NOT_SENT || status == UNKNOWN) {
            return hex(status);
        }
        return status == 0 ? "0 Success" : hex(status) + " " + name;
    }

    /** The map the guest built: KEY_C, KEY_N1, ... */
    public static Map<String, String> map(GuestStep mapStep) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : mapStep.lines()) {
            int eq = line.indexOf('=');
            if (!line.startsWith("#") && eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    /** The bytes a check expects, from the pattern the guest wrote. */
    static byte[] expected(Check check, byte[] pattern) {
        ByteBuffer b = ByteBuffer.allocate(check.blocks() * BLOCK);
        for (Piece p : check.pieces()) {
            if (p.zero()) {
                b.position(b.position() + p.count() * BLOCK);
            } else {
                b.put(pattern, Math.toIntExact(p.block() * BLOCK), p.count() * BLOCK);
            }
        }
        return b.array();
    }

    static byte[] read(Path file, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) <= 0) {
                    break; // past the end of a sparse file: zeros
                }
            }
            return b.array();
        }
    }

    /** The check's blocks as they are in a host file holding the namespace (volume file or QEMU image). */
    static byte[] onHost(Path file, Check check) throws IOException {
        return read(file, check.lba() * BLOCK, check.blocks() * BLOCK);
    }

    /** A fixed-width text table. */
    public static String table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> row : rows) {
                w[i] = Math.max(w[i], row.get(i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, w);
        StringBuilder rule = new StringBuilder("|");
        for (int x : w) {
            rule.append("-".repeat(x + 2)).append('|');
        }
        sb.append(rule).append('\n');
        for (List<String> row : rows) {
            appendRow(sb, row, w);
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> row, int[] w) {
        sb.append('|');
        for (int i = 0; i < w.length; i++) {
            sb.append(' ').append(row.get(i)).append(" ".repeat(w[i] - row.get(i).length())).append(" |");
        }
        sb.append('\n');
    }

    /** target/guest-logs/NAME.SUFFIX for the guest log target/guest-logs/NAME.log. */
    public static Path besideLog(Path guestLog, String suffix) {
        return guestLog.resolveSibling(guestLog.getFileName().toString().replaceFirst("\\.log$", "") + suffix);
    }

    /** Writes a table beside the guest logs (target/guest-logs/NAME.table.md) and prints it. */
    public static void publish(Path guestLog, String title, String text) throws IOException {
        Path out = besideLog(guestLog, ".table.md");
        Files.writeString(out, "# " + title + "\n\n" + text);
        System.out.println("==== " + title + " ====\n" + text);
    }
}
