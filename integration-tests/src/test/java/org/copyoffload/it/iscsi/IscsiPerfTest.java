package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;

/** iscsi-perf 1.19's output, recorded against tgt. */
class IscsiPerfTest {

    @Test
    void randomReads() {
        IscsiPerf.Result r = IscsiPerf.parse(CunitOutputTest.resource("perf-random-4k.out"), 0, false,
                Duration.ofSeconds(3), Path.of("x.log"));
        assertThat(r.capacityBlocks()).isEqualTo(131072);
        assertThat(r.blockSize()).isEqualTo(512);
        assertThat(r.random()).isTrue();
        assertThat(r.inFlight()).isEqualTo(32);
        assertThat(r.transferBytes()).isEqualTo(4096);
        assertThat(r.perSecond()).containsExactly(21796L, 27708L);
        assertThat(r.iops()).isEqualTo(26503);
        assertThat(r.mibPerSecond()).isEqualTo(103);
        assertThat(r.bytesPerSecond()).isEqualTo(26503.0 * 4096);
        assertThat(r.finished()).isTrue();
        assertThat(r.ok()).isTrue();
    }

    @Test
    void noTarget() {
        IscsiPerf.Result r = IscsiPerf.parse(CunitOutputTest.resource("perf-no-target.out"), 10, false,
                Duration.ofSeconds(1), Path.of("x.log"));
        assertThat(r.ok()).isFalse();
        assertThat(r.iops()).isZero();
        assertThat(r.errors()).singleElement().asString().startsWith("Login Failed.");
    }

    @Test
    void commandLine() {
        IscsiUrl u = IscsiUrl.parse("iscsi://127.0.0.1:3261/iqn.2026-01.org.copyoffload:tgt/1");
        var o = IscsiPerf.Options.of(u).withTransfer(128 * 1024, 512).withQueueDepth(4)
                .withRuntime(Duration.ofSeconds(5));
        assertThat(String.join(" ", o.command()))
                .endsWith("iscsi-perf -l -m 4 -b 256 -t 5 iscsi://127.0.0.1:3261/iqn.2026-01.org.copyoffload:tgt/1");
    }
}
