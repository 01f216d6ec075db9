package org.copyoffload.server.nvme;

/**
 * Completion dword 0 of Connect Invalid Parameters (NVMe-oF 1.1, Figure 22): IATTR says whether the bad
 * field is in the command (0) or its data (1); IPO is the field's byte offset.
 */
final class ConnectInvalidParameter {
    private ConnectInvalidParameter() {
    }

    static int inCommand(int offset) {
        return offset << 16;
    }

    static int inData(int offset) {
        return (offset << 16) | 1;
    }
}
