package org.copyoffload.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Random;
import org.copyoffload.initiator.copy.NvmeNamespaceDevice;
import org.copyoffload.initiator.nvme.HostOptions;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.junit.jupiter.api.Test;

/**
 * The README's example, as it is printed there ("Container image and Testcontainers"): the image's embedded
 * default, a Java host on the mapped port, 1 MiB written to NSID 1, copied to NSID 2 by the target (NVMe Copy,
 * format 2h) and read back.
 */
class CopyOffloadTargetContainerReadmeTest {
    static final String IMAGE = System.getProperty("copyoffload.image", "localhost/copyoffload-target:latest");

    @Test
    void writeCopyReadBack() {
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (var target = new CopyOffloadTargetContainer(IMAGE)) {
            target.start();
            try (var host = NvmeTcpHost.connect(HostOptions.builder(target.getNvmeAddress(), target.getNqn()).build())) {
                var ns1 = NvmeNamespaceDevice.open(host, 1);
                var ns2 = NvmeNamespaceDevice.open(host, 2);
                ns1.write(0, Unpooled.wrappedBuffer(data)).join();
                assertThat(ns2.copyFrom(ns1, 0, 0, data.length).join().copied()).isEqualTo(data.length);
                ByteBuf back = ns2.read(0, data.length).join();
                assertThat(ByteBufUtil.getBytes(back)).isEqualTo(data);
                back.release();
            }
        }
    }
}
