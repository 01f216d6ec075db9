package org.copyoffload.server.zns;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately simple reference for a zoned namespace as the host sees it (ideas from the backends module's
 * ReferenceZones, without its committed-write tracking): states and write pointers from tables and scans, and the
 * content of every block as one fill byte (0 = never written or reset).
 */
final class ReferenceZns {
    static final int EMPTY = 0x1;
    static final int IOPEN = 0x2;
    static final int EOPEN = 0x3;
    static final int CLOSED = 0x4;
    static final int READ_ONLY = 0xD;
    static final int FULL = 0xE;
    static final int OFFLINE = 0xF;

    /** The statuses (as names of org.copyoffload.protocol.nvme.StatusCode), null for success. */
    static final String BOUNDARY = "ZONE_BOUNDARY_ERROR";
    static final String IS_FULL = "ZONE_IS_FULL";
    static final String IS_READ_ONLY = "ZONE_IS_READ_ONLY";
    static final String IS_OFFLINE = "ZONE_IS_OFFLINE";
    static final String INVALID_WRITE = "ZONE_INVALID_WRITE";
    static final String TOO_MANY_ACTIVE = "TOO_MANY_ACTIVE_ZONES";
    static final String TOO_MANY_OPEN = "TOO_MANY_OPEN_ZONES";
    static final String TRANSITION = "INVALID_ZONE_STATE_TRANSITION";
    static final String INVALID_FIELD = "INVALID_FIELD_IN_COMMAND";

    final long zsze;
    final long zcap;
    final int count;
    final int mar;
    final int mor;
    final int[] st;
    final long[] wp;
    final byte[] blocks;
    final List<Integer> implicitOrder = new ArrayList<>();

    ReferenceZns(long zsze, long zcap, int count, int mar, int mor) {
        this.zsze = zsze;
        this.zcap = zcap;
        this.count = count;
        this.mar = mar;
        this.mor = mor;
        st = new int[count];
        wp = new long[count];
        blocks = new byte[(int) (zsze * count)];
        for (int z = 0; z < count; z++) {
            st[z] = EMPTY;
            wp[z] = z * zsze;
        }
    }

    private int countOf(int... states) {
        int n = 0;
        for (int s : st) {
            for (int x : states) {
                if (s == x) {
                    n++;
                }
            }
        }
        return n;
    }

    private void set(int z, int s) {
        implicitOrder.remove(Integer.valueOf(z));
        if (s == IOPEN) {
            implicitOrder.add(z);
        }
        st[z] = s;
    }

    private String makeRoom(int z) {
        if (st[z] == EMPTY && countOf(IOPEN, EOPEN, CLOSED) >= mar) {
            return TOO_MANY_ACTIVE;
        }
        if (countOf(IOPEN, EOPEN) >= mor) {
            if (implicitOrder.isEmpty()) {
                return TOO_MANY_OPEN;
            }
            set(implicitOrder.get(0), CLOSED);
        }
        return null;
    }

    record Result(String error, long lba) {
    }

    /** A Write at {@code slba} or a Zone Append to the zone starting at {@code slba}, each block filled with fill. */
    Result write(long slba, int n, boolean append, byte fill) {
        if (append && slba % zsze != 0) {
            return new Result(INVALID_FIELD, -1);
        }
        int z = (int) (slba / zsze);
        switch (st[z]) {
            case FULL: return new Result(IS_FULL, -1);
            case READ_ONLY: return new Result(IS_READ_ONLY, -1);
            case OFFLINE: return new Result(IS_OFFLINE, -1);
            default: break;
        }
        long at = append ? wp[z] : slba;
        if (at != wp[z]) {
            return new Result(INVALID_WRITE, -1);
        }
        if (at + n > z * zsze + zcap) {
            return new Result(BOUNDARY, -1);
        }
        if (st[z] == EMPTY || st[z] == CLOSED) {
            String e = makeRoom(z);
            if (e != null) {
                return new Result(e, -1);
            }
            set(z, IOPEN);
        }
        Arrays.fill(blocks, (int) at, (int) (at + n), fill);
        wp[z] = at + n;
        if (wp[z] == z * zsze + zcap) {
            set(z, FULL);
        }
        return new Result(null, at);
    }

    String read(long slba, int n) {
        int z = (int) (slba / zsze);
        if ((slba + n - 1) / zsze != z) {
            return BOUNDARY;
        }
        return st[z] == OFFLINE ? IS_OFFLINE : null;
    }

    /** Zone Send Action 1h Close .. 5h Offline. */
    String action(int a, long slba, boolean all) {
        if (all) {
            if (a == 3 && countOf(IOPEN, EOPEN) + countOf(CLOSED) > mor) {
                return TOO_MANY_OPEN;
            }
            for (int z = 0; z < count; z++) {
                int s = st[z];
                boolean applies = switch (a) {
                    case 1 -> s == IOPEN || s == EOPEN;
                    case 2 -> s == IOPEN || s == EOPEN || s == CLOSED;
                    case 3 -> s == CLOSED;
                    case 4 -> s == IOPEN || s == EOPEN || s == CLOSED || s == FULL;
                    default -> s == READ_ONLY;
                };
                if (applies) {
                    apply(a, z);
                }
            }
            return null;
        }
        if (slba % zsze != 0) {
            return INVALID_FIELD;
        }
        int z = (int) (slba / zsze);
        int s = st[z];
        boolean ok = switch (a) {
            case 1 -> s == IOPEN || s == EOPEN || s == CLOSED;
            case 2, 4 -> s == EMPTY || s == IOPEN || s == EOPEN || s == CLOSED || s == FULL;
            case 3 -> s == EMPTY || s == IOPEN || s == EOPEN || s == CLOSED;
            default -> s == READ_ONLY || s == OFFLINE;
        };
        if (!ok) {
            return TRANSITION;
        }
        if (a == 3 && (s == EMPTY || s == CLOSED)) {
            String e = makeRoom(z);
            if (e != null) {
                return e;
            }
        }
        apply(a, z);
        return null;
    }

    private void apply(int a, int z) {
        long start = z * zsze;
        switch (a) {
            case 1 -> {
                set(z, CLOSED); // NVMe: Closed even with nothing written (no shortcut to Empty as in ZBC)
            }
            case 2 -> {
                set(z, FULL);
                wp[z] = start + zcap;
            }
            case 3 -> set(z, EOPEN);
            case 4 -> {
                set(z, EMPTY);
                Arrays.fill(blocks, (int) start, (int) wp[z], (byte) 0);
                wp[z] = start;
            }
            default -> set(z, OFFLINE);
        }
    }

    void setReadOnly(int z) {
        if (st[z] != OFFLINE) {
            set(z, READ_ONLY);
        }
    }

    /** A controller restart: opened zones come back Closed, or Empty when nothing was written. */
    void restart() {
        for (int z = 0; z < count; z++) {
            if (st[z] == IOPEN || st[z] == EOPEN || st[z] == CLOSED) {
                set(z, wp[z] == z * zsze ? EMPTY : CLOSED);
            }
        }
        implicitOrder.clear();
    }
}
