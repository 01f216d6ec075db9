package org.copyoffload.server.nvme;

/**
 * Completion dword 0 of Connect Invalid Parameters (NVMe-oF 1.1, 3.3, Figure 21): IPO, the byte offset of the
 * bad field, in bits 15:00 and IATTR in bits 23:16, whose bit 0 says the field is in the Connect data (1) or
 * in the SQE (0). The Linux host decodes it this way and prints the field's name.
 */
public final class ConnectInvalidParameter {
    private ConnectInvalidParameter() {
    }

    public static int inCommand(int offset) {
        return offset;
    }

    public static int inData(int offset) {
        return (1 << 16) | offset;
    }
}
