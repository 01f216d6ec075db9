package org.copyoffload.protocol.nvme;

/** Which way a command's data moves (NVMe Base 2.1, 5.1: opcode bits 1:0). */
public enum DataDirection {
    NONE, HOST_TO_CONTROLLER, CONTROLLER_TO_HOST, BIDIRECTIONAL;

    static DataDirection fromBits(int bits) {
        return values()[bits & 0x3];
    }
}
