package org.copyoffload.server.scsi;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.server.scsi.ReservationState.Reservation;

/**
 * The reservations of one logical unit: persistent reservations (SPC-4 5.13) and the SPC-2 reservation of RESERVE /
 * RELEASE, with the rules of each PERSISTENT RESERVE OUT service action, the access checks every command passes
 * ({@link #check}), and persistence through restarts while APTPL is set.
 *
 * <p>Persistent registrations belong to I_T nexuses, not to sessions: losing a nexus (logout, connection loss,
 * session reinstatement) or a reset leaves them and the reservation alone (SPC-4 5.13.1), while an SPC-2 reservation
 * goes with the nexus that holds it and with any reset (SPC-2 5.5.1).
 *
 * <p>Thread-safe: checks read an immutable snapshot; changes are serialised, written to the state file (when
 * APTPL is set) and only then published, so a command that sees a change sees a durable one.
 */
final class PersistentReservations {
    /** Registrations a logical unit keeps; one more is INSUFFICIENT REGISTRATION RESOURCES (SPC-4 5.13.7). */
    static final int MAX_REGISTRATIONS = 1024;
    /** Commands another nexus may send while an SPC-2 reservation is held (SPC-2 5.5.1; LIO's list). */
    private static final Set<OperationCode> SPC2_ALLOWED = Set.of(OperationCode.INQUIRY, OperationCode.REPORT_LUNS,
            OperationCode.REQUEST_SENSE, OperationCode.RELEASE_6, OperationCode.RELEASE_10);

    /**
     * What a PERSISTENT RESERVE OUT changed besides the state: unit attentions to establish (in this order) and the
     * nexuses whose tasks PREEMPT AND ABORT aborts.
     */
    record Outcome(ReservationState next, List<Notice> attentions, Set<ItNexus> aborted) {
        static Outcome of(ReservationState next) {
            return new Outcome(next, List.of(), Set.of());
        }
    }

    /** A change to run: one service action with its operands. */
    @FunctionalInterface
    interface Change {
        Outcome run() throws IOException;
    }

    /** One unit attention condition for some nexuses. */
    record Notice(AdditionalSense sense, List<ItNexus> nexuses) {
    }

    private final Object lock = new Object();
    private final ReservationFile file; // null: nothing persists, APTPL is refused
    private volatile ReservationState state;
    private volatile ItNexus spc2Holder; // written under lock

    /**
     * @param file where the state persists while APTPL is set, or null when this unit cannot persist it
     * @throws IOException naming the file when it exists but cannot be read back as a reservation state
     */
    PersistentReservations(ReservationFile file) throws IOException {
        this.file = file;
        this.state = file == null ? ReservationState.EMPTY : file.load().orElse(ReservationState.EMPTY);
    }

    ReservationState state() {
        return state;
    }

    /** PTPL_C: APTPL can be honoured. */
    boolean canPersist() {
        return file != null;
    }

    // ---------------------------------------------------------------- access (SPC-4 5.13.1, SPC-2 5.5.1)

    /**
     * RESERVATION CONFLICT unless {@code nexus} may run a command with this operation code and access now. Under an
     * SPC-2 reservation only its holder may, save for INQUIRY, REPORT LUNS, REQUEST SENSE and RELEASE; and PERSISTENT
     * RESERVE IN / OUT conflict for everyone, the holder included (SPC-4 5.13.3). Under a persistent reservation a
     * nexus without the holder's access may read through the Write Exclusive types and do nothing else the table
     * restricts.
     */
    void check(ItNexus nexus, OperationCode opcode, ReservationAccess.Access access) {
        ItNexus spc2 = spc2Holder;
        if (spc2 != null) {
            if (opcode == OperationCode.PERSISTENT_RESERVE_IN || opcode == OperationCode.PERSISTENT_RESERVE_OUT) {
                throw new ReservationConflict(opcode + " while an SPC-2 reservation is held (SPC-4 5.13.3)");
            }
            if (!spc2.equals(nexus) && !SPC2_ALLOWED.contains(opcode)) {
                throw new ReservationConflict(opcode + ": the logical unit is reserved (RESERVE) by "
                        + spc2.initiatorPortName());
            }
        }
        ReservationState s = state;
        if (access == ReservationAccess.Access.ALWAYS || s.hasHolderAccess(nexus)) {
            return;
        }
        PersistentReservationType type = s.reservation().type();
        if (access == ReservationAccess.Access.WRITE || type.exclusiveAccess()) {
            throw new ReservationConflict(opcode + " (" + access + ") through a " + type + " reservation");
        }
    }

