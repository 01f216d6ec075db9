package org.copyoffload.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** When a buffered write may run on the caller's thread: far from the kernel's dirty throttling only. */
class DirtyPageHeadroomTest {
    private static final long GIB = 1L << 30;

    private static String meminfo(long availableKb, long dirtyKb, long writebackKb) {
        return """
                MemTotal:       24576000 kB
                MemFree:        20000000 kB
                MemAvailable:   %d kB
                Buffers:           12345 kB
                Dirty:          %d kB
                Writeback:      %d kB
                WritebackTmp:          0 kB
                """.formatted(availableKb, dirtyKb, writebackKb);
    }

    @Test
    void aQuarterOfWhatIsLeftBelowTheBackgroundThresholdPerInterval() {
        // 20 GiB available, 10 %: the background threshold is 2 GiB; 512 MiB dirty + writeback leaves 1.5 GiB.
        long allowance = DirtyPageHeadroom.allowance(meminfo(20 * GIB / 1024, 400 * 1024, 112 * 1024), 0, 10,
                OptionalLong.empty());
        assertThat(allowance).isEqualTo((20 * GIB / 100 * 10 - 512L * 1024 * 1024) / 4);
    }

    @Test
    void nothingInlineOnceDirtyMemoryReachesTheBackgroundThreshold() {
        assertThat(DirtyPageHeadroom.allowance(meminfo(20 * GIB / 1024, 2 * GIB / 1024, 100 * 1024), 0, 10,
                OptionalLong.empty())).isZero();
    }

    @Test
    void dirtyBackgroundBytesWinsOverTheRatio() {
        assertThat(DirtyPageHeadroom.allowance(meminfo(20 * GIB / 1024, 0, 0), 64L << 20, 10, OptionalLong.empty()))
                .isEqualTo((64L << 20) / 4);
    }

    @Test
    void aCgroupMemoryLimitBoundsTheThreshold() {
        // A container limited to 1 GiB: its write-back is throttled against 10 % of that, not of the machine.
        assertThat(DirtyPageHeadroom.allowance(meminfo(20 * GIB / 1024, 50 * 1024, 0), 0, 10, OptionalLong.of(GIB)))
                .isEqualTo((GIB / 100 * 10 - 50L * 1024 * 1024) / 4);
    }

    @Test
    void readsMeminfoFieldsInBytesAndRefusesAMissingOne() {
        String m = meminfo(1000, 7, 3);
        assertThat(DirtyPageHeadroom.field(m, "MemTotal")).isEqualTo(24576000L * 1024);
        assertThat(DirtyPageHeadroom.field(m, "Dirty")).isEqualTo(7 * 1024);
        assertThat(DirtyPageHeadroom.field(m, "Writeback")).isEqualTo(3 * 1024);
        assertThatThrownBy(() -> DirtyPageHeadroom.field(m, "Shmem")).hasMessageContaining("Shmem");
    }

    @Test
    void writesRunInlineUntilTheIntervalsAllowanceIsSpent() {
        DirtyPageHeadroom h = new DirtyPageHeadroom();
        h.allowanceForTest(300_000);
        List<String> fallback = new ArrayList<>();
        Executor pool = task -> {
            fallback.add("pool");
            task.run();
        };
        AtomicReference<Thread> ran = new AtomicReference<>();
        h.executorFor(131072, false, 262144, pool).execute(() -> ran.set(Thread.currentThread()));
        assertThat(ran.get()).isSameAs(Thread.currentThread());
        assertThat(fallback).isEmpty();
        h.executorFor(131072, false, 262144, pool).execute(() -> { });
        assertThat(fallback).isEmpty();
        // 262,144 of 300,000 taken: the next 128 KiB does not fit.
        h.executorFor(131072, false, 262144, pool).execute(() -> { });
        assertThat(fallback).containsExactly("pool");
    }

    @Test
    void durableLargeAndVirtualThreadWritesNeverRunInline() throws InterruptedException {
        DirtyPageHeadroom h = new DirtyPageHeadroom();
        h.allowanceForTest(1L << 40);
        List<String> fallback = new ArrayList<>();
        Executor pool = task -> fallback.add("pool");
        h.executorFor(4096, true, 262144, pool).execute(() -> { });
        h.executorFor(1 << 20, false, 262144, pool).execute(() -> { });
        assertThat(fallback).hasSize(2);
        Thread.ofVirtual().start(() -> assertThat(h.takeInline(4096)).isFalse()).join();
        assertThat(h.takeInline(4096)).isTrue();
    }

    @Test
    void theSystemInstanceSamplesThisMachine() {
        // On Linux the first sample is taken at once; whatever it found, taking more than any machine has fails.
        assertThat(DirtyPageHeadroom.system().takeInline(Long.MAX_VALUE)).isFalse();
    }
}
