package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The opcode table of RFC 7143 11.2.1.2. */
class IscsiOpcodeTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
            "NOP_OUT, 0x00", "SCSI_COMMAND, 0x01", "TASK_MANAGEMENT_REQUEST, 0x02", "LOGIN_REQUEST, 0x03",
            "TEXT_REQUEST, 0x04", "SCSI_DATA_OUT, 0x05", "LOGOUT_REQUEST, 0x06", "SNACK_REQUEST, 0x10",
            "NOP_IN, 0x20", "SCSI_RESPONSE, 0x21", "TASK_MANAGEMENT_RESPONSE, 0x22", "LOGIN_RESPONSE, 0x23",
            "TEXT_RESPONSE, 0x24", "SCSI_DATA_IN, 0x25", "LOGOUT_RESPONSE, 0x26", "R2T, 0x31", "ASYNC_MESSAGE, 0x32",
            "REJECT, 0x3f"})
    void codes(IscsiOpcode opcode, String code) {
        int c = Integer.decode(code);
        assertThat(opcode.code()).isEqualTo(c);
        assertThat(IscsiOpcode.lookup(c)).contains(opcode);
        assertThat(opcode.fromInitiator()).isEqualTo(c < 0x20);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x07, 0x0f, 0x11, 0x1c, 0x1d, 0x1e, 0x1f, 0x27, 0x30, 0x3c, 0x3e, 0x40, 0x41, -1, 256})
    void unassignedCodes(int code) {
        assertThat(IscsiOpcode.lookup(code)).isEmpty();
    }
}