    // ---------------------------------------------------------------- SPC-2 RESERVE / RELEASE

    /** RESERVE (6)/(10): conflicts with any registration (SPC-4 5.13.3) and with another nexus's reservation. */
    void reserve(ItNexus nexus) {
        synchronized (lock) {
            if (!state.registrations().isEmpty()) {
                throw new ReservationConflict("RESERVE while persistent reservation keys are registered");
            }
            if (spc2Holder != null && !spc2Holder.equals(nexus)) {
                throw new ReservationConflict("RESERVE: already reserved by " + spc2Holder.initiatorPortName());
            }
            spc2Holder = nexus;
        }
    }

    /** RELEASE (6)/(10): releases the nexus's own reservation; from another nexus it does nothing (SPC-2 7.17). */
    void release(ItNexus nexus) {
        synchronized (lock) {
            if (!state.registrations().isEmpty()) {
                throw new ReservationConflict("RELEASE while persistent reservation keys are registered");
            }
            if (nexus.equals(spc2Holder)) {
                spc2Holder = null;
            }
        }
    }

    /** The nexus is gone: an SPC-2 reservation it held goes too; its registrations stay. */
    void nexusLost(ItNexus nexus) {
        synchronized (lock) {
            if (nexus.equals(spc2Holder)) {
                spc2Holder = null;
            }
        }
    }

    /** A logical unit or target reset releases the SPC-2 reservation (SPC-2 5.5.1); persistent ones stay. */
    void reset() {
        synchronized (lock) {
            spc2Holder = null;
        }
    }

    // ---------------------------------------------------------------- PERSISTENT RESERVE OUT (SPC-4 5.13.5-5.13.11)

    /**
     * REGISTER (SPC-4 5.13.5.2, 5.13.11.2.3) or, with {@code ignoreExisting}, REGISTER AND IGNORE EXISTING KEY: an
     * unregistered nexus registers SERVICE ACTION RESERVATION KEY (none for zero); a registered one changes its key,
     * or unregisters with zero. Without {@code ignoreExisting} the RESERVATION KEY must be the nexus's key (zero for
     * an unregistered nexus), else RESERVATION CONFLICT.
     */
    Outcome register(ItNexus nexus, long key, long serviceActionKey, boolean ignoreExisting, boolean aptpl)
            throws IOException {
        return apply(s -> {
            Long current = s.registrations().get(nexus);
            if (!ignoreExisting && key != (current == null ? 0 : current)) {
                throw new ReservationConflict("REGISTER with RESERVATION KEY " + hex(key) + ": the nexus's key is "
                        + (current == null ? "none" : hex(current)));
            }
            if (current == null && serviceActionKey == 0) {
                return Outcome.of(s); // SPC-4 5.13.5.2: nothing to register, GOOD
            }
            if (serviceActionKey == 0) {
                return unregister(s, nexus, aptpl);
            }
            LinkedHashMap<ItNexus, Long> regs = new LinkedHashMap<>(s.registrations());
            if (current == null && regs.size() >= MAX_REGISTRATIONS) {
                throw new CheckCondition(AdditionalSense.INSUFFICIENT_REGISTRATION_RESOURCES, "already "
                        + regs.size() + " registrations");
            }
            regs.put(nexus, serviceActionKey);
            return Outcome.of(new ReservationState(s.generation() + 1, regs, s.reservation(), aptpl));
        });
    }

    /**
     * Removes a registration (SPC-4 5.13.11.2.3): a holder's reservation goes with it (an all registrants one only
     * with the last registrant), and the release of a registrants only one is a unit attention for the others.
     */
    private static Outcome unregister(ReservationState s, ItNexus nexus, boolean aptpl) {
        LinkedHashMap<ItNexus, Long> regs = new LinkedHashMap<>(s.registrations());
        regs.remove(nexus);
        Reservation r = s.reservation();
        List<Notice> notices = new ArrayList<>();
        if (r != null && (r.type().allRegistrants() ? regs.isEmpty() : r.holder().equals(nexus))) {
            if (r.type().registrantsHaveAccess() && !regs.isEmpty()) {
                notices.add(new Notice(AdditionalSense.RESERVATIONS_RELEASED, List.copyOf(regs.keySet())));
            }
            r = null;
        }
        return new Outcome(new ReservationState(s.generation() + 1, regs, r, aptpl), notices, Set.of());
    }

