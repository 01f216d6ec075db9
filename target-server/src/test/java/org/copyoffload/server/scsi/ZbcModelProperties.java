package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.OperationCode.ZbcOut;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb;
import org.copyoffload.protocol.scsi.ReportZonesCdb.ReportingOption;
import org.copyoffload.protocol.scsi.ReportZonesData;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneCondition;
import org.copyoffload.protocol.scsi.ReportZonesData.ZoneDescriptor;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.ZbcOutCdb;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random sequences of ZBC commands on the zoned logical unit of {@link ZonedScsiTestBase} (writes at, off and
 * across write pointers; OPEN/CLOSE/FINISH/RESET WRITE POINTER with and without ALL, at zone starts and elsewhere;
 * REPORT ZONES with random options, PARTIAL and allocation lengths) against a zone table written from ZBC-2's rules
 * with the unit's limits (3 open, 4 active zones). After every command: its status and sense, then every zone's
 * condition and write pointer as REPORT ZONES gives them. A failure names the seed and step.
 */
class ZbcModelProperties extends ZonedScsiTestBase {
    static final int STEPS = 160;
    static final int MAX_OPEN = 3;
    static final int MAX_ACTIVE = 4;

    static LongStream seeds() {
        return LongStream.range(0, 24).map(i -> 0x2BC_0000L + i);
    }

    /** The reference: conditions, write pointers and the implicitly opened zones, least recently opened first. */
    static final class Table {
        final ZoneCondition[] st = new ZoneCondition[ZONES];
        final long[] wp = new long[ZONES];
        final LinkedHashSet<Integer> implicit = new LinkedHashSet<>();

        Table() {
            for (int i = 0; i < ZONES; i++) {
                st[i] = ZoneCondition.EMPTY;
                wp[i] = i * ZONE;
            }
        }

        long count(ZoneCondition... cs) {
            long n = 0;
            for (ZoneCondition s : st) {
                for (ZoneCondition c : cs) {
                    n += s == c ? 1 : 0;
                }
            }
            return n;
        }

        long open() {
            return count(ZoneCondition.IMPLICITLY_OPENED, ZoneCondition.EXPLICITLY_OPENED);
        }

        long active() {
            return count(ZoneCondition.IMPLICITLY_OPENED, ZoneCondition.EXPLICITLY_OPENED, ZoneCondition.CLOSED);
        }

        void set(int z, ZoneCondition c) {
            implicit.remove(z);
            st[z] = c;
            if (c == ZoneCondition.IMPLICITLY_OPENED) {
                implicit.add(z);
            }
        }

        /** Resources to open zone z (Empty or Closed); an implicitly opened zone may be closed for them. */
        AdditionalSense acquire(int z) {
            if (st[z] == ZoneCondition.EMPTY && active() >= MAX_ACTIVE) {
                return AdditionalSense.INSUFFICIENT_ZONE_RESOURCES;
            }
            if (open() >= MAX_OPEN) {
                if (implicit.isEmpty()) {
                    return AdditionalSense.INSUFFICIENT_ZONE_RESOURCES;
                }
                set(implicit.getFirst(), ZoneCondition.CLOSED);
            }
            return null;
        }

        AdditionalSense write(long lba, long n) {
            if (lba + n > ZONE * ZONES) {
                return AdditionalSense.LBA_OUT_OF_RANGE;
            }
            int z = (int) (lba / ZONE);
            if ((lba + n - 1) / ZONE != z) {
                return AdditionalSense.WRITE_BOUNDARY_VIOLATION;
            }
            if (st[z] == ZoneCondition.FULL) {
                return AdditionalSense.INVALID_FIELD_IN_CDB;
            }
            if (lba != wp[z]) {
                return AdditionalSense.UNALIGNED_WRITE_COMMAND;
            }
            if (st[z] == ZoneCondition.EMPTY || st[z] == ZoneCondition.CLOSED) {
                AdditionalSense e = acquire(z);
                if (e != null) {
                    return e;
                }
                set(z, ZoneCondition.IMPLICITLY_OPENED);
            }
            wp[z] += n;
            if (wp[z] == (z + 1) * ZONE) {
                set(z, ZoneCondition.FULL);
            }
            return null;
        }

