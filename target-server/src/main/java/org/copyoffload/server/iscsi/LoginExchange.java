package org.copyoffload.server.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.login.ChapCredential;
import org.copyoffload.protocol.iscsi.login.ChapSecrets;
import org.copyoffload.protocol.iscsi.login.LoginException;
import org.copyoffload.protocol.iscsi.login.LoginStatus;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.iscsi.login.OperationalNegotiation;
import org.copyoffload.protocol.iscsi.login.SecurityNegotiation;
import org.copyoffload.protocol.iscsi.login.TargetLimits;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.log.RateLimitedWarnings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login phase of one connection (RFC 7143, 6.3): Login Requests and Responses through the security stage (CHAP
 * when the target asks for it) and the operational stage to full feature phase. The first request names the
 * initiator, the session type and the target; the last response assigns the TSIH of a new session, or the connection
 * joins the session whose TSIH it gave. Any failure answers with its login status and closes the connection.
 */
final class LoginExchange {
    private static final Logger log = LoggerFactory.getLogger(LoginExchange.class);
    /** A misbehaving peer can send these in floods: at most so many lines per interval, then a count. */
    private static final RateLimitedWarnings REFUSED = RateLimitedWarnings.of(log, "iSCSI logins refused");
    static final int SECURITY = 0;
    static final int OPERATIONAL = 1;
    static final int FULL_FEATURE = 3;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final IscsiTargetService service;
    private final IscsiConnection connection;
    private final int portalGroupTag;
    private boolean started;
    private long isid;
    private int tsih;
    private int cid;
    private int initiatorTaskTag;
    private int cmdSn;
    private int stage = SECURITY;
    private String initiatorName;
    private boolean discovery;
    private IscsiTargetService.Target target;
    private IscsiSession joining;
    private SecurityNegotiation security;
    private OperationalNegotiation operational;
    private boolean securityDone;
    private CompositeByteBuf pendingText;

    LoginExchange(IscsiTargetService service, IscsiConnection connection, int portalGroupTag) {
        this.service = service;
        this.connection = connection;
        this.portalGroupTag = portalGroupTag;
    }

