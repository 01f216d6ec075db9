package org.copyoffload.protocol.scsi;

/**
 * The REGISTER AND MOVE parameter list (SPC-4 6.16.4, Table 218): RESERVATION KEY (bytes 0-7), SERVICE ACTION
 * RESERVATION KEY (bytes 8-15), byte 17 with UNREG (bit 1) and APTPL (bit 0), RELATIVE TARGET PORT IDENTIFIER
 * (bytes 18-19), TRANSPORTID PARAMETER DATA LENGTH (bytes 20-23) and the TransportID of the initiator port the
 * reservation moves to from byte 24.
 *
 * @param reservationKey                  RESERVATION KEY
 * @param serviceActionReservationKey     SERVICE ACTION RESERVATION KEY: the key registered for the destination
 * @param unregister                      UNREG: the source nexus's registration goes
 * @param activatePersistThroughPowerLoss APTPL
 * @param relativeTargetPortId            RELATIVE TARGET PORT IDENTIFIER of the destination I_T nexus
 * @param transportId                     the destination initiator port
 */
public record RegisterAndMoveParameters(long reservationKey, long serviceActionReservationKey, boolean unregister,
                                        boolean activatePersistThroughPowerLoss, int relativeTargetPortId,
                                        IscsiTransportId transportId) {
    public static final int HEADER = 24;

    /** PARAMETER LIST LENGTH ERROR for a list shorter than its header and TransportID say. */
    public static RegisterAndMoveParameters decode(byte[] data, int length) {
        if (length < HEADER) {
            throw CheckCondition.parameterListLength("REGISTER AND MOVE parameter list of " + length
                    + " bytes is shorter than its 24-byte header");
        }
        long idLength = Be.getInt(data, 20) & 0xFFFF_FFFFL;
        if (idLength < IscsiTransportId.MIN_LENGTH || HEADER + idLength > length) {
            throw CheckCondition.parameterListLength("TRANSPORTID PARAMETER DATA LENGTH " + idLength
                    + " in a REGISTER AND MOVE list of " + length + " bytes");
        }
        IscsiTransportId id = IscsiTransportId.decode(data, HEADER, (int) (HEADER + idLength));
        return new RegisterAndMoveParameters(Be.getLong(data, 0), Be.getLong(data, 8), (data[17] & 0x02) != 0,
                (data[17] & 0x01) != 0, Be.getShort(data, 18), id);
    }

    public byte[] encode() {
        byte[] id = transportId.encode();
        byte[] b = new byte[HEADER + id.length];
        Be.putLong(b, 0, reservationKey);
        Be.putLong(b, 8, serviceActionReservationKey);
        b[17] = (byte) ((unregister ? 0x02 : 0) | (activatePersistThroughPowerLoss ? 0x01 : 0));
        Be.putShort(b, 18, relativeTargetPortId);
        Be.putInt(b, 20, id.length);
        System.arraycopy(id, 0, b, HEADER, id.length);
        return b;
    }
}
