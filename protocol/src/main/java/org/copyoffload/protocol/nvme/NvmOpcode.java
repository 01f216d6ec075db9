package org.copyoffload.protocol.nvme;

import java.util.Optional;

/** I/O command opcodes of the NVM (NVM Command Set 1.1, Figure 18) and Zoned Namespace (ZNS 1.2) command sets. */
public enum NvmOpcode {
    FLUSH(0x00),
    WRITE(0x01),
    READ(0x02),
    COMPARE(0x05),
    WRITE_ZEROES(0x08),
    DATASET_MANAGEMENT(0x09),
    VERIFY(0x0C),
    COPY(0x19),
    ZONE_MANAGEMENT_SEND(0x79),
    ZONE_MANAGEMENT_RECEIVE(0x7A),
    ZONE_APPEND(0x7D);

    private static final NvmOpcode[] BY_CODE = new NvmOpcode[256];

    static {
        for (NvmOpcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    NvmOpcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<NvmOpcode> lookup(int code) {
        return code >= 0 && code < 256 ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }
}
