package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.CopyResults.CopyOperationStatus;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PopulateTokenParameters;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.RodTokenInformation;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.WriteUsingTokenParameters;
import org.copyoffload.server.TargetServerExtension;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Token copy end to end over loopback through the real iSCSI server: one session populates a token on LUN 0 (4 KiB
 * blocks) and reads it back with RECEIVE ROD TOKEN INFORMATION, another session (its own I_T nexus) writes it into
 * LUN 1 (512-byte blocks) and reads the copy back identical; after the first session writes one source block, the
 * token is refused as revoked on the wire.
 */
@ExtendWith(LeakDetectionExtension.class)
class IscsiTokenCopyTest {
    static final String TARGET = "iqn.2026-01.org.copyoffload:token-copy";
    static final int GOOD = 0;
    static final int CHECK_CONDITION = 2;

    @RegisterExtension
    static final TargetServerExtension target = TargetServerExtension.withYaml(dir -> """
            data-dir: %s
            listeners: []
            metrics: {enabled: false}
            volumes:
              - {name: tc0, size: 16MiB, block-size: 4096}
              - {name: tc1, size: 16MiB, block-size: 512}
            iscsi:
              listeners: [{address: 127.0.0.1, port: 0}]
              targets:
                - name: %s
                  luns: [{lun: 0, volume: tc0}, {lun: 1, volume: tc1}]
            """.formatted(dir, TARGET));

    private static IscsiClient.Result wut(IscsiClient c, RodToken token, int listId) {
        byte[] list = new WriteUsingTokenParameters(false, false, 0, token.bytes(),
                List.of(new BlockDeviceRange(1000, 128))).encode();
        return c.command(1, new TokenCopyCdb(OperationCode.ExtendedCopy.WRITE_USING_TOKEN, listId, list.length, 0)
                .encode(), list, 0, false);
    }

    @Test
    void populateOnOneSessionWriteOnAnother() {
        byte[] data = new byte[16 * 4096];
        new Random(1).nextBytes(data);
        try (IscsiClient a = new IscsiClient(target.iscsiPortal()).login(TARGET);
             IscsiClient b = new IscsiClient(target.iscsiPortal()).login(TARGET)) {
            assertThat(a.write10(0, 10, data, 4096, false).status()).isEqualTo(GOOD);
            byte[] pt = new PopulateTokenParameters(false, false, 0, 0, List.of(new BlockDeviceRange(10, 16)))
                    .encode();
            assertThat(a.command(0, new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, 1, pt.length, 0)
                    .encode(), pt, 0, false).status()).isEqualTo(GOOD);
            IscsiClient.Result r = a.command(0, new ReceiveCopyResultsCdb(0x07, 1, 1024).encode(), null, 1024, true);
            assertThat(r.status()).isEqualTo(GOOD);
            RodTokenInformation info = RodTokenInformation.decode(r.dataIn(), r.dataIn().length);
            assertThat(info.status()).isEqualTo(CopyOperationStatus.COMPLETED_WITHOUT_ERRORS);
            assertThat(info.transferCount()).isEqualTo(16);
            RodToken token = info.token().orElseThrow();

            assertThat(wut(b, token, 2).status()).isEqualTo(GOOD);
            assertThat(b.read10(1, 1000, 128, 512).dataIn()).isEqualTo(data);

            assertThat(a.write10(0, 12, new byte[4096], 4096, false).status()).isEqualTo(GOOD);
            IscsiClient.Result revoked = wut(b, token, 3);
            assertThat(revoked.status()).isEqualTo(CHECK_CONDITION);
            SenseData s = SenseData.decode(revoked.sense());
            assertThat(s.asc() << 8 | s.ascq())
                    .isEqualTo(AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_REVOKED.code());
            assertThat(b.read10(1, 1000, 128, 512).dataIn()).isEqualTo(data);
        }
    }
}
