package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.protocol.WatermarkedDecoder;
import org.copyoffload.protocol.testing.DecoderHarness;
import org.junit.jupiter.api.Test;

/** The iSCSI decoder asks for a receive watermark as a large data segment arrives, as the NVMe/TCP one does. */
class IscsiReceiveWatermarkTest {
    private static final int BHS = IscsiPdu.BHS_LENGTH;

    @Test
    void aLargeDataOutIsWaitedForWholeAndSmallPdusAreNot() {
        int length = IscsiPdus.LIMIT; // 256 KiB
        IscsiCodecSettings settings = IscsiPdus.target(false, false);
        IscsiPdu.DataOut large = new IscsiPdu.DataOut(true, 0, 1, 2, 0, 0, 0, IscsiPdus.buf(IscsiPdus.pattern(length, 1)));
        IscsiPdu.DataOut small = new IscsiPdu.DataOut(true, 0, 1, 2, 0, 1, length, IscsiPdus.buf(IscsiPdus.pattern(8192, 2)));
        byte[] first = IscsiPdus.encode(large, IscsiPdus.initiator(false, false));
        byte[] second = IscsiPdus.encode(small, IscsiPdus.initiator(false, false));
        large.release();
        small.release();
        List<Integer> asked = new ArrayList<>();
        try (DecoderHarness h = new DecoderHarness(new IscsiPduDecoder(settings, (ctx, bytes) -> asked.add(bytes)))) {
            h.feed(Arrays.copyOfRange(first, 0, BHS + 1000));
            assertThat(asked).containsExactly(length - 1000);
            h.feed(Arrays.copyOfRange(first, BHS + 1000, first.length));
            assertThat(asked).containsExactly(length - 1000, 1);
            for (int at = 0; at < second.length; at += 1024) {
                h.feed(Arrays.copyOfRange(second, at, Math.min(second.length, at + 1024)));
            }
            assertThat(h.received()).hasSize(2);
            assertThat(asked).as("8 KiB lacks less than the minimum of %d", WatermarkedDecoder.MINIMUM).hasSize(2);
        }
    }
}
