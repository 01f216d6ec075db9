package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.copyoffload.protocol.iscsi.login.LoginStatus;
import org.copyoffload.protocol.iscsi.login.SecurityNegotiation;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.CscdDescriptor;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The iSCSI transport end to end over loopback with a bare initiator: login and its refusals, discovery,
 * SCSI commands with immediate data, R2T and Data-In, digests, the CmdSN window, NOP, Reject, task management and
 * Logout. The target's volume files are checked where data lands.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiTransportTest {
    static final String TARGET = "iqn.2026-01.org.copyoffload:test";
    static final String RESTRICTED = "iqn.2026-01.org.copyoffload:restricted";
    static final String CHAP_TARGET = "iqn.2026-01.org.copyoffload:chap";
    static final String ALLOWED = "iqn.2026-01.org.copyoffload:allowed";

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners:
              - {address: 127.0.0.1, port: 0}
            metrics: {enabled: false}
            volumes:
              - {name: big, size: 64MiB, block-size: 4096}
              - {name: small, size: 16MiB, block-size: 512}
            iscsi:
              listeners:
                - {address: 127.0.0.1, port: 0, portal-group-tag: 3}
              first-burst-length: 16384
              targets:
                - name: %s
                  alias: test target
                  luns: [{lun: 0, volume: big}, {lun: 1, volume: small}]
                - name: %s
                  allow-any-initiator: false
                  allowed-initiators: [%s]
                  luns: [{lun: 0, volume: small}]
                - name: %s
                  chap: {user: alice, secret: alicesecret12}
                  luns: [{lun: 0, volume: small}]
            """.formatted(dir, TARGET, RESTRICTED, ALLOWED, CHAP_TARGET));

    static IscsiClient client() {
        return new IscsiClient(target.iscsiPortal());
    }

    // ---------------------------------------------------------------- login

    @Test
    void aLoginAnswersTheKeysAndAssignsATsih() {
        try (IscsiClient c = client()) {
            c.login(TARGET, "HeaderDigest", "None", "DataDigest", "None", "MaxRecvDataSegmentLength", "65536");
            assertThat(c.tsih).isNotZero();
            assertThat(c.loginKeys).containsEntry("TargetPortalGroupTag", "3").containsEntry("TargetAlias", "test target")
                    .containsKey("MaxRecvDataSegmentLength");
            assertThat(c.testUnitReady(0).status()).isZero();
            assertThat(c.logout()).isZero();
            assertThat(c.conn.awaitPeerClose(IscsiClient.WAIT)).as("the target closes after Logout").isTrue();
        }
    }

    @Test
    void digestsWorkAfterLogin() {
        try (IscsiClient c = client()) {
            c.login(TARGET, "HeaderDigest", "CRC32C", "DataDigest", "CRC32C");
            assertThat(c.loginKeys).containsEntry("HeaderDigest", "CRC32C").containsEntry("DataDigest", "CRC32C");
            byte[] data = TestServer.randomBytes(new Random(3), 64 * 1024);
            assertThat(c.write10(0, 100, data, 4096, false).status()).isZero();
            IscsiClient.Result r = c.read10(0, 100, 16, 4096);
            assertThat(r.status()).isZero();
            assertThat(r.dataIn()).isEqualTo(data);
        }
    }

    record Refusal(String name, List<TextKey> keys, int versionMin, LoginStatus expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @Test
    void refusedLoginsGetTheirStatusAndTheConnectionCloses() {
        List<Refusal> cases = List.of(
                new Refusal("unknown target", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                        new TextKey("TargetName", "iqn.2026-01.org.copyoffload:nothing")), 0, LoginStatus.NOT_FOUND),
                new Refusal("no initiator name", List.of(new TextKey("TargetName", TARGET)), 0,
                        LoginStatus.MISSING_PARAMETER),
                new Refusal("no target name", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR)), 0,
                        LoginStatus.MISSING_PARAMETER),
                new Refusal("not on the access list", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                        new TextKey("TargetName", RESTRICTED)), 0, LoginStatus.AUTHORIZATION_FAILURE),
                new Refusal("CHAP required", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                        new TextKey("TargetName", CHAP_TARGET)), 0, LoginStatus.AUTHENTICATION_FAILURE),
                new Refusal("bad session type", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                        new TextKey("SessionType", "Sideways")), 0, LoginStatus.SESSION_TYPE_NOT_SUPPORTED),
                new Refusal("unsupported version", List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                        new TextKey("TargetName", TARGET)), 1, LoginStatus.UNSUPPORTED_VERSION));
        for (Refusal refusal : cases) {
            try (IscsiClient c = client()) {
                ByteBuf data = Unpooled.buffer();
                org.copyoffload.protocol.iscsi.login.TextKeys.encode(refusal.keys(), data);
                c.conn.send(new IscsiPdu.LoginRequest(true, false, 1, 3, 1, refusal.versionMin(), c.isid, 0, 1, 1, 1, 0, data));
                IscsiPdu.LoginResponse r = c.conn.expect(IscsiPdu.LoginResponse.class, IscsiClient.WAIT);
                try {
                    assertThat(List.of(r.statusClass(), r.statusDetail())).as(refusal.name())
                            .containsExactly(refusal.expected().statusClass(), refusal.expected().statusDetail());
                    assertThat(r.tsih()).isZero();
                } finally {
                    r.release();
                }
                assertThat(c.conn.awaitPeerClose(IscsiClient.WAIT)).as(refusal.name() + ": connection closed").isTrue();
            }
        }
    }

    @Test
    void anAllowedInitiatorLogsIn() {
        try (IscsiClient c = client()) {
            List<TextKey> keys = List.of(new TextKey("InitiatorName", ALLOWED), new TextKey("TargetName", RESTRICTED));
            IscsiPdu.LoginResponse r = c.loginStep(1, 3, true, keys);
            try {
                assertThat(r.statusClass()).isZero();
            } finally {
                r.release();
            }
        }
    }

    /** CHAP (RFC 7143, 12.1.3) through the security stage: the right secret gets in. */
    @Test
    void chapWithTheRightSecretLogsIn() {
        try (IscsiClient c = client()) {
            IscsiPdu.LoginResponse r = c.loginStep(0, 1, false, List.of(new TextKey("InitiatorName", IscsiClient.INITIATOR),
                    new TextKey("SessionType", "Normal"), new TextKey("TargetName", CHAP_TARGET),
                    new TextKey("AuthMethod", "CHAP,None")));
            r.release();
            assertThat(c.loginKeys).containsEntry("AuthMethod", "CHAP");
            r = c.loginStep(0, 1, false, List.of(new TextKey("CHAP_A", "5")));
            r.release();
            int id = Integer.parseInt(c.loginKeys.get("CHAP_I"));
            byte[] challenge = java.util.HexFormat.of().parseHex(c.loginKeys.get("CHAP_C").substring(2));
            byte[] response = SecurityNegotiation.chapMd5Response(id, "alicesecret12".getBytes(), challenge);
            r = c.loginStep(0, 1, true, List.of(new TextKey("CHAP_N", "alice"),
                    new TextKey("CHAP_R", "0x" + java.util.HexFormat.of().formatHex(response))));
            try {
                assertThat(r.statusClass()).isZero();
                assertThat(r.transit()).isTrue();
            } finally {
                r.release();
            }
            r = c.loginStep(1, 3, true, List.of());
            try {
                assertThat(r.statusClass()).isZero();
                assertThat(r.tsih()).isNotZero();
            } finally {
                r.release();
            }
        }
    }

    // ---------------------------------------------------------------- discovery

    @Test
    void sendTargetsListsWhatThisInitiatorMayReach() {
        try (IscsiClient c = client()) {
            c.login(null);
            List<TextKey> keys = c.text(List.of(new TextKey("SendTargets", "All")));
            String address = "127.0.0.1:" + target.iscsiPortal().getPort() + ",3";
            assertThat(keys).containsSubsequence(new TextKey("TargetName", TARGET), new TextKey("TargetAddress", address));
            assertThat(keys).contains(new TextKey("TargetName", CHAP_TARGET));
            assertThat(keys).doesNotContain(new TextKey("TargetName", RESTRICTED));
            assertThat(c.logout()).isZero();
        }
    }

    // ---------------------------------------------------------------- commands

    /** A write larger than FirstBurstLength: immediate data, then R2Ts; the volume file holds it. */
    @Test
    void aWriteTakesImmediateDataThenR2tsAndLandsInTheVolume() throws Exception {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            byte[] data = TestServer.randomBytes(new Random(7), 512 * 1024);
            IscsiClient.Result w = c.write10(0, 2048, data, 4096, true);
            assertThat(w.status()).isZero();
            assertThat(w.r2ts()).as("R2Ts after 16 KiB of immediate data").isPositive();
            byte[] onDisk = new byte[data.length];
            try (var f = java.nio.channels.FileChannel.open(target.dir().resolve("big.img"))) {
                f.read(java.nio.ByteBuffer.wrap(onDisk), 2048L * 4096);
            }
            assertThat(onDisk).isEqualTo(data);
            IscsiClient.Result r = c.read10(0, 2048, 128, 4096);
            assertThat(r.dataIn()).isEqualTo(data);
            assertThat(r.dataInPdus()).as("Data-In PDUs of at most 8 KiB").isEqualTo(64);
        }
    }

    @Test
    void aReadShorterThanTheExpectedLengthIsAnUnderflow() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            byte[] cdb = {0x28, 0, 0, 0, 0, 10, 0, 0, 1, 0};
            IscsiClient.Result r = c.command(0, cdb, null, 3 * 4096, true);
            assertThat(r.status()).isZero();
            assertThat(r.dataIn()).hasSize(4096);
            assertThat(r.underflow()).isTrue();
            assertThat(r.residual()).isEqualTo(2 * 4096);
            r = c.command(0, cdb, null, 1024, true);
            assertThat(r.dataIn()).hasSize(1024);
            assertThat(r.overflow()).isTrue();
            assertThat(r.residual()).isEqualTo(3072);
        }
    }

    @Test
    void aCommandToAMissingLunIsCheckCondition() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            IscsiClient.Result r = c.testUnitReady(9);
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.sense()).isNotEmpty();
        }
    }

    // ---------------------------------------------------------------- sequence numbers, NOP, Reject

    /** RFC 7143, 4.2.2.1: a non-immediate command outside ExpCmdSN..MaxCmdSN is ignored; the session goes on. */
    @Test
    void aCommandOutsideTheWindowIsIgnored() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            int itt = c.itt();
            c.conn.send(new IscsiPdu.ScsiCommand(false, true, false, false, 1, Lun.encode(0), itt, 0,
                    c.maxCmdSn + 5, c.expStatSn, new byte[16], -1, Unpooled.EMPTY_BUFFER));
            assertThat(c.conn.poll(Duration.ofMillis(300))).isNull();
            assertThat(c.testUnitReady(0).status()).isZero();
        }
    }

    @Test
    void nopOutIsEchoedWithItsData() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            byte[] ping = "are you there".getBytes();
            int itt = c.itt();
            c.conn.send(new IscsiPdu.NopOut(true, 0, itt, 0xFFFFFFFF, c.cmdSn, c.expStatSn, Unpooled.wrappedBuffer(ping)));
            IscsiPdu.NopIn in = c.conn.expect(IscsiPdu.NopIn.class, IscsiClient.WAIT);
            try {
                assertThat(in.initiatorTaskTag()).isEqualTo(itt);
                assertThat(in.targetTransferTag()).isEqualTo(0xFFFFFFFF);
                assertThat(in.statSn()).isEqualTo(c.expStatSn);
                assertThat(TestServer.bytesOf(in.data().retain())).isEqualTo(ping);
            } finally {
                in.release();
            }
        }
    }

    @Test
    void dataOutForNoTaskIsRejectedAndTheSessionGoesOn() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            c.conn.send(new IscsiPdu.DataOut(true, 0, 4242, 7, c.expStatSn, 0, 0, Unpooled.wrappedBuffer(new byte[512])));
            IscsiPdu.Reject r = c.conn.expect(IscsiPdu.Reject.class, IscsiClient.WAIT);
            try {
                assertThat(r.reason()).isEqualTo(RejectReason.INVALID_PDU_FIELD.code());
                assertThat(r.data().getByte(r.data().readerIndex()) & 0x3F).isEqualTo(IscsiOpcode.SCSI_DATA_OUT.code());
                c.expStatSn = r.statSn() + 1;
            } finally {
                r.release();
            }
            assertThat(c.testUnitReady(0).status()).isZero();
        }
    }

    // ---------------------------------------------------------------- task management

    @Test
    void taskManagementAnswersEachFunction() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            assertThat(tmf(c, 1, 0, 999, c.cmdSn - 50)).as("ABORT TASK of an unknown task").isEqualTo(1);
            assertThat(tmf(c, 5, 0, 0, 0)).as("LUN RESET").isZero();
            assertThat(tmf(c, 5, 7, 0, 0)).as("LUN RESET of a missing LUN").isEqualTo(2);
            assertThat(tmf(c, 8, 0, 0, 0)).as("TASK REASSIGN at ERL 0").isEqualTo(4);
            assertThat(tmf(c, 14, 0, 0, 0)).as("unknown function").isEqualTo(255);
            // After the LUN reset this nexus sees a unit attention, then the LU works again.
            IscsiClient.Result r = c.testUnitReady(0);
            if (r.status() == 2) {
                r = c.testUnitReady(0);
            }
            assertThat(r.status()).isZero();
        }
    }

    static int tmf(IscsiClient c, int function, int lun, int referenced, int refCmdSn) {
        c.conn.send(new IscsiPdu.TaskManagementRequest(true, function, Lun.encode(lun), c.itt(), referenced, c.cmdSn,
                c.expStatSn, refCmdSn, 0));
        IscsiPdu.TaskManagementResponse r = c.conn.expect(IscsiPdu.TaskManagementResponse.class, IscsiClient.WAIT);
        c.expStatSn = r.statSn() + 1;
        return r.response();
    }

    // ---------------------------------------------------------------- sessions

    /** RFC 7143, 6.3.5: a new leading login with the same ISID ends the old session. */
    @Test
    void aLoginWithTheSameIsidReinstatesTheSession() {
        try (IscsiClient first = client(); IscsiClient second = client()) {
            first.login(TARGET);
            second.isid = first.isid;
            second.login(TARGET);
            assertThat(first.conn.awaitPeerClose(IscsiClient.WAIT)).as("the old session's connection closes").isTrue();
            assertThat(second.testUnitReady(0).status()).isZero();
        }
    }

    @Test
    void metricsCountPdusAndCommands() {
        try (IscsiClient c = client()) {
            c.login(TARGET);
            c.testUnitReady(0);
        }
        var registry = target.server().server().registry();
        assertThat(registry.get("copyoffload.iscsi.pdus").tag("direction", "in").tag("opcode", "login_request")
                .counter().count()).isPositive();
        assertThat(registry.get("copyoffload.iscsi.commands").tag("opcode", "0x00").counter().count()).isPositive();
    }

    // ---------------------------------------------------------------- EXTENDED COPY over the wire

    /** Logs {@code c} in as {@code initiator} to {@code target}, no authentication. */
    private static IscsiClient loginAs(IscsiClient c, String initiator, String target) {
        IscsiPdu.LoginResponse r = c.loginStep(1, 3, true, List.of(new TextKey("InitiatorName", initiator),
                new TextKey("SessionType", "Normal"), new TextKey("TargetName", target)));
        try {
            assertThat(r.statusClass()).as("login of %s to %s", initiator, target).isZero();
            c.tsih = r.tsih();
        } finally {
            r.release();
        }
        return c;
    }

    /** The binary NAA designator of {@code lun}'s Device Identification page, as sg_xcopy and libiscsi pick it. */
    private static byte[] naa(IscsiClient c, int lun) {
        byte[] page = c.command(lun, new InquiryCdb(true, 0x83, 1024).encode(), null, 1024, true).dataIn();
        return org.copyoffload.protocol.scsi.DeviceIdentification.logicalUnitNaa(page)
                .orElseThrow(() -> new AssertionError("no NAA designator at LUN " + lun));
    }

    private static byte[] copyList(long id, byte[] source, byte[] destination, int blocks, long sourceLba,
                                   long destinationLba) {
        List<CscdDescriptor> cscds = List.of(new CscdDescriptor(false, 0, 0, 1, 0, 3, source, false, 512, 0),
                new CscdDescriptor(false, 0, 0, 1, 0, 3, destination, false, 512, 0));
        return new ExtendedCopyParameterList(ExtendedCopyParameterList.Format.LID4, id, false,
                ExtendedCopyParameterList.ListIdUsage.HOLD_NO_DATA, 0, false, false, cscds,
                List.of(new SegmentDescriptor(false, false, 0, 1, blocks, sourceLba, destinationLba, 0)), new byte[0])
                .encode();
    }

    private static IscsiClient.Result xcopy(IscsiClient c, int lun, byte[] list) {
        return c.command(lun, new ExtendedCopyCdb(OperationCode.ExtendedCopy.LID4, list.length).encode(), list, 0,
                false);
    }

    /**
     * LIO's CVE-2020-28374: a CSCD designator must resolve only to a logical unit the requesting I_T nexus may
     * reach. Two initiators, one target open to all and one whose ACL admits only the second: the first, logged
     * in to the open target, names the restricted target's logical unit (whose designator the second read) and
     * gets COPY ABORTED, COPY TARGET DEVICE NOT REACHABLE, with nothing written; the second copies inside its own
     * target, over the wire, and the bytes land, counted in copyoffload.iscsi.xcopy.bytes.
     */
    @Test
    void extendedCopyReachesOnlyTheLogicalUnitsOfTheNexusesTarget() {
        byte[] secret = new byte[8 * 512];
        new Random(77).nextBytes(secret);
        try (IscsiClient allowed = loginAs(client(), ALLOWED, RESTRICTED);
             IscsiClient other = client().login(TARGET)) {
            assertThat(allowed.command(0, new ReadWriteCdb(OperationCode.WRITE_16, 32000, 8, 0, false, false).encode(), secret, 0, false).status()).isZero();
            byte[] restricted = naa(allowed, 0);
            byte[] open = naa(other, 1);
            // The other initiator copies the restricted unit's blocks to its own LUN 1: refused at segment 0.
            byte[] before = other.read10(1, 32000, 8, 512).dataIn();
            IscsiClient.Result r = xcopy(other, 1, copyList(1, restricted, open, 8, 32000, 32000));
            assertThat(r.status()).isEqualTo(2);
            SenseData s = SenseData.decode(r.sense());
            assertThat(s.additionalSense()).as("%s", s).contains(AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE);
            assertThat(s.commandSpecific().orElse(0)).as("segment 0 (fixed format: zero reads as absent)").isZero();
            assertThat(other.read10(1, 32000, 8, 512).dataIn()).isEqualTo(before);
            // Nor the other way: into the restricted unit from the open target.
            assertThat(xcopy(other, 1, copyList(2, open, restricted, 8, 0, 32000)).status()).isEqualTo(2);
            // The admitted initiator copies inside its own target.
            var summary = target.server().server().registry().find("copyoffload.iscsi.xcopy.bytes")
                    .tag("service_action", "lid4").tag("result", "good").summary();
            long count = summary == null ? 0 : summary.count();
            assertThat(xcopy(allowed, 0, copyList(3, restricted, restricted, 8, 32000, 32100)).status()).isZero();
            assertThat(allowed.read10(0, 32100, 8, 512).dataIn()).isEqualTo(secret);
            summary = target.server().server().registry().get("copyoffload.iscsi.xcopy.bytes").tag("service_action", "lid4")
                    .tag("result", "good").summary();
            assertThat(summary.count()).isEqualTo(count + 1);
            assertThat(summary.max()).isGreaterThanOrEqualTo(8 * 512);
            assertThat(target.server().server().registry().get("copyoffload.iscsi.xcopy.bytes").tag("service_action", "lid4")
                    .tag("result", "error").summary().totalAmount()).isZero();
        }
    }
}
