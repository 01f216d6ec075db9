package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * iscsi.login-timeout, iscsi.nop-in-interval and iscsi.nop-in-timeout, short here: a connection that says nothing or
 * stops in the middle of its login is closed; a silent session is pinged with a NOP-In that asks for an answer
 * (RFC 7143, 11.19) and closed when none comes, kept while the initiator answers. Each closing is counted in
 * {@code copyoffload_connections_timeouts_total{transport="iscsi"}} by phase.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiTimeoutsTest {
    private static final String TARGET = "iqn.2026-01.org.copyoffload:test";
    private static final Duration LOGIN = Duration.ofMillis(400);
    private static final Duration NOP_INTERVAL = Duration.ofMillis(300);
    private static final Duration NOP_TIMEOUT = Duration.ofMillis(400);

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners: []
            metrics: {enabled: false}
            volumes:
              - {name: small, size: 16MiB, block-size: 512}
            iscsi:
              listeners:
                - {address: 127.0.0.1, port: 0}
              login-timeout: %dms
              nop-in-interval: %dms
              nop-in-timeout: %dms
              targets:
                - name: %s
                  luns: [{lun: 0, volume: small}]
            """.formatted(dir, LOGIN.toMillis(), NOP_INTERVAL.toMillis(), NOP_TIMEOUT.toMillis(), TARGET));

    private static double timeouts(String phase) {
        return PrometheusText.parse(target.server().server().registry().scrape()).sum(
                "copyoffload_connections_timeouts_total",
                s -> "iscsi".equals(s.label("transport")) && phase.equals(s.label("phase")));
    }

    @Test
    void connectionsThatDoNotLogInInTimeAreClosed() throws Exception {
        double before = timeouts("login");
        long start = System.nanoTime();
        try (Socket silent = new Socket("127.0.0.1", target.iscsiPortal().getPort());
             IscsiClient halfway = new IscsiClient(target.iscsiPortal())) {
            // The security stage answered, then nothing more.
            IscsiPdu.LoginResponse r = halfway.loginStep(0, 1, false, List.of(
                    new TextKey("InitiatorName", IscsiClient.INITIATOR), new TextKey("TargetName", TARGET),
                    new TextKey("SessionType", "Normal"), new TextKey("AuthMethod", "None")));
            r.release();
            assertThat(r.statusClass()).isZero();
            assertThat(closedByTarget(silent)).as("a socket that says nothing").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not before the timeout")
                    .isGreaterThanOrEqualTo(LOGIN.minusMillis(50));
            assertThat(halfway.conn.awaitPeerClose(IscsiClient.WAIT)).as("a login stopped half-way").isTrue();
        }
        TestServer.eventually("both counted", TestServer.TIMEOUT, () -> timeouts("login") == before + 2);
    }

    @Test
    void aSilentSessionIsPingedAndClosedWhenThePingIsNotAnswered() {
        double before = timeouts("nop-in");
        try (IscsiClient c = new IscsiClient(target.iscsiPortal())) {
            c.login(TARGET);
            IscsiPdu.NopIn ping = c.conn.expect(IscsiPdu.NopIn.class, IscsiClient.WAIT);
            ping.release();
            assertThat(ping.initiatorTaskTag()).isEqualTo(IscsiConnection.RESERVED_TAG);
            assertThat(ping.targetTransferTag()).as("a valid TTT asks for an answer").isNotEqualTo(IscsiConnection.RESERVED_TAG);
            assertThat(c.conn.awaitPeerClose(IscsiClient.WAIT)).isTrue();
        }
        TestServer.eventually("counted", TestServer.TIMEOUT, () -> timeouts("nop-in") == before + 1);
    }

    @Test
    void aSessionThatAnswersItsPingsStays() throws Exception {
        try (IscsiClient c = new IscsiClient(target.iscsiPortal())) {
            c.login(TARGET);
            long end = System.nanoTime() + 3 * (NOP_INTERVAL.toNanos() + NOP_TIMEOUT.toNanos());
            int answered = 0;
            while (System.nanoTime() < end) {
                IscsiPdu.NopIn ping = c.conn.expect(IscsiPdu.NopIn.class, IscsiClient.WAIT);
                ping.release();
                // RFC 7143, 11.18: the answer carries the ping's TTT, ITT FFFFFFFFh, and is immediate.
                c.conn.send(new IscsiPdu.NopOut(true, 0, IscsiConnection.RESERVED_TAG, ping.targetTransferTag(), c.cmdSn,
                        c.expStatSn, Unpooled.EMPTY_BUFFER));
                answered++;
            }
            assertThat(answered).isGreaterThanOrEqualTo(2);
            assertThat(c.conn.isPeerClosed()).isFalse();
            assertThat(c.testUnitReady(0).status()).isZero();
        }
    }

    private static boolean closedByTarget(Socket s) throws IOException {
        s.setSoTimeout((int) TestServer.TIMEOUT.toMillis());
        InputStream in = s.getInputStream();
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
