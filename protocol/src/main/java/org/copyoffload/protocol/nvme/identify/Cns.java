package org.copyoffload.protocol.nvme.identify;

/** Identify CNS values (NVMe Base 2.1, Figure 310) served by this project. */
public final class Cns {
    public static final int NAMESPACE = 0x00;
    public static final int CONTROLLER = 0x01;
    public static final int ACTIVE_NAMESPACE_LIST = 0x02;
    public static final int NAMESPACE_ID_DESCRIPTORS = 0x03;
    public static final int IO_COMMAND_SET_NAMESPACE = 0x05;
    public static final int IO_COMMAND_SET_CONTROLLER = 0x06;
    public static final int IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST = 0x07;
    public static final int IO_COMMAND_SET_INDEPENDENT_NAMESPACE = 0x08;
    public static final int IO_COMMAND_SET_DATA_STRUCTURE = 0x1C;

    /** Command Set Identifiers (Figure 311). */
    public static final int CSI_NVM = 0x00;
    public static final int CSI_ZONED = 0x02;

    public static final int STRUCTURE_SIZE = 4096;

    private Cns() {
    }
}