    /**
     * RESERVE (SPC-4 5.13.9): a registered nexus with its key creates a reservation of {@code type}; one that already
     * holds a reservation of that type gets GOOD and no change; anything else conflicts. PRgeneration stays.
     */
    Outcome reserve(ItNexus nexus, long key, PersistentReservationType type) throws IOException {
        return apply(s -> {
            requireKey(s, nexus, key, "RESERVE");
            Reservation r = s.reservation();
            if (r != null) {
                if (s.holds(nexus) && r.type() == type) {
                    return Outcome.of(s);
                }
                throw new ReservationConflict("RESERVE " + type + ": a " + r.type() + " reservation exists"
                        + (s.holds(nexus) ? " held by this nexus" : ""));
            }
            return Outcome.of(new ReservationState(s.generation(), s.registrations(), Reservation.of(nexus, type),
                    s.aptpl()));
        });
    }

    /**
     * RELEASE (SPC-4 5.13.11.2.2): a holder releases with the reservation's scope and type (else INVALID RELEASE OF
     * PERSISTENT RESERVATION); a registered nexus that is not a holder, or no reservation, is GOOD and nothing. The
     * release of a registrants only or all registrants reservation is a unit attention for the other registrants.
     */
    Outcome release(ItNexus nexus, long key, int scope, int typeCode) throws IOException {
        return apply(s -> {
            requireKey(s, nexus, key, "RELEASE");
            Reservation r = s.reservation();
            if (r == null || !s.holds(nexus)) {
                return Outcome.of(s);
            }
            if (scope != 0 || typeCode != r.type().code()) {
                throw new CheckCondition(AdditionalSense.INVALID_RELEASE_OF_PERSISTENT_RESERVATION, "RELEASE with"
                        + " scope " + scope + " type " + typeCode + " of a " + r.type() + " reservation");
            }
            List<Notice> notices = new ArrayList<>();
            if (r.type().registrantsHaveAccess()) {
                notices.add(new Notice(AdditionalSense.RESERVATIONS_RELEASED, others(s, nexus)));
            }
            return new Outcome(new ReservationState(s.generation(), s.registrations(), null, s.aptpl()), notices,
                    Set.of());
        });
    }

    /** CLEAR (SPC-4 5.13.11.2.6): every registration and the reservation go; the others hear RESERVATIONS PREEMPTED. */
    Outcome clear(ItNexus nexus, long key) throws IOException {
        return apply(s -> {
            requireKey(s, nexus, key, "CLEAR");
            return new Outcome(new ReservationState(s.generation() + 1, Map.of(), null, s.aptpl()),
                    List.of(new Notice(AdditionalSense.RESERVATIONS_PREEMPTED, others(s, nexus))), Set.of());
        });
    }

    /**
     * PREEMPT and PREEMPT AND ABORT (SPC-4 5.13.11.2.4, 5.13.11.2.5). The registrations with SERVICE ACTION
     * RESERVATION KEY (never the preempting nexus's own) are removed and hear REGISTRATIONS PREEMPTED; when the key
     * is the holder's, or zero under an all registrants reservation (which removes every other registration), the
     * preempting nexus then holds a reservation of {@code type}, and if that changes the type the remaining
     * registrants hear RESERVATIONS RELEASED. A key no registration has is RESERVATION CONFLICT; a zero key other
     * than under an all registrants reservation is INVALID FIELD IN PARAMETER LIST.
     */
    Outcome preempt(ItNexus nexus, long key, long serviceActionKey, PersistentReservationType type, boolean abort)
            throws IOException {
        return apply(s -> {
            requireKey(s, nexus, key, abort ? "PREEMPT AND ABORT" : "PREEMPT");
            Reservation r = s.reservation();
            boolean allRegistrants = r != null && r.type().allRegistrants();
            if (serviceActionKey == 0 && !allRegistrants) {
                throw CheckCondition.invalidParameter("SERVICE ACTION RESERVATION KEY", 8, 7, 0,
                        "zero preempts only an all registrants reservation");
            }
            boolean takesReservation = r != null
                    && (allRegistrants ? serviceActionKey == 0 : serviceActionKey == s.reservationKey());
            if (!takesReservation && !s.registrations().containsValue(serviceActionKey)) {
                throw new ReservationConflict("PREEMPT: no registration has key " + hex(serviceActionKey));
            }
            LinkedHashMap<ItNexus, Long> regs = new LinkedHashMap<>(s.registrations());
            List<ItNexus> removed = new ArrayList<>();
            for (Map.Entry<ItNexus, Long> e : s.registrations().entrySet()) {
                boolean victim = allRegistrants && serviceActionKey == 0 || e.getValue() == serviceActionKey;
                if (victim && !e.getKey().equals(nexus)) {
                    regs.remove(e.getKey());
                    removed.add(e.getKey());
                }
            }
            List<Notice> notices = new ArrayList<>();
            if (!removed.isEmpty()) {
                notices.add(new Notice(AdditionalSense.REGISTRATIONS_PREEMPTED, removed));
            }
            Reservation next = r;
            if (takesReservation) {
                next = Reservation.of(nexus, type);
                if (type != r.type()) {
                    List<ItNexus> stay = new ArrayList<>(regs.keySet());
                    stay.remove(nexus);
                    if (!stay.isEmpty()) {
                        notices.add(new Notice(AdditionalSense.RESERVATIONS_RELEASED, stay));
                    }
                }
            }
            return new Outcome(new ReservationState(s.generation() + 1, regs, next, s.aptpl()), notices,
                    abort ? new LinkedHashSet<>(removed) : Set.of());
        });
    }

