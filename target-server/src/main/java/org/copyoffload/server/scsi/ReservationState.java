package org.copyoffload.server.scsi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.copyoffload.protocol.scsi.PersistentReservationType;

/**
 * The persistent reservation state of one logical unit (SPC-4 5.13), immutable: the registered I_T nexuses with
 * their reservation keys (in the order they registered, the order READ KEYS reports), the reservation if there is
 * one, PRgeneration and the APTPL value of the last registration that set one.
 *
 * @param generation    PRgeneration: counts REGISTER, REGISTER AND IGNORE EXISTING KEY, CLEAR, PREEMPT (AND ABORT)
 *                      and REGISTER AND MOVE that completed (SPC-4 6.15.2), modulo 2^32
 * @param registrations reservation key by I_T nexus
 * @param reservation   the persistent reservation, or null
 * @param aptpl         registrations and reservation persist through power loss (and target restarts)
 */
record ReservationState(int generation, Map<ItNexus, Long> registrations, Reservation reservation, boolean aptpl) {
    static final ReservationState EMPTY = new ReservationState(0, Map.of(), null, false);

    /**
     * A persistent reservation: its type and, except for the all registrants types (where every registered nexus
     * holds it, SPC-4 5.13.10), the holder.
     */
    record Reservation(ItNexus holder, PersistentReservationType type) {
        Reservation {
            Objects.requireNonNull(type, "type");
            if ((holder == null) != type.allRegistrants()) {
                throw new IllegalArgumentException(type + " with holder " + holder);
            }
        }

        static Reservation of(ItNexus nexus, PersistentReservationType type) {
            return new Reservation(type.allRegistrants() ? null : nexus, type);
        }
    }

    ReservationState {
        registrations = Collections.unmodifiableMap(new LinkedHashMap<>(registrations));
        if (reservation != null && reservation.holder() != null && !registrations.containsKey(reservation.holder())) {
            throw new IllegalArgumentException("reservation holder " + reservation.holder() + " is not registered");
        }
        if (reservation != null && registrations.isEmpty()) {
            throw new IllegalArgumentException("a reservation with no registration");
        }
    }

    boolean registered(ItNexus nexus) {
        return registrations.containsKey(nexus);
    }

    Optional<Reservation> currentReservation() {
        return Optional.ofNullable(reservation);
    }

    /** A holder of the reservation: its holder, or any registered nexus for the all registrants types. */
    boolean holds(ItNexus nexus) {
        return reservation != null && (reservation.type().allRegistrants() ? registered(nexus)
                : reservation.holder().equals(nexus));
    }

    /** The nexus may do what the reservation's holder may (SPC-4 Table 66's "allowed" columns). */
    boolean hasHolderAccess(ItNexus nexus) {
        return reservation == null || (reservation.type().registrantsHaveAccess() ? registered(nexus) : holds(nexus));
    }

    /** The key READ RESERVATION reports: the holder's, zero for the all registrants types (SPC-4 6.15.3). */
    long reservationKey() {
        return reservation.holder() == null ? 0 : registrations.get(reservation.holder());
    }

    List<Long> keys() {
        return List.copyOf(registrations.values());
    }
}