        AdditionalSense action(ZbcOut a, long id, boolean all) {
            if (all) {
                if (a == ZbcOut.OPEN_ZONE && open() + count(ZoneCondition.CLOSED) > MAX_OPEN) {
                    return AdditionalSense.INSUFFICIENT_ZONE_RESOURCES;
                }
                for (int z = 0; z < ZONES; z++) {
                    ZoneCondition s = st[z];
                    boolean applies = switch (a) {
                        case OPEN_ZONE -> s == ZoneCondition.CLOSED;
                        case CLOSE_ZONE -> s == ZoneCondition.IMPLICITLY_OPENED || s == ZoneCondition.EXPLICITLY_OPENED;
                        case FINISH_ZONE -> s == ZoneCondition.IMPLICITLY_OPENED || s == ZoneCondition.EXPLICITLY_OPENED
                                || s == ZoneCondition.CLOSED;
                        case RESET_WRITE_POINTER -> s != ZoneCondition.EMPTY;
                    };
                    if (applies) {
                        apply(a, z);
                    }
                }
                return null;
            }
            if (id >= ZONE * ZONES) {
                return AdditionalSense.LBA_OUT_OF_RANGE;
            }
            if (id % ZONE != 0) {
                return AdditionalSense.INVALID_FIELD_IN_CDB;
            }
            int z = (int) (id / ZONE);
            ZoneCondition s = st[z];
            switch (a) {
                case OPEN_ZONE -> {
                    if (s == ZoneCondition.EMPTY || s == ZoneCondition.CLOSED) {
                        AdditionalSense e = acquire(z);
                        if (e != null) {
                            return e;
                        }
                        set(z, ZoneCondition.EXPLICITLY_OPENED);
                    } else if (s == ZoneCondition.IMPLICITLY_OPENED) {
                        set(z, ZoneCondition.EXPLICITLY_OPENED);
                    }
                }
                case CLOSE_ZONE -> {
                    if (s == ZoneCondition.IMPLICITLY_OPENED || s == ZoneCondition.EXPLICITLY_OPENED) {
                        apply(a, z);
                    }
                }
                case FINISH_ZONE -> {
                    if (s != ZoneCondition.FULL) {
                        apply(a, z);
                    }
                }
                case RESET_WRITE_POINTER -> {
                    if (s != ZoneCondition.EMPTY) {
                        apply(a, z);
                    }
                }
            }
            return null;
        }

        private void apply(ZbcOut a, int z) {
            switch (a) {
                case OPEN_ZONE -> set(z, ZoneCondition.EXPLICITLY_OPENED);
                case CLOSE_ZONE -> set(z, wp[z] == z * ZONE ? ZoneCondition.EMPTY : ZoneCondition.CLOSED);
                case FINISH_ZONE -> {
                    set(z, ZoneCondition.FULL);
                    wp[z] = (z + 1) * ZONE;
                }
                case RESET_WRITE_POINTER -> {
                    set(z, ZoneCondition.EMPTY);
                    wp[z] = z * ZONE;
                }
            }
        }

