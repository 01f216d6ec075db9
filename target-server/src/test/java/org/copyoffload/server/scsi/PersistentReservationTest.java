package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.scsi.PersistentReservationType.*;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.IscsiTransportId;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.PersistentReserveOutParameters;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.RegisterAndMoveParameters;
import org.copyoffload.protocol.scsi.ReportSupportedOpcodesCdb;
import org.copyoffload.protocol.scsi.ReserveReleaseCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData.FieldPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** PERSISTENT RESERVE IN / OUT and RESERVE / RELEASE against SPC-4 5.13 and SPC-2 5.5.1, one rule per test. */
class PersistentReservationTest extends ReservationTestSupport {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private ScsiStatus read(ItNexus n) {
        return run(n, LUN_4K, new ReadWriteCdb(OperationCode.READ_10, 1, 1, 0, false, false).encode()).status();
    }

    private ScsiStatus write(ItNexus n) {
        return write(n, LUN_4K, new ReadWriteCdb(OperationCode.WRITE_10, 1, 1, 0, false, false).encode(),
                new byte[4096]).status();
    }

    private void clearUnitAttentions(ItNexus... nexuses) {
        for (ItNexus n : nexuses) {
            while (target.unit(LUN_4K).takeUnitAttention(n).isPresent()) {
                // drain
            }
        }
    }

