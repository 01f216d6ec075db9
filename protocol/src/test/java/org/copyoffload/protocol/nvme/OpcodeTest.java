package org.copyoffload.protocol.nvme;

import static org.assertj.core.api.Assertions.assertThat;

import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.junit.jupiter.api.Test;

/** Opcode tables against NVMe Base 2.1 Figure 84, NVM Command Set Figure 18, ZNS, and NVMe-oF Figure 11. */
class OpcodeTest {

    @Test
    void adminOpcodes() {
        assertThat(AdminOpcode.GET_LOG_PAGE.code()).isEqualTo(0x02);
        assertThat(AdminOpcode.IDENTIFY.code()).isEqualTo(0x06);
        assertThat(AdminOpcode.ABORT.code()).isEqualTo(0x08);
        assertThat(AdminOpcode.SET_FEATURES.code()).isEqualTo(0x09);
        assertThat(AdminOpcode.GET_FEATURES.code()).isEqualTo(0x0A);
        assertThat(AdminOpcode.ASYNCHRONOUS_EVENT_REQUEST.code()).isEqualTo(0x0C);
        assertThat(AdminOpcode.KEEP_ALIVE.code()).isEqualTo(0x18);
        for (AdminOpcode op : AdminOpcode.values()) {
            assertThat(AdminOpcode.lookup(op.code())).contains(op);
        }
        assertThat(AdminOpcode.lookup(0x7F)).isEmpty();
        assertThat(AdminOpcode.lookup(-1)).isEmpty();
        assertThat(AdminOpcode.lookup(256)).isEmpty();
    }

    @Test
    void nvmOpcodes() {
        assertThat(NvmOpcode.FLUSH.code()).isEqualTo(0x00);
        assertThat(NvmOpcode.WRITE.code()).isEqualTo(0x01);
        assertThat(NvmOpcode.READ.code()).isEqualTo(0x02);
        assertThat(NvmOpcode.COMPARE.code()).isEqualTo(0x05);
        assertThat(NvmOpcode.WRITE_ZEROES.code()).isEqualTo(0x08);
        assertThat(NvmOpcode.DATASET_MANAGEMENT.code()).isEqualTo(0x09);
        assertThat(NvmOpcode.VERIFY.code()).isEqualTo(0x0C);
        assertThat(NvmOpcode.COPY.code()).isEqualTo(0x19);
        assertThat(NvmOpcode.ZONE_MANAGEMENT_SEND.code()).isEqualTo(0x79);
        assertThat(NvmOpcode.ZONE_MANAGEMENT_RECEIVE.code()).isEqualTo(0x7A);
        assertThat(NvmOpcode.ZONE_APPEND.code()).isEqualTo(0x7D);
        for (NvmOpcode op : NvmOpcode.values()) {
            assertThat(NvmOpcode.lookup(op.code())).contains(op);
        }
        assertThat(NvmOpcode.lookup(0x03)).isEmpty();
        assertThat(NvmOpcode.lookup(1000)).isEmpty();
    }

    @Test
    void fabricsCommandTypes() {
        assertThat(FabricsCommandType.PROPERTY_SET.code()).isEqualTo(0x00);
        assertThat(FabricsCommandType.CONNECT.code()).isEqualTo(0x01);
        assertThat(FabricsCommandType.PROPERTY_GET.code()).isEqualTo(0x04);
        assertThat(FabricsCommandType.AUTHENTICATION_SEND.code()).isEqualTo(0x05);
        assertThat(FabricsCommandType.AUTHENTICATION_RECEIVE.code()).isEqualTo(0x06);
        assertThat(FabricsCommandType.DISCONNECT.code()).isEqualTo(0x08);
        for (FabricsCommandType t : FabricsCommandType.values()) {
            assertThat(FabricsCommandType.lookup(t.code())).contains(t);
        }
        assertThat(FabricsCommandType.lookup(0x02)).isEmpty();
    }
}