    void receive(IscsiPdu pdu) {
        if (!(pdu instanceof IscsiPdu.LoginRequest r)) {
            // RFC 7143, 6.3: only Login Requests until the login phase ends.
            fail(LoginStatus.INVALID_DURING_LOGIN, pdu.opcode() + " during login");
            return;
        }
        try {
            request(r);
        } catch (LoginException e) {
            fail(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("login from {} failed inside the target", connection.remote(), e);
            fail(LoginStatus.TARGET_ERROR, e.toString());
        }
    }

    private void request(IscsiPdu.LoginRequest r) throws LoginException {
        if (!started) {
            started = true;
            isid = r.isid();
            tsih = r.tsih();
            cid = r.cid();
            cmdSn = r.cmdSn();
            connection.initialStatSn(r.expStatSn());
            if (r.versionMin() > 0 || Integer.compareUnsigned(r.versionMax(), r.versionMin()) < 0) {
                throw new LoginException(LoginStatus.UNSUPPORTED_VERSION, "versions " + r.versionMin() + ".."
                        + r.versionMax() + " do not include 0 (RFC 7143)");
            }
        } else if (r.isid() != isid || r.tsih() != tsih || r.cid() != cid) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "ISID, TSIH or CID changed during login");
        }
        initiatorTaskTag = r.initiatorTaskTag();
        if (r.csg() != stage && !(r.csg() == OPERATIONAL && stage == SECURITY)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CSG " + r.csg() + " in stage " + stage);
        }
        if (r.csg() == 2 || r.transit() && (r.nsg() == 2 || r.nsg() <= r.csg())) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "stage transition " + r.csg() + " -> " + r.nsg());
        }
        if (r.transit() && r.cont()) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "T and C both set");
        }
        if (pendingText == null) {
            pendingText = Unpooled.compositeBuffer();
        }
        pendingText.addComponent(true, r.data().retain());
        if (r.cont()) {
            // The keys continue in the next request: ask for it with an empty response (RFC 7143, 6.2).
            respond(false, r.csg(), 0, List.of());
            return;
        }
        List<TextKey> keys;
        try {
            keys = TextKeys.decode(pendingText);
        } catch (RuntimeException e) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "bad text keys: " + e.getMessage());
        } finally {
            pendingText.release();
            pendingText = null;
        }
        List<TextKey> reply = new ArrayList<>();
        List<TextKey> rest = declarations(keys);
        if (r.csg() == SECURITY) {
            reply.addAll(security().respond(rest));
            securityDone = security().complete();
        } else {
            if (stage == SECURITY && !securityDone && authenticationRequired()) {
                throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "the target requires CHAP, but the "
                        + "initiator skipped the security stage");
            }
            stage = OPERATIONAL;
            reply.addAll(operational().respond(rest));
            // What the target declares unasked (MaxRecvDataSegmentLength...), once each.
            for (TextKey k : operational().targetOffers()) {
                if (reply.stream().noneMatch(x -> x.name().equals(k.name()))) {
                    reply.add(k);
                }
            }
        }
        // TargetPortalGroupTag (and TargetAlias) in the response to the first request (RFC 7143, 13.9), once.
        for (TextKey k : operational().anyStageDeclarations()) {
            if (reply.stream().noneMatch(x -> x.name().equals(k.name()))) {
                reply.add(k);
            }
        }
        boolean transit = r.transit();
        int next = r.nsg();
        if (transit && r.csg() == SECURITY && !securityDone) {
            transit = false; // CHAP has more steps: stay in the security stage
        }
        if (!transit) {
            respond(false, r.csg(), 0, reply);
            return;
        }
        if (next == FULL_FEATURE) {
            finish(r, reply);
        } else {
            stage = next;
            respond(true, r.csg(), next, reply);
        }
    }

    /** InitiatorName, SessionType, TargetName and InitiatorAlias: what the login is about (RFC 7143, 13.4-13.6). */
    private List<TextKey> declarations(List<TextKey> keys) throws LoginException {
        List<TextKey> rest = new ArrayList<>();
        String sessionType = null;
        String targetName = null;
        for (TextKey k : keys) {
            switch (k.name()) {
                case "InitiatorName" -> initiatorName = k.value();
                case "SessionType" -> sessionType = k.value();
                case "TargetName" -> targetName = k.value();
                case "InitiatorAlias" -> { }
                default -> rest.add(k);
            }
        }
        if (security != null || operational != null) {
            return rest; // only the first request decides who logs in to what
        }
        if (initiatorName == null || initiatorName.isEmpty()) {
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "no InitiatorName in the first Login Request");
        }
        if (sessionType != null && !sessionType.equals("Normal") && !sessionType.equals("Discovery")) {
            throw new LoginException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType " + sessionType);
        }
        discovery = "Discovery".equals(sessionType);
        if (!discovery) {
            if (targetName == null) {
                throw new LoginException(LoginStatus.MISSING_PARAMETER, "no TargetName for a normal session");
            }
            target = service.target(targetName);
            if (target == null) {
                throw new LoginException(LoginStatus.NOT_FOUND, "no target " + targetName);
            }
            if (!target.allows(initiatorName)) {
                throw new LoginException(LoginStatus.AUTHORIZATION_FAILURE, initiatorName + " may not log in to "
                        + targetName);
            }
        }
        if (tsih != 0) {
            joining = service.session(tsih, initiatorName, isid);
            if (joining == null || joining.isDiscovery() != discovery
                    || !discovery && joining.target() != target) {
                throw new LoginException(LoginStatus.SESSION_DOES_NOT_EXIST, "no session with TSIH " + tsih
                        + " for " + initiatorName);
            }
        }
        return rest;
    }

    private ServerConfig.Chap chap() {
        return discovery ? service.discoveryChap() : target.config().chapFor(initiatorName);
    }

    private boolean authenticationRequired() {
        return chap() != null;
    }

    private SecurityNegotiation security() {
        if (security == null) {
            ServerConfig.Chap c = chap();
            ChapSecrets secrets = c == null ? null : new ChapSecrets(ChapCredential.of(c.user(), c.secret()),
                    c.mutual() ? ChapCredential.of(c.mutualUser(), c.mutualSecret()) : null);
            security = new SecurityNegotiation(secrets, RANDOM);
        }
        return security;
    }

    private OperationalNegotiation operational() {
        if (operational == null) {
            ServerConfig.IscsiLimits l = service.limits();
            TargetLimits limits = new TargetLimits(true, true, l.maxRecvDataSegmentLength(), l.maxBurstLength(),
                    l.firstBurstLength(), l.maxOutstandingR2T(), l.initialR2T(), l.immediateData(), l.maxConnections(),
                    2, 20, 0, discovery ? null : target.config().alias(), portalGroupTag);
            operational = new OperationalNegotiation(limits, discovery);
        }
        return operational;
    }

    /** The last response: the connection enters full feature phase in a new or an existing session. */
    private void finish(IscsiPdu.LoginRequest r, List<TextKey> reply) throws LoginException {
        if (authenticationRequired() && !securityDone) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "CHAP did not complete");
        }
        NegotiatedParameters parameters = operational().result();
        IscsiSession session;
        if (joining != null) {
            if (joining.connections().size() >= joining.parameters().maxConnections()
                    && !joining.connections().containsKey(cid)) {
                throw new LoginException(LoginStatus.TOO_MANY_CONNECTIONS, "the session has "
                        + joining.connections().size() + " connections, MaxConnections is "
                        + joining.parameters().maxConnections());
            }
            IscsiConnection old = joining.connections().get(cid);
            if (old != null) {
                // Connection reinstatement (RFC 7143, 6.3.4): the new connection replaces the one with this CID.
                old.close("reinstated by a new login with CID " + cid);
            }
            session = joining;
        } else {
            service.reinstate(initiatorName, isid, discovery ? null : target.name());
            session = service.open(initiatorName, isid, discovery ? null : target, parameters, cmdSn, portalGroupTag);
        }
        session.attach(cid, connection);
        connection.sendAndFlush(response(true, r.csg(), FULL_FEATURE, session.tsih(), LoginStatus.SUCCESS, reply,
                session.expCmdSn(), session.maxCmdSn()));
        connection.enterFullFeaturePhase(session, cid, joining != null ? joining.parameters() : parameters);
        String authentication = security == null ? "none" : security.algorithm()
                .map(a -> "chap-" + a.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')).orElse("none");
        service.metrics().loggedIn(discovery ? "discovery" : "normal", authentication);
        log.info("{} logged in from {} to {} (TSIH {}, CID {}, authentication {})", initiatorName, connection.remote(),
                discovery ? "discovery" : target.name(), session.tsih(), cid, authentication);
    }

    private void respond(boolean transit, int csg, int nsg, List<TextKey> keys) {
        connection.sendAndFlush(response(transit, csg, nsg, 0, LoginStatus.SUCCESS, keys, cmdSn,
                cmdSn + service.limits().queueDepth() - 1));
    }

    private IscsiPdu.LoginResponse response(boolean transit, int csg, int nsg, int tsihOut, LoginStatus status,
                                            List<TextKey> keys, int expCmdSn, int maxCmdSn) {
        ByteBuf data = Unpooled.EMPTY_BUFFER;
        if (!keys.isEmpty()) {
            data = connection.context().alloc().buffer();
            TextKeys.encode(keys, data);
        }
        return new IscsiPdu.LoginResponse(transit, false, csg, transit ? nsg : 0, 0, 0, isid, tsihOut,
                initiatorTaskTag, connection.nextStatSn(), expCmdSn, maxCmdSn, status.statusClass(), status.statusDetail(),
                data);
    }

    /** A login that cannot go on: its status, then the connection closes (RFC 7143, 6.3). */
    void fail(LoginStatus status, String reason) {
        REFUSED.warn("login from {} ({}) refused: {} ({})", connection.remote(), initiatorName, reason, status);
        service.metrics().loginFailed(status.name().toLowerCase(java.util.Locale.ROOT));
        if (pendingText != null) {
            pendingText.release();
            pendingText = null;
        }
        connection.send(response(false, stage, 0, 0, status, List.of(), cmdSn, cmdSn));
        connection.closeAfterFlush();
    }
}
