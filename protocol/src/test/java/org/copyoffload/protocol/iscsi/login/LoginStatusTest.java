package org.copyoffload.protocol.iscsi.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Login Response Status-Class and Status-Detail (RFC 7143, 11.13.5). */
class LoginStatusTest {

    @ParameterizedTest(name = "{0} = {1}/{2}")
    @CsvSource({
        "SUCCESS, 0x00, 0x00",
        "TARGET_MOVED_TEMPORARILY, 0x01, 0x01",
        "TARGET_MOVED_PERMANENTLY, 0x01, 0x02",
        "INITIATOR_ERROR, 0x02, 0x00",
        "AUTHENTICATION_FAILURE, 0x02, 0x01",
        "AUTHORIZATION_FAILURE, 0x02, 0x02",
        "NOT_FOUND, 0x02, 0x03",
        "TARGET_REMOVED, 0x02, 0x04",
        "UNSUPPORTED_VERSION, 0x02, 0x05",
        "TOO_MANY_CONNECTIONS, 0x02, 0x06",
        "MISSING_PARAMETER, 0x02, 0x07",
        "CANT_INCLUDE_IN_SESSION, 0x02, 0x08",
        "SESSION_TYPE_NOT_SUPPORTED, 0x02, 0x09",
        "SESSION_DOES_NOT_EXIST, 0x02, 0x0a",
        "INVALID_DURING_LOGIN, 0x02, 0x0b",
        "TARGET_ERROR, 0x03, 0x00",
        "SERVICE_UNAVAILABLE, 0x03, 0x01",
        "OUT_OF_RESOURCES, 0x03, 0x02",
    })
    void codesFromTheRfcTable(LoginStatus status, String statusClass, String statusDetail) {
        int c = Integer.decode(statusClass);
        int d = Integer.decode(statusDetail);
        assertThat(status.statusClass()).isEqualTo(c);
        assertThat(status.statusDetail()).isEqualTo(d);
        assertThat(LoginStatus.lookup(c, d)).contains(status);
    }

    @Test
    void everyPairIsDistinctAndUnknownPairsAreEmpty() {
        assertThat(Arrays.stream(LoginStatus.values()).map(s -> s.statusClass() * 256 + s.statusDetail()).distinct())
                .hasSize(LoginStatus.values().length);
        assertThat(LoginStatus.lookup(0x02, 0x0c)).isEmpty();
        assertThat(LoginStatus.lookup(0x00, 0x01)).isEmpty();
    }

    @Test
    void theExceptionCarriesItsStatusAndMessage() {
        LoginException e = new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "CHAP_R does not match");
        assertThat(e.status()).isEqualTo(LoginStatus.AUTHENTICATION_FAILURE);
        assertThat(e.getMessage()).isEqualTo("CHAP_R does not match");
        assertThat(e.toString()).contains("0201").contains("CHAP_R does not match");
    }
}
