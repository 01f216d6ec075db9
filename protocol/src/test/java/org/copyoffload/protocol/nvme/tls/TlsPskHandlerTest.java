package org.copyoffload.protocol.nvme.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.Random;
import org.copyoffload.protocol.nvme.tls.PskDerivation.LabelForm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Two {@link TlsPskHandler}s, target and host, over EmbeddedChannels whose bytes are carried across by hand. */
class TlsPskHandlerTest {
    static final String HOST = PskIdentityTest.HOST;
    static final String SUB = PskIdentityTest.SUB;

    static ConfiguredPsk key(PskHash hash, int seed) {
        byte[] k = new byte[hash.length()];
        new Random(seed).nextBytes(k);
        return new ConfiguredPsk(hash, k);
    }

    record Pair(EmbeddedChannel target, EmbeddedChannel host, TlsPskHandler targetTls, TlsPskHandler hostTls) {
        /** Carries bytes both ways until neither side has anything to send. */
        void pump() {
            boolean moved = true;
            while (moved) {
                moved = carry(host, target) | carry(target, host);
            }
        }

        private static boolean carry(EmbeddedChannel from, EmbeddedChannel to) {
            boolean moved = false;
            ByteBuf b;
            while ((b = from.readOutbound()) != null) {
                moved = true;
                if (to.isActive()) {
                    to.writeInbound(b);
                } else {
                    b.release();
                }
            }
            return moved;
        }
    }

    static Pair pair(ConfiguredPsk targetKey, ConfiguredPsk hostKey, int identityVersion) {
        TlsPskKeys keys = new TlsPskKeys(List.of(new TlsPskKeys.Entry(HOST, SUB, targetKey, LabelForm.LIBNVME)));
        TlsPskHandler targetTls = TlsPskHandler.server(new NvmeTlsServer(keys));
        PskIdentity id = PskDerivation.identity(hostKey, HOST, SUB, identityVersion, LabelForm.LIBNVME);
        TlsPskHandler hostTls = TlsPskHandler.client(new NvmeTlsClient(id,
                PskDerivation.tlsPsk(hostKey, id, LabelForm.LIBNVME)));
        return new Pair(new EmbeddedChannel(targetTls), new EmbeddedChannel(hostTls), targetTls, hostTls);
    }

    @ParameterizedTest
    @CsvSource({"SHA256, 0, TLS_AES_128_GCM_SHA256", "SHA384, 0, TLS_AES_256_GCM_SHA384",
            "SHA256, 1, TLS_AES_128_GCM_SHA256", "SHA384, 1, TLS_AES_256_GCM_SHA384"})
    void handshakesAndCarriesDataBothWays(PskHash hash, int identityVersion, String suite) {
        ConfiguredPsk key = key(hash, 1);
        Pair p = pair(key, key, identityVersion);
        // Written before the handshake finished: held, then sent encrypted.
        p.host().writeOutbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
        p.pump();
        assertThat(p.targetTls().handshakeFuture().isSuccess()).isTrue();
        assertThat(p.hostTls().handshakeFuture().isSuccess()).isTrue();
        assertThat(p.targetTls().result().cipherSuite()).isEqualTo(suite);
        assertThat(p.targetTls().result().identity().version()).isEqualTo(identityVersion);
        assertThat(p.hostTls().result().cipherSuite()).isEqualTo(suite);
        assertThat(readAll(p.target())).containsExactly(1, 2, 3);

        byte[] big = new byte[100_000];
        new Random(7).nextBytes(big);
        p.target().writeOutbound(Unpooled.wrappedBuffer(big));
        p.pump();
        assertThat(readAll(p.host())).isEqualTo(big);

        // close_notify: the host closes, the target sees it and closes too.
        p.host().close();
        p.pump();
        assertThat(p.target().isActive()).isFalse();
        p.target().finishAndReleaseAll();
        p.host().finishAndReleaseAll();
    }

