package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.copyoffload.testsupport.PrometheusText;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * open-iscsi (2.1.8 on kernel 6.1, 2.1.11 on 6.12) against our target with CHAP, one guest boot per kernel: SendTargets
 * discovery refused without discovery CHAP and with a wrong discovery secret, then allowed; login with one-way CHAP
 * and with mutual CHAP ({@code node.session.auth.*} through {@code iscsiadm -m node -o update}), direct I/O read back
 * and found in the volume files; a wrong initiator secret refused by the target (Authentication failure, 0201h); a
 * wrong target secret on the initiator's side (mutual CHAP), where open-iscsi itself fails the login; an initiator
 * outside a target's allowed-initiators refused with the right CHAP credentials (Authorization failure, 0202h); and
 * each CHAP algorithm alone ({@code node.session.auth.chap_algs} MD5, SHA1, SHA256, SHA3-256), which the target's
 * {@code copyoffload_iscsi_logins_total} counts by the algorithm it agreed on.
 */
class IscsiChapKernelInitiatorTest {
    private static final String ONEWAY = "iqn.2026-01.org.copyoffload:chap";
    private static final String MUTUAL = "iqn.2026-01.org.copyoffload:mutual";
    private static final String LOCKED = "iqn.2026-01.org.copyoffload:chap-locked";
    private static final String SOMEONE_ELSE = "iqn.2026-01.org.copyoffload:someone-else";
    private static final String DISCOVERY_USER = "disc-user";
    private static final String DISCOVERY_SECRET = "discovery-secret-1";
    private static final String USER = "guest-user";
    private static final String SECRET = "guest-secret-12";
    private static final String MUTUAL_USER = "guest-user-2";
    private static final String MUTUAL_INITIATOR_SECRET = "guest-secret-34";
    private static final String TARGET_USER = "target-user";
    private static final String TARGET_SECRET = "target-secret-56";
    /** open-iscsi's names for node.session.auth.chap_algs and our metric's names for the same algorithm. */
    private static final Map<String, String> ALGORITHMS = Map.of("MD5", "chap-md5", "SHA1", "chap-sha1",
            "SHA256", "chap-sha256", "SHA3-256", "chap-sha3-256");
    /** What iscsiadm says for login status class 2 details 01h and 02h alike (its error 24). */
    private static final String AUTH_FAILED = "iSCSI login failed due to authorization failure";

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void openIscsiWithChap(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: true, address: 127.0.0.1, port: 0}
                volumes:
                  - {name: oneway, size: 16MiB}
                  - {name: mutual, size: 16MiB}
                  - {name: locked, size: 16MiB}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0, advertise-address: %s}]
                  discovery-chap: {user: %s, secret: %s}
                  targets:
                    - name: %s
                      chap: {user: %s, secret: %s}
                      luns: [{lun: 0, volume: oneway}]
                    - name: %s
                      chap: {user: %s, secret: %s, mutual-user: %s, mutual-secret: %s}
                      luns: [{lun: 0, volume: mutual}]
                    - name: %s
                      allow-any-initiator: false
                      allowed-initiators: [%s]
                      chap: {user: %s, secret: %s}
                      luns: [{lun: 0, volume: locked}]
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, DISCOVERY_USER, DISCOVERY_SECRET, ONEWAY, USER, SECRET,
                MUTUAL, MUTUAL_USER, MUTUAL_INITIATOR_SECRET, TARGET_USER, TARGET_SECRET, LOCKED, SOMEONE_ELSE, USER,
                SECRET);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.iscsiAddresses().getFirst().getPort();
            String portal = GuestVm.HOST_ADDRESS + ":" + port;
            StringBuilder script = new StringBuilder();
            script.append("export PORTAL=").append(portal).append(" ONEWAY=").append(ONEWAY).append(" MUTUAL=")
                    .append(MUTUAL).append(" LOCKED=").append(LOCKED).append('\n');
            // node(): iscsiadm -m node -o update for one target; disk(): the one logged-in session's disk;
            // io(): 64 KiB of the pattern written with O_DIRECT at a 4 KiB block and read back.
            script.append("""
                    step setup 'cat > /tmp/lib.sh <<"EOF"
                    node() { iscsiadm -m node -T "$1" -p "$PORTAL" -o update -n "$2" -v "$3"; }
                    disc() { iscsiadm -m discoverydb -t st -p "$PORTAL" -o update -n "$1" -v "$2"; }
                    disk() { iscsiadm -m session -P3 | sed -n "s/.*Attached scsi disk \\([a-z]*\\).*/\\1/p" | head -1; }
                    io() { d=/dev/$(disk); echo "disk $d"; dd if=/share/pattern.bin of=$d bs=4096 seek=$1 oflag=direct 2>&1 | tail -1
                      dd if=$d of=/tmp/back bs=4096 skip=$1 count=16 iflag=direct 2>/dev/null; cmp /share/pattern.bin /tmp/back && echo READBACK-OK; }
                    EOF
                      dd if=/dev/urandom of=/share/pattern.bin bs=4096 count=16 2>/dev/null; iscsiadm --version; ls -l /share/pattern.bin'
                    step iscsid 'setsid iscsid -f >/tmp/iscsid.log 2>&1 </dev/null & sleep 1; ps -e | grep "[i]scsid"'
                    step discovery-without-chap 'iscsiadm -m discovery -t st -p $PORTAL'
                    step discovery-wrong-secret '. /tmp/lib.sh; iscsiadm -m discoverydb -t st -p $PORTAL -o new >/dev/null
                      disc discovery.sendtargets.auth.authmethod CHAP
                      disc discovery.sendtargets.auth.username %s
                      disc discovery.sendtargets.auth.password wrong-secret-99
                      iscsiadm -m discoverydb -t st -p $PORTAL --discover'
                    step discovery '. /tmp/lib.sh; disc discovery.sendtargets.auth.password %s
                      iscsiadm -m discoverydb -t st -p $PORTAL --discover'
                    step oneway.login '. /tmp/lib.sh; node $ONEWAY node.session.initial_login_retry_max 1
                      node $ONEWAY node.session.auth.authmethod CHAP
                      node $ONEWAY node.session.auth.username %s
                      node $ONEWAY node.session.auth.password %s
                      iscsiadm -m node -T $ONEWAY -p $PORTAL --login; sleep 2; iscsiadm -m session'
                    step oneway.io '. /tmp/lib.sh; io 16'
                    step oneway.logout 'iscsiadm -m node -T $ONEWAY -p $PORTAL --logout && echo LOGGED-OUT'
                    step oneway.wrong-secret '. /tmp/lib.sh; node $ONEWAY node.session.auth.password wrong-secret-99
                      iscsiadm -m node -T $ONEWAY -p $PORTAL --login'
                    step mutual.login '. /tmp/lib.sh; node $MUTUAL node.session.initial_login_retry_max 1
                      node $MUTUAL node.session.auth.authmethod CHAP
                      node $MUTUAL node.session.auth.username %s
                      node $MUTUAL node.session.auth.password %s
                      node $MUTUAL node.session.auth.username_in %s
                      node $MUTUAL node.session.auth.password_in %s
                      iscsiadm -m node -T $MUTUAL -p $PORTAL --login; sleep 2; iscsiadm -m session'
                    step mutual.io '. /tmp/lib.sh; io 32'
                    step mutual.logout 'iscsiadm -m node -T $MUTUAL -p $PORTAL --logout && echo LOGGED-OUT'
                    step mutual.wrong-target-secret '. /tmp/lib.sh; node $MUTUAL node.session.auth.password_in wrong-secret-99
                      iscsiadm -m node -T $MUTUAL -p $PORTAL --login'
                    step locked '. /tmp/lib.sh; iscsiadm -m node -o new -T $LOCKED -p $PORTAL >/dev/null
                      node $LOCKED node.session.initial_login_retry_max 1
                      node $LOCKED node.session.auth.authmethod CHAP
                      node $LOCKED node.session.auth.username %s
                      node $LOCKED node.session.auth.password %s
                      iscsiadm -m node -T $LOCKED -p $PORTAL --login'
                    """.formatted(DISCOVERY_USER, DISCOVERY_SECRET, USER, SECRET, MUTUAL_USER, MUTUAL_INITIATOR_SECRET,
                    TARGET_USER, TARGET_SECRET, USER, SECRET));
            for (String algorithm : ALGORITHMS.keySet().stream().sorted().toList()) {
                script.append("step alg.").append(algorithm).append(" '. /tmp/lib.sh; node $ONEWAY node.session.auth.password ")
                        .append(SECRET).append("\n  node $ONEWAY node.session.auth.chap_algs ").append(algorithm)
                        .append("\n  iscsiadm -m node -T $ONEWAY -p $PORTAL --login && sleep 1 && iscsiadm -m node -T $ONEWAY"
                                + " -p $PORTAL --logout'\n");
            }
            script.append("step iscsid-log 'grep -iE \"auth|login|reject\" /tmp/iscsid.log | tail -40'\n");

            GuestRun run = GuestVm.run(dist, script.toString(), GuestVm.Options.defaults()
                    .withTimeout(Duration.ofMinutes(8)).withName("IscsiChapKernelInitiatorTest.openIscsiWithChap"));
            run.requireDone();
            String log = run.describe();
            System.out.println("open-iscsi with CHAP on kernel " + dist.kernel() + ":\n" + log);
            run.ok("setup");
            run.ok("iscsid");

            assertFailed(run.step("discovery-without-chap"), log);
            assertFailed(run.step("discovery-wrong-secret"), log);
            assertThat(run.ok("discovery").output()).as(log).contains(portal + ",1 " + ONEWAY)
                    .contains(",1 " + MUTUAL).doesNotContain(LOCKED);

            assertThat(run.ok("oneway.login").output()).as(log).contains("successful").contains(ONEWAY);
            assertThat(run.ok("oneway.io").output()).as(log).contains("READBACK-OK");
            assertThat(run.ok("oneway.logout").output()).as(log).contains("LOGGED-OUT");
            assertFailed(run.step("oneway.wrong-secret"), log);

            assertThat(run.ok("mutual.login").output()).as(log).contains("successful").contains(MUTUAL);
            assertThat(run.ok("mutual.io").output()).as(log).contains("READBACK-OK");
            assertThat(run.ok("mutual.logout").output()).as(log).contains("LOGGED-OUT");
            // open-iscsi checks the target's answer itself and gives up (its error 19, non-retryable login failure).
            GuestStep wrongTarget = run.step("mutual.wrong-target-secret");
            assertThat(wrongTarget.finished() && wrongTarget.rc() == 19).as(log).isTrue();
            assertThat(wrongTarget.output()).as(log).contains("non-retryable iSCSI login failure");
            assertFailed(run.step("locked"), log);
            for (String algorithm : ALGORITHMS.keySet()) {
                assertThat(run.ok("alg." + algorithm).output()).as(log).contains("successful");
            }
            // iscsid names the status: 0201h (authentication) for a wrong secret, 0202h (authorization) for the ACL.
            assertThat(run.ok("iscsid-log").output()).as(log)
                    .containsIgnoringCase("failed authentication with target")
                    .containsIgnoringCase("failed authorization with target")
                    .contains("received incorrect CHAP response from target " + MUTUAL);

            // The guest's writes are in our volume files: the I/O went to the CHAP-protected targets.
            byte[] pattern = Files.readAllBytes(run.share().resolve("pattern.bin"));
            assertThat(GuestRun.readFile(dataDir.resolve("oneway.img"), 16 * 4096L, pattern.length)).isEqualTo(pattern);
            assertThat(GuestRun.readFile(dataDir.resolve("mutual.img"), 32 * 4096L, pattern.length)).isEqualTo(pattern);

            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            PrometheusText metrics = PrometheusText.parse(scrape);
            for (String authentication : ALGORITHMS.values()) {
                assertThat(metrics.sum("copyoffload_iscsi_logins_total", s -> "normal".equals(s.label("session_type"))
                        && authentication.equals(s.label("authentication")))).as(authentication + "\n" + scrape)
                        .isGreaterThanOrEqualTo(1);
            }
            assertThat(metrics.sum("copyoffload_iscsi_logins_total", s -> "discovery".equals(s.label("session_type"))
                    && String.valueOf(s.label("authentication")).startsWith("chap-"))).as(scrape).isGreaterThanOrEqualTo(1);
            // Without credentials, with the wrong discovery secret, with the wrong initiator secret: the target
            // refused each itself. The wrong target secret is the initiator's refusal, not counted here.
            assertThat(metrics.sum("copyoffload_iscsi_login_failures_total",
                    s -> "authentication_failure".equals(s.label("status")))).as(scrape).isGreaterThanOrEqualTo(3);
            assertThat(metrics.sum("copyoffload_iscsi_login_failures_total",
                    s -> "authorization_failure".equals(s.label("status")))).as(scrape).isGreaterThanOrEqualTo(1);
            assertThat(scrape).doesNotContain(SECRET).doesNotContain(TARGET_SECRET).doesNotContain(DISCOVERY_SECRET);
        }
    }

    /** The target refused the login and iscsiadm said so: its error 24 and the status text. */
    private static void assertFailed(GuestStep step, String log) {
        assertThat(step.finished() && !step.timedOut()).as(step.name() + "\n" + log).isTrue();
        assertThat(step.rc()).as(step.name() + "\n" + log).isEqualTo(24);
        assertThat(step.output()).as(step.name() + "\n" + log).contains(AUTH_FAILED);
    }
}
