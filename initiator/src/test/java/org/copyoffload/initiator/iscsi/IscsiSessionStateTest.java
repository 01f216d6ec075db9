package org.copyoffload.initiator.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.copyoffload.initiator.nvme.Eventually;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.RejectReason;
import org.copyoffload.protocol.iscsi.login.TargetLimits;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The initiator's state, played PDU by PDU against {@link FakeIscsiTarget}: CmdSN, ExpStatSN and the MaxCmdSN window,
 * task tags, immediate and unsolicited data, R2T answers, Data-In split over PDUs with and without phase-collapsed
 * status, sense and residuals, the target's NOP-In, Reject, logout, and the protocol errors that close the connection.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiSessionStateTest {
    private static final byte[] TUR = new byte[6];
    private static final int GOOD = 0;
    /** 4 KiB segments, 8 KiB first burst, 16 KiB bursts, InitialR2T and ImmediateData as given. */
    private static TargetLimits limits(boolean initialR2t) {
        return new TargetLimits(true, true, 4096, 16384, 8192, 1, initialR2t, true, 1, 2, 20, 0, null, 1);
    }

    private FakeIscsiTarget target;
    private IscsiSession session;

    @BeforeEach
    void start() {
        target = new FakeIscsiTarget();
    }

    @AfterEach
    void stop() {
        if (session != null) {
            session.close();
        }
        target.close();
    }

    private IscsiSession login(TargetLimits limits, int firstStatSn, int window) throws Exception {
        session = target.login(target.options(), limits, firstStatSn, window);
        return session;
    }

    /** Closes the session, answering its Logout, and sees the connection end. */
    private void logOut() {
        IscsiSession s = session;
        session = null;
        CompletableFuture.runAsync(s::close);
        IscsiPdu.LogoutRequest logout = target.expect(IscsiPdu.LogoutRequest.class);
        target.send(new IscsiPdu.LogoutResponse(0, logout.initiatorTaskTag(), target.statSn++, target.expCmdSn,
                target.maxCmdSn, 0, 0));
        assertThat(target.awaitInitiatorClose()).isTrue();
    }

    @Test
    void commandsTakeCmdSnsAndWaitForTheWindow() throws Exception {
        login(limits(true), 100, 2);
        assertThat(session.expStatSn()).as("after Login Responses with StatSN 100 and 101").isEqualTo(102);
        List<CompletableFuture<ScsiResult>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(session.execute(0, TUR, null, 0));
        }
        IscsiPdu.ScsiCommand first = target.expect(IscsiPdu.ScsiCommand.class);
        IscsiPdu.ScsiCommand second = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(List.of(first.cmdSn(), second.cmdSn())).containsExactly(1, 2);
        assertThat(first.expStatSn()).isEqualTo(102);
        assertThat(first.immediate()).isFalse();
        assertThat(first.finalFlag()).isTrue();
        assertThat(first.initiatorTaskTag()).isNotEqualTo(second.initiatorTaskTag()).isNotEqualTo(IscsiPdu.RESERVED_TAG);
        assertThat(target.poll(Duration.ofMillis(300))).as("the third waits: CmdSN 3 is past MaxCmdSN 2").isNull();
        assertThat(session.cmdSn()).isEqualTo(3);

        // The answer to the first moves the window by one (ExpCmdSN 3, MaxCmdSN 3): the third goes.
        target.expCmdSn = 3;
        target.maxCmdSn = 3;
        target.send(target.response(first.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        IscsiPdu.ScsiCommand third = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(third.cmdSn()).isEqualTo(3);
        assertThat(third.expStatSn()).isEqualTo(103);
        assertThat(join(results.get(0)).isGood()).isTrue();
        target.send(target.response(second.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        target.send(target.response(third.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        assertThat(join(results.get(2)).isGood()).isTrue();
        assertThat(session.expStatSn()).isEqualTo(105);
        CompletableFuture<ScsiResult> fourth = session.execute(0, TUR, null, 0);
        assertThat(target.poll(Duration.ofMillis(200))).as("window 3..3: CmdSN 4 waits").isNull();
        // A MaxCmdSN below ExpCmdSN - 1 is ignored (RFC 7143, 4.2.2.1).
        target.send(new IscsiPdu.NopIn(0, IscsiPdu.RESERVED_TAG, IscsiPdu.RESERVED_TAG, target.statSn, 10, 5,
                Unpooled.EMPTY_BUFFER));
        assertThat(target.poll(Duration.ofMillis(200))).as("still waiting").isNull();
        assertThat(session.maxCmdSn()).isEqualTo(3);
        target.expCmdSn = 4;
        target.maxCmdSn = 4;
        target.send(new IscsiPdu.NopIn(0, IscsiPdu.RESERVED_TAG, IscsiPdu.RESERVED_TAG, target.statSn, 4, 4,
                Unpooled.EMPTY_BUFFER));
        IscsiPdu.ScsiCommand cmd4 = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(cmd4.cmdSn()).isEqualTo(4);
        target.send(target.response(cmd4.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        join(fourth).close();
        first.release();
        second.release();
        third.release();
        cmd4.release();
        logOut();
    }

    @Test
    void tagsAreNeverReusedAtOnce() throws Exception {
        login(limits(true), 0, 64);
        Set<Integer> tags = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            CompletableFuture<ScsiResult> f = session.execute(0, TUR, null, 0);
            IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
            assertThat(tags.add(c.initiatorTaskTag())).as("ITT 0x%x used twice", c.initiatorTaskTag()).isTrue();
            target.expCmdSn++;
            target.maxCmdSn++;
            target.send(target.response(c.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
            join(f).close();
            c.release();
        }
        logOut();
    }

    @Test
    void writesSendImmediateDataThenAnswerEachR2t() throws Exception {
        login(limits(true), 0, 8);
        byte[] data = new byte[20000];
        new Random(1).nextBytes(data);
        CompletableFuture<ScsiResult> f = session.execute(0, new byte[16], Unpooled.wrappedBuffer(data), 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(c.write()).isTrue();
        assertThat(c.read()).isFalse();
        assertThat(c.expectedDataTransferLength()).isEqualTo(20000);
        assertThat(c.finalFlag()).as("InitialR2T=Yes: no unsolicited Data-Out follows").isTrue();
        // Immediate data: at most FirstBurstLength (8192) and the target's MaxRecvDataSegmentLength (4096).
        assertThat(ByteBufUtil.getBytes(c.data())).isEqualTo(slice(data, 0, 4096));
        int itt = c.initiatorTaskTag();
        c.release();

        target.send(new IscsiPdu.R2t(0, itt, 0x55, target.statSn, target.expCmdSn, target.maxCmdSn, 0, 4096, 12288));
        for (int i = 0; i < 3; i++) {
            IscsiPdu.DataOut d = target.expect(IscsiPdu.DataOut.class);
            assertThat(d.initiatorTaskTag()).isEqualTo(itt);
            assertThat(d.targetTransferTag()).isEqualTo(0x55);
            assertThat(d.dataSn()).isEqualTo(i);
            assertThat(d.bufferOffset()).isEqualTo(4096 + 4096 * i);
            assertThat(d.finalFlag()).isEqualTo(i == 2);
            assertThat(ByteBufUtil.getBytes(d.data())).isEqualTo(slice(data, 4096 + 4096 * i, 4096));
            d.release();
        }
        target.send(new IscsiPdu.R2t(0, itt, 0x56, target.statSn, target.expCmdSn, target.maxCmdSn, 1, 16384, 3616));
        IscsiPdu.DataOut last = target.expect(IscsiPdu.DataOut.class);
        assertThat(last.dataSn()).as("DataSN starts again for each R2T").isZero();
        assertThat(last.finalFlag()).isTrue();
        assertThat(ByteBufUtil.getBytes(last.data())).isEqualTo(slice(data, 16384, 3616));
        last.release();
        target.send(target.response(itt, GOOD, Unpooled.EMPTY_BUFFER));
        assertThat(join(f).isGood()).isTrue();
        logOut();
    }

    @Test
    void withInitialR2tNoUnsolicitedDataFillsTheFirstBurst() throws Exception {
        login(limits(false), 0, 8);
        byte[] data = new byte[12288];
        new Random(2).nextBytes(data);
        CompletableFuture<ScsiResult> f = session.execute(0, new byte[16], Unpooled.wrappedBuffer(data), 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(c.finalFlag()).as("unsolicited Data-Out follows").isFalse();
        assertThat(c.data().readableBytes()).isEqualTo(4096);
        IscsiPdu.DataOut unsolicited = target.expect(IscsiPdu.DataOut.class);
        assertThat(unsolicited.targetTransferTag()).isEqualTo(IscsiPdu.RESERVED_TAG);
        assertThat(unsolicited.bufferOffset()).isEqualTo(4096);
        assertThat(unsolicited.data().readableBytes()).as("up to FirstBurstLength 8192").isEqualTo(4096);
        assertThat(unsolicited.finalFlag()).isTrue();
        assertThat(unsolicited.dataSn()).isZero();
        target.send(new IscsiPdu.R2t(0, c.initiatorTaskTag(), 7, target.statSn, target.expCmdSn, target.maxCmdSn, 0,
                8192, 4096));
        IscsiPdu.DataOut solicited = target.expect(IscsiPdu.DataOut.class);
        assertThat(ByteBufUtil.getBytes(solicited.data())).isEqualTo(slice(data, 8192, 4096));
        target.send(target.response(c.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        join(f).close();
        c.release();
        unsolicited.release();
        solicited.release();
        logOut();
    }

    @Test
    void dataInSplitOverPdusIsJoinedWithPhaseCollapsedStatus() throws Exception {
        login(limits(true), 0, 8);
        byte[] data = new byte[10000];
        new Random(3).nextBytes(data);
        CompletableFuture<ScsiResult> f = session.execute(0, new byte[16], null, 12000);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        assertThat(c.read()).isTrue();
        assertThat(c.expectedDataTransferLength()).isEqualTo(12000);
        int itt = c.initiatorTaskTag();
        c.release();
        int[] cuts = {0, 4000, 8000, 10000};
        for (int i = 0; i < 3; i++) {
            boolean last = i == 2;
            target.send(new IscsiPdu.DataIn(last, false, false, last, last, GOOD, 0, itt, IscsiPdu.RESERVED_TAG,
                    last ? target.statSn++ : 0, target.expCmdSn, target.maxCmdSn, i, cuts[i], last ? 2000 : 0,
                    Unpooled.wrappedBuffer(slice(data, cuts[i], cuts[i + 1] - cuts[i]))));
        }
        try (ScsiResult r = join(f)) {
            assertThat(r.isGood()).isTrue();
            assertThat(ByteBufUtil.getBytes(r.data())).isEqualTo(data);
            assertThat(r.underflow()).isTrue();
            assertThat(r.residualCount()).isEqualTo(2000);
        }
        assertThat(session.expStatSn()).isEqualTo(target.statSn);
        logOut();
    }

    @Test
    void dataInThenAScsiResponseWithSense() throws Exception {
        login(limits(true), 0, 8);
        CompletableFuture<ScsiResult> f = session.execute(0, new byte[16], null, 512);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        target.send(new IscsiPdu.DataIn(true, false, false, false, false, 0, 0, c.initiatorTaskTag(),
                IscsiPdu.RESERVED_TAG, 0, target.expCmdSn, target.maxCmdSn, 0, 0, 0, Unpooled.wrappedBuffer(new byte[512])));
        byte[] sense = new SenseData(AdditionalSense.LBA_OUT_OF_RANGE).encodeFixed();
        target.send(target.response(c.initiatorTaskTag(), ScsiStatus.CHECK_CONDITION.code(),
                IscsiPdu.ScsiResponse.senseSegment(UnpooledByteBufAllocator.DEFAULT, sense)));
        try (ScsiResult r = join(f)) {
            assertThat(r.isGood()).isFalse();
            assertThat(r.scsiStatus()).contains(ScsiStatus.CHECK_CONDITION);
            assertThat(r.senseData()).hasValueSatisfying(s -> assertThat(s.additionalSense())
                    .contains(AdditionalSense.LBA_OUT_OF_RANGE));
            assertThat(r.data().readableBytes()).as("data-in that came before the status").isEqualTo(512);
        }
        c.release();
        logOut();
    }

    @Test
    void theTargetsNopInIsAnsweredWithoutTakingACmdSn() throws Exception {
        login(limits(true), 0, 8);
        int before = session.expStatSn();
        target.send(new IscsiPdu.NopIn(0, IscsiPdu.RESERVED_TAG, 0x77, target.statSn, target.expCmdSn, target.maxCmdSn,
                Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)));
        IscsiPdu.NopOut out = target.expect(IscsiPdu.NopOut.class);
        assertThat(out.immediate()).isTrue();
        assertThat(out.initiatorTaskTag()).isEqualTo(IscsiPdu.RESERVED_TAG);
        assertThat(out.targetTransferTag()).isEqualTo(0x77);
        assertThat(out.cmdSn()).isEqualTo(session.cmdSn());
        assertThat(out.data().toString(StandardCharsets.US_ASCII)).isEqualTo("ping");
        out.release();
        assertThat(session.expStatSn()).as("a NOP-In with ITT 0xffffffff does not advance StatSN").isEqualTo(before);
        // Counted once the socket has taken the write, which can be a moment after the target read it.
        Eventually.await("the NOP-Out counted", () -> session.traffic().snapshot().sent(IscsiOpcode.NOP_OUT).pdus() > 0);
        assertThat(session.traffic().snapshot().sent(IscsiOpcode.NOP_OUT).bytes()).as("BHS + 4 bytes of data")
                .isEqualTo(48 + 4);
        logOut();
    }

    @Test
    void aRejectFailsOnlyItsTask() throws Exception {
        login(limits(true), 0, 8);
        CompletableFuture<ScsiResult> f = session.execute(0, TUR, null, 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        ByteBuf header = Unpooled.buffer(48);
        header.writeZero(48);
        header.setInt(16, c.initiatorTaskTag());
        target.send(new IscsiPdu.Reject(RejectReason.INVALID_PDU_FIELD.code(), target.statSn++, target.expCmdSn,
                target.maxCmdSn, 0, header));
        assertThatThrownBy(() -> join(f)).isInstanceOf(IscsiTransportException.class)
                .hasMessageContaining("rejected").hasMessageContaining("INVALID_PDU_FIELD");
        c.release();
        CompletableFuture<ScsiResult> next = session.execute(0, TUR, null, 0);
        IscsiPdu.ScsiCommand c2 = target.expect(IscsiPdu.ScsiCommand.class);
        target.send(target.response(c2.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        assertThat(join(next).isGood()).isTrue();
        c2.release();
        logOut();
    }

    @Test
    void protocolErrorsCloseTheConnectionAndFailEveryTask() throws Exception {
        login(limits(true), 0, 8);
        CompletableFuture<ScsiResult> read = session.execute(0, new byte[16], null, 8192);
        CompletableFuture<ScsiResult> other = session.execute(0, TUR, null, 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        target.expect(IscsiPdu.ScsiCommand.class).release();
        // DataSN 1 where 0 was expected.
        target.send(new IscsiPdu.DataIn(false, false, false, false, false, 0, 0, c.initiatorTaskTag(),
                IscsiPdu.RESERVED_TAG, 0, target.expCmdSn, target.maxCmdSn, 1, 0, 0, Unpooled.wrappedBuffer(new byte[512])));
        assertThatThrownBy(() -> join(read)).isInstanceOf(IscsiTransportException.class).hasMessageContaining("DataSN 1");
        assertThatThrownBy(() -> join(other)).isInstanceOf(IscsiTransportException.class);
        assertThat(target.awaitInitiatorClose()).isTrue();
        assertThatThrownBy(() -> join(session.execute(0, TUR, null, 0))).isInstanceOf(IscsiTransportException.class);
        c.release();
    }

    @Test
    void anR2tBeyondTheDataClosesTheConnection() throws Exception {
        login(limits(true), 0, 8);
        CompletableFuture<ScsiResult> f = session.execute(0, new byte[16], Unpooled.wrappedBuffer(new byte[8192]), 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        target.send(new IscsiPdu.R2t(0, c.initiatorTaskTag(), 1, target.statSn, target.expCmdSn, target.maxCmdSn, 0,
                4096, 8192));
        assertThatThrownBy(() -> join(f)).isInstanceOf(IscsiTransportException.class).hasMessageContaining("beyond");
        c.release();
    }

    @Test
    void aStatSnGapClosesTheConnection() throws Exception {
        login(limits(true), 0, 8);
        CompletableFuture<ScsiResult> f = session.execute(0, TUR, null, 0);
        IscsiPdu.ScsiCommand c = target.expect(IscsiPdu.ScsiCommand.class);
        target.statSn++;
        target.send(target.response(c.initiatorTaskTag(), GOOD, Unpooled.EMPTY_BUFFER));
        assertThatThrownBy(() -> join(f)).isInstanceOf(IscsiTransportException.class).hasMessageContaining("StatSN");
        c.release();
    }

    @Test
    void closeLogsOut() throws Exception {
        login(limits(true), 0, 8);
        IscsiSession s = session;
        session = null;
        CompletableFuture<Void> closing = CompletableFuture.runAsync(s::close);
        IscsiPdu.LogoutRequest logout = target.expect(IscsiPdu.LogoutRequest.class);
        assertThat(logout.reasonCode()).as("close the session").isZero();
        assertThat(logout.immediate()).isTrue();
        target.send(new IscsiPdu.LogoutResponse(0, logout.initiatorTaskTag(), target.statSn++, target.expCmdSn,
                target.maxCmdSn, 0, 0));
        closing.get(10, TimeUnit.SECONDS);
        assertThat(target.awaitInitiatorClose()).isTrue();
    }

    private static byte[] slice(byte[] b, int offset, int length) {
        byte[] s = new byte[length];
        System.arraycopy(b, offset, s, 0, length);
        return s;
    }

    private static <T> T join(CompletableFuture<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }
}
