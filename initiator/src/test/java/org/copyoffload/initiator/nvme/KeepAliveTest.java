package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeepAliveTest {
    static final int KATO = 600;

    @Test
    @SuppressWarnings("try")
    void sendsKeepAliveEveryHalfKatoAndAnnouncesKatoInConnect() throws Exception {
        try (FakeController controller = new FakeController()) {
            try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().keepAliveTimeout(Duration.ofMillis(KATO)).build())) {
                assertThat(controller.connects.getFirst().command().kato()).isEqualTo(KATO);
                assertThat(controller.connects.get(1).command().kato()).isZero();
                Eventually.await("6 keep alives", Duration.ofSeconds(10), () -> controller.keepAlives.size() >= 6);
            }
            int sent = controller.keepAlives.size();
            Thread.sleep(KATO / 2 + 100);
            assertThat(controller.keepAlives).as("no keep alive after close").hasSize(sent);

            // The gaps between arrivals: about KATO / 2, and never as long as KATO, which would cost the
            // controller. The bounds leave room for a loaded machine; the mean and the median still tell
            // KATO / 2 from KATO, or from a host that sends every few milliseconds.
            List<Long> at = List.copyOf(controller.keepAlives.subList(0, 6));
            List<Long> gapsMs = new ArrayList<>();
            for (int i = 1; i < at.size(); i++) {
                gapsMs.add(Duration.ofNanos(at.get(i) - at.get(i - 1)).toMillis());
            }
            long low = Math.round(0.3 * KATO);
            long high = Math.round(0.75 * KATO);
            assertThat(gapsMs).as("gaps (ms)").allSatisfy(gap -> assertThat(gap).isLessThan((long) KATO));
            long mean = Duration.ofNanos(at.getLast() - at.getFirst()).toMillis() / gapsMs.size();
            assertThat(mean).as("mean gap of %s ms", gapsMs).isBetween(low, high);
            long median = gapsMs.stream().sorted().toList().get(gapsMs.size() / 2);
            assertThat(median).as("median gap of %s ms", gapsMs).isBetween(low, high);
        }
    }

    @Test
    @SuppressWarnings("try")
    void noKeepAliveWithoutKato() throws Exception {
        try (FakeController controller = new FakeController();
             NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            Thread.sleep(200);
            assertThat(controller.keepAlives).isEmpty();
            assertThat(controller.connects.getFirst().command().kato()).isZero();
        }
    }
}
