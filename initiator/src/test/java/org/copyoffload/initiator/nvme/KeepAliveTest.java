package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class KeepAliveTest {
    @Test
    @SuppressWarnings("try")
    void sendsKeepAliveEveryHalfKatoAndAnnouncesKatoInConnect() throws Exception {
        try (FakeController controller = new FakeController()) {
            try (NvmeTcpHost host = NvmeTcpHost.connect(controller.options().keepAliveTimeout(Duration.ofMillis(200)).build())) {
                assertThat(controller.connects.getFirst().command().kato()).isEqualTo(200);
                assertThat(controller.connects.get(1).command().kato()).isZero();
                Eventually.await("3 keep alives", Duration.ofSeconds(3), () -> controller.keepAlives.get() >= 3);
            }
            int sent = controller.keepAlives.get();
            Thread.sleep(250);
            assertThat(controller.keepAlives.get()).as("no keep alive after close").isEqualTo(sent);
        }
    }

    @Test
    @SuppressWarnings("try")
    void noKeepAliveWithoutKato() throws Exception {
        try (FakeController controller = new FakeController();
             NvmeTcpHost host = NvmeTcpHost.connect(controller.options().build())) {
            Thread.sleep(200);
            assertThat(controller.keepAlives.get()).isZero();
            assertThat(controller.connects.getFirst().command().kato()).isZero();
        }
    }
}
