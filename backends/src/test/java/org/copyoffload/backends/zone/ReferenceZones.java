package org.copyoffload.backends.zone;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.copyoffload.backends.zone.ZoneState.*;

/**
 * A deliberately simple, table-driven reference for the ZNS zone rules, independent of {@link ZoneModel}: counts
 * are recomputed by scanning, transitions come from tables.
 */
final class ReferenceZones {
    enum Action { OPEN, CLOSE, FINISH, RESET, OFFLINE }

    /** Source states each action accepts on a single zone (no-op sources included). */
    static final Map<Action, Set<ZoneState>> SINGLE = Map.of(
            Action.OPEN, EnumSet.of(EMPTY, IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED),
            Action.CLOSE, EnumSet.of(IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED),
            Action.FINISH, EnumSet.of(EMPTY, IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED, FULL),
            Action.RESET, EnumSet.of(EMPTY, IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED, FULL),
            Action.OFFLINE, EnumSet.of(READ_ONLY, OFFLINE));

    /** Source states a Select All action applies to. */
    static final Map<Action, Set<ZoneState>> ALL = Map.of(
            Action.OPEN, EnumSet.of(CLOSED),
            Action.CLOSE, EnumSet.of(IMPLICITLY_OPENED, EXPLICITLY_OPENED),
            Action.FINISH, EnumSet.of(IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED),
            Action.RESET, EnumSet.of(IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED, FULL),
            Action.OFFLINE, EnumSet.of(READ_ONLY));

    final long zsze;
    final long zcap;
    final int count;
    final long mar;
    final long mor;
    final ZoneState[] st;
    final long[] wp;
    final List<Integer> implicitOrder = new ArrayList<>();
    /** Per zone: where the committed write pointer restarts (zone start, or the capacity after finish). */
    final long[] base;
    /** Per zone: blocks whose write completed. */
    final boolean[][] done;
    /** Per zone: bumped on reset and finish. */
    final long[] gen;

    ReferenceZones(long zsze, long zcap, int count, long mar, long mor) {
        base = new long[count];
        done = new boolean[count][(int) zsze];
        gen = new long[count];
        this.zsze = zsze;
        this.zcap = zcap;
        this.count = count;
        this.mar = mar;
        this.mor = mor;
        st = new ZoneState[count];
        wp = new long[count];
        for (int i = 0; i < count; i++) {
            st[i] = EMPTY;
            wp[i] = i * zsze;
            base[i] = wp[i];
        }
    }

    long committed(int z) {
        long c = base[z];
        while (c < z * zsze + zsze && done[z][(int) (c - z * zsze)]) {
            c++;
        }
        return c;
    }

    void complete(int z, long lba, long n) {
        for (long b = lba; b < lba + n; b++) {
            done[z][(int) (b - z * zsze)] = true;
        }
    }

    Zone persist(int z) {
        long c = committed(z);
        long start = z * zsze;
        if (c == wp[z]) {
            return new Zone(z, st[z], start, zcap, c);
        }
        ZoneState s = st[z] == READ_ONLY || st[z] == OFFLINE ? st[z] : c == start ? EMPTY : CLOSED;
        return new Zone(z, s, start, zcap, c);
    }

    private void restart(int z) {
        base[z] = wp[z];
        done[z] = new boolean[(int) zsze];
        gen[z]++;
    }

    long openCount() {
        long n = 0;
        for (ZoneState s : st) {
            if (s == IMPLICITLY_OPENED || s == EXPLICITLY_OPENED) {
                n++;
            }
        }
        return n;
    }

    long activeCount() {
        long n = 0;
        for (ZoneState s : st) {
            if (s == IMPLICITLY_OPENED || s == EXPLICITLY_OPENED || s == CLOSED) {
                n++;
            }
        }
        return n;
    }

    private void set(int z, ZoneState s) {
        implicitOrder.remove(Integer.valueOf(z));
        if (s == IMPLICITLY_OPENED) {
            implicitOrder.add(z);
        }
        st[z] = s;
    }

    /** The error of making zone z (Empty or Closed) open, else null after freeing an open resource if needed. */
    private ZoneError makeRoom(int z) {
        if (st[z] == EMPTY && activeCount() >= mar) {
            return ZoneError.TOO_MANY_ACTIVE_ZONES;
        }
        if (openCount() >= mor) {
            if (implicitOrder.isEmpty()) {
                return ZoneError.TOO_MANY_OPEN_ZONES;
            }
            set(implicitOrder.get(0), CLOSED);
        }
        return null;
    }

