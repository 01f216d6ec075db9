package org.copyoffload.protocol.nvme.log;

/** Log page identifiers (NVMe Base 2.1, Figure 202) served by this project. */
public final class LogPageId {
    public static final int SUPPORTED_LOG_PAGES = 0x00;
    public static final int ERROR_INFORMATION = 0x01;
    public static final int SMART_HEALTH = 0x02;
    public static final int FIRMWARE_SLOT = 0x03;
    public static final int CHANGED_NAMESPACE_LIST = 0x04;
    public static final int COMMANDS_SUPPORTED_AND_EFFECTS = 0x05;
    public static final int DISCOVERY = 0x70;

    private LogPageId() {
    }
}
