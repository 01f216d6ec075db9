package org.copyoffload.protocol.iscsi;

import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Writes the seed corpus of {@link IscsiFuzzTest} (not part of the suite: run it by name, {@code -Dtest=IscsiPduSeeds},
 * from the module directory): streams of valid PDUs from {@link RandomIscsiPdus}, login texts, and binary values.
 */
class IscsiPduSeeds {
    @Test
    void write() throws Exception {
        Path base = Path.of("src/test/resources/org/copyoffload/protocol/iscsi/IscsiFuzzTestInputs");
        Path dir = Files.createDirectories(base.resolve("pduStream"));
        Random r = new Random(20);
        for (int flags = 0; flags < 8; flags++) {
            boolean target = (flags & 1) != 0;
            IscsiCodecSettings sender = new IscsiCodecSettings(!target).headerDigest((flags & 2) != 0)
                    .dataDigest((flags & 4) != 0);
            for (int n = 0; n < 2; n++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(flags);
                out.write(n == 0 ? 0 : 13);
                for (int i = 0; i < 3; i++) {
                    IscsiPdu pdu = RandomIscsiPdus.next(r, target, 512);
                    out.write(IscsiPdus.encode(pdu, sender));
                    ReferenceCountUtil.release(pdu);
                }
                Files.write(dir.resolve("seed-" + flags + "-" + n), out.toByteArray());
            }
        }
        Path text = Files.createDirectories(base.resolve("loginText"));
        String[] texts = {
            "InitiatorName=iqn.2005-03.org.open-iscsi:abc\0SessionType=Normal\0TargetName=iqn.2026-01.org.copyoffload:t\0AuthMethod=None\0",
            "HeaderDigest=CRC32C,None\0DataDigest=None\0MaxRecvDataSegmentLength=262144\0MaxBurstLength=16776192\0FirstBurstLength=262144\0InitialR2T=No\0ImmediateData=Yes\0",
            "AuthMethod=CHAP,None\0CHAP_A=5\0CHAP_N=user\0CHAP_R=0x0123456789abcdef0123456789abcdef\0",
            "SendTargets=All\0",
            "X-com.example.private=value\0ErrorRecoveryLevel=0\0"};
        for (int i = 0; i < texts.length; i++) {
            Files.write(text.resolve("seed-" + i), texts[i].getBytes(StandardCharsets.UTF_8));
        }
        Path binary = Files.createDirectories(base.resolve("binaryValue"));
        String[] values = {"0x0123456789abcdef0123456789abcdef", "0X5", "0bAAECAwQFBgcICQoLDA0ODw==", "0B/w==",
            "0x", "0bAA=A"};
        for (int i = 0; i < values.length; i++) {
            Files.write(binary.resolve("seed-" + i), values[i].getBytes(StandardCharsets.ISO_8859_1));
        }
    }
}
