package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * RESERVE (6) / RELEASE (6) (16h / 17h, SPC-2 7.21, 7.17) and RESERVE (10) / RELEASE (10) (56h / 57h, SPC-2 7.22,
 * 7.18): a reservation of the whole logical unit by the I_T nexus that sends it. Third-party reservations (3RDPTY,
 * byte 1 bit 4), long identifiers (LONGID, RESERVE/RELEASE (10) byte 1 bit 1) and extents (EXTENT, the (6) forms'
 * byte 1 bit 0; obsolete since SPC-2) are not supported: the decoder refuses them with INVALID FIELD IN CDB, as LIO
 * does, so a host never believes it holds a reservation it does not.
 *
 * @param opcode  RESERVE_6, RELEASE_6, RESERVE_10 or RELEASE_10
 */
public record ReserveReleaseCdb(OperationCode opcode) {
    public static final CdbField THIRD_PARTY = CdbField.bit("3RDPTY", 1, 4);
    public static final CdbField LONG_ID = CdbField.bit("LONGID", 1, 1);
    public static final CdbField EXTENT = CdbField.bit("EXTENT", 1, 0);

    public static List<CdbField> fields(OperationCode op) {
        return isTen(op) ? List.of(THIRD_PARTY, LONG_ID, CdbField.naca(10))
                : List.of(THIRD_PARTY, EXTENT, CdbField.naca(6));
    }

    private static boolean isTen(OperationCode op) {
        return op == OperationCode.RESERVE_10 || op == OperationCode.RELEASE_10;
    }

    public static ReserveReleaseCdb decode(byte[] cdb) {
        OperationCode op = OperationCode.lookup(cdb[0] & 0xFF)
                .filter(o -> o == OperationCode.RESERVE_6 || o == OperationCode.RELEASE_6 || isTen(o))
                .orElseThrow(() -> new IllegalArgumentException(
                        String.format("opcode %02Xh is not RESERVE or RELEASE", cdb[0] & 0xFF)));
        if (THIRD_PARTY.isSet(cdb)) {
            throw CheckCondition.invalidField(THIRD_PARTY, 1, "third-party reservations are not supported");
        }
        CdbField other = isTen(op) ? LONG_ID : EXTENT;
        if (other.isSet(cdb)) {
            throw CheckCondition.invalidField(other, 1, isTen(op) ? "long identifiers come with third-party"
                    + " reservations, which are not supported" : "extent reservations are obsolete and not supported");
        }
        return new ReserveReleaseCdb(op);
    }

    public boolean reserve() {
        return opcode == OperationCode.RESERVE_6 || opcode == OperationCode.RESERVE_10;
    }

    public byte[] encode() {
        byte[] cdb = new byte[opcode.cdbLength()];
        cdb[0] = (byte) opcode.code();
        return cdb;
    }
}
