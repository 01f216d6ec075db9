package org.copyoffload.server.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.IscsiTransportId;
import org.copyoffload.protocol.scsi.PersistentReservationType;
import org.copyoffload.protocol.scsi.PersistentReserveInCdb;
import org.copyoffload.protocol.scsi.PersistentReserveInData;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb.ServiceAction;
import org.copyoffload.protocol.scsi.PersistentReserveOutParameters;
import org.copyoffload.protocol.scsi.RegisterAndMoveParameters;
import org.copyoffload.protocol.scsi.ReserveReleaseCdb;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PERSISTENT RESERVE IN / OUT (SPC-4 6.15, 6.16) and RESERVE / RELEASE (6)/(10) (SPC-2 7.17-7.22). The rules live in
 * {@link PersistentReservations}; here the CDBs and parameter lists are read, the outcome's unit attentions are
 * established and PREEMPT AND ABORT's victims are handed to the transport to abort.
 */
final class ReservationCommands {
    /**
     * ALLOW COMMANDS 001b (SPC-4 Table 202): TEST UNIT READY is allowed through Write Exclusive and Exclusive Access
     * reservations; no claim about the commands the higher codes list.
     */
    static final int ALLOW_COMMANDS = 1;
    /** How long PREEMPT AND ABORT waits for the preempted tasks to end (they may be in the middle of store I/O). */
    static final long ABORT_WAIT_SECONDS = 30;
    private static final Logger log = LoggerFactory.getLogger(ReservationCommands.class);

    private ReservationCommands() {
    }

    /** PERSISTENT RESERVE IN: the four service actions, answered at once from the current state. */
    static CompletableFuture<ScsiResponse> persistentReserveIn(Request r) {
        PersistentReserveInCdb c = PersistentReserveInCdb.decode(r.cdb());
        PersistentReservations pr = r.unit().reservations();
        ReservationState s = pr.state();
        PersistentReserveInData data = switch (c.serviceAction()) {
            case READ_KEYS -> new PersistentReserveInData.ReadKeys(s.generation(), s.keys());
            case READ_RESERVATION -> new PersistentReserveInData.ReadReservation(s.generation(),
                    s.currentReservation().map(res -> new PersistentReserveInData.Reservation(s.reservationKey(),
                            res.type())));
            case REPORT_CAPABILITIES -> capabilities(pr);
            case READ_FULL_STATUS -> new PersistentReserveInData.ReadFullStatus(s.generation(), fullStatus(s));
        };
        return Responses.dataIn(data.encode(), c.allocationLength());
    }

    /**
     * REPORT CAPABILITIES advertises what {@link PersistentReservations} does: compatible reservation handling (SPC-4
     * 5.13.3), no SPEC_I_PT, no ALL_TG_PT, APTPL where the unit has a state file, every reservation type.
     */
    static PersistentReserveInData.ReportCapabilities capabilities(PersistentReservations pr) {
        return new PersistentReserveInData.ReportCapabilities(true, false, false, pr.canPersist(), ALLOW_COMMANDS,
                pr.state().aptpl(), PersistentReservationType.allMask());
    }

    private static List<PersistentReserveInData.FullStatus> fullStatus(ReservationState s) {
        List<PersistentReserveInData.FullStatus> list = new ArrayList<>();
        for (Map.Entry<ItNexus, Long> e : s.registrations().entrySet()) {
            ItNexus n = e.getKey();
            Optional<PersistentReservationType> holder = s.holds(n)
                    ? Optional.of(s.reservation().type()) : Optional.empty();
            list.add(new PersistentReserveInData.FullStatus(e.getValue(), false, holder, n.relativeTargetPortId(),
                    IscsiTransportId.port(n.initiatorName(), n.isid())));
        }
        return list;
    }

    /**
     * PERSISTENT RESERVE OUT. The CDB's SCOPE and TYPE are checked for the service actions that use them, the
     * parameter list (exactly PARAMETER LIST LENGTH bytes must have arrived) for its length and the flags this unit
     * does not support; then the change runs on the I/O executor, since a change that persists waits for fsync.
     */
    static CompletableFuture<ScsiResponse> persistentReserveOut(Request r) {
        PersistentReserveOutCdb c = PersistentReserveOutCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        PersistentReservations pr = u.reservations();
        ServiceAction sa = c.serviceAction();
        PersistentReservationType type = null;
        if (sa == ServiceAction.RESERVE || sa == ServiceAction.PREEMPT || sa == ServiceAction.PREEMPT_AND_ABORT) {
            c.checkScope();
            type = c.type();
        }
        long length = c.parameterListLength();
        if (length > r.dataOutLength()) {
            throw CheckCondition.parameterListLength("PARAMETER LIST LENGTH " + length + " but " + r.dataOutLength()
                    + " bytes of data-out arrived");
        }
        byte[] data = r.dataOutBytes((int) length);
        ItNexus n = r.nexus();
        PersistentReservations.Change change;
        if (sa == ServiceAction.REGISTER_AND_MOVE) {
            RegisterAndMoveParameters p = RegisterAndMoveParameters.decode(data, (int) length);
            ItNexus destination = destination(r, p);
            if (p.activatePersistThroughPowerLoss() && !pr.canPersist()) {
                throw CheckCondition.invalidParameter("APTPL", 17, 0, 1,
                        "this logical unit has nowhere to persist reservations (PTPL_C = 0)");
            }
            change = () -> pr.registerAndMove(n, p.reservationKey(), p.serviceActionReservationKey(), destination,
                    p.unregister(), p.activatePersistThroughPowerLoss());
        } else {
            PersistentReserveOutParameters p = PersistentReserveOutParameters.decode(data, (int) length);
            boolean registering = sa == ServiceAction.REGISTER || sa == ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY;
            checkParameters(p, registering, pr.canPersist());
            long key = p.reservationKey();
            long saKey = p.serviceActionReservationKey();
            PersistentReservationType t = type;
            change = switch (sa) {
                case REGISTER, REGISTER_AND_IGNORE_EXISTING_KEY -> () -> pr.register(n, key, saKey,
                        sa == ServiceAction.REGISTER_AND_IGNORE_EXISTING_KEY, p.activatePersistThroughPowerLoss());
                case RESERVE -> () -> pr.reserve(n, key, t);
                case RELEASE -> () -> pr.release(n, key, c.scope(), c.typeCode());
                case CLEAR -> () -> pr.clear(n, key);
                case PREEMPT, PREEMPT_AND_ABORT -> () -> pr.preempt(n, key, saKey, t,
                        sa == ServiceAction.PREEMPT_AND_ABORT);
                case REGISTER_AND_MOVE -> throw new IllegalStateException("handled above");
            };
        }
        return u.submit("PERSISTENT RESERVE OUT " + sa, AdditionalSense.INTERNAL_TARGET_FAILURE, () -> {
            PersistentReservations.Outcome o = change.run();
            for (PersistentReservations.Notice notice : o.attentions()) {
                u.establishUnitAttention(notice.nexuses(), notice.sense());
            }
            List<CompletableFuture<Void>> aborts = new ArrayList<>();
            for (ItNexus victim : o.aborted()) {
                aborts.add(r.target().abortTasks(victim, u.lun()));
            }
            awaitAborts(aborts, u);
            return ScsiResponse.GOOD;
        });
    }

