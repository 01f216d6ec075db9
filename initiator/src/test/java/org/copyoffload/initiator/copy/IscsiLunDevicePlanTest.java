package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.copy.IscsiLunDevice.Command;
import org.copyoffload.initiator.copy.IscsiLunDevice.HostLimits;
import org.copyoffload.initiator.iscsi.ScsiResult;
import org.copyoffload.initiator.iscsi.ScsiStatusException;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.CopyResults.CopyManagerStatus;
import org.copyoffload.protocol.scsi.CopyResults.CopyStatus;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.junit.jupiter.api.Test;

/**
 * How {@link IscsiLunDevice} cuts a copy into EXTENDED COPY commands and block to block segments within a copy
 * manager's operating parameters and the host's caps (the end-to-end behaviour is in the target's tests).
 */
class IscsiLunDevicePlanTest {
    /** SPC-4 operating parameters: CSCDs, segments, descriptor list bytes, segment bytes, granularity (log2). */
    static CopyManagerLimits limits(int cscds, int segments, long listLength, long segmentBytes, int granularity) {
        return new CopyManagerLimits(cscds, segments, listLength, segmentBytes, 0, 1, 1, granularity, 0, 0,
                List.of(0x02, 0xE4));
    }

    @Test
    void segmentsAreCutByMaximumSegmentLengthAndCommandsByDescriptorCountAndListLength() {
        // 3 blocks of 4 KiB per segment; 4 segment descriptors allowed, but the list length holds 2 CSCDs (64 bytes)
        // and only 3 segments (84 bytes).
        CopyManagerLimits l = limits(4, 4, 64 + 3 * 28 + 27, 3 * 4096 + 100, 12);
        List<Command> plan = IscsiLunDevice.plan(l, HostLimits.NONE, 4096, 2, 100, 7, 20);
        assertThat(plan).extracting(Command::blocks).containsExactly(9L, 9L, 2L);
        assertThat(plan.get(0).segments()).extracting(SegmentDescriptor::blocks).containsExactly(3, 3, 3);
        assertThat(plan.get(0).segments()).extracting(SegmentDescriptor::sourceLba).containsExactly(100L, 103L, 106L);
        assertThat(plan.get(1).segments()).extracting(SegmentDescriptor::destinationLba)
                .containsExactly(16L, 19L, 22L);
        assertThat(plan.get(2).segments()).singleElement().satisfies(s -> {
            assertThat(s.blocks()).isEqualTo(2);
            assertThat(s.sourceLba()).isEqualTo(118);
            assertThat(s.destinationLba()).isEqualTo(25);
            assertThat(s.sourceIndex()).isZero();
            assertThat(s.destinationIndex()).isEqualTo(1);
        });
        // Inside one unit one CSCD descriptor names both ends: index 0 twice, and room for one more segment.
        List<Command> one = IscsiLunDevice.plan(l, HostLimits.NONE, 4096, 1, 0, 50, 20);
        assertThat(one).extracting(Command::blocks).containsExactly(12L, 8L);
        assertThat(one.get(0).segments()).allSatisfy(s -> assertThat(s.destinationIndex()).isZero());
    }

    @Test
    void theSixteenBitBlockCountHostCapsAndGranularityBoundSegments() {
        CopyManagerLimits big = limits(2, 64, 4096, 1L << 40, 9);
        assertThat(IscsiLunDevice.maxSegmentBlocks(big, HostLimits.NONE, 512)).isEqualTo(0xFFFF);
        assertThat(IscsiLunDevice.maxSegmentBlocks(big, new HostLimits(1 << 20, 64 << 10), 4096)).isEqualTo(16);
        assertThat(IscsiLunDevice.maxSegmentBlocks(big, new HostLimits(16 << 10, 64 << 10), 4096)).isEqualTo(4);
        // DATA SEGMENT GRANULARITY 4 KiB over 512-byte blocks: whole granules of 8 blocks.
        CopyManagerLimits coarse = limits(2, 64, 4096, 7 * 4096 + 3 * 512, 12);
        assertThat(IscsiLunDevice.maxSegmentBlocks(coarse, HostLimits.NONE, 512)).isEqualTo(56);
        // The host's bytes per command bound a command below the segments the list could hold.
        List<Command> plan = IscsiLunDevice.plan(big, new HostLimits(64 << 10, 16 << 10), 4096, 2, 0, 0, 40);
        assertThat(plan).extracting(Command::blocks).containsExactly(16L, 16L, 8L);
        assertThat(plan.get(0).segments()).hasSize(4);
    }

    @Test
    void limitsThatLeaveNoRoomAreRefusedWithTheField() {
        assertThat(IscsiLunDevice.limitsRefuse(limits(1, 4, 4096, 1 << 20, 9), HostLimits.NONE, 512, 2))
                .contains("MAXIMUM CSCD DESCRIPTOR COUNT 1");
        assertThat(IscsiLunDevice.limitsRefuse(limits(2, 4, 64 + 27, 1 << 20, 9), HostLimits.NONE, 512, 2))
                .contains("MAXIMUM DESCRIPTOR LIST LENGTH 91");
        assertThat(IscsiLunDevice.limitsRefuse(limits(2, 4, 4096, 2048, 9), HostLimits.NONE, 4096, 2))
                .contains("MAXIMUM SEGMENT LENGTH 2048");
        assertThat(IscsiLunDevice.limitsRefuse(limits(2, 4, 4096, 1 << 20, 9), HostLimits.NONE, 4096, 2)).isNull();
        assertThatThrownBy(() -> IscsiLunDevice.plan(limits(1, 4, 4096, 1 << 20, 9), HostLimits.NONE, 512, 2, 0, 0, 1))
                .hasMessageContaining("MAXIMUM CSCD DESCRIPTOR COUNT");
    }

