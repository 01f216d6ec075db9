package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.log.CommandEffects;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.log.GetLogPageCommand;
import org.copyoffload.protocol.nvme.log.LogPageId;

/**
 * Get Log Page (NVMe Base 2.1, 5.1.12): builds the whole page, then returns the bytes the host asked for
 * (offset and length), zero-filled past the page's end.
 */
final class LogPages {
    private static final int CHANGED_NAMESPACE_LIST_SIZE = 4096;

    private final NvmeTarget target;

    LogPages(NvmeTarget target) {
        this.target = target;
    }

    CommandResult execute(NvmeController c, NvmeRequest r) {
        GetLogPageCommand cmd = GetLogPageCommand.from(r.sqe());
        r.requireTransferLength(cmd.lengthBytes());
        if (cmd.lengthBytes() > target.settings().maxTransferBytes()) {
            throw invalid("log page transfer of " + cmd.lengthBytes() + " bytes exceeds MDTS");
        }
        if ((cmd.offset() & 3) != 0) {
            throw invalid("log page offset " + cmd.offset() + " is not dword aligned");
        }
        boolean discovery = c.subsystem().isDiscovery();
        ByteBuf page;
        if (discovery) {
            if (cmd.lid() != LogPageId.DISCOVERY) {
                throw new NvmeCommandException(StatusCode.INVALID_LOG_PAGE, "log page 0x" + Integer.toHexString(cmd.lid())
                        + " on a discovery controller");
            }
            page = discoveryLog(c);
        } else {
            page = switch (cmd.lid()) {
                case LogPageId.SUPPORTED_LOG_PAGES -> supportedLogPages();
                case LogPageId.ERROR_INFORMATION -> c.errorLog().encode();
                case LogPageId.SMART_HEALTH -> {
                    if (r.nsid() != 0 && r.nsid() != 0xFFFFFFFF) {
                        throw invalid("SMART / Health is kept per subsystem, not for NSID " + Integer.toUnsignedString(r.nsid()));
                    }
                    // The counters are the subsystem's; the thresholds are those this controller's host set.
                    // Crossing one sends no SMART / Health asynchronous event: this target generates none.
                    int warning = c.features().temperatureThresholdCrossed(HealthCounters.TEMPERATURE_KELVIN)
                            ? HealthCounters.CRITICAL_WARNING_TEMPERATURE : 0;
                    yield c.health().encode(c.errorLog().count(), warning);
                }
                case LogPageId.FIRMWARE_SLOT -> firmwareSlots();
                case LogPageId.CHANGED_NAMESPACE_LIST -> zeroed(CHANGED_NAMESPACE_LIST_SIZE);
                case LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS -> commandEffects(cmd.csi(), c.subsystem().copySupported(),
                        c.subsystem().zonedSupported());
                default -> throw new NvmeCommandException(StatusCode.INVALID_LOG_PAGE,
                        "log page 0x" + Integer.toHexString(cmd.lid()) + " not supported");
            };
        }
        try {
            if (cmd.offset() >= page.readableBytes() && cmd.offset() > 0) {
                throw invalid("offset " + cmd.offset() + " is past the " + page.readableBytes() + "-byte log page");
            }
            int length = (int) cmd.lengthBytes();
            ByteBuf out = Unpooled.buffer(length);
            int from = (int) cmd.offset();
            int available = Math.max(0, Math.min(length, page.readableBytes() - from));
            out.writeBytes(page, from, available);
            out.writeZero(length - available);
            return CommandResult.data(out);
        } finally {
            page.release();
        }
    }

    private static ByteBuf supportedLogPages() {
        ByteBuf b = zeroed(1024);
        for (int lid : new int[] {LogPageId.SUPPORTED_LOG_PAGES, LogPageId.ERROR_INFORMATION, LogPageId.SMART_HEALTH,
                LogPageId.FIRMWARE_SLOT, LogPageId.CHANGED_NAMESPACE_LIST, LogPageId.COMMANDS_SUPPORTED_AND_EFFECTS}) {
            b.setIntLE(lid * 4, 1);
        }
        return b;
    }

    /** Firmware Slot Information (5.1.12.1.4): slot 1 active, read-only, holding this build. */
    private static ByteBuf firmwareSlots() {
        ByteBuf b = zeroed(512);
        b.setByte(0, 1);
        byte[] fr = String.format("%-8s", IdentifyCommand.FIRMWARE_REVISION).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        b.setBytes(8, fr);
        return b;
    }