        boolean matches(ReportingOption o, ZoneCondition c) {
            return switch (o) {
                case ALL, ALL_EXCEPT_GAP -> true;
                case EMPTY -> c == ZoneCondition.EMPTY;
                case IMPLICITLY_OPENED -> c == ZoneCondition.IMPLICITLY_OPENED;
                case EXPLICITLY_OPENED -> c == ZoneCondition.EXPLICITLY_OPENED;
                case CLOSED -> c == ZoneCondition.CLOSED;
                case FULL -> c == ZoneCondition.FULL;
                default -> false;
            };
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void scsiZoneCommandsMatchTheZbcTable(long seed) {
        Random r = new Random(seed);
        Table t = new Table();
        for (int step = 0; step < STEPS; step++) {
            int z = r.nextInt(ZONES);
            int kind = r.nextInt(10);
            String op;
            AdditionalSense expected;
            Result result;
            if (kind < 5) { // writes: mostly at the write pointer
                long lba = switch (r.nextInt(6)) {
                    case 0 -> z * ZONE + r.nextInt((int) ZONE);
                    case 1 -> t.wp[z] + 1;
                    default -> Math.min(t.wp[z], ZONE * ZONES - 1);
                };
                int n = 1 + r.nextInt(r.nextBoolean() ? 4 : (int) ZONE);
                op = "WRITE " + lba + "+" + n;
                expected = t.write(lba, n);
                result = write(ZBC, new ReadWriteCdb(OperationCode.WRITE_16, lba, n, 0, false, r.nextInt(8) == 0)
                        .encode(), random(seed + step, n * BS));
            } else if (kind < 9) {
                ZbcOut a = ZbcOut.values()[r.nextInt(ZbcOut.values().length)];
                boolean all = r.nextInt(6) == 0;
                long id = r.nextInt(10) == 0 ? r.nextLong(ZONE * ZONES + 2) : z * ZONE;
                op = a + (all ? " ALL" : " " + id);
                expected = t.action(a, id, all);
                result = run(ZBC, new ZbcOutCdb(a, id, 0, all).encode());
            } else { // a random report against the table
                ReportingOption o = ReportingOption.values()[r.nextInt(ReportingOption.values().length)];
                boolean partial = r.nextBoolean();
                int room = r.nextInt(ZONES + 1);
                long start = z * ZONE + r.nextInt((int) ZONE);
                op = "REPORT ZONES " + o + " from " + start + (partial ? " partial" : "") + " room " + room;
                ReportZonesData d = report(start, o, partial, 64 + room * 64L);
                List<ZoneDescriptor> want = new ArrayList<>();
                for (int i = z; i < ZONES; i++) {
                    if (t.matches(o, t.st[i])) {
                        want.add(new ZoneDescriptor(ReportZonesData.ZoneType.SEQUENTIAL_WRITE_REQUIRED, t.st[i], false,
                                false, ZONE, i * ZONE, t.wp[i]));
                    }
                }
                String at = "seed " + seed + " step " + step + " " + op;
                assertThat(d.zones()).as(at).isEqualTo(want.subList(0, Math.min(room, want.size())));
                assertThat(d.zoneListLength()).as(at).isEqualTo(64L * (partial ? Math.min(room, want.size())
                        : want.size()));
                continue;
            }
            String at = "seed " + seed + " step " + step + " " + op;
            if (expected == null) {
                assertThat(result.status()).as("%s (sense %s)", at, result.senseBytes().length == 0 ? "none"
                        : result.sense()).isEqualTo(ScsiStatus.GOOD);
            } else {
                assertThat(result.status()).as(at).isEqualTo(ScsiStatus.CHECK_CONDITION);
                assertThat(result.sense().key()).as(at).isEqualTo(expected.key());
                assertThat(result.sense().asc() << 8 | result.sense().ascq()).as("%s: %s", at, result.sense())
                        .isEqualTo(expected.code());
            }
            List<ZoneDescriptor> zonesNow = report(0, ReportingOption.ALL, false, 64 + ZONES * 64L).zones();
            for (int i = 0; i < ZONES; i++) {
                assertThat(zonesNow.get(i).condition()).as("%s: zone %d", at, i).isEqualTo(t.st[i]);
                assertThat(zonesNow.get(i).writePointer()).as("%s: zone %d write pointer", at, i).isEqualTo(t.wp[i]);
            }
        }
    }
}
