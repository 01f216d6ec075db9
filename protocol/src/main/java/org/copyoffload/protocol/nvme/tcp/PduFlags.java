package org.copyoffload.protocol.nvme.tcp;

/** Bits of the common header's FLAGS byte (NVMe/TCP Transport 1.1, 3.6.1). */
public final class PduFlags {
    /** HDGSTF: a header digest follows the header. */
    public static final int HEADER_DIGEST = 0x01;
    /** DDGSTF: a data digest follows the data. */
    public static final int DATA_DIGEST = 0x02;
    /** LAST_PDU of a C2HData/H2CData sequence. */
    public static final int LAST_PDU = 0x04;
    /** SUCCESS on the last C2HData: the command completed and no CapsuleResp follows. */
    public static final int SUCCESS = 0x08;

    private PduFlags() {
    }
}
