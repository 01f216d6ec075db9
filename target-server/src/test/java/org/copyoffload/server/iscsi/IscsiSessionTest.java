package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.copyoffload.initiator.iscsi.DiscoveredTarget;
import org.copyoffload.initiator.iscsi.IscsiLoginException;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.IscsiTrafficSnapshot;
import org.copyoffload.initiator.iscsi.ScsiResult;
import org.copyoffload.initiator.iscsi.ScsiStatusException;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.iscsi.login.ChapCredential;
import org.copyoffload.protocol.iscsi.login.LoginStatus;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java iSCSI initiator ({@link IscsiSession}) against this project's target over loopback: login with and
 * without digests and CHAP (one-way, mutual, and the refusals), SendTargets, INQUIRY and READ CAPACITY, writes
 * and reads of sizes around FirstBurstLength, MaxBurstLength and MaxRecvDataSegmentLength read back and found in the
 * volume file, many commands in flight within the target's CmdSN window, sense data and residuals, NOP both ways,
 * and the traffic counters. Two servers: one with the default limits (InitialR2T=Yes), one with small ones and
 * InitialR2T=No, so that writes take unsolicited Data-Out, several R2Ts and many Data-Out PDUs.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiSessionTest {
    static final String TARGET = "iqn.2026-01.org.copyoffload:session-test";
    static final String CHAP_TARGET = "iqn.2026-01.org.copyoffload:session-chap";
    static final String MUTUAL_TARGET = "iqn.2026-01.org.copyoffload:session-mutual";
    static final String PER_INITIATOR_TARGET = "iqn.2026-01.org.copyoffload:session-per-initiator";
    static final String CAROL = "iqn.2026-01.org.example:carol";
    static final int LUN_4K = 0;
    static final int LUN_512 = 1;
    /** The tight server's limits (bytes). */
    static final int TIGHT_SEGMENT = 4096;
    static final int TIGHT_FIRST_BURST = 8192;
    static final int TIGHT_MAX_BURST = 16384;
    static final int TIGHT_QUEUE_DEPTH = 8;

    @RegisterExtension
    static final TargetServerExtension roomy = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners: []
            metrics: {enabled: false}
            volumes:
              - {name: big, size: 64MiB, block-size: 4096}
              - {name: small, size: 16MiB, block-size: 512}
            iscsi:
              listeners: [{address: 127.0.0.1, port: 0, portal-group-tag: 7}]
              targets:
                - name: %s
                  alias: session test
                  luns: [{lun: 0, volume: big}, {lun: 1, volume: small}]
                - name: %s
                  chap: {user: alice, secret: alicesecret12}
                  luns: [{lun: 0, volume: small}]
                - name: %s
                  chap: {user: bob, secret: bobsecret1234, mutual-user: target, mutual-secret: targetsecret12}
                  luns: [{lun: 0, volume: small}]
                - name: %s
                  allow-any-initiator: false
                  chap: {user: alice, secret: alicesecret12}
                  allowed-initiators:
                    - %s
                    - {name: %s, chap: {user: carol, secret: carolsecret12, mutual-user: t2, mutual-secret: t2secret12345}}
                  luns: [{lun: 0, volume: small}]
            """.formatted(dir, TARGET, CHAP_TARGET, MUTUAL_TARGET, PER_INITIATOR_TARGET, IscsiOptions.DEFAULT_INITIATOR,
            CAROL));

    @RegisterExtension
    static final TargetServerExtension tight = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners: []
            metrics: {enabled: false}
            volumes:
              - {name: big, size: 64MiB, block-size: 4096}
              - {name: small, size: 16MiB, block-size: 512}
            iscsi:
              listeners: [{address: 127.0.0.1, port: 0}]
              max-recv-data-segment-length: %d
              first-burst-length: %d
              max-burst-length: %d
              queue-depth: %d
              initial-r2t: false
              targets:
                - name: %s
                  luns: [{lun: 0, volume: big}, {lun: 1, volume: small}]
            """.formatted(dir, TIGHT_SEGMENT, TIGHT_FIRST_BURST, TIGHT_MAX_BURST, TIGHT_QUEUE_DEPTH, TARGET));

    // ---------------------------------------------------------------- login

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,true", "true,false", "false,true"})
    void loginNegotiatesWhatWasAskedAndTheTargetDeclares(boolean header, boolean data) {
        IscsiSession s = roomy.iscsi(roomy.iscsiOptions(TARGET).withDigests(header, data));
        NegotiatedParameters p = s.parameters();
        assertThat(p.headerDigest()).isEqualTo(header);
        assertThat(p.dataDigest()).isEqualTo(data);
        // The target's defaults (README): 262144 declared, MaxBurstLength 1 MiB and FirstBurstLength 64 KiB by
        // Minimum with our offer, InitialR2T Yes by OR with the target's Yes, ImmediateData Yes.
        assertThat(p.targetMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(p.maxBurstLength()).isEqualTo(1 << 20);
        assertThat(p.firstBurstLength()).isEqualTo(65536);
        assertThat(p.initialR2T()).isTrue();
        assertThat(p.immediateData()).isTrue();
        assertThat(p.maxOutstandingR2T()).isEqualTo(1);
        assertThat(s.tsih()).isNotZero();
        assertThat(s.targetAlias()).contains("session test");
        assertThat(s.targetPortalGroupTag()).isEqualTo(7);
        s.testUnitReady(LUN_4K);
        assertThat(s.logout()).isZero();
    }

    @Test
    void inquiryAndReadCapacityDescribeBothLogicalUnits() {
        IscsiSession s = roomy.iscsi(TARGET);
        byte[] inquiry = s.inquiry(LUN_4K, false, 0, 96);
        assertThat(inquiry[0] & 0x1F).as("PERIPHERAL DEVICE TYPE: direct access").isZero();
        assertThat(inquiry[5] & 0x08).as("3PC").isNotZero();
        byte[] pages = s.inquiry(LUN_512, true, 0x00, 255);
        assertThat(pages[1]).as("PAGE CODE").isZero();
        assertThat(s.readCapacity16(LUN_4K)).isEqualTo(new IscsiSession.Capacity((64L << 20) / 4096 - 1, 4096));
        assertThat(s.readCapacity16(LUN_512)).isEqualTo(new IscsiSession.Capacity((16L << 20) / 512 - 1, 512));
    }

    @Test
    void sendTargetsListsEveryTargetWithThePortal() {
        List<DiscoveredTarget> targets = IscsiSession.discover(roomy.iscsiOptions(null));
        assertThat(targets).extracting(DiscoveredTarget::name).containsExactlyInAnyOrder(TARGET, CHAP_TARGET,
                MUTUAL_TARGET, PER_INITIATOR_TARGET);
        int port = roomy.iscsiPortal().getPort();
        assertThat(targets.getFirst().addresses()).containsExactly("127.0.0.1:" + port + ",7");
    }

    @Test
    void oneWayChapLogsInWithTheRightSecretOnly() {
        IscsiSession s = roomy.iscsi(roomy.iscsiOptions(CHAP_TARGET)
                .withChap(ChapCredential.of("alice", "alicesecret12"), null));
        s.testUnitReady(0);
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(CHAP_TARGET)
                .withChap(ChapCredential.of("alice", "wrongsecret12"), null)))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.AUTHENTICATION_FAILURE));
        assertThatThrownBy(() -> roomy.iscsi(CHAP_TARGET))
                .as("no CHAP where the target requires it")
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.AUTHENTICATION_FAILURE));
    }

    @Test
    void mutualChapAuthenticatesTheTargetToo() {
        ChapCredential bob = ChapCredential.of("bob", "bobsecret1234");
        IscsiSession s = roomy.iscsi(roomy.iscsiOptions(MUTUAL_TARGET)
                .withChap(bob, ChapCredential.of("target", "targetsecret12")));
        s.testUnitReady(0);
        // A target that does not know the secret we expect is refused by the initiator, with no Login status.
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(MUTUAL_TARGET)
                .withChap(bob, ChapCredential.of("target", "othersecret123"))))
                .isInstanceOfSatisfying(IscsiLoginException.class, e -> {
                    assertThat(e.status()).isEmpty();
                    assertThat(e).hasMessageContaining("CHAP_R of the target");
                });
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(MUTUAL_TARGET)
                .withChap(bob, ChapCredential.of("someone", "targetsecret12"))))
                .isInstanceOf(IscsiLoginException.class).hasMessageContaining("CHAP_N=target");
    }

    /** An initiator with CHAP credentials of its own logs in with those alone; the others with the target's. */
    @Test
    void initiatorsWithTheirOwnChapCredentialsUseThemAndOnlyThem() {
        ChapCredential alice = ChapCredential.of("alice", "alicesecret12");
        ChapCredential carol = ChapCredential.of("carol", "carolsecret12");
        ChapCredential t2 = ChapCredential.of("t2", "t2secret12345");
        roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET).withChap(alice, null)).testUnitReady(0);
        roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET).withInitiatorName(CAROL).withChap(carol, t2))
                .testUnitReady(0);
        // Carol may not use the target's credentials, nor may the default initiator use Carol's.
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET).withInitiatorName(CAROL)
                .withChap(alice, null)))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.AUTHENTICATION_FAILURE));
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET).withChap(carol, null)))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.AUTHENTICATION_FAILURE));
        // Carol's mutual secret is hers: a target answering with another is refused by the initiator.
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET).withInitiatorName(CAROL)
                .withChap(carol, ChapCredential.of("t2", "othersecret123"))))
                .isInstanceOf(IscsiLoginException.class).hasMessageContaining("CHAP_R of the target");
        // An initiator on neither list: authorization failure, whatever its secret.
        assertThatThrownBy(() -> roomy.iscsi(roomy.iscsiOptions(PER_INITIATOR_TARGET)
                .withInitiatorName("iqn.2026-01.org.example:mallory").withChap(alice, null)))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.AUTHORIZATION_FAILURE));
    }

    @Test
    void anUnknownTargetIsNotFound() {
        assertThatThrownBy(() -> roomy.iscsi("iqn.2026-01.org.copyoffload:nobody"))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.NOT_FOUND));
    }

    // ---------------------------------------------------------------- data

    /**
     * Sizes around every limit: below and at the tight FirstBurstLength (immediate data only), above it (R2Ts), at
     * and past MaxBurstLength (several R2Ts), and large ones; each written, read back and found in the volume file.
     */
    @ParameterizedTest(name = "{0} server, digests {1}")
    @CsvSource({"roomy,false", "roomy,true", "tight,false", "tight,true"})
    void writesReadBackAcrossBurstBoundaries(String which, boolean digests) throws IOException {
        TargetServerExtension target = which.equals("roomy") ? roomy : tight;
        IscsiSession s = target.iscsi(target.iscsiOptions(TARGET).withDigests(digests, digests));
        int[] sizes = {4096, TIGHT_SEGMENT * 2, TIGHT_FIRST_BURST, TIGHT_FIRST_BURST + 4096, TIGHT_MAX_BURST,
                TIGHT_MAX_BURST + TIGHT_FIRST_BURST + 4096, 65536, 65536 + 4096, 262144 + 8192, 1 << 20, (1 << 20) + 4096,
                3 << 20};
        Random random = new Random(which.hashCode() * 31L + (digests ? 1 : 0));
        long lba = digests ? 4096 : 0;
        for (int size : sizes) {
            byte[] data = TestServer.randomBytes(random, size);
            join(s.write16(LUN_4K, lba, Unpooled.wrappedBuffer(data.clone()), 4096, false));
            ByteBuf back = join(s.read16(LUN_4K, lba, size / 4096, 4096));
            assertThat(TestServer.bytesOf(back)).as("%d bytes read back", size).isEqualTo(data);
            assertThat(fileBytes(target.dir().resolve("big.img"), lba * 4096, size)).as("%d bytes in the file", size)
                    .isEqualTo(data);
            lba += size / 4096 + 1;
        }
        // 512-byte blocks too, with an odd number of them.
        byte[] data = TestServer.randomBytes(random, 512 * 37);
        join(s.write16(LUN_512, 3, Unpooled.wrappedBuffer(data.clone()), 512, true));
        assertThat(TestServer.bytesOf(join(s.read16(LUN_512, 3, 37, 512)))).isEqualTo(data);
    }

    @Test
    void manyCommandsInFlightStayWithinTheCmdSnWindow() {
        IscsiSession s = tight.iscsi(tight.iscsiOptions(TARGET).withMaxTasks(64));
        int commands = 200;
        int size = TIGHT_FIRST_BURST + 8192; // immediate data and an R2T each
        List<byte[]> written = new ArrayList<>();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        Random random = new Random(5);
        long base = 8192;
        for (int i = 0; i < commands; i++) {
            byte[] data = TestServer.randomBytes(random, size);
            written.add(data);
            writes.add(s.write16(LUN_4K, base + (long) i * (size / 4096), Unpooled.wrappedBuffer(data), 4096, false));
        }
        writes.forEach(IscsiSessionTest::join);
        List<CompletableFuture<ByteBuf>> reads = new ArrayList<>();
        for (int i = 0; i < commands; i++) {
            reads.add(s.read16(LUN_4K, base + (long) i * (size / 4096), size / 4096, 4096));
        }
        for (int i = 0; i < commands; i++) {
            assertThat(TestServer.bytesOf(join(reads.get(i)))).as("command %d", i).isEqualTo(written.get(i));
        }
        assertThat(s.peakCommandsInFlight()).as("queue depth reached").isEqualTo(TIGHT_QUEUE_DEPTH);
        assertThat(s.commandsInFlight()).isZero();
        // CmdSN: one per command; the window is MaxCmdSN - ExpCmdSN + 1 = the target's queue depth once idle.
        assertThat(s.cmdSn() - 1).isEqualTo(2 * commands);
        assertThat(s.expCmdSn()).isEqualTo(s.cmdSn());
        assertThat(s.maxCmdSn() - s.expCmdSn() + 1).isEqualTo(TIGHT_QUEUE_DEPTH);
    }

    /**
     * The generic {@code execute} carries what the helpers do not: EXTENDED COPY (LID1) with its parameter list as
     * data-out, copying inside LU 0 between the NAA designators INQUIRY reports, and RECEIVE COPY RESULTS with its
     * data-in; the copy reads back.
     */
    @Test
    void extendedCopyAndReceiveCopyResultsGoThroughTheGenericCommand() {
        IscsiSession s = roomy.iscsi(TARGET);
        byte[] data = TestServer.randomBytes(new Random(11), 16 * 4096);
        join(s.write16(LUN_4K, 1000, Unpooled.wrappedBuffer(data.clone()), 4096, false));
        byte[] naa = naaDesignator(s.inquiry(LUN_4K, true, 0x83, 1024));
        ExtendedCopyParameterList.CscdDescriptor lu0 =
                new ExtendedCopyParameterList.CscdDescriptor(false, 0, 0, 1, 0, 3, naa, false, 4096, 0);
        byte[] list = new ExtendedCopyParameterList(7, false, ExtendedCopyParameterList.ListIdUsage.HOLD_NO_DATA, 0,
                List.of(lu0, lu0), List.of(new ExtendedCopyParameterList.SegmentDescriptor(false, false, 0, 1, 16, 1000,
                        2000, 0)), new byte[0]).encode();
        try (ScsiResult copy = join(s.executeGood("EXTENDED COPY", LUN_4K, new ExtendedCopyCdb(list.length).encode(),
                Unpooled.wrappedBuffer(list), 0))) {
            assertThat(copy.isGood()).isTrue();
        }
        assertThat(TestServer.bytesOf(join(s.read16(LUN_4K, 2000, 16, 4096)))).isEqualTo(data);
        // COPY STATUS (00h) of list 7: held with status, as LIST ID USAGE 10b says.
        try (ScsiResult status = join(s.executeGood("RECEIVE COPY RESULTS", LUN_4K,
                new ReceiveCopyResultsCdb(0x00, 7, 1024).encode(), null, 1024))) {
            assertThat(status.data().readableBytes()).isGreaterThanOrEqualTo(8);
            assertThat(status.underflow()).isTrue();
        }
    }

    /** The binary NAA designator (type 3h, LU association) of a Device Identification page. */
    static byte[] naaDesignator(byte[] page) {
        for (int at = 4; at + 4 <= page.length; at += 4 + (page[at + 3] & 0xFF)) {
            if ((page[at + 1] & 0x0F) == 3 && (page[at + 1] & 0x30) == 0) {
                return java.util.Arrays.copyOfRange(page, at + 4, at + 4 + (page[at + 3] & 0xFF));
            }
        }
        throw new AssertionError("no NAA designator in the Device Identification page");
    }

    @Test
    void aReadPastTheEndIsCheckConditionWithItsSense() {
        IscsiSession s = roomy.iscsi(TARGET);
        long blocks = (64L << 20) / 4096;
        assertThatThrownBy(() -> join(s.read16(LUN_4K, blocks - 1, 2, 4096)))
                .isInstanceOfSatisfying(ScsiStatusException.class, e -> {
                    assertThat(e.scsiStatus()).contains(ScsiStatus.CHECK_CONDITION);
                    assertThat(e.sense()).hasValueSatisfying(sense ->
                            assertThat(sense.additionalSense()).contains(AdditionalSense.LBA_OUT_OF_RANGE));
                });
        // The session goes on.
        s.testUnitReady(LUN_4K);
    }

    @Test
    void aShortAnswerReportsUnderflowAndTheResidual() {
        IscsiSession s = roomy.iscsi(TARGET);
        byte[] cdb = {0x12, 0, 0, 0x04, 0, 0}; // INQUIRY, allocation length 1024
        try (ScsiResult r = join(s.execute(LUN_4K, cdb, null, 1024))) {
            assertThat(r.isGood()).isTrue();
            int length = r.data().readableBytes();
            assertThat(length).isBetween(36, 1023);
            assertThat(r.underflow()).isTrue();
            assertThat(r.residualCount()).isEqualTo(1024 - length);
        }
    }

    @Test
    void pingsGoBothWays() {
        IscsiSession s = roomy.iscsi(TARGET);
        assertThat(s.ping(new byte[] {1, 2, 3, 4, 5})).containsExactly(1, 2, 3, 4, 5);
        IscsiTrafficSnapshot before = s.traffic().snapshot();
        // The target pings an initiator idle for 5 s and drops one that does not answer (README, Status).
        TestServer.eventually("a NOP-In from the target", Duration.ofSeconds(15),
                () -> s.traffic().snapshot().minus(before).received(IscsiOpcode.NOP_IN).pdus() > 0);
        TestServer.eventually("the NOP-Out answering it", Duration.ofSeconds(5),
                () -> s.traffic().snapshot().minus(before).sent(IscsiOpcode.NOP_OUT).pdus() > 0);
        assertThat(s.isOpen()).isTrue();
        s.testUnitReady(LUN_4K);
    }

    @Test
    void trafficCountersSeeEveryPduAndByte() {
        IscsiSession s = tight.iscsi(tight.iscsiOptions(TARGET).withDigests(true, true));
        IscsiTrafficSnapshot before = s.traffic().snapshot();
        int size = TIGHT_MAX_BURST + TIGHT_FIRST_BURST;
        join(s.write16(LUN_4K, 0, Unpooled.wrappedBuffer(new byte[size]), 4096, false));
        IscsiTrafficSnapshot write = s.traffic().snapshot().minus(before);
        assertThat(write.sent(IscsiOpcode.SCSI_COMMAND).pdus()).isEqualTo(1);
        // Immediate data is one segment (4 KiB); InitialR2T=No lets the next 4 KiB go unsolicited up to the 8 KiB
        // FirstBurstLength; the last 16 KiB, one MaxBurstLength, follow one R2T. All Data-Out PDUs are 4 KiB.
        assertThat(write.sent(IscsiOpcode.SCSI_DATA_OUT).pdus()).isEqualTo((size - TIGHT_SEGMENT) / TIGHT_SEGMENT);
        assertThat(write.received(IscsiOpcode.R2T).pdus()).isEqualTo(1);
        assertThat(write.received(IscsiOpcode.SCSI_RESPONSE).pdus()).isEqualTo(1);
        // Every PDU: 48-byte BHS + 4-byte header digest; data PDUs add their data and a 4-byte data digest.
        long expectedSent = (48 + 4 + TIGHT_SEGMENT + 4) * (1 + write.sent(IscsiOpcode.SCSI_DATA_OUT).pdus());
        assertThat(write.bytesSent()).isEqualTo(expectedSent);
        assertThat(write.dataBytesSent()).as("data apart from headers and digests").isEqualTo(size);
        assertThat(write.received(IscsiOpcode.R2T).bytes()).isEqualTo(48 + 4);
        // The target sends SenseLength 0 as a 2-byte data segment (padded to 4, then the data digest) with GOOD.
        assertThat(write.received(IscsiOpcode.SCSI_RESPONSE).bytes()).isIn(48L + 4, 48L + 4 + 4 + 4);
        assertThat(write.bytesReceived()).isEqualTo(write.received(IscsiOpcode.R2T).bytes()
                + write.received(IscsiOpcode.SCSI_RESPONSE).bytes());
    }

    // ---------------------------------------------------------------- helpers

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static byte[] fileBytes(Path file, long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }
}
