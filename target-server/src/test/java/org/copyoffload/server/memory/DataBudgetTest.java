package org.copyoffload.server.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The write-data budget: solicited data asks first and waits; in-capsule data is taken as it comes. */
class DataBudgetTest {

    @Test
    void anAcquireBeyondTheLimitWaitsForARelease() {
        DataBudget budget = new DataBudget(100);
        AtomicInteger woken = new AtomicInteger();
        Runnable retry = woken::incrementAndGet;
        assertThat(budget.acquireOrWait(80, retry)).isTrue();
        assertThat(budget.acquireOrWait(30, retry)).isFalse();
        assertThat(budget.acquireOrWait(30, retry)).as("registered once").isFalse();
        budget.release(80);
        assertThat(woken).hasValue(1);
        assertThat(budget.acquireOrWait(30, retry)).isTrue();
        assertThat(budget.used()).isEqualTo(30);
    }

    @Test
    void oneRequestLargerThanTheWholeBudgetGoesThroughWhenNothingIsUsed() {
        DataBudget budget = new DataBudget(100);
        assertThat(budget.acquireOrWait(500, () -> { })).isTrue();
        assertThat(budget.overLimit()).isTrue();
    }

    @Test
    void takenDataCountsBeyondTheLimitAndHoldsSolicitedDataBack() {
        DataBudget budget = new DataBudget(100);
        AtomicInteger woken = new AtomicInteger();
        budget.take(60);
        assertThat(budget.overLimit()).as("within the limit").isFalse();
        budget.take(60);
        assertThat(budget.overLimit()).as("beyond it").isTrue();
        assertThat(budget.used()).isEqualTo(120);
        assertThat(budget.acquireOrWait(10, woken::incrementAndGet)).isFalse();
        budget.release(60);
        assertThat(woken).hasValue(1);
        assertThat(budget.overLimit()).isFalse();
        assertThat(budget.acquireOrWait(10, woken::incrementAndGet)).isTrue();
    }

    @Test
    void badAmountsAreRefused() {
        DataBudget budget = new DataBudget(100);
        assertThatThrownBy(() -> budget.take(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> budget.release(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("release of 1 bytes with 0 in use");
        assertThatThrownBy(() -> new DataBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
