package org.copyoffload.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    private static final String VALID = """
            data-dir: /tmp/x
            nvme:
              version: "2.0"
              mdts: 5
            listeners:
              - address: 127.0.0.1
                port: 4421
                advertise-address: 10.0.2.2
            metrics:
              enabled: false
            volumes:
              - name: a
                size: 1GiB
                block-size: 512
              - name: b
                file: sub/b.raw
                size: 8MiB
            subsystems:
              - nqn: nqn.2026-01.org.example:one
                allow-any-host: false
                allowed-hosts: [nqn.2014-08.org.nvmexpress:uuid:1]
                nvme-version: "1.4"
                namespaces:
                  - nsid: 1
                    volume: a
                  - nsid: 7
                    volume: b
            """;

    @Test
    void embeddedDefaultMatchesTheDesign() {
        ServerConfig c = ConfigLoader.loadDefault();
        assertThat(c.listeners()).containsExactly(new ServerConfig.Listener("127.0.0.1", 4420, "127.0.0.1"));
        assertThat(c.metrics()).isEqualTo(new ServerConfig.Metrics(true, "127.0.0.1", 9464));
        assertThat(c.dataDir()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(c.nvme().version()).isEqualTo(NvmeVersion.V2_1);
        assertThat(c.subsystems()).singleElement().satisfies(s -> {
            assertThat(s.nqn()).isEqualTo("nqn.2026-01.org.copyoffload:default");
            assertThat(s.namespaces()).extracting(ServerConfig.Namespace::nsid).containsExactly(1, 2, 3);
        });
        // NSID 3 is zoned: 1 GiB of 64 MiB zones, 4 KiB blocks.
        assertThat(c.volumes().get(2).zoned()).isEqualTo(new ServerConfig.Zoned(16384, 16384, 14, 14));
        // iSCSI: the same two conventional volumes as LUN 0 and 1 (one volume, two transports).
        assertThat(c.iscsi().portals()).containsExactly(new ServerConfig.IscsiPortal("127.0.0.1", 3260, "127.0.0.1", 1));
        assertThat(c.iscsi().targets()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("iqn.2026-01.org.copyoffload:default");
            assertThat(t.luns()).containsExactly(new ServerConfig.Lun(0, "conv0"), new ServerConfig.Lun(1, "conv1"),
                    new ServerConfig.Lun(2, "zns0"));
            assertThat(t.allowAnyInitiator()).isTrue();
            assertThat(t.chap()).isNull();
        });
    }

    @Test
    void advertisePortIsWhatAForwarderMovesTheListenerTo() {
        ServerConfig c = ConfigLoader.parse("""
                volumes: [{name: a, size: 1MiB}]
                listeners: [{address: 0.0.0.0, port: 4420, advertise-address: 127.0.0.1, advertise-port: 34420}]
                iscsi:
                  listeners: [{address: 0.0.0.0, port: 3260, advertise-address: 127.0.0.1, advertise-port: 33260}]
                  targets: [{name: iqn.2026-01.org.example:t, luns: [{volume: a}]}]
                """, "t");
        assertThat(c.listeners()).containsExactly(new ServerConfig.Listener("0.0.0.0", 4420, "127.0.0.1", 34420));
        assertThat(c.iscsi().portals()).containsExactly(
                new ServerConfig.IscsiPortal("0.0.0.0", 3260, "127.0.0.1", 33260, 1));
        // Absent: 0, the bound port.
        assertThat(ConfigLoader.parse("listeners: [{port: 4420}]", "t").listeners().getFirst().advertisePort()).isZero();
        assertThatThrownBy(() -> ConfigLoader.parse("listeners: [{port: 4420, advertise-port: 70000}]", "t"))
                .hasMessageContaining("listeners[0].advertise-port");
    }

    @Test
    void readsTheIscsiKeys() {
        ServerConfig c = ConfigLoader.parse("""
                volumes: [{name: a, size: 1MiB}, {name: b, size: 1MiB}]
                iscsi:
                  listeners: [{address: 127.0.0.1, port: 3261, advertise-address: 10.0.2.2, portal-group-tag: 7}]
                  max-recv-data-segment-length: 65536
                  max-burst-length: 262144
                  first-burst-length: 8192
                  max-outstanding-r2t: 4
                  immediate-data: false
                  initial-r2t: false
                  max-connections: 2
                  queue-depth: 64
                  discovery-chap: {user: disc, secret: discoverysecret}
                  targets:
                    - name: iqn.2026-01.org.example:t1
                      alias: one
                      allow-any-initiator: false
                      allowed-initiators: [iqn.1993-08.org.debian:01:abc]
                      chap: {user: u, secret: initiatorsecret, mutual-user: t, mutual-secret: targetsecret1}
                      luns: [{lun: 3, volume: b}, {volume: a}]
                """, "t");
        ServerConfig.Iscsi i = c.iscsi();
        assertThat(i.portals()).containsExactly(new ServerConfig.IscsiPortal("127.0.0.1", 3261, "10.0.2.2", 7));
        assertThat(i.limits()).isEqualTo(new ServerConfig.IscsiLimits(65536, 262144, 8192, 4, false, false, 2, 64,
                32L << 20, 512L << 20, Duration.ofSeconds(15), Duration.ofSeconds(5), Duration.ofSeconds(30)));
        assertThat(i.discoveryChap()).isEqualTo(new ServerConfig.Chap("disc", "discoverysecret", null, null));
        ServerConfig.IscsiTarget t = i.targets().getFirst();
        assertThat(t.alias()).isEqualTo("one");
        assertThat(t.allowedInitiators()).containsExactly("iqn.1993-08.org.debian:01:abc");
        assertThat(t.chap().mutual()).isTrue();
        assertThat(t.luns()).containsExactly(new ServerConfig.Lun(3, "b"), new ServerConfig.Lun(1, "a"));
    }

    @Test
    void chapSecretsComeFromTheEnvironmentOrAFileAndNeverShowInTheConfigsText(@org.junit.jupiter.api.io.TempDir
                                                                              java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("mutual");
        java.nio.file.Files.writeString(file, "from-a-file-secret\n");
        ServerConfig c = ConfigLoader.parse("""
                iscsi:
                  discovery-chap: {user: u, secret-env: COPYOFFLOAD_TEST_CHAP_SECRET, mutual-user: t, mutual-secret-file: %s}
                """.formatted(file), "t");
        ServerConfig.Chap chap = c.iscsi().discoveryChap();
        assertThat(chap.secret()).as("set by the build (target-server/pom.xml)").isEqualTo("environment-chap-secret");
        assertThat(chap.mutualSecret()).as("one trailing newline dropped").isEqualTo("from-a-file-secret");
        assertThat(chap.toString()).doesNotContain("environment-chap-secret").doesNotContain("from-a-file-secret")
                .contains("user=u").contains("mutualUser=t");
        assertThat(c.toString()).doesNotContain("from-a-file-secret");
    }

    @Test
    void tlsKeysComeFromAFileAndNeverShowInTheConfigsText(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("psk");
        java.nio.file.Files.writeString(file, "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\n");
        ServerConfig c = ConfigLoader.parse("""
                listeners:
                  - tls: optional
                    tls-keys:
                      - {host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key-file: %s}
                      - {host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2014-08.org.nvmexpress.discovery, key: "NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:", derivation: rfc8446}
                subsystems: [{nqn: nqn.2026-01.a:b}]
                """.formatted(file), "t");
        ServerConfig.Listener l = c.listeners().getFirst();
        assertThat(l.tls()).isEqualTo(ServerConfig.TlsMode.OPTIONAL);
        assertThat(l.tlsKeys()).hasSize(2);
        assertThat(l.tlsKeys().get(0).key().toInterchange()).isEqualTo("NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:");
        assertThat(l.tlsKeys().get(0).derivation()).isEqualTo(
                org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm.LIBNVME);
        assertThat(l.tlsKeys().get(1).derivation()).isEqualTo(
                org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm.RFC8446);
        assertThat(c.toString()).doesNotContain("VRLb").contains("key=(hidden)");
        assertThat(ConfigLoader.parse("listeners: [{port: 1}]", "t").listeners().getFirst().tls())
                .isEqualTo(ServerConfig.TlsMode.NONE);
    }

    @Test
    void initiatorsMayHaveChapCredentialsOfTheirOwnNeverShownInTheConfigsText() {
        ServerConfig c = ConfigLoader.parse("""
                volumes: [{name: v, size: 1MiB}]
                iscsi:
                  targets:
                    - name: iqn.2026-01.a:t
                      chap: {user: u, secret: target-secret-1}
                      allowed-initiators:
                        - iqn.2026-01.a:plain
                        - {name: iqn.2026-01.a:own, chap: {user: o, secret: own-secret-123}}
                      luns: [{lun: 0, volume: v}]
                """, "t");
        ServerConfig.IscsiTarget t = c.iscsi().targets().getFirst();
        assertThat(t.allowedInitiators()).containsExactly("iqn.2026-01.a:plain", "iqn.2026-01.a:own");
        assertThat(t.chapFor("iqn.2026-01.a:own").secret()).isEqualTo("own-secret-123");
        assertThat(t.chapFor("iqn.2026-01.a:plain").secret()).isEqualTo("target-secret-1");
        assertThat(t.chapFor(null).secret()).isEqualTo("target-secret-1");
        assertThat(c.toString()).doesNotContain("own-secret-123").doesNotContain("target-secret-1");
        assertThatThrownBy(() -> ConfigLoader.parse("""
                volumes: [{name: v, size: 1MiB}]
                iscsi:
                  targets:
                    - name: iqn.2026-01.a:t
                      allowed-initiators: [{name: iqn.2026-01.a:own}]
                      luns: [{lun: 0, volume: v}]
                """, "t")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("iscsi.targets[0].allowed-initiators[0].chap");
        assertThatThrownBy(() -> ConfigLoader.parse("""
                volumes: [{name: v, size: 1MiB}]
                iscsi:
                  targets:
                    - name: iqn.2026-01.a:t
                      allowed-initiators: [iqn.2026-01.a:x, {name: iqn.2026-01.a:x, chap: {user: o, secret: own-secret-123}}]
                      luns: [{lun: 0, volume: v}]
                """, "t")).isInstanceOf(ConfigException.class).hasMessageContaining("listed twice");
    }

    /** 128 KiB of in-capsule data by default: Linux then sends writes up to that size without an R2T round trip. */
    @Test
    void inCapsuleDataDefaultsTo128KiBAndWriteDataBudgetsBoundIt() {
        ServerConfig defaults = ConfigLoader.parse("data-dir: x\n", "t");
        assertThat(defaults.nvme().inCapsuleDataSize()).isEqualTo(131072);
        assertThat(defaults.nvme().maxWriteDataPerConnection()).isEqualTo(32L << 20);
        assertThat(defaults.nvme().maxWriteData()).isEqualTo(512L << 20);
        assertThat(ConfigLoader.parse("nvme: {in-capsule-data-size: 8192}", "t").nvme().inCapsuleDataSize())
                .isEqualTo(8192);
    }

    @Test
    void timeoutsHaveSafeDefaultsAndTakeUnits() {
        ServerConfig defaults = ConfigLoader.parse("data-dir: x\n", "t");
        assertThat(defaults.nvme().setupTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.nvme().maxKeepAliveTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(ConfigLoader.parse("nvme: {max-keep-alive-timeout: 30s}", "t").nvme().maxKeepAliveTimeout())
                .isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> ConfigLoader.parse("nvme: {max-keep-alive-timeout: 2h}", "t"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nvme.max-keep-alive-timeout");
        assertThat(defaults.iscsi().limits().loginTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.iscsi().limits().nopInInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.iscsi().limits().nopInTimeout()).isEqualTo(Duration.ofSeconds(30));
        ServerConfig c = ConfigLoader.parse("""
                nvme: {setup-timeout: 250ms}
                iscsi: {login-timeout: 2m, nop-in-interval: 1h, nop-in-timeout: 45s}
                """, "t");
        assertThat(c.nvme().setupTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.iscsi().limits().loginTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.iscsi().limits().nopInInterval()).isEqualTo(Duration.ofHours(1));
        assertThat(c.iscsi().limits().nopInTimeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void connectionLimitsHaveSafeDefaults() {
        assertThat(ConfigLoader.parse("data-dir: x\n", "t").limits()).isEqualTo(ServerConfig.ConnectionLimits.DEFAULT);
        assertThat(ConfigLoader.parse("limits: {connections: 100, connections-per-host: 10}", "t").limits())
                .isEqualTo(new ServerConfig.ConnectionLimits(100, 10));
        assertThat(ConfigLoader.parse("limits: {connections: 100}", "t").limits().connectionsPerHost())
                .as("per host at most the total").isEqualTo(100);
    }

    @Test
    void readsEveryKey() {
        ServerConfig c = ConfigLoader.parse(VALID, "test");
        assertThat(c.nvme().version()).isEqualTo(NvmeVersion.V2_0);
        assertThat(c.nvme().mdts()).isEqualTo(5);
        assertThat(c.listeners()).containsExactly(new ServerConfig.Listener("127.0.0.1", 4421, "10.0.2.2"));
        assertThat(c.metrics().enabled()).isFalse();
        assertThat(c.volumes()).containsExactly(
                new ServerConfig.Volume("a", Path.of("/tmp/x/a.img"), 1L << 30, 512),
                new ServerConfig.Volume("b", Path.of("/tmp/x/sub/b.raw"), 8L << 20, 4096));
        ServerConfig.Subsystem s = c.subsystems().getFirst();
        assertThat(s.allowAnyHost()).isFalse();
        assertThat(s.allowedHosts()).containsExactly("nqn.2014-08.org.nvmexpress:uuid:1");
        assertThat(s.version()).isEqualTo(NvmeVersion.V1_4);
        assertThat(s.namespaces()).containsExactly(new ServerConfig.Namespace(1, "a"), new ServerConfig.Namespace(7, "b"));
        assertThat(s.serial()).hasSizeLessThanOrEqualTo(20);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown top key       | 'colour: red'                                               | colour: unknown key",
            "bad version           | 'nvme: {version: \"1.3\"}'                                   | nvme.version: unsupported NVMe version '1.3'",
            "mdts out of range     | 'nvme: {mdts: 11}'                                          | nvme.mdts: 11 is outside 1..10",
            "in-capsule not x16    | 'nvme: {in-capsule-data-size: 100}'                         | nvme.in-capsule-data-size: 100 is not a multiple of 16",
            "write data < MDTS     | 'nvme: {max-write-data-per-connection: 512KiB}'            | nvme.max-write-data-per-connection: 524288 bytes is less than one maximal transfer (MDTS 8: 1048576 bytes)",
            "target < connection   | 'nvme: {max-write-data: 16MiB}'                             | nvme.max-write-data: 16777216 bytes is less than max-write-data-per-connection (33554432)",
            "bad write data size   | 'nvme: {max-write-data: lots}'                              | nvme.max-write-data: not a size: 'lots'",
            "no event loop         | 'nvme: {event-loops: 0}'                                    | nvme.event-loops: 0 is outside 1..256",
            "iscsi bad name        | 'iscsi: {targets: [{name: target1}]}'                       | iscsi.targets[0].name: 'target1' is not an iSCSI name",
            "iscsi no volume       | 'iscsi: {targets: [{name: iqn.2026-01.a.b:t, luns: [{volume: zz}]}]}' | iscsi.targets[0].luns[0].volume: no volume named 'zz'",
            "iscsi zcap < zsze     | 'volumes: [{name: z, size: 4MiB, zoned: {zone-size: 1MiB, zone-capacity: 512KiB}}]\niscsi: {targets: [{name: iqn.2026-01.a.b:t, luns: [{lun: 0, volume: z}]}]}' | iscsi.targets[0].luns[0].volume: 'z' has a zone-capacity below its zone-size: a host managed zoned logical unit (ZBC) has no zone capacity",
            "iscsi lun twice       | 'volumes: [{name: a, size: 1MiB}]\niscsi: {targets: [{name: iqn.2026-01.a.b:t, luns: [{lun: 1, volume: a}, {lun: 1, volume: a}]}]}' | iscsi.targets[0].luns[1].lun: LUN 1 is used twice",
            "iscsi first > max     | 'iscsi: {first-burst-length: 2000000, max-burst-length: 1000000}' | iscsi.first-burst-length: 2000000 exceeds max-burst-length 1000000",
            "iscsi short secret    | 'iscsi: {discovery-chap: {user: u, secret: short}}'        | iscsi.discovery-chap.secret: 5 bytes; a CHAP secret needs 12 to 255",
            "iscsi same secrets    | 'iscsi: {discovery-chap: {user: u, secret: abcdefghijkl, mutual-user: t, mutual-secret: abcdefghijkl}}' | iscsi.discovery-chap.mutual-secret: must differ from secret",
            "limits per host > all | 'limits: {connections: 10, connections-per-host: 20}'     | limits.connections-per-host: 20 exceeds connections 10",
            "limits zero           | 'limits: {connections: 0}'                                 | limits.connections: 0 is outside 1..1048576",
            "limits typo           | 'limits: {conections: 5}'                                  | limits.conections: unknown key",
            "iscsi two secrets     | 'iscsi: {discovery-chap: {user: u, secret: abcdefghijkl, secret-env: PATH}}' | iscsi.discovery-chap.secret: give one of secret, secret-env and secret-file",
            "iscsi secret unset    | 'iscsi: {discovery-chap: {user: u, secret-env: COPYOFFLOAD_NO_SUCH_VARIABLE}}' | iscsi.discovery-chap.secret-env: environment variable COPYOFFLOAD_NO_SUCH_VARIABLE is not set",
            "iscsi secret no file  | 'iscsi: {discovery-chap: {user: u, secret-file: /nonexistent/chap}}' | iscsi.discovery-chap.secret-file: cannot read /nonexistent/chap",
            "iscsi no secret       | 'iscsi: {discovery-chap: {user: u}}'                       | iscsi.discovery-chap.secret: is required (or secret-env, secret-file)",
            "iscsi no initiator    | 'iscsi: {targets: [{name: iqn.2026-01.a.b:t, allow-any-initiator: false}]}' | iscsi.targets[0].allowed-initiators: is empty while allow-any-initiator is false",
            "iscsi portal, no tgt  | 'iscsi: {listeners: [{port: 3260}]}'                       | iscsi.targets: is empty: iSCSI listeners would serve nothing",
            "iscsi typo            | 'iscsi: {target: []}'                                       | iscsi.target: unknown key",
            "tls mode typo         | 'listeners: [{tls: maybe}]'                               | listeners[0].tls: 'maybe' is not none, optional or required",
            "tls without keys      | 'listeners: [{tls: required}]'                            | listeners[0].tls-keys: is empty: tls required needs at least one key",
            "tls keys, tls none    | 'listeners: [{tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys: given, but tls is none",
            "tls key bad crc       | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLctnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys[0]: the PSK's CRC-32 does not match",
            "tls key not a key     | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"DHHC-1:00:x:\"}]}]' | listeners[0].tls-keys[0]: a PSK in the interchange format starts with NVMeTLSkey-1:",
            "tls key missing       | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b}]}]' | listeners[0].tls-keys[0].key: is required (or key-env, key-file)",
            "tls key no host       | 'listeners: [{tls: required, tls-keys: [{subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys[0].host: is required",
            "tls key twice         | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}, {host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys[1]: a second key for host",
            "tls bad derivation    | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\", derivation: rfc5869}]}]' | listeners[0].tls-keys[0].derivation: 'rfc5869' is not libnvme or rfc8446",
            "tls key unknown sub   | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:zz, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys[0].subsystem: no subsystem nqn.2026-01.a:zz",
            "tls key bad host      | 'listeners: [{tls: required, tls-keys: [{host: me, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\"}]}]' | listeners[0].tls-keys[0].host: 'me' is not an NQN",
            "tls key typo          | 'listeners: [{tls: required, tls-keys: [{host: nqn.2014-08.org.nvmexpress:uuid:1, subsystem: nqn.2026-01.a:b, key: \"NVMeTLSkey-1:01:VRLbtnN9AQb2WXW3c9+wEf/DRLz0QuLdbYvEhwtdWwNf9LrZ:\", hots: x}]}]' | listeners[0].tls-keys[0].hots: unknown key",
            "bad port              | 'listeners: [{port: 70000}]'                                | listeners[0].port: 70000 is outside 0..65535",
            "bad address           | 'listeners: [{address: localhost}]'                         | listeners[0].address: 'localhost' is not an IP address",
            "duplicate listener    | 'listeners: [{port: 1}, {port: 1}]'                         | listeners[1]: listener 127.0.0.1:1 is defined twice",
            "typo in listener      | 'listeners: [{prot: 1}]'                                    | listeners[0].prot: unknown key",
            "volume without size   | 'volumes: [{name: a}]'                                      | volumes[0].size: is required",
            "bad size              | 'volumes: [{name: a, size: lots}]'                          | volumes[0].size: not a size: 'lots'",
            "bad block size        | 'volumes: [{name: a, size: 1MiB, block-size: 1024}]'        | volumes[0].block-size: 1024 is not 512 or 4096",
            "size not in blocks    | 'volumes: [{name: a, size: 1000, block-size: 512}]'         | volumes[0].size: 1000 bytes is not a multiple of the block size 512",
            "duplicate volume      | 'volumes: [{name: a, size: 1MiB}, {name: a, size: 1MiB}]'   | volumes[1].name: volume 'a' is defined twice",
            "bad volume name       | 'volumes: [{name: \"a/b\", size: 1MiB}]'                     | volumes[0].name: 'a/b' may use letters",
            "subsystem without nqn | 'subsystems: [{model: x}]'                                  | subsystems[0].nqn: is required",
            "not an nqn            | 'subsystems: [{nqn: foo}]'                                  | subsystems[0].nqn: 'foo' is not an NQN",
            "discovery nqn         | 'subsystems: [{nqn: nqn.2014-08.org.nvmexpress.discovery}]' | subsystems[0].nqn: the discovery NQN is served by the server itself",
            "unknown volume        | 'subsystems: [{nqn: nqn.2026-01.a:b, namespaces: [{volume: zz}]}]' | subsystems[0].namespaces[0].volume: no volume named 'zz'",
            "nsid zero             | 'subsystems: [{nqn: nqn.2026-01.a:b, namespaces: [{nsid: 0, volume: zz}]}]' | subsystems[0].namespaces[0].nsid: 0 is outside 1..1024",
            "no host may connect   | 'subsystems: [{nqn: nqn.2026-01.a:b, allow-any-host: false}]' | subsystems[0].allowed-hosts: is empty while allow-any-host is false",
            "serial too long       | 'subsystems: [{nqn: nqn.2026-01.a:b, serial: 123456789012345678901}]' | subsystems[0].serial: '123456789012345678901' must be 1 to 20",
            "boolean as string     | 'metrics: {enabled: yes please}'                            | metrics.enabled: expected true or false",
            "bad duration          | 'nvme: {setup-timeout: 10 sec}'                             | nvme.setup-timeout: not a duration: '10 sec'",
            "duration without unit | 'iscsi: {login-timeout: 15}'                                | iscsi.login-timeout: not a duration: '15'",
            "duration too short    | 'iscsi: {nop-in-interval: 1ms}'                             | iscsi.nop-in-interval: 1ms is outside 10ms..1h",
            "duration too long     | 'nvme: {setup-timeout: 11m}'                                | nvme.setup-timeout: 11m is outside 10ms..10m",
    })
    void badConfigurationNamesTheKey(String name, String yaml, String message) {
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "test.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("test.yaml: ")
                .hasMessageContaining(message);
    }

    @Test
    void duplicateNsidIsRefused() {
        String yaml = """
                volumes: [{name: a, size: 1MiB}, {name: b, size: 1MiB}]
                subsystems:
                  - nqn: nqn.2026-01.a:b
                    namespaces: [{nsid: 3, volume: a}, {nsid: 3, volume: b}]
                """;
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t"))
                .hasMessageContaining("subsystems[0].namespaces[1].nsid: NSID 3 is used twice");
    }

    @Test
    void invalidYamlSaysWhere() {
        assertThatThrownBy(() -> ConfigLoader.parse("volumes: [\n  {name: a", "t.yaml"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("t.yaml: not valid YAML");
    }

    @Test
    void missingFileIsReported(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("nope.yaml");
    }

    @Test
    void loadsAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, VALID);
        assertThat(ConfigLoader.load(f).subsystems()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource({"4096,4096", "1K,1024", "512MiB,536870912", "4GiB,4294967296", "1T,1099511627776", "2 KiB,2048"})
    void sizes(String text, long bytes) {
        assertThat(ByteSize.parse(text).bytes()).isEqualTo(bytes);
    }
}