    /** libiscsi's ProutReserve.Access*: what a registered and an unregistered other nexus may do under each type. */
    @ParameterizedTest
    @EnumSource(PersistentReservationType.class)
    void accessOfOtherNexusesFollowsTheType(PersistentReservationType type) {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(A, 0xA, type).good();
        assertThat(read(A)).isEqualTo(ScsiStatus.GOOD);
        assertThat(write(A)).isEqualTo(ScsiStatus.GOOD);
        boolean registrants = type.registrantsHaveAccess();
        ScsiStatus conflict = ScsiStatus.RESERVATION_CONFLICT;
        assertThat(read(B)).isEqualTo(registrants || !type.exclusiveAccess() ? ScsiStatus.GOOD : conflict);
        assertThat(write(B)).isEqualTo(registrants ? ScsiStatus.GOOD : conflict);
        assertThat(read(C)).isEqualTo(type.exclusiveAccess() ? conflict : ScsiStatus.GOOD);
        assertThat(write(C)).isEqualTo(conflict);
        // Always allowed: INQUIRY, TEST UNIT READY, READ CAPACITY, PERSISTENT RESERVE IN.
        run(C, LUN_4K, hex("12 00 00 00 24 00")).good();
        run(C, LUN_4K, hex("00 00 00 00 00 00")).good();
        run(C, LUN_4K, hex("25 00 00000000 00 00 00 00")).good();
        assertThat(readReservation(C).reservation()).hasValueSatisfying(r -> {
            assertThat(r.type()).isEqualTo(type);
            assertThat(r.key()).isEqualTo(type.allRegistrants() ? 0 : 0xA);
        });
        // Another logical unit is not reserved.
        assertThat(run(C, LUN_512, new ReadWriteCdb(OperationCode.READ_10, 1, 1, 0, false, false).encode()).status())
                .isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void registerNeedsTheCurrentKeyUnlessIgnoring() {
        // An unregistered nexus registers with RESERVATION KEY zero; a non-zero one conflicts.
        assertThat(prOut(A, ServiceAction.REGISTER, null, 5, 0xA).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(A, ServiceAction.REGISTER, null, 0, 0xA).good();
        // Registering again with key zero conflicts (libiscsi's prout_reregister_key_fails).
        assertThat(prOut(A, ServiceAction.REGISTER, null, 0, 0xA2).status())
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(A, ServiceAction.REGISTER, null, 0xA, 0xA2).good();
        prOut(A, ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY, null, 0x999, 0xA3).good();
        assertThat(readKeys(A).keys()).containsExactly(0xA3L);
        // Unregistering; an unregistered nexus "unregistering" is GOOD and changes nothing (PRgeneration too).
        int generation = readKeys(A).generation();
        prOut(A, ServiceAction.REGISTER, null, 0xA3, 0).good();
        assertThat(readKeys(A)).isEqualTo(new PersistentReserveInData.ReadKeys(generation + 1, List.of()));
        prOut(A, ServiceAction.REGISTER, null, 0, 0).good();
        assertThat(readKeys(A).generation()).isEqualTo(generation + 1);
    }

    @Test
    void reserveAndReleaseNeedARegistrationWithItsKey() {
        assertThat(reserve(A, 0, WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        register(A, 0xA).good();
        assertThat(reserve(A, 0xB, WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        int generation = readKeys(A).generation();
        reserve(A, 0xA, WRITE_EXCLUSIVE).good();
        reserve(A, 0xA, WRITE_EXCLUSIVE).good(); // the same reservation again: GOOD
        assertThat(reserve(A, 0xA, EXCLUSIVE_ACCESS).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        register(B, 0xB).good();
        assertThat(reserve(B, 0xB, WRITE_EXCLUSIVE).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // RELEASE from a registered non-holder: GOOD, nothing happens; from the holder with the wrong type: 26h/04h.
        prOut(B, ServiceAction.RELEASE, WRITE_EXCLUSIVE, 0xB, 0).good();
        assertThat(readReservation(A).reservation()).isPresent();
        prOut(A, ServiceAction.RELEASE, EXCLUSIVE_ACCESS, 0xA, 0)
                .check(AdditionalSense.INVALID_RELEASE_OF_PERSISTENT_RESERVATION);
        assertThat(prOut(C, ServiceAction.RELEASE, WRITE_EXCLUSIVE, 0, 0).status())
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(A, ServiceAction.RELEASE, WRITE_EXCLUSIVE, 0xA, 0).good();
        assertThat(readReservation(A)).isEqualTo(new PersistentReserveInData.ReadReservation(generation + 1,
                Optional.empty()));
        // RESERVE and RELEASE do not count in PRgeneration; only B's REGISTER did.
    }

    @Test
    void badCdbFieldsAndParameterListsPointAtTheField() {
        register(A, 0xA).good();
        byte[] list = PersistentReserveOutParameters.of(0xA, 0, false).encode();
        // TYPE 2h does not exist; SCOPE must be LU_SCOPE.
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.RESERVE, 0, 2, 24).encode(), list)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 3));
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.RESERVE, 2, 1, 24).encode(), list)
                .check(AdditionalSense.INVALID_FIELD_IN_CDB, FieldPointer.cdb(2, 7));
        // The basic list is 24 bytes; more data-out than the PARAMETER LIST LENGTH is not the list's.
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER, null, 25).encode(), new byte[25])
                .check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER, null, 24).encode(), new byte[16])
                .check(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR);
        // SPEC_I_PT and ALL_TG_PT are not supported (REPORT CAPABILITIES says SIP_C = ATP_C = 0).
        byte[] specIPt = new PersistentReserveOutParameters(0xA, 0xA1, true, false, false,
                List.of(IscsiTransportId.port(B.initiatorName(), B.isid()))).encode();
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER, null, specIPt.length).encode(), specIPt)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(20, 3));
        byte[] allTg = new PersistentReserveOutParameters(0xA, 0xA1, false, true, false, List.of()).encode();
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER, null, 24).encode(), allTg)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(20, 2));
        // A target without a reservation directory cannot persist: APTPL is refused and PTPL_C is zero.
        prOut(A, LUN_4K, ServiceAction.REGISTER, null, 0xA, 0xA1, true)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(20, 0));
        assertThat(readKeys(A).keys()).containsExactly(0xAL);
    }

    @Test
    void reportCapabilitiesAdvertisesWhatIsImplemented() {
        byte[] caps = prIn(A, LUN_4K, PersistentReserveInCdb.ServiceAction.REPORT_CAPABILITIES);
        // CRH; no SIP_C, ATP_C, PTPL_C (no state directory here); TMV, ALLOW COMMANDS 001b; all six types.
        assertThat(caps).isEqualTo(hex("0008 10 90 EA01 0000"));
        // A truncated answer (allocation length 4).
        assertThat(run(A, LUN_4K, new PersistentReserveInCdb(PersistentReserveInCdb.ServiceAction.REPORT_CAPABILITIES,
                4).encode()).good().data()).isEqualTo(hex("0008 10 90"));
    }

    @Test
    void readKeysAllocationLengthCutsTheListButNotItsLength() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        byte[] cut = run(A, LUN_4K, new PersistentReserveInCdb(PersistentReserveInCdb.ServiceAction.READ_KEYS, 8)
                .encode()).good().data();
        assertThat(cut).isEqualTo(hex("00000002 00000010"));
    }

    @Test
    void readFullStatusNamesEveryRegistrationAndTheHolder() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(B, 0xB, EXCLUSIVE_ACCESS_REGISTRANTS_ONLY).good();
        PersistentReserveInData.ReadFullStatus status = PersistentReserveInData.ReadFullStatus.decode(prIn(A, LUN_4K,
                PersistentReserveInCdb.ServiceAction.READ_FULL_STATUS));
        assertThat(status.descriptors()).containsExactly(
                new PersistentReserveInData.FullStatus(0xA, false, Optional.empty(), 1,
                        IscsiTransportId.port(A.initiatorName(), A.isid())),
                new PersistentReserveInData.FullStatus(0xB, false, Optional.of(EXCLUSIVE_ACCESS_REGISTRANTS_ONLY), 2,
                        IscsiTransportId.port(B.initiatorName(), B.isid())));
        prOut(B, ServiceAction.RELEASE, EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, 0xB, 0).good();
        clearUnitAttentions(A);
        reserve(A, 0xA, WRITE_EXCLUSIVE_ALL_REGISTRANTS).good();
        status = PersistentReserveInData.ReadFullStatus.decode(prIn(A, LUN_4K,
                PersistentReserveInCdb.ServiceAction.READ_FULL_STATUS));
        assertThat(status.descriptors()).allSatisfy(d -> assertThat(d.holder()).contains(WRITE_EXCLUSIVE_ALL_REGISTRANTS));
    }

    @Test
    void preemptRemovesRegistrationsTakesTheReservationAndTellsThem() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        register(C, 0xC).good();
        reserve(B, 0xB, WRITE_EXCLUSIVE).good();
        clearUnitAttentions(A, B, C);
        // PREEMPT of a key nobody has conflicts; key zero without an all registrants reservation is a bad field.
        assertThat(prOut(A, ServiceAction.PREEMPT, EXCLUSIVE_ACCESS, 0xA, 0x77).status())
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(A, ServiceAction.PREEMPT, EXCLUSIVE_ACCESS, 0xA, 0)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(8, 7));
        prOut(A, ServiceAction.PREEMPT, EXCLUSIVE_ACCESS, 0xA, 0xB).good();
        assertThat(readKeys(A).keys()).containsExactly(0xAL, 0xCL);
        assertThat(readReservation(A).reservation()).contains(new PersistentReserveInData.Reservation(0xA,
                EXCLUSIVE_ACCESS));
        // B lost its registration; C, still registered, hears that the reservation's type changed.
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).containsExactly(AdditionalSense.REGISTRATIONS_PREEMPTED);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(C)).containsExactly(AdditionalSense.RESERVATIONS_RELEASED);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(A)).isEmpty();
        // The unit attention is what B's next command gets.
        run(B, LUN_4K, hex("00 00 00 00 00 00")).check(AdditionalSense.REGISTRATIONS_PREEMPTED);
        assertThat(read(B)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
    }

    @Test
    void preemptOfAnAllRegistrantsReservationWithKeyZeroRemovesEveryoneElse() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(B, 0xB, EXCLUSIVE_ACCESS_ALL_REGISTRANTS).good();
        clearUnitAttentions(A, B);
        prOut(A, ServiceAction.PREEMPT, WRITE_EXCLUSIVE, 0xA, 0).good();
        assertThat(readKeys(A).keys()).containsExactly(0xAL);
        assertThat(readReservation(A).reservation()).contains(new PersistentReserveInData.Reservation(0xA,
                WRITE_EXCLUSIVE));
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).containsExactly(AdditionalSense.REGISTRATIONS_PREEMPTED);
    }

    @Test
    void preemptAndAbortAbortsTheVictimsTasks() {
        List<String> aborted = new ArrayList<>();
        target.taskAborter((nexus, lun) -> {
            aborted.add(nexus.initiatorName() + "@" + lun);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        });
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(B, 0xB, WRITE_EXCLUSIVE).good();
        prOut(A, ServiceAction.PREEMPT_AND_ABORT, WRITE_EXCLUSIVE, 0xA, 0xB).good();
        assertThat(aborted).containsExactly(B.initiatorName() + "@0");
        // PREEMPT alone aborts nothing.
        clearUnitAttentions(B);
        register(B, 0xB).good();
        prOut(A, ServiceAction.PREEMPT, WRITE_EXCLUSIVE, 0xA, 0xB).good();
        assertThat(aborted).hasSize(1);
    }

    @Test
    void clearRemovesEverythingAndTellsTheOthers() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(A, 0xA, EXCLUSIVE_ACCESS).good();
        clearUnitAttentions(A, B);
        assertThat(prOut(C, ServiceAction.CLEAR, null, 0, 0).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(B, ServiceAction.CLEAR, null, 0xB, 0).good();
        assertThat(readKeys(B).keys()).isEmpty();
        assertThat(readReservation(B).reservation()).isEmpty();
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(A)).containsExactly(AdditionalSense.RESERVATIONS_PREEMPTED);
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).isEmpty();
    }

    @Test
    void releasingOrUnregisteringTheHolderOfARegistrantsOnlyReservationTellsTheRegistrants() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(A, 0xA, WRITE_EXCLUSIVE_REGISTRANTS_ONLY).good();
        clearUnitAttentions(A, B);
        prOut(A, ServiceAction.RELEASE, WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0xA, 0).good();
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).containsExactly(AdditionalSense.RESERVATIONS_RELEASED);
        clearUnitAttentions(B);
        reserve(A, 0xA, EXCLUSIVE_ACCESS_REGISTRANTS_ONLY).good();
        prOut(A, ServiceAction.REGISTER, null, 0xA, 0).good(); // libiscsi's ProutReserve.Ownership*
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).containsExactly(AdditionalSense.RESERVATIONS_RELEASED);
        assertThat(readReservation(A).reservation()).isEmpty();
        // Releasing a Write Exclusive reservation tells nobody.
        register(A, 0xA).good();
        reserve(A, 0xA, WRITE_EXCLUSIVE).good();
        clearUnitAttentions(A, B);
        prOut(A, ServiceAction.RELEASE, WRITE_EXCLUSIVE, 0xA, 0).good();
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).isEmpty();
    }

    @Test
    void anAllRegistrantsReservationLastsWhileAnyoneIsRegistered() {
        register(A, 0xA).good();
        register(B, 0xB).good();
        reserve(A, 0xA, WRITE_EXCLUSIVE_ALL_REGISTRANTS).good();
        prOut(A, ServiceAction.REGISTER, null, 0xA, 0).good();
        assertThat(readReservation(B).reservation()).isPresent();
        assertThat(target.unit(LUN_4K).pendingUnitAttentions(B)).isEmpty();
        assertThat(write(B)).isEqualTo(ScsiStatus.GOOD);
        assertThat(write(A)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(B, ServiceAction.RELEASE, WRITE_EXCLUSIVE_ALL_REGISTRANTS, 0xB, 0).good(); // B holds it too
        assertThat(readReservation(B).reservation()).isEmpty();
    }

    @Test
    void registerAndMoveHandsTheReservationToAnotherNexus() {
        register(A, 0xA).good();
        reserve(A, 0xA, EXCLUSIVE_ACCESS).good();
        run(B, LUN_4K, hex("00 00 00 00 00 00")); // B has logged in through target port 2
        byte[] list = new RegisterAndMoveParameters(0xA, 0xB, true, false, 2,
                IscsiTransportId.port(B.initiatorName(), B.isid())).encode();
        write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER_AND_MOVE, EXCLUSIVE_ACCESS,
                list.length).encode(), list).good();
        assertThat(readKeys(B).keys()).containsExactly(0xBL);
        assertThat(readReservation(B).reservation()).contains(new PersistentReserveInData.Reservation(0xB,
                EXCLUSIVE_ACCESS));
        assertThat(read(B)).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(A)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // Only the holder may move it; an unknown target port and a move to oneself are bad fields.
        register(A, 0xA).good();
        assertThat(write(A, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER_AND_MOVE, EXCLUSIVE_ACCESS,
                list.length).encode(), new RegisterAndMoveParameters(0xA, 0xA, false, false, 1,
                IscsiTransportId.port(C.initiatorName(), C.isid())).encode()).status())
                .isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        byte[] badPort = new RegisterAndMoveParameters(0xB, 0xA, false, false, 9,
                IscsiTransportId.port(A.initiatorName(), A.isid())).encode();
        write(B, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER_AND_MOVE, EXCLUSIVE_ACCESS,
                badPort.length).encode(), badPort)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(18, 7));
        byte[] self = new RegisterAndMoveParameters(0xB, 0xC, false, false, 2,
                IscsiTransportId.port(B.initiatorName(), B.isid())).encode();
        write(B, LUN_4K, new PersistentReserveOutCdb(ServiceAction.REGISTER_AND_MOVE, EXCLUSIVE_ACCESS,
                self.length).encode(), self)
                .check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, FieldPointer.parameter(24, 7));
    }

    @Test
    void registrationsSurviveNexusLossAndResetsButSpc2ReservationsDoNot() {
        register(A, 0xA).good();
        reserve(A, 0xA, EXCLUSIVE_ACCESS).good();
        target.nexusLost(A); // logout, connection loss or session reinstatement
        target.manage(B, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        target.manage(B, TaskManagementFunction.TARGET_WARM_RESET, LUN_4K);
        clearUnitAttentions(A, B);
        assertThat(readReservation(A).reservation()).contains(new PersistentReserveInData.Reservation(0xA,
                EXCLUSIVE_ACCESS));
        assertThat(read(A)).isEqualTo(ScsiStatus.GOOD);
        assertThat(read(B)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        prOut(A, ServiceAction.CLEAR, null, 0xA, 0).good();

        byte[] reserve6 = new ReserveReleaseCdb(OperationCode.RESERVE_6).encode();
        run(A, LUN_4K, reserve6).good();
        target.nexusLost(A);
        run(B, LUN_4K, reserve6).good();
        target.manage(A, TaskManagementFunction.LOGICAL_UNIT_RESET, LUN_4K);
        clearUnitAttentions(A, B);
        run(A, LUN_4K, reserve6).good();
    }

    @Test
    void spc2ReservationsExcludeOtherNexusesAndPersistentReservationCommands() {
        byte[] reserve10 = new ReserveReleaseCdb(OperationCode.RESERVE_10).encode();
        byte[] release6 = new ReserveReleaseCdb(OperationCode.RELEASE_6).encode();
        run(A, LUN_4K, reserve10).good();
        run(A, LUN_4K, reserve10).good(); // the holder may reserve again
        assertThat(run(B, LUN_4K, reserve10).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(read(B)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(run(B, LUN_4K, hex("1A 00 3F 00 FF 00")).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        run(B, LUN_4K, hex("12 00 00 00 24 00")).good();
        run(B, LUN_4K, release6).good(); // a no-op from another nexus
        assertThat(read(A)).isEqualTo(ScsiStatus.GOOD);
        // SPC-4 5.13.3: PERSISTENT RESERVE IN / OUT conflict for everyone while an SPC-2 reservation is held.
        assertThat(run(A, LUN_4K, new PersistentReserveInCdb(PersistentReserveInCdb.ServiceAction.READ_KEYS, 8)
                .encode()).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(register(A, 0xA).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        run(A, LUN_4K, release6).good();
        // ... and RESERVE / RELEASE conflict for everyone while a key is registered (LIO does the same).
        register(B, 0xB).good();
        assertThat(run(A, LUN_4K, reserve10).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        assertThat(run(B, LUN_4K, release6).status()).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // Third-party reservations are not supported.
        run(A, LUN_4K, hex("56 10 00 00 00 00 00 00 00 00")).check(AdditionalSense.INVALID_FIELD_IN_CDB,
                FieldPointer.cdb(1, 4));
    }

    /**
     * What sg_persist (sg3-utils) sends, byte for byte: PR IN with its 8192-byte allocation length, PR OUT with the
     * 24-byte list; register, reserve Write Exclusive Registrants Only, read keys, reservation, capabilities and full
     * status, release, unregister.
     */
    @Test
    void sgPersistSequenceAsALinuxHostSendsIt() {
        // sg_persist --out --register --param-sark=0x123abc
        write(A, LUN_4K, hex("5F 00 00 00 00 00 00 00 18 00"),
                hex("0000000000000000 0000000000123ABC 00000000 00 00 0000")).good();
        // sg_persist --out --reserve --param-rk=0x123abc --prout-type=5
        write(A, LUN_4K, hex("5F 01 05 00 00 00 00 00 18 00"),
                hex("0000000000123ABC 0000000000000000 00000000 00 00 0000")).good();
        // sg_persist --in --read-keys / --read-reservation / --report-capabilities / --read-full-status
        assertThat(run(B, LUN_4K, hex("5E 00 00 00 00 00 00 20 00 00")).good().data())
                .isEqualTo(hex("00000001 00000008 0000000000123ABC"));
        assertThat(run(B, LUN_4K, hex("5E 01 00 00 00 00 00 20 00 00")).good().data())
                .isEqualTo(hex("00000001 00000010 0000000000123ABC 00000000 00 05 0000"));
        assertThat(run(B, LUN_4K, hex("5E 02 00 00 00 00 00 20 00 00")).good().data())
                .isEqualTo(hex("0008 10 90 EA01 0000"));
        byte[] full = run(B, LUN_4K, hex("5E 03 00 00 00 00 00 20 00 00")).good().data();
        assertThat(full).startsWith(
                hex("00000001 0000004C 0000000000123ABC 00000000 01 05 00000000 0001 00000034 45 00 0030"));
        assertThat(new String(full, 36, 47, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(A.initiatorPortName());
        // Another host's write conflicts while the reservation is held.
        assertThat(write(B)).isEqualTo(ScsiStatus.RESERVATION_CONFLICT);
        // sg_persist --out --release --param-rk=0x123abc --prout-type=5, then unregister.
        write(A, LUN_4K, hex("5F 02 05 00 00 00 00 00 18 00"),
                hex("0000000000123ABC 0000000000000000 00000000 00 00 0000")).good();
        write(A, LUN_4K, hex("5F 00 00 00 00 00 00 00 18 00"),
                hex("0000000000123ABC 0000000000000000 00000000 00 00 0000")).good();
        assertThat(run(B, LUN_4K, hex("5E 00 00 00 00 00 00 20 00 00")).good().data())
                .isEqualTo(hex("00000002 00000000"));
        assertThat(write(B)).isEqualTo(ScsiStatus.GOOD);
    }

    @Test
    void everyImplementedCommandHasAReservationAccessAndTheReportListsThePrCommands() {
        for (CommandTable.Entry e : target.commands().entries()) {
            assertThat(ReservationAccess.classifies(e.opcode())).as("%s in the conflict table", e.opcode()).isTrue();
        }
        for (PersistentReserveOutCdb.ServiceAction sa : PersistentReserveOutCdb.ServiceAction.values()) {
            assertThat(target.commands().find(0x5F, OptionalInt.of(sa.code()))).as("%s", sa).isPresent();
        }
        // REPORT SUPPORTED OPERATION CODES, one command: PERSISTENT RESERVE IN READ KEYS with its usage data.
        byte[] one = run(A, LUN_4K, new ReportSupportedOpcodesCdb(false, 2, 0x5E, 0x00, 512).encode()).good().data();
        assertThat(one).startsWith(hex("00 03 000A 5E 1F 00 00 00 00 00 FF FF 04"));
        byte[] reserve6 = run(A, LUN_4K, new ReportSupportedOpcodesCdb(false, 1, 0x16, 0, 512).encode()).good().data();
        assertThat(reserve6).startsWith(hex("00 03 0006 16 11 00 00 00 04"));
    }
}