    /** Commands Supported and Effects, for the admin set and the I/O command set named by CSI. */
    static ByteBuf commandEffects(int csi, boolean copy, boolean zoned) {
        Map<Integer, Integer> admin = new LinkedHashMap<>();
        for (AdminOpcode op : AdminOpcode.values()) {
            admin.put(op.code(), CommandEffects.CSUPP);
        }
        Map<Integer, Integer> io = new LinkedHashMap<>();
        if (csi == Cns.CSI_NVM || (csi == Cns.CSI_ZONED && zoned)) {
            int change = CommandEffects.CSUPP | CommandEffects.LBCC;
            io.put(NvmOpcode.FLUSH.code(), CommandEffects.CSUPP);
            io.put(NvmOpcode.WRITE.code(), change);
            io.put(NvmOpcode.READ.code(), CommandEffects.CSUPP);
            io.put(NvmOpcode.COMPARE.code(), CommandEffects.CSUPP);
            io.put(NvmOpcode.WRITE_ZEROES.code(), change);
            io.put(NvmOpcode.DATASET_MANAGEMENT.code(), change);
            io.put(NvmOpcode.VERIFY.code(), CommandEffects.CSUPP);
            if (copy) {
                io.put(NvmOpcode.COPY.code(), change);
            }
            if (csi == Cns.CSI_ZONED) {
                io.put(NvmOpcode.ZONE_MANAGEMENT_SEND.code(), change);
                io.put(NvmOpcode.ZONE_MANAGEMENT_RECEIVE.code(), CommandEffects.CSUPP);
                io.put(NvmOpcode.ZONE_APPEND.code(), change);
            }
        }
        return CommandEffects.encode(admin, io);
    }

    /**
     * The discovery log (NVMe-oF 1.1, 5.3): one entry per listener for every subsystem this host may reach,
     * plus the discovery subsystem itself on each listener.
     */
    private ByteBuf discoveryLog(NvmeController c) {
        List<DiscoveryLogEntry> entries = new ArrayList<>();
        int asqsz = target.settings().maxQueueEntries();
        for (AdvertisedListener l : target.listeners()) {
            // TREQ as nvmet sends it: the secure channel requirement (not specified without TLS), SQ flow control may
            // be disabled; TSAS SECTYPE names TLS 1.3 on a TLS listener (NVMe/TCP Transport 1.1, 7.4.2).
            int treq = DiscoveryLogEntry.TREQ_DISABLE_SQ_FLOW_CONTROL | (!l.tls() ? 0
                    : l.tlsRequired() ? DiscoveryLogEntry.TREQ_REQUIRED : DiscoveryLogEntry.TREQ_NOT_REQUIRED);
            int sectype = l.tls() ? DiscoveryLogEntry.SECTYPE_TLS13 : DiscoveryLogEntry.SECTYPE_NONE;
            int adrfam = l.ipv6() ? DiscoveryLogEntry.ADRFAM_IPV6 : DiscoveryLogEntry.ADRFAM_IPV4;
            for (NvmeSubsystem s : target.subsystems()) {
                if (s.allows(c.hostNqn())) {
                    entries.add(new DiscoveryLogEntry(DiscoveryLogEntry.TRTYPE_TCP, adrfam, DiscoveryLogEntry.SUBTYPE_NVM,
                            treq, l.portId(), 0xFFFF, asqsz, 0, Integer.toString(l.port()), s.nqn(), l.address(), sectype));
                }
            }
            entries.add(new DiscoveryLogEntry(DiscoveryLogEntry.TRTYPE_TCP, adrfam,
                    DiscoveryLogEntry.SUBTYPE_CURRENT_DISCOVERY, treq, l.portId(), 0xFFFF, asqsz, 0,
                    Integer.toString(l.port()), c.subsystem().nqn(), l.address(), sectype));
        }
        return new DiscoveryLogPage(target.discoveryGeneration(), entries).encode();
    }

    private static ByteBuf zeroed(int size) {
        ByteBuf b = Unpooled.buffer(size);
        b.writeZero(size);
        return b;
    }

    private static NvmeCommandException invalid(String reason) {
        return new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND, reason);
    }
}
