package org.copyoffload.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.copyoffload.protocol.nvme.auth.DhGroup;
import org.copyoffload.protocol.nvme.auth.DhchapHash;
import org.copyoffload.protocol.nvme.auth.DhchapSecret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The DH-HMAC-CHAP keys of {@code allowed-hosts} entries and a subsystem's {@code dhchap} preferences. */
class DhchapConfigTest {
    private static final String KEY = "DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:";
    private static final String KEY2 = "DHHC-1:02:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo+QkZKTvGwQfg==:";
    private static final String H1 = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
    private static final String H2 = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000002";
    private static final String H3 = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000003";

    private static String subsystem(String hosts) {
        return """
                volumes: [{name: a, size: 1MiB}]
                subsystems:
                  - nqn: nqn.2026-01.org.example:s
                    allow-any-host: false
                    namespaces: [{nsid: 1, volume: a}]
                """ + hosts.indent(4);
    }

    @Test
    void hostEntriesWithSecretsBesidePlainOnes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ctrl.key");
        Files.writeString(file, KEY2 + "\n");
        ServerConfig c = ConfigLoader.parse(subsystem("""
                allowed-hosts:
                  - %s
                  - {nqn: %s, dhchap-secret-env: COPYOFFLOAD_TEST_DHCHAP_SECRET, dhchap-ctrl-secret-file: %s}
                  - {nqn: %s, dhchap-secret: "%s"}
                """.formatted(H1, H2, file, H3, KEY2)), "t");
        ServerConfig.Subsystem s = c.subsystems().getFirst();
        assertThat(s.allowedHosts()).containsExactly(H1, H2, H3);
        assertThat(s.hostSecrets()).containsOnlyKeys(H2, H3);
        assertThat(s.hostSecrets().get(H2).secret().sameAs(DhchapSecret.parse(KEY))).as("set by target-server/pom.xml").isTrue();
        assertThat(s.hostSecrets().get(H2).controllerSecret().sameAs(DhchapSecret.parse(KEY2))).isTrue();
        assertThat(s.hostSecrets().get(H3).controllerSecret()).isNull();
        assertThat(s.dhchap()).isEqualTo(ServerConfig.Dhchap.DEFAULT);
        assertThat(c.toString()).doesNotContain("AAECAwQF").doesNotContain("ZGVmZ2hp").contains("DhchapSecret[transform=none");
    }

    @Test
    void preferences() {
        ServerConfig c = ConfigLoader.parse(subsystem("""
                allowed-hosts: [{nqn: %s, dhchap-secret: "%s"}]
                dhchap: {hashes: [sha512, "hmac(sha256)"], dh-groups: [ffdhe8192, "null"]}
                """.formatted(H1, KEY)), "t");
        assertThat(c.subsystems().getFirst().dhchap()).isEqualTo(new ServerConfig.Dhchap(
                List.of(DhchapHash.SHA_512, DhchapHash.SHA_256), List.of(DhGroup.FFDHE8192, DhGroup.NULL)));
        assertThat(ConfigLoader.parse(subsystem("allowed-hosts: [%s]\ndhchap: {hashes: [sha384]}".formatted(H1)), "t")
                .subsystems().getFirst().dhchap().dhGroups()).isEqualTo(ServerConfig.Dhchap.DEFAULT.dhGroups());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "bad secret        | 'allowed-hosts: [{nqn: H1, dhchap-secret: \"DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaS:\"}]' | subsystems[0].allowed-hosts[0].dhchap-secret: the CRC-32",
            "ctrl without host | 'allowed-hosts: [{nqn: H1, dhchap-ctrl-secret: \"KEY\"}]' | subsystems[0].allowed-hosts[0].dhchap-ctrl-secret: needs dhchap-secret",
            "same secrets      | 'allowed-hosts: [{nqn: H1, dhchap-secret: \"KEY\", dhchap-ctrl-secret: \"KEY\"}]' | subsystems[0].allowed-hosts[0].dhchap-ctrl-secret: must differ",
            "two forms         | 'allowed-hosts: [{nqn: H1, dhchap-secret: \"KEY\", dhchap-secret-env: PATH}]' | subsystems[0].allowed-hosts[0].dhchap-secret: give one of",
            "unset variable    | 'allowed-hosts: [{nqn: H1, dhchap-secret-env: COPYOFFLOAD_NO_SUCH_VARIABLE}]' | subsystems[0].allowed-hosts[0].dhchap-secret-env: environment variable",
            "unknown key       | 'allowed-hosts: [{nqn: H1, dhchap-key: \"KEY\"}]' | subsystems[0].allowed-hosts[0].dhchap-key: unknown key",
            "no nqn            | 'allowed-hosts: [{dhchap-secret: \"KEY\"}]' | subsystems[0].allowed-hosts[0].nqn: is required",
            "twice             | 'allowed-hosts: [H1, {nqn: H1, dhchap-secret: \"KEY\"}]' | subsystems[0].allowed-hosts[1]: host",
            "unknown hash      | 'allowed-hosts: [H1]\ndhchap: {hashes: [md5]}' | subsystems[0].dhchap.hashes[0]: 'md5' is not a DH-HMAC-CHAP hash",
            "unknown group     | 'allowed-hosts: [H1]\ndhchap: {dh-groups: [ffdhe1024]}' | subsystems[0].dhchap.dh-groups[0]: 'ffdhe1024' is not",
            "no groups         | 'allowed-hosts: [H1]\ndhchap: {dh-groups: []}' | subsystems[0].dhchap.dh-groups: is empty",
            "group twice       | 'allowed-hosts: [H1]\ndhchap: {dh-groups: [null, \"null\"]}' | subsystems[0].dhchap.dh-groups[1]: null is listed twice",
            "unknown dhchap key| 'allowed-hosts: [H1]\ndhchap: {groups: [null]}' | subsystems[0].dhchap.groups: unknown key",
    })
    void errorsNameTheKeyAndNeverTheSecret(String name, String hosts, String message) {
        String yaml = subsystem(hosts.replace("\\n", "\n").replace("H1", H1).replace("KEY", KEY));
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(message).message().doesNotContain("AAECAwQF");
    }
}
