package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The parameter data of PERSISTENT RESERVE IN (SPC-4 6.15.2-6.15.5), one record per service action. Every list
 * starts with PRGENERATION and ADDITIONAL LENGTH (bytes 0-3, 4-7) except REPORT CAPABILITIES; the ADDITIONAL LENGTH
 * always describes the whole list, whatever the allocation length cuts (SPC-4 6.15.2).
 */
public sealed interface PersistentReserveInData {
    byte[] encode();

    /**
     * READ KEYS (SPC-4 6.15.2, Table 198): the reservation key of every registered I_T nexus, 8 bytes each.
     *
     * @param generation PRGENERATION
     * @param keys       the keys, one per registration (a key registered by two nexuses appears twice)
     */
    record ReadKeys(int generation, List<Long> keys) implements PersistentReserveInData {
        public ReadKeys {
            keys = List.copyOf(keys);
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[8 + 8 * keys.size()];
            Be.putInt(b, 0, generation);
            Be.putInt(b, 4, 8 * keys.size());
            for (int i = 0; i < keys.size(); i++) {
                Be.putLong(b, 8 + 8 * i, keys.get(i));
            }
            return b;
        }

        /**
         * Reads a complete list (as the target sent it before any allocation length cut): the keys the ADDITIONAL
         * LENGTH covers, as far as the data goes.
         *
         * @throws IllegalArgumentException when the data is shorter than its 8-byte header
         */
        public static ReadKeys decode(byte[] b) {
            header("READ KEYS", b, 8);
            long end = Math.min(b.length, 8 + (Be.getInt(b, 4) & 0xFFFF_FFFFL));
            List<Long> keys = new ArrayList<>();
            for (int at = 8; at + 8 <= end; at += 8) {
                keys.add(Be.getLong(b, at));
            }
            return new ReadKeys(Be.getInt(b, 0), keys);
        }
    }

    /**
     * READ RESERVATION (SPC-4 6.15.3, Tables 199-200): ADDITIONAL LENGTH 0 with no reservation, else 10h with the
     * RESERVATION KEY (bytes 8-15; zero for an all registrants type) and SCOPE / TYPE in byte 21.
     *
     * @param generation  PRGENERATION
     * @param reservation the persistent reservation, if there is one
     */
    record ReadReservation(int generation, Optional<Reservation> reservation) implements PersistentReserveInData {
        @Override
        public byte[] encode() {
            byte[] b = new byte[reservation.isPresent() ? 24 : 8];
            Be.putInt(b, 0, generation);
            reservation.ifPresent(r -> {
                Be.putInt(b, 4, 0x10);
                Be.putLong(b, 8, r.key());
                b[21] = (byte) (PersistentReserveOutCdb.LU_SCOPE << 4 | r.type().code());
            });
            return b;
        }

        /** @throws IllegalArgumentException when the data is short or the TYPE is reserved */
        public static ReadReservation decode(byte[] b) {
            header("READ RESERVATION", b, 8);
            if (Be.getInt(b, 4) == 0) {
                return new ReadReservation(Be.getInt(b, 0), Optional.empty());
            }
            header("READ RESERVATION with a reservation", b, 24);
            PersistentReservationType type = PersistentReservationType.lookup(b[21] & 0x0F).orElseThrow(
                    () -> new IllegalArgumentException("READ RESERVATION TYPE " + (b[21] & 0x0F)));
            return new ReadReservation(Be.getInt(b, 0), Optional.of(new Reservation(Be.getLong(b, 8), type)));
        }
    }

    /** A persistent reservation as READ RESERVATION reports it. */
    record Reservation(long key, PersistentReservationType type) {
    }

    /**
     * REPORT CAPABILITIES (SPC-4 6.15.4, Table 201): LENGTH 0008h; byte 2 with RLR_C (bit 7, always zero here), CRH
     * (4), SIP_C (3), ATP_C (2), PTPL_C (0); byte 3 with TMV (7, set: the type mask is valid), ALLOW COMMANDS (6:4)
     * and PTPL_A (0); the PERSISTENT RESERVATION TYPE MASK in bytes 4-5.
     *
     * @param compatibleReservationHandling      CRH: RESERVE / RELEASE follow SPC-4 5.13.3
     * @param specifyInitiatorPortsCapable       SIP_C
     * @param allTargetPortsCapable              ATP_C
     * @param persistThroughPowerLossCapable     PTPL_C
     * @param allowCommands                      ALLOW COMMANDS (Table 202)
     * @param persistThroughPowerLossActivated   PTPL_A
     * @param typeMask                           PERSISTENT RESERVATION TYPE MASK
     */
    record ReportCapabilities(boolean compatibleReservationHandling, boolean specifyInitiatorPortsCapable,
                              boolean allTargetPortsCapable, boolean persistThroughPowerLossCapable,
                              int allowCommands, boolean persistThroughPowerLossActivated, int typeMask)
            implements PersistentReserveInData {
        public static final int LENGTH = 8;

        public ReportCapabilities {
            if (allowCommands < 0 || allowCommands > 7 || (typeMask & ~0xFFFF) != 0) {
                throw new IllegalArgumentException("ALLOW COMMANDS " + allowCommands + ", type mask " + typeMask);
            }
        }

        @Override
        public byte[] encode() {
            byte[] b = new byte[LENGTH];
            Be.putShort(b, 0, LENGTH);
            b[2] = (byte) ((compatibleReservationHandling ? 0x10 : 0) | (specifyInitiatorPortsCapable ? 0x08 : 0)
                    | (allTargetPortsCapable ? 0x04 : 0) | (persistThroughPowerLossCapable ? 0x01 : 0));
            b[3] = (byte) (0x80 | allowCommands << 4 | (persistThroughPowerLossActivated ? 0x01 : 0));
            Be.putShort(b, 4, typeMask);
            return b;
        }

        /** @throws IllegalArgumentException when the data is shorter than its 8 bytes */
        public static ReportCapabilities decode(byte[] b) {
            header("REPORT CAPABILITIES", b, 8);
            return new ReportCapabilities((b[2] & 0x10) != 0, (b[2] & 0x08) != 0, (b[2] & 0x04) != 0,
                    (b[2] & 0x01) != 0, (b[3] & 0x70) >>> 4, (b[3] & 0x01) != 0, Be.getShort(b, 4));
        }
    }

