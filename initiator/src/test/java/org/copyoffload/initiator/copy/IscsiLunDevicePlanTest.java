package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.copyoffload.initiator.copy.IscsiLunDevice.Command;
import org.copyoffload.initiator.copy.IscsiLunDevice.HostLimits;
import org.copyoffload.protocol.scsi.CopyManagerLimits;
import org.copyoffload.protocol.scsi.ExtendedCopyParameterList.SegmentDescriptor;
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
