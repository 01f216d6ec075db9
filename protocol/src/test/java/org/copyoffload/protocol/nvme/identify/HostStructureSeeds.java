package org.copyoffload.protocol.nvme.identify;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.junit.jupiter.api.Test;

/**
 * Writes the {@code hostStructures} seeds of NvmeStructuresFuzzTest with the codebase's encoders (not part of the
 * suite: run it by name, {@code -Dtest=HostStructureSeeds}, from the module directory): Identify Controller and
 * Namespace as in their tests, a Namespace Identification Descriptor list and a discovery log page of two entries,
 * each after its selector byte.
 */
class HostStructureSeeds {
    static final Path DIR = Path.of(
            "src/test/resources/org/copyoffload/protocol/nvme/NvmeStructuresFuzzTestInputs/hostStructures");

    @Test
    void write() throws Exception {
        Files.createDirectories(DIR);
        write("seed-identify-controller", 0, IdentifyControllerTest.sample().encode());
        write("seed-identify-namespace", 1, IdentifyNamespaceTest.sample().encode());
        write("seed-descriptors", 2, NamespaceIdDescriptor.encodeList(List.of(
                new NamespaceIdDescriptor(NamespaceIdDescriptor.NGUID, IdentifyNamespaceTest.NGUID),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.EUI64, IdentifyNamespaceTest.EUI64),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.CSI, new byte[] {2}))));
        write("seed-discovery-log", 3, new DiscoveryLogPage(7, List.of(
                new DiscoveryLogEntry(3, 1, 2, 0x06, 0x0102, 0xFFFF, 32, 0x0003, "4420",
                        "nqn.2025-01.org.copyoffload:disk", "192.168.10.20", 0),
                new DiscoveryLogEntry(3, 2, 3, 0x02, 7, 0xFFFE, 128, 0, "8009",
                        "nqn.2014-08.org.nvmexpress.discovery", "fe80::1", 1))).encode());
    }

    private static void write(String name, int selector, ByteBuf data) throws Exception {
        try {
            byte[] bytes = ByteBufUtil.getBytes(data);
            byte[] seed = new byte[bytes.length + 1];
            seed[0] = (byte) selector;
            System.arraycopy(bytes, 0, seed, 1, bytes.length);
            Files.write(DIR.resolve(name), seed);
        } finally {
            data.release();
        }
    }
}