    /**
     * READ FULL STATUS (SPC-4 6.15.5, Tables 203-204): one descriptor per registered I_T nexus.
     *
     * @param generation  PRGENERATION
     * @param descriptors the full status descriptors
     */
    record ReadFullStatus(int generation, List<FullStatus> descriptors) implements PersistentReserveInData {
        public ReadFullStatus {
            descriptors = List.copyOf(descriptors);
        }

        @Override
        public byte[] encode() {
            List<byte[]> encoded = descriptors.stream().map(FullStatus::encode).toList();
            int length = encoded.stream().mapToInt(d -> d.length).sum();
            byte[] b = new byte[8 + length];
            Be.putInt(b, 0, generation);
            Be.putInt(b, 4, length);
            int at = 8;
            for (byte[] d : encoded) {
                System.arraycopy(d, 0, b, at, d.length);
                at += d.length;
            }
            return b;
        }

        /**
         * Reads the descriptors the ADDITIONAL LENGTH covers, as far as the data goes (a last one cut short is not
         * read).
         *
         * @throws IllegalArgumentException when the data is shorter than its header or a descriptor's ADDITIONAL
         *                                  DESCRIPTOR LENGTH runs past the data
         * @throws CheckCondition           for a TransportID that is not an iSCSI one
         */
        public static ReadFullStatus decode(byte[] b) {
            header("READ FULL STATUS", b, 8);
            int end = (int) Math.min(b.length, 8 + (Be.getInt(b, 4) & 0xFFFF_FFFFL));
            List<FullStatus> list = new ArrayList<>();
            for (int at = 8; at + 24 <= end; ) {
                long idLength = Be.getInt(b, at + 20) & 0xFFFF_FFFFL;
                if (at + 24 + idLength > end) {
                    throw new IllegalArgumentException("full status descriptor at byte " + at
                            + ": ADDITIONAL DESCRIPTOR LENGTH " + idLength + " runs past byte " + end);
                }
                list.add(FullStatus.decode(b, at));
                at += 24 + (int) idLength;
            }
            return new ReadFullStatus(Be.getInt(b, 0), list);
        }
    }

    /**
     * A full status descriptor (SPC-4 Table 204): RESERVATION KEY (bytes 0-7), ALL_TG_PT (byte 12 bit 1), R_HOLDER
     * (byte 12 bit 0), SCOPE / TYPE (byte 13, meaningful for a holder only), RELATIVE TARGET PORT IDENTIFIER (bytes
     * 18-19), ADDITIONAL DESCRIPTOR LENGTH (bytes 20-23) and the initiator port's TransportID from byte 24.
     *
     * @param key                  RESERVATION KEY
     * @param allTargetPorts       ALL_TG_PT
     * @param holder               the reservation of which this nexus is a holder; empty if none
     * @param relativeTargetPortId RELATIVE TARGET PORT IDENTIFIER
     * @param transportId          the initiator port
     */
    record FullStatus(long key, boolean allTargetPorts, Optional<PersistentReservationType> holder,
                      int relativeTargetPortId, IscsiTransportId transportId) {
        byte[] encode() {
            byte[] id = transportId.encode();
            byte[] b = new byte[24 + id.length];
            Be.putLong(b, 0, key);
            b[12] = (byte) ((allTargetPorts ? 0x02 : 0) | (holder.isPresent() ? 0x01 : 0));
            b[13] = (byte) holder.map(t -> PersistentReserveOutCdb.LU_SCOPE << 4 | t.code()).orElse(0).intValue();
            Be.putShort(b, 18, relativeTargetPortId);
            Be.putInt(b, 20, id.length);
            System.arraycopy(id, 0, b, 24, id.length);
            return b;
        }

        static FullStatus decode(byte[] b, int at) {
            boolean holder = (b[at + 12] & 0x01) != 0;
            Optional<PersistentReservationType> type = holder
                    ? PersistentReservationType.lookup(b[at + 13] & 0x0F) : Optional.empty();
            int idLength = Be.getInt(b, at + 20);
            return new FullStatus(Be.getLong(b, at), (b[at + 12] & 0x02) != 0, type, Be.getShort(b, at + 18),
                    IscsiTransportId.decode(b, at + 24, at + 24 + idLength));
        }
    }

    /** Refuses data shorter than {@code need} bytes, naming what it is. */
    private static void header(String what, byte[] b, int need) {
        if (b.length < need) {
            throw new IllegalArgumentException(what + " data of " + b.length + " bytes, need " + need);
        }
    }
}