    /**
     * REGISTER AND MOVE (SPC-4 5.13.8): the holder of a reservation other than all registrants registers
     * {@code destination} with SERVICE ACTION RESERVATION KEY and hands it the reservation, keeping its own
     * registration unless {@code unregister}. A nexus that is not the holder conflicts; a zero key or the nexus
     * itself as destination is INVALID FIELD IN PARAMETER LIST.
     */
    Outcome registerAndMove(ItNexus nexus, long key, long serviceActionKey, ItNexus destination, boolean unregister,
                            boolean aptpl) throws IOException {
        return apply(s -> {
            requireKey(s, nexus, key, "REGISTER AND MOVE");
            Reservation r = s.reservation();
            if (r == null || r.type().allRegistrants() || !r.holder().equals(nexus)) {
                throw new ReservationConflict("REGISTER AND MOVE from a nexus that does not hold a reservation"
                        + " other than all registrants");
            }
            if (serviceActionKey == 0) {
                throw CheckCondition.invalidParameter("SERVICE ACTION RESERVATION KEY", 8, 7, 0,
                        "REGISTER AND MOVE needs a key for the destination");
            }
            if (destination.equals(nexus)) {
                throw CheckCondition.invalidParameter("TransportID", 24, 7, 0,
                        "the destination is the I_T nexus that sent the command");
            }
            LinkedHashMap<ItNexus, Long> regs = new LinkedHashMap<>(s.registrations());
            if (!regs.containsKey(destination) && regs.size() >= MAX_REGISTRATIONS) {
                throw new CheckCondition(AdditionalSense.INSUFFICIENT_REGISTRATION_RESOURCES, "already "
                        + regs.size() + " registrations");
            }
            regs.put(destination, serviceActionKey);
            if (unregister) {
                regs.remove(nexus);
            }
            return Outcome.of(new ReservationState(s.generation() + 1, regs, Reservation.of(destination, r.type()),
                    aptpl));
        });
    }

    private static void requireKey(ReservationState s, ItNexus nexus, long key, String what) {
        Long current = s.registrations().get(nexus);
        if (current == null) {
            throw new ReservationConflict(what + " from an unregistered I_T nexus");
        }
        if (current != key) {
            throw new ReservationConflict(what + " with RESERVATION KEY " + hex(key) + ", the nexus's key is "
                    + hex(current));
        }
    }

    private static List<ItNexus> others(ReservationState s, ItNexus nexus) {
        List<ItNexus> list = new ArrayList<>(s.registrations().keySet());
        list.remove(nexus);
        return list;
    }

    private static String hex(long key) {
        return String.format("0x%016x", key);
    }

    /**
     * Runs one change (which may throw its CHECK CONDITION or RESERVATION CONFLICT) against the current state, makes
     * the result durable (written while APTPL is set; the file removed when APTPL goes off), then publishes it.
     */
    private Outcome apply(Function<ReservationState, Outcome> change) throws IOException {
        synchronized (lock) {
            if (spc2Holder != null) {
                throw new ReservationConflict("PERSISTENT RESERVE OUT while an SPC-2 reservation is held");
            }
            ReservationState before = state;
            Outcome o = change.apply(before);
            if (!o.next().equals(before)) {
                if (file != null && o.next().aptpl()) {
                    file.save(o.next());
                } else if (file != null && before.aptpl()) {
                    file.delete();
                }
                state = o.next();
            }
            return o;
        }
    }
}