    static ScsiStatusException checkCondition(SenseData sense) {
        return new ScsiStatusException("EXTENDED COPY", new ScsiResult(0, ScsiStatus.CHECK_CONDITION.code(),
                sense.encodeFixed(), Unpooled.EMPTY_BUFFER, false, false, 0));
    }

    @Test
    void aFailedCommandIsCreditedOnlyWithTheWholeSegmentsEveryReportAgreesOn() {
        // Four segments of 3, 3, 3 and 2 blocks of 4 KiB.
        Command c = IscsiLunDevice.plan(limits(2, 4, 4096, 3 * 4096, 12), HostLimits.NONE, 4096, 2, 0, 100, 11)
                .getFirst();
        assertThat(c.segments()).hasSize(4);
        ScsiStatusException thirdParty = checkCondition(SenseData.withCommandSpecific(
                AdditionalSense.THIRD_PARTY_DEVICE_FAILURE, 2));
        CopyStatus twoDone = new CopyStatus(CopyManagerStatus.COMPLETED_WITH_ERRORS, 2, 6 * 4096);
        assertThat(IscsiLunDevice.segmentsCopied(c, twoDone, thirdParty, 4096)).isEqualTo(2);
        // The sense names segment 1 as the one being processed: only one is certain.
        ScsiStatusException atOne = checkCondition(SenseData.withCommandSpecific(
                AdditionalSense.COPY_TARGET_DEVICE_NOT_REACHABLE, 1));
        assertThat(IscsiLunDevice.segmentsCopied(c, twoDone, atOne, 4096)).isEqualTo(1);
        // TRANSFER COUNT covers 5 blocks: one whole segment.
        assertThat(IscsiLunDevice.segmentsCopied(c, new CopyStatus(CopyManagerStatus.COMPLETED_WITH_ERRORS, 2,
                5 * 4096), thirdParty, 4096)).isEqualTo(1);
        // More segments processed than the command had: no more than it had.
        assertThat(IscsiLunDevice.segmentsCopied(c, new CopyStatus(CopyManagerStatus.COMPLETED_WITH_ERRORS, 9,
                1L << 40), checkCondition(new SenseData(AdditionalSense.THIRD_PARTY_DEVICE_FAILURE)), 4096))
                .isEqualTo(4);
        // A status in progress, or completed without errors, is not the failed command's (another copy, or an
        // earlier one under the same list identifier): nothing is credited.
        assertThat(IscsiLunDevice.segmentsCopied(c, new CopyStatus(CopyManagerStatus.IN_PROGRESS, 3, 9 * 4096),
                thirdParty, 4096)).isZero();
        assertThat(IscsiLunDevice.segmentsCopied(c, new CopyStatus(CopyManagerStatus.COMPLETED_WITHOUT_ERRORS, 4,
                11 * 4096), thirdParty, 4096)).isZero();
    }

    @Test
    void listIdentifiersAreNotHandedOutTwiceWhileTaken() {
        IscsiLunDevice.ListIds ids = new IscsiLunDevice.ListIds();
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        for (int i = 0; i < IscsiLunDevice.LIST_IDENTIFIERS; i++) {
            assertThat(taken.add(ids.allocate())).isTrue();
        }
        assertThat(taken).allSatisfy(id -> assertThat(id).isBetween(0, 255));
        assertThat(ids.allocate()).as("all 256 in use").isEqualTo(-1);
        ids.free(17);
        assertThat(ids.allocate()).isEqualTo(17);
    }

    @Test
    void randomPlansCoverTheCopyExactlyWithinEveryLimit() {
        for (long seed = 0; seed < 200; seed++) {
            Random r = new Random(seed);
            int blockSize = r.nextBoolean() ? 512 : 4096;
            int cscds = 1 + r.nextInt(2);
            CopyManagerLimits l = limits(2, 1 + r.nextInt(6), cscds * 32 + 28 * (1 + r.nextInt(8)),
                    blockSize * (1 + r.nextInt(10)) + r.nextInt(blockSize), 9);
            HostLimits host = r.nextBoolean() ? HostLimits.NONE
                    : new HostLimits(blockSize * (1 + r.nextInt(40)), blockSize * (1 + r.nextInt(12)));
            long source = r.nextInt(1000);
            long destination = r.nextInt(1000);
            long blocks = 1 + r.nextInt(300);
            List<Command> plan = IscsiLunDevice.plan(l, host, blockSize, cscds, source, destination, blocks);
            long at = 0;
            for (Command c : plan) {
                assertThat(c.segments().size()).as("seed %d", seed).isLessThanOrEqualTo(l.maxSegmentDescriptors());
                assertThat(cscds * 32L + 28L * c.segments().size()).isLessThanOrEqualTo(l.maxDescriptorListLength());
                assertThat(c.blocks() * blockSize).isLessThanOrEqualTo(host.maxCopyBytes());
                for (SegmentDescriptor s : c.segments()) {
                    assertThat((long) s.blocks() * blockSize).isLessThanOrEqualTo(Math.min(l.maxSegmentLength(),
                            host.maxSegmentBytes()));
                    assertThat(s.sourceLba()).isEqualTo(source + at);
                    assertThat(s.destinationLba()).isEqualTo(destination + at);
                    assertThat(s.destinationIndex()).isEqualTo(cscds - 1);
                    at += s.blocks();
                }
                assertThat(c.blocksOf(c.segments().size())).isEqualTo(c.blocks());
            }
            assertThat(at).as("seed %d", seed).isEqualTo(blocks);
        }
    }
}
