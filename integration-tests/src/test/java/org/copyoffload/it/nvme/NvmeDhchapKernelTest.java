package org.copyoffload.it.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DH-HMAC-CHAP with the Linux kernel's host (nvme-cli + nvme-tcp) against our target, once per kernel generation
 * (6.1 and 6.12), in one guest boot each. nvme-cli's {@code gen-dhchap-key} makes the secrets: from key material this
 * test chose, where its output must equal our encoding (also with its SHA-256 transformation), and at random, where
 * our parser must read it. Then: connect and I/O with ffdhe2048/SHA-256 (and re-authentication of every queue when the
 * secret is written to sysfs), with the NULL group/SHA-512, with ffdhe8192/SHA-512, and both ways with
 * ffdhe3072/SHA-384; a wrong secret, no secret and a wrong controller secret are refused and the kernel says why.
 * On 6.12 the guest's own nvmet runs the same steps (hosts/HOSTNQN/dhchap_key ...), and the outcomes must agree.
 */
class NvmeDhchapKernelTest {
    private static final String SUB_A = "nqn.2026-01.org.copyoffload:dhchap-a";
    private static final String SUB_B = "nqn.2026-01.org.copyoffload:dhchap-b";
    private static final String SUB_D = "nqn.2026-01.org.copyoffload:dhchap-d";
    private static final String SUB_E = "nqn.2026-01.org.copyoffload:dhchap-e";
    private static final String REF = "nqn.2026-01.org.copyoffload:nvmet-ref";
    /** The comparison steps, in the order they run against each target. */
    private static final List<String> CASES = List.of("connect-a", "reauth", "wrong-secret", "no-secret", "connect-d", "connect-e", "connect-b",
            "wrong-ctrl-secret");

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void kernelHostAuthenticates(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        SecureRandom random = new SecureRandom();
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        random.nextBytes(k1);
        random.nextBytes(k2);
        String secretA = DhchapSecret.of(null, k1).encode();
        // nvme-cli prints a key it transformed itself (HMAC-SHA-256 with the NQN), marked 01: the kernel transforms again.
        String secretB = DhchapSecret.of(DhchapHash.SHA_256, DhchapSecret.of(DhchapHash.SHA_256, k2)
                .transform(GuestVm.HOST_NQN)).encode();
        String ctrlB = DhchapSecret.generate(DhchapHash.SHA_512, random).encode();
        String wrongCtrl = DhchapSecret.generate(DhchapHash.SHA_512, random).encode();
        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0}]
                metrics: {enabled: false}
                volumes: [{name: a, size: 16MiB}, {name: b, size: 16MiB}, {name: d, size: 16MiB}, {name: e, size: 16MiB}]
                subsystems:
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [{nqn: %s, dhchap-secret: "%s"}]
                    namespaces: [{nsid: 1, volume: a}]
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [{nqn: %s, dhchap-secret: "%s", dhchap-ctrl-secret: "%s"}]
                    dhchap: {hashes: [sha384], dh-groups: [ffdhe3072]}
                    namespaces: [{nsid: 1, volume: b}]
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [{nqn: %s, dhchap-secret: "%s"}]
                    dhchap: {hashes: [sha512], dh-groups: [null]}
                    namespaces: [{nsid: 1, volume: d}]
                  - nqn: %s
                    allow-any-host: false
                    allowed-hosts: [{nqn: %s, dhchap-secret: "%s"}]
                    dhchap: {hashes: [sha512], dh-groups: [ffdhe8192]}
                    namespaces: [{nsid: 1, volume: e}]
                """.formatted(dataDir, SUB_A, GuestVm.HOST_NQN, secretA, SUB_B, GuestVm.HOST_NQN, secretB, ctrlB,
                SUB_D, GuestVm.HOST_NQN, secretA, SUB_E, GuestVm.HOST_NQN, secretA);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            String script = """
                    export PORT=%d HOST=%s HOSTNQN=%s SUB_A=%s SUB_B=%s SUB_D=%s SUB_E=%s REF=%s K1=%s K2=%s CTRL_B='%s' WRONG_CTRL='%s'
                    cat > /tmp/try.sh <<'TRY'
                    # try.sh ADDR PORT NQN [nvme connect options]: connect, then I/O and disconnect; the kernel's lines after.
                    a=$1; p=$2; n=$3; shift 3
                    before=$(dmesg | wc -l)
                    nvme connect -t tcp -a $a -s $p -n $n "$@" 2>&1; rc=$?
                    echo "CONNECT-RC=$rc"
                    if [ $rc = 0 ]; then
                      sleep 1
                      if [ -n "$REAUTH" ]; then
                        # Linux re-authenticates every queue when its secret is written (NVMe Base 2.1, 8.3.4.5).
                        c=$(ls /sys/class/nvme | grep -E '^nvme[0-9]+$' | head -1)
                        printf %%s "$(cat $REAUTH)" > /sys/class/nvme/$c/dhchap_secret && echo REAUTH-WRITTEN
                        sleep 3
                      fi
                      b=$(ls /sys/block | grep -E '^nvme[0-9]+n[0-9]+$' | head -1)
                      dd if=/dev/urandom of=/tmp/p bs=4096 count=8 2>/dev/null
                      dd if=/tmp/p of=/dev/$b bs=4096 seek=16 oflag=direct 2>/dev/null
                      dd if=/dev/$b of=/tmp/b bs=4096 skip=16 count=8 iflag=direct 2>/dev/null
                      cmp /tmp/p /tmp/b && echo IO-OK
                      nvme disconnect -n $n >/dev/null 2>&1
                      sleep 1
                    fi
                    dmesg | tail -n +$((before + 1)) | grep -i nvme | sed 's/^\\[[ 0-9.]*\\] /KERNEL: /'
                    exit $rc
                    TRY
                    step auth-support '[ -d /sys/module/nvme_auth ] || grep -qw nvme_auth_negotiate /proc/kallsyms && echo NVME-AUTH || echo NO-NVME-AUTH'
                    step gen-key-help 'nvme gen-dhchap-key --help 2>&1 | grep -e "--" '
                    step gen-key-given 'nvme gen-dhchap-key --secret=$K1 --nqn=$HOSTNQN | tee /tmp/sa'
                    step gen-key-hmac 'nvme gen-dhchap-key --secret=$K2 --hmac=1 --nqn=$HOSTNQN | tee /tmp/sb'
                    step gen-key-random 'nvme gen-dhchap-key --nqn=$HOSTNQN | tee /tmp/rnd'
                    step ours-connect-a 'sh /tmp/try.sh $HOST $PORT $SUB_A --dhchap-secret=$(cat /tmp/sa)'
                    step ours-reauth 'REAUTH=/tmp/sa sh /tmp/try.sh $HOST $PORT $SUB_A --dhchap-secret=$(cat /tmp/sa)'
                    step ours-wrong-secret 'sh /tmp/try.sh $HOST $PORT $SUB_A --dhchap-secret=$(cat /tmp/rnd)'
                    step ours-no-secret 'sh /tmp/try.sh $HOST $PORT $SUB_A'
                    step ours-connect-d 'sh /tmp/try.sh $HOST $PORT $SUB_D --dhchap-secret=$(cat /tmp/sa)'
                    step ours-connect-e 'sh /tmp/try.sh $HOST $PORT $SUB_E --dhchap-secret=$(cat /tmp/sa)'
                    step ours-connect-b 'sh /tmp/try.sh $HOST $PORT $SUB_B --dhchap-secret=$(cat /tmp/sb) --dhchap-ctrl-secret=$CTRL_B'
                    step ours-wrong-ctrl-secret 'sh /tmp/try.sh $HOST $PORT $SUB_B --dhchap-secret=$(cat /tmp/sb) --dhchap-ctrl-secret=$WRONG_CTRL'
                    """.formatted(port, GuestVm.HOST_ADDRESS, GuestVm.HOST_NQN, SUB_A, SUB_B, SUB_D, SUB_E, REF,
                    HexFormat.of().formatHex(k1), HexFormat.of().formatHex(k2), ctrlB, wrongCtrl);
            if (dist == GuestVm.Dist.TRIXIE) {
                script += """
                        step ref-setup '
                          set -e
                          modprobe nvmet; modprobe nvmet-tcp
                          mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
                          C=/sys/kernel/config/nvmet
                          mkdir $C/hosts/$HOSTNQN
                          mkdir $C/subsystems/$REF
                          echo 0 > $C/subsystems/$REF/attr_allow_any_host
                          truncate -s 16M /tmp/ref.img
                          mkdir $C/subsystems/$REF/namespaces/1
                          echo /tmp/ref.img > $C/subsystems/$REF/namespaces/1/device_path
                          echo 1 > $C/subsystems/$REF/namespaces/1/buffered_io
                          echo 1 > $C/subsystems/$REF/namespaces/1/enable
                          ln -s $C/hosts/$HOSTNQN $C/subsystems/$REF/allowed_hosts/
                          mkdir $C/ports/1
                          echo tcp > $C/ports/1/addr_trtype; echo ipv4 > $C/ports/1/addr_adrfam
                          echo 127.0.0.1 > $C/ports/1/addr_traddr; echo 4420 > $C/ports/1/addr_trsvcid
                          ln -s $C/subsystems/$REF $C/ports/1/subsystems/
                          H=$C/hosts/$HOSTNQN
                          cat /tmp/sa > $H/dhchap_key; echo "hmac(sha256)" > $H/dhchap_hash; echo ffdhe2048 > $H/dhchap_dhgroup
                          echo NVMET-READY'
                        step ref-connect-a 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sa)'
                        step ref-reauth 'REAUTH=/tmp/sa sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sa)'
                        step ref-wrong-secret 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/rnd)'
                        step ref-no-secret 'sh /tmp/try.sh 127.0.0.1 4420 $REF'
                        step ref-set-d 'H=/sys/kernel/config/nvmet/hosts/$HOSTNQN; echo "hmac(sha512)" > $H/dhchap_hash; echo null > $H/dhchap_dhgroup'
                        step ref-connect-d 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sa)'
                        step ref-set-e 'echo ffdhe8192 > /sys/kernel/config/nvmet/hosts/$HOSTNQN/dhchap_dhgroup'
                        step ref-connect-e 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sa)'
                        step ref-set-b 'H=/sys/kernel/config/nvmet/hosts/$HOSTNQN; cat /tmp/sb > $H/dhchap_key; echo "$CTRL_B" > $H/dhchap_ctrl_key; echo "hmac(sha384)" > $H/dhchap_hash; echo ffdhe3072 > $H/dhchap_dhgroup'
                        step ref-connect-b 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sb) --dhchap-ctrl-secret=$CTRL_B'
                        step ref-wrong-ctrl-secret 'sh /tmp/try.sh 127.0.0.1 4420 $REF --dhchap-secret=$(cat /tmp/sb) --dhchap-ctrl-secret=$WRONG_CTRL'
                        """;
            }
            GuestRun run = GuestVm.run(dist, script, Duration.ofMinutes(6)).requireDone();
            String log = run.describe();

            // nvme-cli's encoding of key material we chose is ours, byte for byte, with and without its transformation.
            assertThat(run.ok("gen-key-given").lines()).as(log).contains(secretA);
            assertThat(run.ok("gen-key-hmac").lines()).as(log).contains(secretB);
            // A key nvme-cli made at random: our parser reads it (its CRC-32 checks out).
            String randomKey = run.ok("gen-key-random").lines().stream().filter(l -> l.startsWith("DHHC-1:")).findFirst()
                    .orElseThrow(() -> new AssertionError("no key printed\n" + log));
            assertThat(DhchapSecret.parse(randomKey).keyLength()).isEqualTo(32);

            boolean kernelAuthenticates = run.ok("auth-support").lines().contains("NVME-AUTH");
            assertThat(run.ok("gen-key-help").output()).as(log).contains("--secret=").contains("--hmac=").contains("--nqn=");
            StringBuilder table = new StringBuilder(String.format("%n%-18s | %-75s | %s%n", "step (" + dist.id() + ")",
                    "copyoffload", dist == GuestVm.Dist.TRIXIE ? "nvmet (guest kernel)" : "nvmet: not run on 6.1"));
            for (String c : CASES) {
                GuestStep ours = run.step("ours-" + c);
                GuestStep ref = dist == GuestVm.Dist.TRIXIE ? run.step("ref-" + c) : null;
                table.append(String.format("%-18s | %-75s | %s%n", c, outcome(ours), ref == null ? "" : outcome(ref)));
            }
            System.out.println(table);

            double successes = authentications(server, "success");
            double failures = authentications(server, "failure");
            if (!kernelAuthenticates) {
                // Debian 12's 6.1 kernel is built without CONFIG_NVME_AUTH: it sees ATR, cannot authenticate and gives
                // up with Authentication Required (401 = 191h), so nothing reaches our target's authentication.
                assertThat(dist).isEqualTo(GuestVm.Dist.BOOKWORM);
                for (String c : CASES) {
                    GuestStep s = run.step("ours-" + c);
                    assertThat(s.rc()).as(c + "\n" + log).isNotZero();
                    assertThat(s.output()).as(log).contains("qid 0: authentication setup failed").contains("ret=401");
                }
                assertThat(successes + failures).isZero();
                return;
            }
            assertThat(run.ok("ours-connect-a").output()).as(log).contains("IO-OK")
                    .contains("qid 0: authenticated with hash hmac(sha256) dhgroup ffdhe2048");
            assertThat(run.ok("ours-connect-d").output()).as(log).contains("IO-OK")
                    .contains("qid 0: authenticated with hash hmac(sha512) dhgroup null");
            assertThat(run.ok("ours-connect-e").output()).as(log).contains("IO-OK")
                    .contains("qid 0: authenticated with hash hmac(sha512) dhgroup ffdhe8192");
            assertThat(run.ok("ours-connect-b").output()).as(log).contains("IO-OK")
                    .contains("qid 0: authenticated with hash hmac(sha384) dhgroup ffdhe3072")
                    .contains("qid 0: controller authenticated");
            GuestStep reauth = run.ok("ours-reauth");
            assertThat(reauth.output()).as(log).contains("REAUTH-WRITTEN").contains("re-authenticating controller")
                    .contains("IO-OK");
            assertThat(reauth.lines().stream().filter(l -> l.contains("qid 0: authenticated with hash"))).as(log).hasSize(2);
            assertThat(run.step("ours-wrong-secret").output()).as(log).contains("qid 0: authentication failed");
            assertThat(run.step("ours-no-secret").output()).as(log).contains("qid 0: no key");
            assertThat(run.step("ours-wrong-ctrl-secret").output()).as(log).contains("qid 0: controller authentication failed");
            for (String bad : List.of("wrong-secret", "no-secret", "wrong-ctrl-secret")) {
                assertThat(run.step("ours-" + bad).rc()).as(bad + "\n" + log).isNotZero();
            }
            // Five connects of an admin and two I/O queues each (Linux authenticates every queue), and each queue once
            // more when re-authenticating; the wrong secret failed at our end (AUTH_Failure1), the wrong controller
            // secret at the host's (its AUTH_Failure2).
            assertThat(successes).as(log).isEqualTo(18);
            assertThat(failures).as(log).isEqualTo(2);
            if (dist == GuestVm.Dist.TRIXIE) {
                assertThat(run.ok("ref-setup").output()).as(log).contains("NVMET-READY");
                for (String c : CASES) {
                    assertThat(outcome(run.step("ours-" + c))).as(c + table + log).isEqualTo(outcome(run.step("ref-" + c)));
                }
            }
        }
    }

    private static double authentications(CopyoffloadServer server, String result) {
        return server.registry().find("copyoffload.nvme.authentications").tag("result", result).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    /** What a try.sh step came to: connected with I/O or refused, and what the host kernel said about queue 0. */
    private static String outcome(GuestStep s) {
        String result = s.rc() == 0 ? (s.output().contains("IO-OK") ? "connected, I/O ok" : "connected, I/O FAILED")
                : "refused (rc " + s.rc() + ")";
        String kernel = s.lines().stream().filter(l -> l.startsWith("KERNEL: nvme nvme") && l.contains(": qid 0: "))
                .map(l -> l.substring(l.indexOf("qid 0: ") + 7)).collect(java.util.stream.Collectors.joining("; "));
        return result + (kernel.isEmpty() ? "" : ": " + kernel);
    }
}
