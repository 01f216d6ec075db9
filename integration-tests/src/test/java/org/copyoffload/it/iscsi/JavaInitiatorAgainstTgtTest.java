package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.copyoffload.initiator.iscsi.DiscoveredTarget;
import org.copyoffload.initiator.iscsi.IscsiLoginException;
import org.copyoffload.initiator.iscsi.IscsiOptions;
import org.copyoffload.initiator.iscsi.IscsiSession;
import org.copyoffload.initiator.iscsi.ScsiStatusException;
import org.copyoffload.protocol.iscsi.login.LoginStatus;
import org.copyoffload.protocol.iscsi.login.NegotiatedParameters;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java iSCSI initiator against Debian's tgt, a target nobody here wrote: SendTargets, login with and without
 * digests, INQUIRY, READ CAPACITY, writes of sizes around tgt's FirstBurstLength (65536) and MaxBurstLength
 * (262144) and its 8 KiB MaxRecvDataSegmentLength, read back and found in tgt's backing file, many commands in
 * flight, sense data, and a refused login. Needs root and tgt ({@link IscsiTools}).
 */
@ExtendWith(LeakDetectionExtension.class)
class JavaInitiatorAgainstTgtTest {
    private static final int LUN = 1;
    private static final int BLOCK = 512;
    private static final long SIZE = 64L << 20;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static TgtTarget tgt;

    @BeforeAll
    static void startTgt() throws IOException {
        IscsiTools.ensureInstalled();
        tgt = TgtTarget.start(TgtTarget.Config.defaults().withLuns(new TgtTarget.Lun(LUN, SIZE, BLOCK)));
        // tgt offers no digests unless told to (its default for both keys is None).
        for (String key : List.of("HeaderDigest", "DataDigest")) {
            tgt.tgtadm("--lld", "iscsi", "--mode", "target", "--op", "update", "--tid", "1", "--name", key, "--value",
                    "CRC32C,None");
        }
    }

    @AfterAll
    static void stopTgt() {
        if (tgt != null) {
            tgt.close();
        }
    }

    private static IscsiOptions options() {
        return IscsiOptions.of(new InetSocketAddress(tgt.host(), tgt.port()), tgt.iqn()).withTimeouts(TIMEOUT, TIMEOUT);
    }

    @Test
    void sendTargetsNamesTheTarget() {
        List<DiscoveredTarget> targets = IscsiSession.discover(options());
        assertThat(targets).extracting(DiscoveredTarget::name).containsExactly(tgt.iqn());
        assertThat(targets.getFirst().addresses()).anySatisfy(a -> assertThat(a).startsWith("127.0.0.1:" + tgt.port()));
    }

    @ParameterizedTest(name = "header digest {0}, data digest {1}")
    @CsvSource({"false,false", "true,true"})
    void loginInquiryAndReadCapacity(boolean header, boolean data) {
        try (IscsiSession s = IscsiSession.login(options().withDigests(header, data))) {
            NegotiatedParameters p = s.parameters();
            assertThat(p.headerDigest()).isEqualTo(header);
            assertThat(p.dataDigest()).isEqualTo(data);
            assertThat(s.tsih()).isNotZero();
            s.testUnitReady(LUN);
            byte[] inquiry = s.inquiry(LUN, false, 0, 96);
            assertThat(inquiry[0] & 0x1F).as("direct access block device").isZero();
            assertThat(new String(inquiry, 8, 8).strip()).as("T10 VENDOR IDENTIFICATION").isNotEmpty();
            assertThat(s.readCapacity16(LUN)).isEqualTo(new IscsiSession.Capacity(SIZE / BLOCK - 1, BLOCK));
            assertThat(s.logout()).isZero();
        }
    }

