package org.copyoffload.backends.zone;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.backends.zone.ReferenceZones.Action;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Random operation sequences against {@link ReferenceZones}; each case is reproducible from its seed. */
class ZoneModelProperties {
    private static final int CASES = 300;
    private static final int STEPS = 300;

    static LongStream seeds() {
        return LongStream.range(0, CASES).map(i -> 0x2011E_0000L + i);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void modelMatchesReference(long seed) throws Exception {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L);
        int count = 1 + r.nextInt(6);
        long zsze = 1L << (1 + r.nextInt(4));
        long zcap = 1 + r.nextInt((int) zsze);
        long maxActive = r.nextInt(4) == 0 ? ZoneLimits.UNLIMITED : 1 + r.nextInt(count + 1);
        long maxOpen = r.nextInt(4) == 0 ? maxActive : 1 + r.nextInt((int) Math.min(maxActive, count + 1));
        ZoneGeometry g = new ZoneGeometry(512, zsze, zcap, count);
        ZoneModel model = new ZoneModel(g, new ZoneLimits(maxActive, maxOpen));
        ReferenceZones ref = new ReferenceZones(zsze, zcap, count, maxActive, maxOpen);
        String where = "seed " + seed + " (" + g + ", active " + maxActive + ", open " + maxOpen + ")";
        record InFlight(ZoneModel.WriteReservation reservation, long refGen) {
        }
        List<InFlight> inFlight = new ArrayList<>();

        for (int step = 0; step < STEPS; step++) {
            List<Zone> before = model.zones();
            int z = r.nextInt(count);
            long zoneStart = z * zsze;
            int kind = r.nextInt(24);
            String op;
            ZoneError expected;
            ZoneError actual = null;
            List<ZoneChange> changes = List.of();
            if (kind >= 20) { // complete a write in flight, in any order
                if (inFlight.isEmpty()) {
                    continue;
                }
                InFlight f = inFlight.remove(r.nextInt(inFlight.size()));
                ZoneModel.WriteReservation w = f.reservation();
                op = "complete " + w.lba() + "+" + w.blocks();
                String at = where + " step " + step + " " + op;
                long committedBefore = ref.committed(w.zone());
                boolean current = f.refGen() == ref.gen[w.zone()];
                if (current) {
                    ref.complete(w.zone(), w.lba(), w.blocks());
                }
                var got = model.completeWrite(w);
                if (current && ref.committed(w.zone()) != committedBefore) {
                    assertThat(got).as("%s: snapshot to persist", at).contains(ref.persist(w.zone()));
                } else {
                    assertThat(got).as("%s: nothing to persist", at).isEmpty();
                }
                for (int i = 0; i < count; i++) {
                    assertThat(model.committedWritePointer(i)).as("%s: zone %d committed", at, i)
                            .isEqualTo(ref.committed(i));
                }
                continue;
            }
            if (kind < 8) { // write or append
                boolean append = kind >= 5;
                long slba = switch (r.nextInt(6)) {
                    case 0 -> r.nextLong(-1, count * zsze + 2);
                    case 1 -> zoneStart;
                    default -> append ? zoneStart : model.zone(z).writePointer();
                };
                long n = r.nextInt(5) == 0 ? 1 + r.nextInt((int) zsze + 1) : 1 + r.nextInt((int) Math.max(1, zcap / 2));
                op = (append ? "append " : "write ") + slba + "+" + n;
                ReferenceZones.Result want = ref.write(slba, n, append);
                expected = want.error();
                try {
                    ZoneModel.WriteReservation got = append ? model.reserveAppend(slba, n) : model.reserveWrite(slba, n);
                    changes = got.changes();
                    inFlight.add(new InFlight(got, ref.gen[got.zone()]));
                    assertThat(got.lba()).as("%s step %d %s: LBA", where, step, op).isEqualTo(want.lba());
                    assertThat(got.blocks()).isEqualTo(n);
                } catch (ZoneException e) {
                    actual = e.error();
                }
            } else if (kind == 8) {
                op = "setReadOnly " + z;
                expected = null;
                ref.setReadOnly(z);
                changes = model.setReadOnly(z);
            } else {
                Action a = Action.values()[r.nextInt(Action.values().length)];
                boolean all = r.nextInt(5) == 0;
                long slba = r.nextInt(8) == 0 ? r.nextLong(-1, count * zsze + 2) : zoneStart;
                // NVMe and ZBC rules interleaved on one model: one volume exported both ways at once
                ZoneCommandSet rules = a == Action.OFFLINE || r.nextBoolean() ? ZoneCommandSet.NVME : ZoneCommandSet.ZBC;
                op = rules + " " + a + (all ? " all" : " " + slba);
                expected = ref.action(a, slba, all, rules);
                try {
                    changes = switch (a) {
                        case OPEN -> model.open(slba, all, rules);
                        case CLOSE -> model.close(slba, all, rules);
                        case FINISH -> model.finish(slba, all, rules);
                        case RESET -> model.reset(slba, all, rules);
                        case OFFLINE -> model.offline(slba, all);
                    };
                } catch (ZoneException e) {
                    actual = e.error();
                }
            }
            String at = where + " step " + step + " " + op;
            assertThat(actual).as("%s: error", at).isEqualTo(expected);
            List<Zone> after = model.zones();
            for (int i = 0; i < count; i++) {
                Zone zone = after.get(i);
                assertThat(zone.state()).as("%s: zone %d state", at, i).isEqualTo(ref.st[i]);
                assertThat(zone.writePointer()).as("%s: zone %d write pointer", at, i).isEqualTo(ref.wp[i]);
            }
            assertThat((long) model.openCount()).as("%s: open count", at).isEqualTo(ref.openCount());
            assertThat((long) model.activeCount()).as("%s: active count", at).isEqualTo(ref.activeCount());
            assertThat(ref.openCount()).as("%s: open within limit", at).isLessThanOrEqualTo(maxOpen);
            assertThat(ref.activeCount()).as("%s: active within limit", at).isLessThanOrEqualTo(maxActive);
            for (ZoneChange c : changes) {
                assertThat(c.persist()).as("%s: persist snapshot of zone %d", at, c.after().index())
                        .isEqualTo(ref.persist(c.after().index()));
            }
            // the reported changes are exactly the zones that changed, with their final snapshots
            Map<Integer, Zone> last = new HashMap<>();
            for (ZoneChange c : changes) {
                last.put(c.after().index(), c.after());
            }
            for (int i = 0; i < count; i++) {
                if (!before.get(i).equals(after.get(i))) {
                    assertThat(last.get(i)).as("%s: change reported for zone %d", at, i).isEqualTo(after.get(i));
                } else {
                    assertThat(last).as("%s: no change reported for unchanged zone %d", at, i).doesNotContainKey(i);
                }
            }
        }
    }
}
