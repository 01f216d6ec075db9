package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReserveReleaseCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random sequences of PERSISTENT RESERVE OUT service actions, RESERVE / RELEASE (6), nexus losses, READs and
 * WRITEs from three I_T nexuses against a reference model written from SPC-4 5.13's text (and 5.13.3 for the SPC-2
 * interplay), one rule per branch: every command's status (and sense), READ KEYS and READ RESERVATION (asked by a
 * fourth nexus that never registers) after each step, the unit attentions each nexus has pending before it sends its
 * next command, and the nexuses PREEMPT AND ABORT aborts.
 */
class PersistentReservationModelProperties extends ReservationTestSupport {
    private static final ItNexus D = new ItNexus("iqn.2026-01.org.example:observer", 0x23D000000004L, TARGET, 1, 1);
    private static final List<ItNexus> NEXUSES = List.of(A, B, C);
    /** Few keys, so that nexuses share them and PREEMPT by key hits several. */
    private static final long[] KEYS = {0, 1, 2, 3};

    static Stream<Long> seeds() {
        return IntStream.range(0, 32).mapToObj(i -> 0x5EED_0000L + i);
    }

    /** What a command should end in. */
    record Expect(ScsiStatus status, AdditionalSense sense) {
        static final Expect GOOD = new Expect(ScsiStatus.GOOD, null);
        static final Expect CONFLICT = new Expect(ScsiStatus.RESERVATION_CONFLICT, null);

        static Expect check(AdditionalSense sense) {
            return new Expect(ScsiStatus.CHECK_CONDITION, sense);
        }
    }

    /** The reference model. */
    static final class Model {
        final Map<ItNexus, Long> keys = new LinkedHashMap<>(); // registration order
        ItNexus spc2; // the RESERVE (6) holder, or null
        PersistentReservationType type; // null: no reservation
        ItNexus holder; // null for the all registrants types
        int generation;
        final Map<ItNexus, List<AdditionalSense>> attentions = new LinkedHashMap<>();
        List<ItNexus> aborted = new ArrayList<>();

        boolean registered(ItNexus n) {
            return keys.containsKey(n);
        }

        boolean isHolder(ItNexus n) {
            return type != null && (type.allRegistrants() ? registered(n) : n.equals(holder));
        }

        void tell(List<ItNexus> who, AdditionalSense sense) {
            for (ItNexus n : who) {
                List<AdditionalSense> q = attentions.computeIfAbsent(n, x -> new ArrayList<>());
                if (!q.contains(sense)) {
                    q.add(sense);
                }
            }
        }

        List<ItNexus> othersRegistered(ItNexus n) {
            return keys.keySet().stream().filter(x -> !x.equals(n)).toList();
        }

        boolean keyOk(ItNexus n, long rk) {
            return registered(n) && keys.get(n) == rk;
        }

        Expect access(ItNexus n, boolean write) {
            if (spc2 != null) {
                return spc2.equals(n) ? Expect.GOOD : Expect.CONFLICT; // SPC-2: only the holder
            }
            if (type == null) {
                return Expect.GOOD;
            }
            boolean like = type.registrantsHaveAccess() ? registered(n) : n.equals(holder);
            if (like || !write && !type.exclusiveAccess()) {
                return Expect.GOOD;
            }
            return Expect.CONFLICT;
        }

        /** SPC-4 5.13.3: PERSISTENT RESERVE OUT conflicts for everyone while an SPC-2 reservation is held. */
        boolean spc2Blocks() {
            return spc2 != null;
        }

        Expect reserve6(ItNexus n) {
            if (!keys.isEmpty() || spc2 != null && !spc2.equals(n)) {
                return Expect.CONFLICT;
            }
            spc2 = n;
            return Expect.GOOD;
        }

        Expect release6(ItNexus n) {
            if (!keys.isEmpty()) {
                return Expect.CONFLICT;
            }
            if (n.equals(spc2)) {
                spc2 = null;
            }
            return Expect.GOOD;
        }

        /** Logout, connection loss, reinstatement: the SPC-2 reservation and pending conditions go, keys stay. */
        void nexusLost(ItNexus n) {
            if (n.equals(spc2)) {
                spc2 = null;
            }
            attentions.remove(n);
        }

