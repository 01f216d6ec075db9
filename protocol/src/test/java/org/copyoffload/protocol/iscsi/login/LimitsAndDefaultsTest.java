package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** TargetLimits' checks and defaults, NegotiatedParameters' RFC defaults, SessionType. */
class LimitsAndDefaultsTest {

    @Test
    void rfcDefaultsOfSection13() {
        NegotiatedParameters d = NegotiatedParameters.defaults();
        assertThat(d.headerDigest()).isFalse();                        // 13.1 None
        assertThat(d.dataDigest()).isFalse();
        assertThat(d.initiatorMaxRecvDataSegmentLength()).isEqualTo(8192); // 13.12
        assertThat(d.targetMaxRecvDataSegmentLength()).isEqualTo(8192);
        assertThat(d.maxBurstLength()).isEqualTo(262144);              // 13.13
        assertThat(d.firstBurstLength()).isEqualTo(65536);             // 13.14
        assertThat(d.initialR2T()).isTrue();                           // 13.10
        assertThat(d.immediateData()).isTrue();                        // 13.11
        assertThat(d.maxOutstandingR2T()).isEqualTo(1);                // 13.17
        assertThat(d.dataPduInOrder()).isTrue();                       // 13.18
        assertThat(d.dataSequenceInOrder()).isTrue();                  // 13.19
        assertThat(d.errorRecoveryLevel()).isZero();                   // 13.20
        assertThat(d.maxConnections()).isEqualTo(1);                   // 13.2
        assertThat(d.defaultTime2Wait()).isEqualTo(2);                 // 13.15
        assertThat(d.defaultTime2Retain()).isEqualTo(20);              // 13.16
    }

    @Test
    void targetDefaultsFollowLioWithMoreConnections() {
        TargetLimits l = TargetLimits.defaults();
        assertThat(l.headerDigestAllowed()).isTrue();
        assertThat(l.dataDigestAllowed()).isTrue();
        assertThat(l.maxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(l.maxBurstLength()).isEqualTo(262144);
        assertThat(l.firstBurstLength()).isEqualTo(65536);
        assertThat(l.maxOutstandingR2T()).isEqualTo(1);
        assertThat(l.initialR2T()).isTrue();
        assertThat(l.immediateData()).isTrue();
        assertThat(l.maxConnections()).isEqualTo(8);
        assertThat(l.defaultTime2Wait()).isEqualTo(2);
        assertThat(l.defaultTime2Retain()).isEqualTo(20);
        assertThat(l.errorRecoveryLevel()).isZero();
        assertThat(l.targetAlias()).isNull();
        assertThat(l.targetPortalGroupTag()).isEqualTo(1);
    }

    private static TargetLimits with(int mrdsl, int maxBurst, int firstBurst, int r2t, int conns, int t2w, int t2r,
            int erl, String alias, int tpgt) {
        return new TargetLimits(true, true, mrdsl, maxBurst, firstBurst, r2t, true, true, conns, t2w, t2r, erl, alias,
                tpgt);
    }

    @Test
    void limitsOutsideTheRfcRangesAreRefusedNamingTheField() {
        assertThatThrownBy(() -> with(511, 262144, 65536, 1, 1, 2, 20, 0, null, 1))
                .hasMessageContaining("maxRecvDataSegmentLength = 511");
        assertThatThrownBy(() -> with(8192, 1 << 24, 65536, 1, 1, 2, 20, 0, null, 1))
                .hasMessageContaining("maxBurstLength = 16777216");
        assertThatThrownBy(() -> with(8192, 65536, 65537, 1, 1, 2, 20, 0, null, 1))
                .hasMessageContaining("firstBurstLength = 65537").hasMessageContaining("13.14");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 0, 1, 2, 20, 0, null, 1))
                .hasMessageContaining("maxOutstandingR2T = 0");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 65536, 2, 20, 0, null, 1))
                .hasMessageContaining("maxConnections = 65536");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 1, 3601, 20, 0, null, 1))
                .hasMessageContaining("defaultTime2Wait = 3601");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 1, 2, -1, 0, null, 1))
                .hasMessageContaining("defaultTime2Retain = -1");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 1, 2, 20, 1, null, 1))
                .hasMessageContaining("errorRecoveryLevel = 1");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 1, 2, 20, 0, "x".repeat(256), 1))
                .hasMessageContaining("targetAlias");
        assertThatThrownBy(() -> with(8192, 262144, 65536, 1, 1, 2, 20, 0, null, 65536))
                .hasMessageContaining("targetPortalGroupTag = 65536");
        assertThat(with(512, 512, 512, 65535, 65535, 0, 3600, 0, "disk one", 0).targetAlias()).isEqualTo("disk one");
    }

    @Test
    void sessionTypeOfTheFirstRequest() throws LoginException {
        assertThat(SessionType.of(List.of(new TextKey("SessionType", "Discovery")))).isEqualTo(SessionType.DISCOVERY);
        assertThat(SessionType.of(List.of(new TextKey("SessionType", "Normal")))).isEqualTo(SessionType.NORMAL);
        // RFC 7143, 13.21: "Default is Normal."
        assertThat(SessionType.of(List.of(new TextKey("InitiatorName", "iqn.x")))).isEqualTo(SessionType.NORMAL);
        assertThatThrownBy(() -> SessionType.of(List.of(new TextKey("SessionType", "discovery"))))
                .isInstanceOfSatisfying(LoginException.class,
                        e -> assertThat(e.status()).isEqualTo(LoginStatus.SESSION_TYPE_NOT_SUPPORTED))
                .hasMessageContaining("SessionType=discovery");
    }
}
