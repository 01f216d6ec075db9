package org.copyoffload.initiator.nvme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class HostOptionsTest {
    private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 4420);

    @Test
    void defaultsLikeLinux() {
        HostOptions o = HostOptions.builder(ADDRESS, "nqn.x").build();
        assertThat(o.hostNqn()).startsWith("nqn.2014-08.org.nvmexpress:uuid:");
        UUID uuid = UUID.fromString(o.hostNqn().substring(HostOptions.UUID_NQN_PREFIX.length()));
        assertThat(o.hostId()).isEqualTo(HostOptions.uuidBytes(uuid));
        assertThat(o.ioQueues()).isEqualTo(1);
        assertThat(o.ioQueueSize()).isEqualTo(128);
        assertThat(o.adminQueueSize()).isEqualTo(32);
        assertThat(o.headerDigest()).isFalse();
        assertThat(o.dataDigest()).isFalse();
        assertThat(o.keepAliveTimeoutMillis()).isZero();
        assertThat(HostOptions.builder(ADDRESS, "nqn.x").build().hostNqn()).isNotEqualTo(o.hostNqn());
    }

    @Test
    void hostIdFollowsAGivenUuidNqn() {
        UUID uuid = UUID.randomUUID();
        HostOptions o = HostOptions.builder(ADDRESS, "nqn.x").hostNqn(HostOptions.UUID_NQN_PREFIX + uuid).build();
        assertThat(o.hostId()).isEqualTo(HostOptions.uuidBytes(uuid));
        assertThat(o.toBuilder().build()).isEqualTo(o);
    }

    @Test
    void rejectsImpossibleValues() {
        assertThatThrownBy(() -> HostOptions.builder(ADDRESS, "nqn.x").ioQueueSize(1).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostOptions.builder(ADDRESS, "nqn.x").ioQueueSize(65537).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostOptions.builder(ADDRESS, "nqn.x").hostId(new byte[15]).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostOptions.builder(ADDRESS, "nqn.x").connectTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HostOptions.builder(ADDRESS, "nqn.x").ioQueues(-1).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