    /**
     * INVALID FIELD IN PARAMETER LIST for what REPORT CAPABILITIES says this unit does not do: SPEC_I_PT (SIP_C = 0;
     * SPC-4 6.16.3 allows it for REGISTER only, so no service action takes it here), ALL_TG_PT when registering
     * (ATP_C = 0; the other service actions ignore it) and APTPL when the unit has nowhere to persist (PTPL_C = 0).
     */
    private static void checkParameters(PersistentReserveOutParameters p, boolean registering, boolean canPersist) {
        if (p.specifyInitiatorPorts()) {
            throw CheckCondition.invalidParameter("SPEC_I_PT", PersistentReserveOutParameters.FLAGS, 3, 1,
                    "registering other initiator ports is not supported (SIP_C = 0)");
        }
        if (registering && p.allTargetPorts()) {
            throw CheckCondition.invalidParameter("ALL_TG_PT", PersistentReserveOutParameters.FLAGS, 2, 1,
                    "registering on all target ports is not supported (ATP_C = 0)");
        }
        if (registering && p.activatePersistThroughPowerLoss() && !canPersist) {
            throw CheckCondition.invalidParameter("APTPL", PersistentReserveOutParameters.FLAGS, 0, 1,
                    "this logical unit has nowhere to persist reservations (PTPL_C = 0)");
        }
    }

    /**
     * Waits (on the I/O executor) until PREEMPT AND ABORT's victims' tasks are aborted, so that none of them runs after
     * the command completes (SPC-4 5.13.11.2.5); a transport that takes longer than {@link #ABORT_WAIT_SECONDS} is
     * logged and the command completes anyway.
     */
    private static void awaitAborts(List<CompletableFuture<Void>> aborts, LogicalUnit u) {
        if (aborts.isEmpty()) {
            return;
        }
        try {
            CompletableFuture.allOf(aborts.toArray(CompletableFuture[]::new)).get(ABORT_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            log.warn("{}: PREEMPT AND ABORT: tasks still not aborted after {} s", u, ABORT_WAIT_SECONDS);
        } catch (ExecutionException e) {
            log.warn("{}: PREEMPT AND ABORT: aborting tasks failed", u, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The I_T nexus REGISTER AND MOVE names: the initiator port of the TransportID (which must carry an ISID: a
     * nexus has one initiator port) with the target port of RELATIVE TARGET PORT IDENTIFIER, which must be a port of
     * this target that an initiator has used (iSCSI: its portal group tag).
     */
    private static ItNexus destination(Request r, RegisterAndMoveParameters p) {
        IscsiTransportId id = p.transportId();
        if (id.isid().isEmpty()) {
            throw CheckCondition.invalidParameter("TransportID FORMAT CODE", RegisterAndMoveParameters.HEADER, 7, 0,
                    "REGISTER AND MOVE needs an initiator port (format 01b, name and ISID)");
        }
        int port = p.relativeTargetPortId();
        ItNexus samePort = r.nexus().relativeTargetPortId() == port ? r.nexus()
                : r.target().knownNexuses().stream().filter(k -> k.relativeTargetPortId() == port).findFirst()
                        .orElseThrow(() -> CheckCondition.invalidParameter("RELATIVE TARGET PORT IDENTIFIER", 18, 7,
                                port, "no target port of this target has that identifier"));
        return new ItNexus(id.name(), id.isid().getAsLong(), samePort.targetName(), samePort.targetPortalGroupTag(),
                port);
    }

    /** RESERVE (6)/(10) and RELEASE (6)/(10): the SPC-2 reservation of the whole logical unit. */
    static CompletableFuture<ScsiResponse> reserveRelease(Request r) {
        ReserveReleaseCdb c = ReserveReleaseCdb.decode(r.cdb());
        PersistentReservations pr = r.unit().reservations();
        if (c.reserve()) {
            pr.reserve(r.nexus());
        } else {
            pr.release(r.nexus());
        }
        return Responses.GOOD;
    }
}