        Expect register(ItNexus n, long rk, long sark, boolean ignore) {
            if (!registered(n)) {
                if (!ignore && rk != 0) {
                    return Expect.CONFLICT;
                }
                if (sark != 0) {
                    keys.put(n, sark);
                    generation++;
                }
                return Expect.GOOD;
            }
            if (!ignore && keys.get(n) != rk) {
                return Expect.CONFLICT;
            }
            generation++;
            if (sark != 0) {
                keys.put(n, sark);
                return Expect.GOOD;
            }
            keys.remove(n);
            if (type != null && type.allRegistrants() && keys.isEmpty()) {
                type = null;
            } else if (type != null && !type.allRegistrants() && n.equals(holder)) {
                if (type.registrantsHaveAccess()) {
                    tell(List.copyOf(keys.keySet()), AdditionalSense.RESERVATIONS_RELEASED);
                }
                type = null;
                holder = null;
            }
            return Expect.GOOD;
        }

        Expect reserve(ItNexus n, long rk, PersistentReservationType t) {
            if (!keyOk(n, rk)) {
                return Expect.CONFLICT;
            }
            if (type != null) {
                return isHolder(n) && type == t ? Expect.GOOD : Expect.CONFLICT;
            }
            type = t;
            holder = t.allRegistrants() ? null : n;
            return Expect.GOOD;
        }

        Expect release(ItNexus n, long rk, PersistentReservationType t) {
            if (!keyOk(n, rk)) {
                return Expect.CONFLICT;
            }
            if (!isHolder(n)) {
                return Expect.GOOD;
            }
            if (t != type) {
                return Expect.check(AdditionalSense.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
            }
            if (type.registrantsHaveAccess()) {
                tell(othersRegistered(n), AdditionalSense.RESERVATIONS_RELEASED);
            }
            type = null;
            holder = null;
            return Expect.GOOD;
        }

        Expect clear(ItNexus n, long rk) {
            if (!keyOk(n, rk)) {
                return Expect.CONFLICT;
            }
            tell(othersRegistered(n), AdditionalSense.RESERVATIONS_PREEMPTED);
            keys.clear();
            type = null;
            holder = null;
            generation++;
            return Expect.GOOD;
        }

        Expect preempt(ItNexus n, long rk, long sark, PersistentReservationType t, boolean abort) {
            aborted = new ArrayList<>();
            if (!keyOk(n, rk)) {
                return Expect.CONFLICT;
            }
            boolean allRegistrants = type != null && type.allRegistrants();
            if (sark == 0 && !allRegistrants) {
                return Expect.check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST);
            }
            boolean takeover = allRegistrants ? sark == 0 : type != null && keys.get(holder) == sark;
            if (!takeover && !keys.containsValue(sark)) {
                return Expect.CONFLICT;
            }
            List<ItNexus> victims = new ArrayList<>();
            for (ItNexus x : List.copyOf(keys.keySet())) {
                if (!x.equals(n) && (sark == 0 || keys.get(x) == sark)) {
                    victims.add(x);
                    keys.remove(x);
                }
            }
            tell(victims, AdditionalSense.REGISTRATIONS_PREEMPTED);
            if (takeover) {
                PersistentReservationType old = type;
                type = t;
                holder = t.allRegistrants() ? null : n;
                if (old != t) {
                    tell(othersRegistered(n), AdditionalSense.RESERVATIONS_RELEASED);
                }
            }
            generation++;
            if (abort) {
                aborted = victims;
            }
            return Expect.GOOD;
        }
    }