    @ParameterizedTest(name = "digests {0}")
    @CsvSource({"false", "true"})
    void writesAcrossTgtsBurstLimitsReadBack(boolean digests) throws Exception {
        try (IscsiSession s = IscsiSession.login(options().withDigests(digests, digests))) {
            NegotiatedParameters p = s.parameters();
            int first = p.firstBurstLength();
            int max = p.maxBurstLength();
            int segment = p.targetMaxRecvDataSegmentLength();
            int[] sizes = {BLOCK, segment, segment + BLOCK, first - BLOCK, first, first + BLOCK, max, max + first + BLOCK,
                    1 << 20, (1 << 20) + 3 * BLOCK, 4 << 20};
            Random random = new Random(digests ? 2 : 1);
            long lba = digests ? (16L << 20) / BLOCK : 0;
            for (int size : sizes) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                join(s.write16(LUN, lba, Unpooled.wrappedBuffer(data.clone()), BLOCK, false));
                assertThat(bytes(join(s.read16(LUN, lba, size / BLOCK, BLOCK)))).as("%d bytes read back", size)
                        .isEqualTo(data);
                assertThat(fileBytes(lba * BLOCK, size)).as("%d bytes in tgt's file", size).isEqualTo(data);
                lba += size / BLOCK + 7;
            }
        }
    }

    @Test
    void manyCommandsInFlight() throws Exception {
        try (IscsiSession s = IscsiSession.login(options())) {
            int commands = 256;
            int size = 128 * 1024;
            long base = (32L << 20) / BLOCK;
            List<byte[]> written = new ArrayList<>();
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            Random random = new Random(9);
            for (int i = 0; i < commands; i++) {
                byte[] data = new byte[size];
                random.nextBytes(data);
                written.add(data);
                writes.add(s.write16(LUN, base + (long) i * (size / BLOCK), Unpooled.wrappedBuffer(data), BLOCK, false));
            }
            for (CompletableFuture<Void> w : writes) {
                join(w);
            }
            List<CompletableFuture<ByteBuf>> reads = new ArrayList<>();
            for (int i = 0; i < commands; i++) {
                reads.add(s.read16(LUN, base + (long) i * (size / BLOCK), size / BLOCK, BLOCK));
            }
            for (int i = 0; i < commands; i++) {
                assertThat(bytes(join(reads.get(i)))).as("command %d", i).isEqualTo(written.get(i));
            }
            assertThat(s.peakCommandsInFlight()).as("commands in flight at once").isGreaterThan(1);
            // One CmdSN per command, and one per retry of the first command, which meets tgt's unit attention for
            // a new I_T nexus (POWER ON, RESET, OR BUS DEVICE RESET OCCURRED).
            assertThat(s.cmdSn() - 1).isEqualTo(2 * commands + 1);
        }
    }

    @Test
    void aReadPastTheEndGetsTgtsSense() {
        try (IscsiSession s = IscsiSession.login(options())) {
            assertThatThrownBy(() -> join(s.read16(LUN, SIZE / BLOCK - 1, 2, BLOCK)))
                    .isInstanceOfSatisfying(ScsiStatusException.class, e -> {
                        assertThat(e.scsiStatus()).contains(ScsiStatus.CHECK_CONDITION);
                        assertThat(e.sense()).hasValueSatisfying(sense ->
                                assertThat(sense.additionalSense()).contains(AdditionalSense.LBA_OUT_OF_RANGE));
                    });
            s.testUnitReady(LUN);
        }
    }

    @Test
    void anUnknownTargetIsRefused() {
        assertThatThrownBy(() -> IscsiSession.login(options().withTargetName("iqn.2026-01.org.copyoffload:nobody")))
                .isInstanceOfSatisfying(IscsiLoginException.class,
                        e -> assertThat(e.status()).contains(LoginStatus.NOT_FOUND));
    }

    private static byte[] fileBytes(long offset, int length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(tgt.lunFile(LUN).toFile(), "r")) {
            byte[] b = new byte[length];
            f.seek(offset);
            f.readFully(b);
            return b;
        }
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
