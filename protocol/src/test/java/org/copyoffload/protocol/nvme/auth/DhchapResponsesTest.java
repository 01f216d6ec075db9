package org.copyoffload.protocol.nvme.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The responses and the augmented challenge against values computed with Python's hmac/hashlib from the byte
 * order of Linux's nvme_auth_dhchap_setup_host_response / _ctrl_response; the DH exchange of every group through
 * Bouncy Castle agrees on both sides and refuses invalid public values.
 */
class DhchapResponsesTest {
    private static final String HOSTNQN = "nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-000000000001";
    private static final String SUBNQN = "nqn.2026-01.org.copyoffload:it";
    private static final HexFormat HEX = HexFormat.of();

    private static byte[] key() {
        byte[] k = new byte[32];
        for (int i = 0; i < 32; i++) {
            k[i] = (byte) i;
        }
        return k;
    }

    private static byte[] challenge() {
        byte[] c = new byte[32];
        Arrays.fill(c, (byte) 0xA5);
        return c;
    }

    @Test
    void hostResponse() {
        byte[] r = DhchapResponses.hostResponse(DhchapHash.SHA_256, key(), challenge(), 0x01020304, 0x1234, 0, HOSTNQN, SUBNQN);
        assertThat(HEX.formatHex(r)).isEqualTo("f959fe10aadf33e07a4b80f2e3c55f4916220b77928b8c5011702ffd3865e3e8");
    }

    @Test
    void controllerResponse() {
        byte[] r = DhchapResponses.controllerResponse(DhchapHash.SHA_256, key(), challenge(), 0x0a0b0c0d, 0x1234, 0,
                SUBNQN, HOSTNQN);
        assertThat(HEX.formatHex(r)).isEqualTo("35b6c7e2cac1ab7a37e245dac85787b55502342d8a6e2cc8f73ed8cb41fa1779");
    }

    @Test
    void augmentedChallenge() {
        byte[] sessionKey = new byte[256];
        Arrays.fill(sessionKey, (byte) 7);
        assertThat(HEX.formatHex(DhchapResponses.augmentedChallenge(DhchapHash.SHA_256, sessionKey, challenge())))
                .isEqualTo("d6507a4e70db31a582be7debdad3575c1e8ca97c300ad800a7ef1f8006063e1e");
    }

    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = "NULL", mode = EnumSource.Mode.EXCLUDE)
    void bothSidesAgreeOnTheSessionKey(DhGroup group) {
        SecureRandom random = new SecureRandom();
        DhKeyExchange host = new DhKeyExchange(group, random);
        DhKeyExchange controller = new DhKeyExchange(group, random);
        assertThat(host.publicValue()).hasSize(group.valueLength());
        byte[] k1 = host.sessionKey(controller.publicValue());
        byte[] k2 = controller.sessionKey(host.publicValue());
        assertThat(k1).hasSize(group.valueLength()).isEqualTo(k2);
    }

    @Test
    void refusesInvalidPublicValues() {
        DhKeyExchange x = new DhKeyExchange(DhGroup.FFDHE2048, new SecureRandom());
        byte[] one = new byte[256];
        one[255] = 1;
        assertThatThrownBy(() -> x.sessionKey(one)).isInstanceOf(IllegalArgumentException.class);
        byte[] zero = new byte[256];
        assertThatThrownBy(() -> x.sessionKey(zero)).isInstanceOf(IllegalArgumentException.class);
        byte[] pMinusOne = fixed(org.bouncycastle.crypto.agreement.DHStandardGroups.rfc7919_ffdhe2048.getP()
                .subtract(BigInteger.ONE));
        assertThatThrownBy(() -> x.sessionKey(pMinusOne)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> x.sessionKey(new byte[255])).hasMessageContaining("256 bytes, not 255");
        assertThatThrownBy(() -> new DhKeyExchange(DhGroup.NULL, new SecureRandom())).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] fixed(BigInteger v) {
        byte[] raw = v.toByteArray();
        return Arrays.copyOfRange(raw, raw.length - 256, raw.length);
    }
}