    private void assertSame(Result r, Expect e, String step) {
        assertThat(r.status()).as("status of %s", step).isEqualTo(e.status());
        if (e.sense() != null) {
            r.check(e.sense());
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void randomSequencesMatchTheModel(long seed) {
        Random random = new Random(seed);
        Model model = new Model();
        List<ItNexus> aborted = new ArrayList<>();
        target.taskAborter((nexus, lun) -> {
            aborted.add(nexus);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        });
        PersistentReservationType[] types = PersistentReservationType.values();
        for (int step = 0; step < 100; step++) {
            ItNexus n = NEXUSES.get(random.nextInt(NEXUSES.size()));
            // The nexus's pending unit attentions are what the model says; its next command would report one, so
            // both sides drop them here.
            assertThat(target.unit(LUN_4K).pendingUnitAttentions(n)).as("unit attentions of %s before step %d",
                    n.initiatorName(), step).isEqualTo(model.attentions.getOrDefault(n, List.of()));
            model.attentions.remove(n);
            while (target.unit(LUN_4K).takeUnitAttention(n).isPresent()) {
                // drained
            }
            // The right key most of the time, a wrong one sometimes.
            long own = model.keys.getOrDefault(n, 0L);
            long rk = random.nextInt(5) == 0 ? KEYS[random.nextInt(KEYS.length)] : own;
            long sark = KEYS[random.nextInt(KEYS.length)];
            PersistentReservationType t = types[random.nextInt(types.length)];
            int op = random.nextInt(13);
            String what;
            Expect expect;
            Result result;
            aborted.clear();
            model.aborted = new ArrayList<>();
            switch (op) {
                case 0, 1 -> {
                    boolean ignore = op == 1;
                    what = (ignore ? "REGISTER AND IGNORE" : "REGISTER") + " rk=" + rk + " sark=" + sark;
                    expect = model.spc2Blocks() ? Expect.CONFLICT : model.register(n, rk, sark, ignore);
                    result = prOut(n, ignore ? ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY : ServiceAction.REGISTER,
                            null, rk, sark);
                }
                case 2, 3 -> {
                    what = "RESERVE " + t + " rk=" + rk;
                    expect = model.spc2Blocks() ? Expect.CONFLICT : model.reserve(n, rk, t);
                    result = prOut(n, ServiceAction.RESERVE, t, rk, 0);
                }
                case 4 -> {
                    PersistentReservationType rt = model.type != null && random.nextInt(4) != 0 ? model.type : t;
                    what = "RELEASE " + rt + " rk=" + rk;
                    expect = model.spc2Blocks() ? Expect.CONFLICT : model.release(n, rk, rt);
                    result = prOut(n, ServiceAction.RELEASE, rt, rk, 0);
                }
                case 5 -> {
                    if (random.nextInt(3) != 0) {
                        continue; // CLEAR ends everything: keep it rarer
                    }
                    what = "CLEAR rk=" + rk;
                    expect = model.spc2Blocks() ? Expect.CONFLICT : model.clear(n, rk);
                    result = prOut(n, ServiceAction.CLEAR, null, rk, 0);
                }
                case 6 -> {
                    boolean abort = random.nextBoolean();
                    long target = model.type != null && model.holder != null && random.nextBoolean()
                            ? model.keys.get(model.holder) : sark;
                    what = (abort ? "PREEMPT AND ABORT " : "PREEMPT ") + t + " rk=" + rk + " sark=" + target;
                    expect = model.spc2Blocks() ? Expect.CONFLICT : model.preempt(n, rk, target, t, abort);
                    result = prOut(n, abort ? ServiceAction.PREEMPT_AND_ABORT : ServiceAction.PREEMPT, t, rk, target);
                }
                case 7, 8 -> {
                    what = "READ (10)";
                    expect = model.access(n, false);
                    result = run(n, LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 2, 1, 0, false, false).encode());
                }
                case 10 -> {
                    what = "RESERVE (6)";
                    expect = model.reserve6(n);
                    result = run(n, LUN_4K, new ReserveReleaseCdb(OperationCode.RESERVE_6).encode());
                }
                case 11 -> {
                    what = "RELEASE (6)";
                    expect = model.spc2 != null && !model.spc2.equals(n) ? Expect.GOOD : model.release6(n);
                    result = run(n, LUN_4K, new ReserveReleaseCdb(OperationCode.RELEASE_6).encode());
                }
                case 12 -> {
                    model.nexusLost(n);
                    target.nexusLost(n);
                    continue;
                }
                default -> {
                    what = "WRITE (10)";
                    expect = model.access(n, true);
                    result = write(n, LUN_4K, new ReadWriteCdb(OperationCode.WRITE_10, 2, 1, 0, false, false).encode(),
                            new byte[4096]);
                }
            }
            String label = "seed " + seed + " step " + step + ": " + n.initiatorName() + " " + what;
            assertSame(result, expect, label);
            assertThat(aborted).as("aborted by %s", label).containsExactlyInAnyOrderElementsOf(model.aborted);
            if (model.spc2 != null) {
                assertThat(run(D, LUN_4K, new org.copyoffload.protocol.scsi.PersistentReserveInCdb(
                        org.copyoffload.protocol.scsi.PersistentReserveInCdb.ServiceAction.READ_KEYS, 8).encode())
                        .status()).as("READ KEYS under RESERVE (6) after %s", label)
                        .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
                continue;
            }
            assertThat(readKeys(D)).as("READ KEYS after %s", label)
                    .isEqualTo(new PersistentReserveInData.ReadKeys(model.generation, List.copyOf(model.keys.values())));
            Optional<PersistentReserveInData.Reservation> reservation = model.type == null ? Optional.empty()
                    : Optional.of(new PersistentReserveInData.Reservation(
                            model.holder == null ? 0 : model.keys.get(model.holder), model.type));
            assertThat(readReservation(D)).as("READ RESERVATION after %s", label)
                    .isEqualTo(new PersistentReserveInData.ReadReservation(model.generation, reservation));
        }
    }
}
