package org.copyoffload.protocol.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.copyoffload.protocol.scsi.PersistentReserveInData.FullStatus;
import org.copyoffload.protocol.scsi.PersistentReserveInData.ReadFullStatus;
import org.copyoffload.protocol.scsi.PersistentReserveInData.ReadKeys;
import org.copyoffload.protocol.scsi.PersistentReserveInData.ReadReservation;
import org.copyoffload.protocol.scsi.PersistentReserveInData.ReportCapabilities;
import org.copyoffload.protocol.scsi.PersistentReserveInData.Reservation;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.junit.jupiter.api.Test;

/** PERSISTENT RESERVE IN / OUT and RESERVE / RELEASE against the byte layouts of SPC-4 6.15, 6.16 and SPC-2 7.17-7.22. */
class PersistentReservationCodecTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static SenseData senseOf(Runnable r) {
        try {
            r.run();
        } catch (CheckCondition c) {
            return c.sense();
        }
        throw new AssertionError("no CHECK CONDITION");
    }

    @Test
    void persistentReserveInCdb() {
        // SPC-4 Table 196: 5Eh, SERVICE ACTION 01h (READ RESERVATION), ALLOCATION LENGTH 2000h in bytes 7-8.
        byte[] cdb = hex("5E 01 00 00 00 00 00 20 00 00");
        PersistentReserveInCdb c = PersistentReserveInCdb.decode(cdb);
        assertThat(c).isEqualTo(new PersistentReserveInCdb(PersistentReserveInCdb.ServiceAction.READ_RESERVATION,
                0x2000));
        assertThat(c.encode()).isEqualTo(cdb);
        for (PersistentReserveInCdb.ServiceAction sa : PersistentReserveInCdb.ServiceAction.values()) {
            assertThat(PersistentReserveInCdb.decode(new PersistentReserveInCdb(sa, 8).encode()).serviceAction())
                    .isEqualTo(sa);
        }
        SenseData s = senseOf(() -> PersistentReserveInCdb.decode(hex("5E 04 00 00 00 00 00 00 08 00")));
        assertThat(s.asc()).isEqualTo(0x24);
        assertThat(s.fieldPointer()).contains(SenseData.FieldPointer.cdb(1, 4));
        assertThat(CdbField.usageData(0x5E, 10, PersistentReserveInCdb.FIELDS)).isEqualTo(hex("5E 1F 00 00 00 00 00 FF FF 04"));
    }

    @Test
    void persistentReserveOutCdb() {
        // SPC-4 Table 211: 5Fh, SERVICE ACTION 01h (RESERVE), SCOPE 1h / TYPE 3h in byte 2, PARAMETER LIST LENGTH 18h.
        byte[] cdb = hex("5F 01 13 00 00 00 00 00 18 00");
        PersistentReserveOutCdb c = PersistentReserveOutCdb.decode(cdb);
        assertThat(c).isEqualTo(new PersistentReserveOutCdb(ServiceAction.RESERVE, 1, 3, 24));
        assertThat(c.encode()).isEqualTo(cdb);
        assertThat(c.type()).isEqualTo(PersistentReservationType.EXCLUSIVE_ACCESS);
        assertThat(senseOf(c::checkScope).fieldPointer()).contains(SenseData.FieldPointer.cdb(2, 7));
        PersistentReserveOutCdb badType = PersistentReserveOutCdb.decode(hex("5F 01 02 00 00 00 00 00 18 00"));
        assertThat(senseOf(badType::type).fieldPointer()).contains(SenseData.FieldPointer.cdb(2, 3));
        assertThat(new PersistentReserveOutCdb(ServiceAction.REGISTER_AND_MOVE, PersistentReservationType.WRITE_EXCLUSIVE,
                0x01020304L).encode()).isEqualTo(hex("5F 07 01 00 00 01 02 03 04 00"));
        assertThat(senseOf(() -> PersistentReserveOutCdb.decode(hex("5F 08 00 00 00 00 00 00 18 00"))).fieldPointer())
                .contains(SenseData.FieldPointer.cdb(1, 4));
        assertThat(CdbField.usageData(0x5F, 10, PersistentReserveOutCdb.FIELDS))
                .isEqualTo(hex("5F 1F FF 00 00 FF FF FF FF 04"));
    }

    @Test
    void reservationTypesAndTheirMaskBits() {
        // SPC-4 Table 203: byte 4 WR_EX_AR (7) EX_AC_RO (6) WR_EX_RO (5) EX_AC (3) WR_EX (1); byte 5 EX_AC_AR (0).
        assertThat(PersistentReservationType.allMask()).isEqualTo(0xEA01);
        assertThat(PersistentReservationType.lookup(0x2)).isEmpty();
        assertThat(PersistentReservationType.EXCLUSIVE_ACCESS_REGISTRANTS_ONLY.exclusiveAccess()).isTrue();
        assertThat(PersistentReservationType.WRITE_EXCLUSIVE_ALL_REGISTRANTS.allRegistrants()).isTrue();
        assertThat(PersistentReservationType.WRITE_EXCLUSIVE.registrantsHaveAccess()).isFalse();
    }

    @Test
    void basicParameterList() {
        // SPC-4 Table 214: RESERVATION KEY, SERVICE ACTION RESERVATION KEY, obsolete, byte 20 with APTPL (bit 0).
        byte[] list = hex("0102030405060708 1112131415161718 00000000 01 00 0000");
        PersistentReserveOutParameters p = PersistentReserveOutParameters.decode(list, list.length);
        assertThat(p).isEqualTo(PersistentReserveOutParameters.of(0x0102030405060708L, 0x1112131415161718L, true));
        assertThat(p.encode()).isEqualTo(list);
        byte[] allTg = list.clone();
        allTg[20] = 0x04;
        assertThat(PersistentReserveOutParameters.decode(allTg, 24).allTargetPorts()).isTrue();
        // Without SPEC_I_PT the length must be 24 exactly (SPC-4 6.16.3).
        for (int n : new int[] {0, 23}) {
            assertThat(senseOf(() -> PersistentReserveOutParameters.decode(new byte[32], n)).asc()).isEqualTo(0x1A);
        }
        assertThat(senseOf(() -> PersistentReserveOutParameters.decode(new byte[32], 28)).asc()).isEqualTo(0x1A);
    }

    @Test
    void specifyInitiatorPortsListCarriesTransportIds() {
        PersistentReserveOutParameters p = new PersistentReserveOutParameters(0, 7, true, false, false,
                List.of(IscsiTransportId.port("iqn.2026-01.org.example:host-b", 0x23D000000002L),
                        new IscsiTransportId("iqn.2026-01.org.example:host-c", OptionalLong.empty())));
        byte[] b = p.encode();
        assertThat(b[20]).isEqualTo((byte) 0x08);
        assertThat(PersistentReserveOutParameters.decode(b, b.length)).isEqualTo(p);
        // TRANSPORTID PARAMETER DATA LENGTH must cover exactly the rest of the list.
        assertThat(senseOf(() -> PersistentReserveOutParameters.decode(b, b.length - 4)).asc()).isEqualTo(0x1A);
    }

    @Test
    void iscsiTransportIdLayouts() {
        // SPC-4 Table 486: FORMAT CODE 01b, PROTOCOL IDENTIFIER 5h; ADDITIONAL LENGTH a multiple of 4; the name,
        // ",i,0x", the 12-digit ISID, a null and zero padding.
        IscsiTransportId port = IscsiTransportId.port("iqn.a", 0x23D000000001L);
        String text = "iqn.a,i,0x23d000000001";
        byte[] expected = new byte[4 + 24];
        expected[0] = 0x45;
        expected[3] = 24;
        System.arraycopy(text.getBytes(), 0, expected, 4, text.length());
        assertThat(port.encode()).isEqualTo(expected);
        assertThat(IscsiTransportId.decode(expected, 0, expected.length)).isEqualTo(port);
        // Format 00b: the name alone, at least 20 bytes after the header.
        byte[] device = new IscsiTransportId("iqn.a", OptionalLong.empty()).encode();
        assertThat(device).hasSize(24);
        assertThat(device[0]).isEqualTo((byte) 0x05);
        assertThat(IscsiTransportId.decode(device, 0, 24).isid()).isEmpty();

        byte[] fc = expected.clone();
        fc[0] = 0x40; // Fibre Channel
        assertThat(senseOf(() -> IscsiTransportId.decode(fc, 0, fc.length)).fieldPointer())
                .contains(SenseData.FieldPointer.parameter(0, 3));
        byte[] badFormat = expected.clone();
        badFormat[0] = (byte) 0x85;
        assertThat(senseOf(() -> IscsiTransportId.decode(badFormat, 0, fc.length)).fieldPointer())
                .contains(SenseData.FieldPointer.parameter(0, 7));
        byte[] noNul = expected.clone();
        java.util.Arrays.fill(noNul, 4, noNul.length, (byte) 'x');
        assertThat(senseOf(() -> IscsiTransportId.decode(noNul, 0, noNul.length)).asc()).isEqualTo(0x26);
        byte[] badIsid = expected.clone();
        badIsid[4 + text.length() - 1] = 'g';
        assertThat(senseOf(() -> IscsiTransportId.decode(badIsid, 0, badIsid.length)).asc()).isEqualTo(0x26);
        byte[] odd = expected.clone();
        odd[3] = 23;
        assertThat(senseOf(() -> IscsiTransportId.decode(odd, 0, odd.length)).fieldPointer())
                .contains(SenseData.FieldPointer.parameter(2, 7));
        assertThat(senseOf(() -> IscsiTransportId.decode(expected, 0, 20)).asc()).isEqualTo(0x1A);
    }

    @Test
    void registerAndMoveList() {
        // SPC-4 Table 218: keys, UNREG (byte 17 bit 1) and APTPL (bit 0), RELATIVE TARGET PORT IDENTIFIER (18-19),
        // TRANSPORTID PARAMETER DATA LENGTH (20-23), the TransportID.
        RegisterAndMoveParameters p = new RegisterAndMoveParameters(1, 2, true, false, 3,
                IscsiTransportId.port("iqn.a", 0x23D000000001L));
        byte[] b = p.encode();
        assertThat(b).startsWith(hex("0000000000000001 0000000000000002 00 02 0003 0000001C 45"));
        assertThat(RegisterAndMoveParameters.decode(b, b.length)).isEqualTo(p);
        assertThat(senseOf(() -> RegisterAndMoveParameters.decode(b, 23)).asc()).isEqualTo(0x1A);
        assertThat(senseOf(() -> RegisterAndMoveParameters.decode(b, b.length - 1)).asc()).isEqualTo(0x1A);
    }

    @Test
    void readKeysAndReadReservationData() {
        // SPC-4 Table 198: PRGENERATION, ADDITIONAL LENGTH (bytes of keys), the keys.
        ReadKeys keys = new ReadKeys(5, List.of(0xAAL, 0xBBL));
        byte[] b = keys.encode();
        assertThat(b).isEqualTo(hex("00000005 00000010 00000000000000AA 00000000000000BB"));
        assertThat(ReadKeys.decode(b)).isEqualTo(keys);
        // An allocation length of 8 keeps the ADDITIONAL LENGTH of the whole list (libiscsi's PrinReadKeys.Truncate).
        assertThat(ReadKeys.decode(java.util.Arrays.copyOf(b, 8)).keys()).isEmpty();
        // SPC-4 Table 200: with a reservation, ADDITIONAL LENGTH 10h, the key, SCOPE/TYPE in byte 21.
        ReadReservation held = new ReadReservation(9, Optional.of(new Reservation(0xAAL,
                PersistentReservationType.WRITE_EXCLUSIVE_REGISTRANTS_ONLY)));
        assertThat(held.encode()).isEqualTo(hex("00000009 00000010 00000000000000AA 00000000 00 05 0000"));
        assertThat(ReadReservation.decode(held.encode())).isEqualTo(held);
        ReadReservation none = new ReadReservation(9, Optional.empty());
        assertThat(none.encode()).isEqualTo(hex("00000009 00000000"));
        assertThat(ReadReservation.decode(none.encode())).isEqualTo(none);
    }

    @Test
    void reportCapabilitiesData() {
        // SPC-4 Table 201: LENGTH 8; CRH and PTPL_C; TMV, ALLOW COMMANDS 001b and PTPL_A; the type mask.
        ReportCapabilities caps = new ReportCapabilities(true, false, false, true, 1, true,
                PersistentReservationType.allMask());
        assertThat(caps.encode()).isEqualTo(hex("0008 11 91 EA01 0000"));
        assertThat(ReportCapabilities.decode(caps.encode())).isEqualTo(caps);
        assertThat(new ReportCapabilities(true, true, true, false, 0, false, 0).encode())
                .isEqualTo(hex("0008 1C 80 0000 0000"));
    }

    @Test
    void readFullStatusData() {
        // SPC-4 Table 204: key, ALL_TG_PT / R_HOLDER in byte 12, SCOPE/TYPE in byte 13, RELATIVE TARGET PORT
        // IDENTIFIER in 18-19, ADDITIONAL DESCRIPTOR LENGTH in 20-23, the TransportID.
        IscsiTransportId id = IscsiTransportId.port("iqn.a", 1);
        ReadFullStatus status = new ReadFullStatus(3, List.of(
                new FullStatus(0xAA, false, Optional.of(PersistentReservationType.EXCLUSIVE_ACCESS), 2, id),
                new FullStatus(0xBB, false, Optional.empty(), 1, IscsiTransportId.port("iqn.b", 2))));
        byte[] b = status.encode();
        assertThat(b).startsWith(hex("00000003 00000068 00000000000000AA 00000000 01 03 00000000 0002 0000001C 45"));
        assertThat(ReadFullStatus.decode(b)).isEqualTo(status);
    }

    /** Found by ScsiFuzzTest#persistentReserveInData: short data and lengths past its end were read out of bounds. */
    @Test
    void persistentReserveInDataShortOrOverlongIsRefusedByName() {
        assertThatThrownBy(() -> ReadKeys.decode(new byte[7])).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("READ KEYS data of 7 bytes, need 8");
        assertThatThrownBy(() -> ReadReservation.decode(new byte[3])).hasMessageContaining("READ RESERVATION data of 3");
        assertThatThrownBy(() -> ReadReservation.decode(hex("00000001 00000010 00000000000000AA")))
                .hasMessage("READ RESERVATION with a reservation data of 16 bytes, need 24");
        assertThatThrownBy(() -> ReportCapabilities.decode(new byte[5])).hasMessageContaining("REPORT CAPABILITIES");
        assertThatThrownBy(() -> ReadFullStatus.decode(new byte[0])).hasMessageContaining("READ FULL STATUS");
        // An ADDITIONAL LENGTH of FFFFFFFFh is as far as the data goes; the keys there are read.
        assertThat(ReadKeys.decode(hex("00000002 FFFFFFFF 00000000000000AA")).keys()).containsExactly(0xAAL);
        // A descriptor whose ADDITIONAL DESCRIPTOR LENGTH runs past the data (or wraps round as a signed int).
        byte[] b = new ReadFullStatus(3, List.of(new FullStatus(0xAA, false, Optional.empty(), 1,
                IscsiTransportId.port("iqn.a", 1)))).encode();
        byte[] past = b.clone();
        past[8 + 23] = (byte) (past[8 + 23] + 4);
        assertThatThrownBy(() -> ReadFullStatus.decode(past)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ADDITIONAL DESCRIPTOR LENGTH");
        byte[] negative = b.clone();
        negative[8 + 20] = (byte) 0xFF;
        assertThatThrownBy(() -> ReadFullStatus.decode(negative)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ADDITIONAL DESCRIPTOR LENGTH 4278190108");
    }

    @Test
    void reserveAndReleaseCdbs() {
        for (OperationCode op : List.of(OperationCode.RESERVE_6, OperationCode.RELEASE_6, OperationCode.RESERVE_10,
                OperationCode.RELEASE_10)) {
            ReserveReleaseCdb c = ReserveReleaseCdb.decode(new ReserveReleaseCdb(op).encode());
            assertThat(c.opcode()).isEqualTo(op);
            assertThat(c.reserve()).isEqualTo(op == OperationCode.RESERVE_6 || op == OperationCode.RESERVE_10);
            byte[] third = new ReserveReleaseCdb(op).encode();
            third[1] = 0x10;
            assertThat(senseOf(() -> ReserveReleaseCdb.decode(third)).fieldPointer())
                    .contains(SenseData.FieldPointer.cdb(1, 4));
        }
        assertThat(senseOf(() -> ReserveReleaseCdb.decode(hex("56 02 00 00 00 00 00 00 00 00"))).fieldPointer())
                .contains(SenseData.FieldPointer.cdb(1, 1));
        assertThat(senseOf(() -> ReserveReleaseCdb.decode(hex("16 01 00 00 00 00"))).fieldPointer())
                .contains(SenseData.FieldPointer.cdb(1, 0));
        assertThatThrownBy(() -> ReserveReleaseCdb.decode(hex("12 00 00 00 00 00")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
