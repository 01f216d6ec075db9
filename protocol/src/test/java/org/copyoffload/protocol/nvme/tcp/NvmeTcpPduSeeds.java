package org.copyoffload.protocol.nvme.tcp;

import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Writes the seed corpus of {@link NvmeTcpPduFuzzTest} (not part of the suite: run it by name, {@code -Dtest=NvmeTcpPduSeeds},
 * from the module directory): streams of valid PDUs from {@link RandomPdus} for each side and digest setting.
 */
class NvmeTcpPduSeeds {
    @Test
    void write() throws Exception {
        Path dir = Path.of("src/test/resources/org/copyoffload/protocol/nvme/tcp/NvmeTcpPduFuzzTestInputs/pduStream");
        Files.createDirectories(dir);
        Random r = new Random(20);
        for (int flags = 0; flags < 8; flags++) {
            boolean controller = (flags & 1) != 0;
            NvmeTcpSettings sender = new NvmeTcpSettings(!controller, NvmeTcpPduFuzzTest.LIMIT, NvmeTcpPduFuzzTest.LIMIT);
            sender.negotiated((flags & 2) != 0, (flags & 4) != 0, 0);
            for (int n = 0; n < 2; n++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(flags);
                out.write(n == 0 ? 0 : 7);
                for (int i = 0; i < 3; i++) {
                    NvmeTcpPdu pdu = RandomPdus.next(r, controller, 512);
                    out.write(Pdus.encode(pdu, sender));
                    ReferenceCountUtil.release(pdu);
                }
                Files.write(dir.resolve("seed-" + flags + "-" + n), out.toByteArray());
            }
        }
    }
}