    @Test
    void pskWithoutDheIsRefused() {
        // Bouncy Castle does (EC)DHE with every TLS 1.3 PSK (psk_dhe_ke); Linux's tlshd offers it first, so a host that
        // offers only psk_ke is the one refused.
        ConfiguredPsk key = key(PskHash.SHA256, 3);
        TlsPskKeys keys = new TlsPskKeys(List.of(new TlsPskKeys.Entry(HOST, SUB, key, LabelForm.LIBNVME)));
        TlsPskHandler targetTls = TlsPskHandler.server(new NvmeTlsServer(keys));
        PskIdentity id = PskDerivation.identity(key, HOST, SUB, 0, LabelForm.LIBNVME);
        TlsPskHandler hostTls = TlsPskHandler.client(new NvmeTlsClient(id, PskDerivation.tlsPsk(key, id,
                LabelForm.LIBNVME), new short[] {org.bouncycastle.tls.PskKeyExchangeMode.psk_ke}));
        Pair p = new Pair(new EmbeddedChannel(targetTls), new EmbeddedChannel(hostTls), targetTls, hostTls);
        p.pump();
        assertThat(targetTls.handshakeFuture().cause()).hasMessageContaining("unknown_psk_identity");
        assertThat(p.host().isActive()).isFalse();
        p.target().finishAndReleaseAll();
        p.host().finishAndReleaseAll();
    }

    @Test
    void wrongKeyFailsBothSidesAndNothingPasses() {
        Pair p = pair(key(PskHash.SHA256, 1), key(PskHash.SHA256, 2), 0);
        io.netty.channel.ChannelFuture held = p.host().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {9}));
        p.pump();
        assertThat(held.cause()).isNotNull();
        assertThat(p.targetTls().handshakeFuture().cause()).isNotNull();
        assertThat(p.hostTls().handshakeFuture().cause()).isNotNull();
        assertThat(p.target().isActive()).isFalse();
        assertThat(p.host().isActive()).isFalse();
        assertThat((Object) p.target().readInbound()).isNull();
        p.target().finishAndReleaseAll();
        p.host().finishAndReleaseAll();
    }

    @Test
    void unknownIdentityFailsWithUnknownPskIdentity() {
        ConfiguredPsk key = key(PskHash.SHA256, 1);
        TlsPskKeys keys = new TlsPskKeys(List.of(new TlsPskKeys.Entry(HOST, SUB + ":other", key, LabelForm.LIBNVME)));
        TlsPskHandler targetTls = TlsPskHandler.server(new NvmeTlsServer(keys));
        PskIdentity id = PskDerivation.identity(key, HOST, SUB, 0, LabelForm.LIBNVME);
        TlsPskHandler hostTls = TlsPskHandler.client(new NvmeTlsClient(id, PskDerivation.tlsPsk(key, id, LabelForm.LIBNVME)));
        Pair p = new Pair(new EmbeddedChannel(targetTls), new EmbeddedChannel(hostTls), targetTls, hostTls);
        p.pump();
        assertThat(targetTls.handshakeFuture().cause()).hasMessageContaining("unknown PSK identity NVMe0R01");
        assertThat(p.host().isActive()).isFalse();
        p.target().finishAndReleaseAll();
        p.host().finishAndReleaseAll();
    }

    @Test
    void plaintextOnATlsConnectionFailsTheHandshake() {
        Pair p = pair(key(PskHash.SHA256, 1), key(PskHash.SHA256, 1), 0);
        // An ICReq PDU header where a TLS record should be.
        p.target().writeInbound(Unpooled.wrappedBuffer(new byte[] {0, 0, (byte) 128, 0, (byte) 128, 0, 0, 0}));
        assertThat(p.targetTls().handshakeFuture().cause()).isNotNull();
        assertThat(p.target().isActive()).isFalse();
        p.target().finishAndReleaseAll();
        p.host().finishAndReleaseAll();
    }

    private static byte[] readAll(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        ByteBuf b;
        while ((b = ch.readInbound()) != null) {
            all.writeBytes(b);
            b.release();
        }
        byte[] out = new byte[all.readableBytes()];
        all.readBytes(out);
        all.release();
        return out;
    }
}
