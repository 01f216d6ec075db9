package org.copyoffload.it.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** When a guest run counts as a kernel that died booting, and so is booted once more. */
class GuestVmTest {

    private static GuestRun run(boolean done, List<GuestStep> steps, String serial) {
        return new GuestRun(GuestVm.Dist.TRIXIE, done ? 0 : 1, done, steps, List.of(), "", serial, "",
                Path.of("share"), Path.of("log"), Duration.ofSeconds(1));
    }

    @Test
    void anOopsBeforeTheFirstStepIsABootThatDied() {
        assertThat(GuestVm.diedBooting(run(false, List.of(),
                "[    1.2] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\n[    1.2] RIP: sched_clock_cpu+0x10"))).isTrue();
        assertThat(GuestVm.diedBooting(run(false, List.of(), "Kernel panic - not syncing: Fatal exception"))).isTrue();
    }

    @Test
    void aRunWhoseStepsBeganIsNeverBootedAgain() {
        GuestStep step = new GuestStep("connect", true, 1, false, List.of("Oops"));
        assertThat(GuestVm.diedBooting(run(false, List.of(step), "Oops: general protection fault"))).isFalse();
    }

    @Test
    void aGuestThatStoppedWithoutAKernelDeathIsNotBootedAgain() {
        assertThat(GuestVm.diedBooting(run(false, List.of(), "qemu: timeout"))).isFalse();
        assertThat(GuestVm.diedBooting(run(true, List.of(), "Oops"))).isFalse();
    }
}