    /** Result of a write or append: an error, or the LBA. */
    record Result(ZoneError error, long lba) {
    }

    Result write(long slba, long n, boolean append) {
        if (slba < 0 || slba + n > count * zsze) {
            return new Result(ZoneError.LBA_OUT_OF_RANGE, -1);
        }
        if (append && slba % zsze != 0) {
            return new Result(ZoneError.INVALID_FIELD, -1);
        }
        int z = (int) (slba / zsze);
        switch (st[z]) {
            case FULL: return new Result(ZoneError.ZONE_IS_FULL, -1);
            case READ_ONLY: return new Result(ZoneError.ZONE_IS_READ_ONLY, -1);
            case OFFLINE: return new Result(ZoneError.ZONE_IS_OFFLINE, -1);
            default: break;
        }
        long at = append ? wp[z] : slba;
        if (at != wp[z]) {
            return new Result(ZoneError.ZONE_INVALID_WRITE, -1);
        }
        if (at + n > z * zsze + zcap) {
            return new Result(ZoneError.ZONE_BOUNDARY_ERROR, -1);
        }
        if (st[z] == EMPTY || st[z] == CLOSED) {
            ZoneError e = makeRoom(z);
            if (e != null) {
                return new Result(e, -1);
            }
            set(z, IMPLICITLY_OPENED);
        }
        wp[z] = at + n;
        if (wp[z] == z * zsze + zcap) {
            set(z, FULL);
        }
        return new Result(null, at);
    }

    /**
     * An action with the rules of {@code rules} (ZoneCommandSet): ZBC closes an unwritten zone to Empty, takes OPEN
     * of a Full zone and CLOSE of an Empty or Full one as no change, and refuses a Read Only or Offline zone with its
     * own error; NVMe refuses all of those with Invalid Zone State Transition.
     */
    ZoneError action(Action a, long slba, boolean all, ZoneCommandSet rules) {
        boolean zbc = rules == ZoneCommandSet.ZBC;
        if (all) {
            Set<ZoneState> from = ALL.get(a);
            if (a == Action.OPEN) {
                long closed = 0;
                for (ZoneState s : st) {
                    if (s == CLOSED) {
                        closed++;
                    }
                }
                if (openCount() + closed > mor) {
                    return ZoneError.TOO_MANY_OPEN_ZONES;
                }
            }
            for (int z = 0; z < count; z++) {
                if (from.contains(st[z])) {
                    apply(a, z, zbc);
                }
            }
            return null;
        }
        if (slba < 0 || slba >= count * zsze) {
            return ZoneError.LBA_OUT_OF_RANGE;
        }
        if (slba % zsze != 0) {
            return ZoneError.INVALID_FIELD;
        }
        int z = (int) (slba / zsze);
        if (zbc && a != Action.OFFLINE && st[z] == READ_ONLY) {
            return ZoneError.ZONE_IS_READ_ONLY;
        }
        if (zbc && a != Action.OFFLINE && st[z] == OFFLINE) {
            return ZoneError.ZONE_IS_OFFLINE;
        }
        if (zbc && ((a == Action.OPEN && st[z] == FULL) || (a == Action.CLOSE && (st[z] == EMPTY || st[z] == FULL)))) {
            return null; // no change
        }
        if (!SINGLE.get(a).contains(st[z])) {
            return ZoneError.INVALID_ZONE_STATE_TRANSITION;
        }
        if (a == Action.OPEN && (st[z] == EMPTY || st[z] == CLOSED)) {
            ZoneError e = makeRoom(z);
            if (e != null) {
                return e;
            }
        }
        apply(a, z, zbc);
        return null;
    }

    private void apply(Action a, int z, boolean zbc) {
        long start = z * zsze;
        switch (a) {
            case OPEN -> set(z, EXPLICITLY_OPENED);
            case CLOSE -> {
                if (st[z] != CLOSED) {
                    set(z, zbc && wp[z] == start ? EMPTY : CLOSED);
                }
            }
            case FINISH -> {
                if (st[z] != FULL) {
                    set(z, FULL);
                    wp[z] = start + zcap;
                    restart(z);
                }
            }
            case RESET -> {
                if (st[z] != EMPTY) {
                    set(z, EMPTY);
                    wp[z] = start;
                    restart(z);
                }
            }
            case OFFLINE -> set(z, OFFLINE);
        }
    }

    void setReadOnly(int z) {
        if (st[z] != OFFLINE) {
            set(z, READ_ONLY);
        }
    }
}
