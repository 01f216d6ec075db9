package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libiscsi with CHAP against our target: credentials in the URL ({@code iscsi://USER%SECRET@HOST:PORT/IQN/LUN}),
 * mutual CHAP through the URL arguments {@code target_user} and {@code target_password}, discovery CHAP for
 * iscsi-ls. On this host, Debian 12's libiscsi 1.19 tools (iscsi-inq, iscsi-ls) with right and wrong credentials; in
 * the Debian 13 guest, in {@link LibiscsiInGuestTest}'s boot ({@link #guestSteps}, {@link #assertGuestSteps}),
 * libiscsi 1.20's iSCSICHAP suite (Simple: CHAP_A=5,6,7,8 offered, libiscsi answers
 * with MD5, so the target must take the first it knows; Invalid: CHAP_A=56 and an empty CHAP_A refused), which skips
 * without CHAP credentials in the URL, and iscsi-inq again. 1.19 has no CHAP tests and answers only MD5.
 */
class LibiscsiChapTest {
    private static final String ONEWAY = "iqn.2026-01.org.copyoffload:libiscsi-chap";
    private static final String MUTUAL = "iqn.2026-01.org.copyoffload:libiscsi-mutual";
    private static final String USER = "libiscsi-user";
    private static final String SECRET = "libiscsi-secret-1";
    private static final String TARGET_USER = "target-user";
    private static final String TARGET_SECRET = "target-secret-22";
    private static final String DISCOVERY_USER = "disc-user";
    private static final String DISCOVERY_SECRET = "discovery-secret-3";
    private static final String INITIATOR_1 = "iqn.2026-01.org.copyoffload:libiscsi-1";
    private static final String INITIATOR_2 = "iqn.2026-01.org.copyoffload:libiscsi-2";
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    static Path dataDir;
    static CopyoffloadServer server;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        IscsiTools.ensureInstalled();
        server = startServer(dataDir);
        port = server.iscsiAddresses().getFirst().getPort();
    }

    /** Our target with one-way and mutual CHAP targets and discovery CHAP, on a port of its own. */
    static CopyoffloadServer startServer(Path dataDir) throws Exception {
        String yaml = """
                data-dir: %s
                listeners: []
                metrics: {enabled: false}
                volumes:
                  - {name: a, size: 16MiB, block-size: 512}
                  - {name: b, size: 16MiB, block-size: 512}
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 0}]
                  discovery-chap: {user: %s, secret: %s}
                  targets:
                    - name: %s
                      chap: {user: %s, secret: %s}
                      luns: [{lun: 0, volume: a}]
                    - name: %s
                      chap: {user: %s, secret: %s, mutual-user: %s, mutual-secret: %s}
                      luns: [{lun: 0, volume: b}]
                """.formatted(dataDir, DISCOVERY_USER, DISCOVERY_SECRET, ONEWAY, USER, SECRET, MUTUAL, USER, SECRET,
                TARGET_USER, TARGET_SECRET);
        return CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String url(String host, String credentials, String iqn, String arguments) {
        return url(port, host, credentials, iqn, arguments);
    }

    private static String url(int port, String host, String credentials, String iqn, String arguments) {
        return "iscsi://" + (credentials == null ? "" : credentials + "@") + host + ":" + port + "/" + iqn + "/0"
                + (arguments == null ? "" : "?" + arguments);
    }

    private static Processes.Done run(String... command) {
        Processes.Done d = Processes.run(List.of(command), LIMIT);
        System.out.println("$ " + String.join(" ", command) + "\n" + d.output().strip() + "\n(exit " + d.exitCode() + ")");
        return d;
    }

    @Test
    void libiscsi119ToolsWithRightAndWrongCredentials() {
        String host = "127.0.0.1";
        Processes.Done inq = run("iscsi-inq", "-i", INITIATOR_1, url(host, USER + "%" + SECRET, ONEWAY, null));
        assertThat(inq.exitCode()).as(inq.output()).isZero();
        assertThat(inq.output()).contains("Vendor:COPYOFFL");

        Processes.Done wrong = run("iscsi-inq", "-i", INITIATOR_1, url(host, USER + "%wrong-secret-9", ONEWAY, null));
        assertThat(wrong.exitCode()).as(wrong.output()).isNotZero();
        assertThat(wrong.output()).contains("Authentication failure(513)");

        Processes.Done none = run("iscsi-inq", "-i", INITIATOR_1, url(host, null, ONEWAY, null));
        assertThat(none.exitCode()).as(none.output()).isNotZero();
        assertThat(none.output()).contains("Authentication failure(513)");

        Processes.Done mutual = run("iscsi-inq", "-i", INITIATOR_1, url(host, USER + "%" + SECRET, MUTUAL,
                "target_user=" + TARGET_USER + "&target_password=" + TARGET_SECRET));
        assertThat(mutual.exitCode()).as(mutual.output()).isZero();
        assertThat(mutual.output()).contains("Vendor:COPYOFFL");

        // The target answers with its own secret; libiscsi finds the answer wrong for the secret it was given.
        Processes.Done wrongTarget = run("iscsi-inq", "-i", INITIATOR_1, url(host, USER + "%" + SECRET, MUTUAL,
                "target_user=" + TARGET_USER + "&target_password=wrong-secret-9"));
        assertThat(wrongTarget.exitCode()).as(wrongTarget.output()).isNotZero();
        assertThat(wrongTarget.output()).contains("Invalid CHAP_R response from the target");

        String portal = "iscsi://" + DISCOVERY_USER + "%" + DISCOVERY_SECRET + "@" + host + ":" + port;
        Processes.Done ls = run("iscsi-ls", "-i", INITIATOR_1, portal);
        assertThat(ls.exitCode()).as(ls.output()).isZero();
        assertThat(ls.output()).contains("Target:" + ONEWAY).contains("Target:" + MUTUAL);

        Processes.Done lsWrong = run("iscsi-ls", "-i", INITIATOR_1,
                "iscsi://" + DISCOVERY_USER + "%wrong-secret-9@" + host + ":" + port);
        assertThat(lsWrong.exitCode()).as(lsWrong.output()).isNotZero();
        assertThat(lsWrong.output()).doesNotContain("Target:" + ONEWAY);
    }

    /**
     * The guest's steps against {@link #startServer a CHAP server} on {@code port}: libiscsi 1.20's iSCSICHAP suite
     * with credentials in the URL, the same without (the control: it cannot log in, so runs nothing), iscsi-inq
     * one-way, mutual and with a wrong secret. Step names start with {@code chap-}.
     */
    static String guestSteps(int port) {
        String chap = USER + "%" + SECRET;
        String host = GuestVm.HOST_ADDRESS;
        return """
                step chap-suite 'iscsi-test-cu --test=iSCSI.iSCSICHAP -i %s -I %s %s'
                step chap-suite-without-credentials 'iscsi-test-cu --test=iSCSI.iSCSICHAP -i %s -I %s %s'
                step chap-inq 'iscsi-inq -i %s %s'
                step chap-inq-mutual 'iscsi-inq -i %s "%s"'
                step chap-inq-wrong 'iscsi-inq -i %s %s'
                """.formatted(INITIATOR_1, INITIATOR_2, url(port, host, chap, ONEWAY, null),
                INITIATOR_1, INITIATOR_2, url(port, host, null, ONEWAY, null),
                INITIATOR_1, url(port, host, chap, ONEWAY, null),
                INITIATOR_1, url(port, host, chap, MUTUAL, "target_user=" + TARGET_USER + "&target_password="
                        + TARGET_SECRET),
                INITIATOR_1, url(port, host, USER + "%wrong-secret-9", ONEWAY, null));
    }

    /** What {@link #guestSteps} must have shown: both iSCSICHAP tests pass, none skips; the logins as expected. */
    static void assertGuestSteps(GuestRun run) {
        String log = run.describe();
        CunitOutput.Parsed suite = CunitOutput.parse(run.step("chap-suite").output());
        assertThat(suite.completed()).as(log).isTrue();
        assertThat(suite.tests()).as(log).extracting(t -> t.suite() + "." + t.test() + " " + t.verdict())
                .containsExactlyInAnyOrder("iSCSICHAP.Simple PASSED", "iSCSICHAP.Invalid PASSED");
        assertThat(run.step("chap-suite").output()).as(log).doesNotContain("[SKIPPED]");
        assertThat(run.step("chap-suite-without-credentials").output()).as(log).doesNotContain("PASSED");

        assertThat(run.ok("chap-inq").output()).as(log).contains("Vendor:COPYOFFL");
        assertThat(run.ok("chap-inq-mutual").output()).as(log).contains("Vendor:COPYOFFL");
        assertThat(run.step("chap-inq-wrong").rc()).as(log).isNotZero();
        assertThat(run.step("chap-inq-wrong").output()).as(log).contains("Authentication failure(513)");
    }
}
