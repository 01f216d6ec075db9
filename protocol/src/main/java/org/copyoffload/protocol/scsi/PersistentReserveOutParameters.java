package org.copyoffload.protocol.scsi;

import java.util.ArrayList;
import java.util.List;

/**
 * The basic PERSISTENT RESERVE OUT parameter list (SPC-4 6.16.3, Table 214), used by every service action but
 * REGISTER AND MOVE: RESERVATION KEY (bytes 0-7), SERVICE ACTION RESERVATION KEY (bytes 8-15), byte 20 with
 * SPEC_I_PT (bit 3), ALL_TG_PT (bit 2) and APTPL (bit 0); with SPEC_I_PT set, TRANSPORTID PARAMETER DATA LENGTH
 * (bytes 24-27) and the TransportIDs from byte 28.
 *
 * @param reservationKey                 RESERVATION KEY
 * @param serviceActionReservationKey    SERVICE ACTION RESERVATION KEY
 * @param specifyInitiatorPorts          SPEC_I_PT
 * @param allTargetPorts                 ALL_TG_PT
 * @param activatePersistThroughPowerLoss APTPL
 * @param transportIds                   the TransportIDs (SPEC_I_PT only)
 */
public record PersistentReserveOutParameters(long reservationKey, long serviceActionReservationKey,
                                             boolean specifyInitiatorPorts, boolean allTargetPorts,
                                             boolean activatePersistThroughPowerLoss,
                                             List<IscsiTransportId> transportIds) {
    /** The list's length without SPEC_I_PT, the only length SPC-4 allows then. */
    public static final int LENGTH = 24;
    public static final int FLAGS = 20;

    public PersistentReserveOutParameters {
        transportIds = List.copyOf(transportIds);
    }

    public static PersistentReserveOutParameters of(long reservationKey, long serviceActionReservationKey,
                                                    boolean aptpl) {
        return new PersistentReserveOutParameters(reservationKey, serviceActionReservationKey, false, false, aptpl,
                List.of());
    }

    /**
     * Reads {@code length} bytes (the PARAMETER LIST LENGTH; {@code data} holds at least that many). PARAMETER LIST
     * LENGTH ERROR for a length other than 24 without SPEC_I_PT, or one that does not match the TransportIDs with it.
     */
    public static PersistentReserveOutParameters decode(byte[] data, int length) {
        if (length < LENGTH) {
            throw CheckCondition.parameterListLength("PERSISTENT RESERVE OUT parameter list of " + length
                    + " bytes: the basic list has 24");
        }
        boolean specIPt = (data[FLAGS] & 0x08) != 0;
        List<IscsiTransportId> ids = new ArrayList<>();
        if (!specIPt) {
            if (length != LENGTH) {
                throw CheckCondition.parameterListLength("PERSISTENT RESERVE OUT parameter list of " + length
                        + " bytes without SPEC_I_PT: it must be 24");
            }
        } else {
            if (length < LENGTH + 4) {
                throw CheckCondition.parameterListLength("SPEC_I_PT set but the list of " + length
                        + " bytes has no TRANSPORTID PARAMETER DATA LENGTH");
            }
            long idLength = Be.getInt(data, LENGTH) & 0xFFFF_FFFFL;
            if (LENGTH + 4 + idLength != length) {
                throw CheckCondition.parameterListLength("TRANSPORTID PARAMETER DATA LENGTH " + idLength
                        + " does not match the parameter list length " + length);
            }
            for (int at = LENGTH + 4; at < length; at += IscsiTransportId.length(data, at)) {
                ids.add(IscsiTransportId.decode(data, at, length));
            }
        }
        return new PersistentReserveOutParameters(Be.getLong(data, 0), Be.getLong(data, 8), specIPt,
                (data[FLAGS] & 0x04) != 0, (data[FLAGS] & 0x01) != 0, ids);
    }

    public byte[] encode() {
        List<byte[]> encoded = transportIds.stream().map(IscsiTransportId::encode).toList();
        int idLength = encoded.stream().mapToInt(b -> b.length).sum();
        byte[] b = new byte[specifyInitiatorPorts ? LENGTH + 4 + idLength : LENGTH];
        Be.putLong(b, 0, reservationKey);
        Be.putLong(b, 8, serviceActionReservationKey);
        b[FLAGS] = (byte) ((specifyInitiatorPorts ? 0x08 : 0) | (allTargetPorts ? 0x04 : 0)
                | (activatePersistThroughPowerLoss ? 0x01 : 0));
        if (specifyInitiatorPorts) {
            Be.putInt(b, LENGTH, idLength);
            int at = LENGTH + 4;
            for (byte[] id : encoded) {
                System.arraycopy(id, 0, b, at, id.length);
                at += id.length;
            }
        }
        return b;
    }
}
