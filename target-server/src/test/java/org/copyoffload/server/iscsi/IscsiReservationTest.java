package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.PersistentReserveOutParameters;
import org.copyoffload.protocol.scsi.ReserveReleaseCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reservations end to end over loopback, each session its own I_T nexus (same initiator name, its own ISID): the
 * RESERVATION CONFLICT status on the wire, PREEMPT AND ABORT ending the preempted session's task, registrations that
 * outlive session reinstatement, and an SPC-2 reservation that does not.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiReservationTest {
    static final String TARGET = "iqn.2026-01.org.copyoffload:reservations";
    static final int CONFLICT = 0x18;

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners: []
            metrics: {enabled: false}
            volumes:
              - {name: pr0, size: 16MiB, block-size: 4096}
              - {name: pr1, size: 16MiB, block-size: 512}
            iscsi:
              listeners: [{address: 127.0.0.1, port: 0}]
              first-burst-length: 16384
              targets:
                - name: %s
                  luns: [{lun: 0, volume: pr0}, {lun: 1, volume: pr1}]
            """.formatted(dir, TARGET));

    private static IscsiClient login() {
        return new IscsiClient(target.iscsiPortal()).login(TARGET);
    }

    private static IscsiClient.Result prOut(IscsiClient c, int lun, ServiceAction sa, PersistentReservationType type,
                                            long key, long saKey) {
        byte[] list = PersistentReserveOutParameters.of(key, saKey, false).encode();
        return c.command(lun, new PersistentReserveOutCdb(sa, type, list.length).encode(), list, 0, false);
    }

    private static PersistentReserveInData.ReadReservation readReservation(IscsiClient c, int lun) {
        IscsiClient.Result r = c.command(lun, new PersistentReserveInCdb(
                PersistentReserveInCdb.ServiceAction.READ_RESERVATION, 512).encode(), null, 512, true);
        assertThat(r.status()).isZero();
        return PersistentReserveInData.ReadReservation.decode(r.dataIn());
    }

    private static void expectSense(IscsiClient.Result r, AdditionalSense expected) {
        assertThat(r.status()).isEqualTo(2);
        SenseData s = SenseData.decode(r.sense());
        assertThat(s.asc() << 8 | s.ascq()).as("ASC/ASCQ of %s", s).isEqualTo(expected.code());
    }

    @Test
    void conflictsOnTheWireAndPreemptAndAbortEndsTheOtherSessionsTask() {
        try (IscsiClient x = login(); IscsiClient y = login()) {
            assertThat(prOut(x, 0, ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY, null, 0, 0xA).status()).isZero();
            assertThat(prOut(y, 0, ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY, null, 0, 0xB).status()).isZero();
            assertThat(prOut(x, 0, ServiceAction.RESERVE, PersistentReservationType.EXCLUSIVE_ACCESS, 0xA, 0)
                    .status()).isZero();
            assertThat(y.read10(0, 0, 1, 4096).status()).isEqualTo(CONFLICT);
            assertThat(y.read10(1, 0, 1, 512).status()).as("LUN 1 is not reserved").isZero();

            // A WRITE of y's that waits for its data: the immediate part arrived, the R2T for the rest is unanswered.
            int itt = y.itt();
            byte[] data = new byte[65536];
            byte[] cdb = {0x2A, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0};
            y.conn.send(new IscsiPdu.ScsiCommand(false, true, false, true, 1, Lun.encode(0), itt, data.length,
                    y.cmdSn++, y.expStatSn, cdb, -1, Unpooled.wrappedBuffer(data, 0, 16384)));
            IscsiPdu.R2t r2t = y.conn.expect(IscsiPdu.R2t.class, IscsiClient.WAIT);

            assertThat(prOut(x, 0, ServiceAction.PREEMPT_AND_ABORT, PersistentReservationType.EXCLUSIVE_ACCESS, 0xA,
                    0xB).status()).isZero();
            // y's task is gone: the data the R2T asked for now belongs to no task (no response comes for it either).
            y.sendData(itt, r2t.targetTransferTag(), data, r2t.bufferOffset(), r2t.desiredDataTransferLength());
            IscsiPdu.Reject reject = y.conn.expect(IscsiPdu.Reject.class, IscsiClient.WAIT);
            try {
                assertThat(reject.reason()).isEqualTo(RejectReason.INVALID_PDU_FIELD.code());
                assertThat(reject.data().getByte(reject.data().readerIndex()) & 0x3F)
                        .isEqualTo(IscsiOpcode.SCSI_DATA_OUT.code());
                y.expStatSn = reject.statSn() + 1;
            } finally {
                reject.release();
            }
            expectSense(y.testUnitReady(0), AdditionalSense.REGISTRATIONS_PREEMPTED);
            assertThat(y.read10(0, 0, 1, 4096).status()).isEqualTo(CONFLICT);
            assertThat(prOut(x, 0, ServiceAction.CLEAR, null, 0xA, 0).status()).isZero();
        }
    }

    @Test
    void registrationsOutliveSessionReinstatementButSpc2ReservationsDoNot() {
        try (IscsiClient x = login(); IscsiClient y = login()) {
            assertThat(prOut(x, 1, ServiceAction.REGISTER, null, 0, 0xA).status()).isZero();
            assertThat(prOut(x, 1, ServiceAction.RESERVE, PersistentReservationType.WRITE_EXCLUSIVE, 0xA, 0)
                    .status()).isZero();
            try (IscsiClient again = new IscsiClient(target.iscsiPortal())) {
                again.isid = x.isid; // session reinstatement: the same I_T nexus
                again.login(TARGET);
                assertThat(x.conn.awaitPeerClose(IscsiClient.WAIT)).isTrue();
                assertThat(readReservation(again, 1).reservation()).contains(new PersistentReserveInData.Reservation(
                        0xA, PersistentReservationType.WRITE_EXCLUSIVE));
                assertThat(again.write10(1, 0, new byte[512], 512, false).status()).as("still the holder").isZero();
                assertThat(y.write10(1, 0, new byte[512], 512, false).status()).isEqualTo(CONFLICT);
                assertThat(prOut(again, 1, ServiceAction.CLEAR, null, 0xA, 0).status()).isZero();

                byte[] reserve6 = new ReserveReleaseCdb(OperationCode.RESERVE_6).encode();
                assertThat(again.command(1, reserve6, null, 0, false).status()).isZero();
                assertThat(y.command(1, reserve6, null, 0, false).status()).isEqualTo(CONFLICT);
                try (IscsiClient third = new IscsiClient(target.iscsiPortal())) {
                    third.isid = again.isid;
                    third.login(TARGET);
                    assertThat(again.conn.awaitPeerClose(IscsiClient.WAIT)).isTrue();
                    assertThat(y.command(1, reserve6, null, 0, false).status()).as("released with the nexus").isZero();
                    assertThat(third.command(1, reserve6, null, 0, false).status()).isEqualTo(CONFLICT);
                    byte[] release6 = new ReserveReleaseCdb(OperationCode.RELEASE_6).encode();
                    assertThat(y.command(1, release6, null, 0, false).status()).isZero();
                }
            }
        }
    }
}
