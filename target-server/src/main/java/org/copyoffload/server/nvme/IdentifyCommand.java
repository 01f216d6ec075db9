package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyController;
import org.copyoffload.protocol.nvme.identify.NamespaceIdDescriptor;

/** Identify (NVMe Base 2.1, 5.1.13): every CNS this target serves, for the NVM command set. */
final class IdentifyCommand {
    static final String FIRMWARE_REVISION = "0.1.0";
    private static final int NSID_BROADCAST = 0xFFFFFFFF;

    private final NvmeTarget target;

    IdentifyCommand(NvmeTarget target) {
        this.target = target;
    }

    CommandResult execute(NvmeController c, NvmeRequest r) {
        r.requireTransferLength(Cns.STRUCTURE_SIZE);
        int cns = r.sqe().cdw10() & 0xFF;
        int csi = r.sqe().cdw11() >>> 24;
        int nsid = r.nsid();
        NvmeSubsystem s = c.subsystem();
        if (s.isDiscovery() && cns != Cns.CONTROLLER) {
            throw invalid("CNS " + cns + " on a discovery controller");
        }
        ByteBuf data = switch (cns) {
            case Cns.CONTROLLER -> controller(c).encode();
            case Cns.NAMESPACE -> namespace(s, nsid);
            case Cns.ACTIVE_NAMESPACE_LIST -> activeList(s, nsid, -1);
            case Cns.NAMESPACE_ID_DESCRIPTORS -> NamespaceIdDescriptor.encodeList(activeNamespace(s, nsid).descriptors());
            case Cns.IO_COMMAND_SET_NAMESPACE -> {
                // As QEMU: the NVM command set structure for any namespace (a zoned one supports the NVM
                // commands too), the ZNS structure for a zoned namespace only.
                NvmeNamespace ns = activeNamespace(s, nsid);
                if (csi == Cns.CSI_NVM) {
                    yield zeroed();
                }
                if (csi != Cns.CSI_ZONED || !ns.isZoned()) {
                    throw invalid("CSI " + csi + " for namespace " + nsid + " of command set " + ns.commandSet());
                }
                yield ns.identifyZoned();
            }
            case Cns.IO_COMMAND_SET_CONTROLLER -> switch (csi) {
                case Cns.CSI_NVM -> nvmController();
                case Cns.CSI_ZONED -> {
                    if (!s.zonedSupported()) {
                        throw invalid("CSI " + csi + ": no zoned namespace in this subsystem");
                    }
                    yield zonedController();
                }
                default -> throw invalid("CSI " + csi + " not supported");
            };
            case Cns.IO_COMMAND_SET_ACTIVE_NAMESPACE_LIST -> {
                if (csi != Cns.CSI_NVM && !(csi == Cns.CSI_ZONED && s.zonedSupported())) {
                    throw invalid("CSI " + csi + " not supported");
                }
                // CSI NVM: every namespace (zoned ones support the NVM commands too, as QEMU lists them).
                yield activeList(s, nsid, csi == Cns.CSI_NVM ? -1 : csi);
            }
            case Cns.IO_COMMAND_SET_INDEPENDENT_NAMESPACE -> independentNamespace(s, nsid);
            case Cns.IO_COMMAND_SET_DATA_STRUCTURE -> commandSetCombinations(s.zonedSupported());
            default -> throw invalid("CNS 0x" + Integer.toHexString(cns) + " not supported");
        };
        return CommandResult.data(data);
    }

    IdentifyController controller(NvmeController c) {
        NvmeSubsystem s = c.subsystem();
        TargetSettings t = target.settings();
        boolean discovery = s.isDiscovery();
        int oncs = discovery ? 0 : IdentifyController.ONCS_COMPARE | IdentifyController.ONCS_DATASET_MANAGEMENT
                | IdentifyController.ONCS_WRITE_ZEROES | IdentifyController.ONCS_VERIFY
                | (s.copySupported() ? IdentifyController.ONCS_COPY : 0);
        int lpa = IdentifyController.LPA_COMMANDS_SUPPORTED_AND_EFFECTS | IdentifyController.LPA_EXTENDED_DATA;
        // SGLS: bit 0 SGLs without alignment, bit 20 offsets in SGL data blocks (in-capsule data),
        // bit 21 transport SGL data blocks (data moved by C2HData/H2CData).
        int sgls = 1 | (1 << 20) | (1 << 21);
        return new IdentifyController(0, 0, s.serial(), s.model(), FIRMWARE_REVISION,
                6, 0, discovery ? 0 : 0x2, discovery ? 0 : t.mdts(), c.cntlid(), s.version().register(), 0,
                IdentifyController.CTRATT_HOST_ID_128, discovery ? IdentifyController.CNTRLTYPE_DISCOVERY
                        : IdentifyController.CNTRLTYPE_IO,
                0, 3, NvmeController.AERL, 0x3, lpa, ErrorLog.ENTRIES - 1, 0, 343, 373, 1,
                0x66, 0x44, t.maxQueueEntries(), s.maxNsid(), oncs, 0, 0, discovery ? 0 : 0x7, 0, 0,
                s.copyFormatsSupported(), sgls, 0, s.nqn(), t.ioccsz(), 1, 0, 0, 1, 1);
    }

    private ByteBuf namespace(NvmeSubsystem s, int nsid) {
        if (nsid == 0 || nsid == NSID_BROADCAST || Integer.compareUnsigned(nsid, s.maxNsid()) > 0) {
            throw new NvmeCommandException(StatusCode.INVALID_NAMESPACE_OR_FORMAT,
                    "NSID " + Integer.toUnsignedString(nsid) + " is not a valid namespace");
        }
        NvmeNamespace ns = s.namespace(nsid);
        if (ns == null) {
            return zeroed();
        }
        return ns.identify(used(ns), s.copySupported()).encode();
    }

    private static long used(NvmeNamespace ns) {
        try {
            return ns.volume().store().allocatedBytes();
        } catch (IOException e) {
            return ns.volume().store().size();
        }
    }

    private static NvmeNamespace activeNamespace(NvmeSubsystem s, int nsid) {
        NvmeNamespace ns = s.namespace(nsid);
        if (ns == null) {
            throw new NvmeCommandException(StatusCode.INVALID_NAMESPACE_OR_FORMAT,
                    "NSID " + Integer.toUnsignedString(nsid) + " is not an active namespace");
        }
        return ns;
    }

    /** Active NSIDs greater than {@code after}, ascending, at most 1024 (5.1.13.2.2). */
    private static ByteBuf activeList(NvmeSubsystem s, int after, int csi) {
        if (after == 0xFFFFFFFE || after == NSID_BROADCAST) {
            throw new NvmeCommandException(StatusCode.INVALID_NAMESPACE_OR_FORMAT,
                    "NSID " + Integer.toUnsignedString(after) + " cannot start an active namespace list");
        }
        ByteBuf b = zeroed();
        int i = 0;
        for (NvmeNamespace ns : s.namespaces()) {
            if (Integer.compareUnsigned(ns.nsid(), after) > 0 && (csi < 0 || ns.commandSet() == csi) && i < 1024) {
                b.setIntLE(4 * i++, ns.nsid());
            }
        }
        return b;
    }

    /** The NVM command set's Identify Controller (NVM Command Set 1.1, 4.1.5.2): no size limits beyond MDTS. */
    private static ByteBuf nvmController() {
        ByteBuf b = zeroed();
        b.setByte(3, 0); // DMRL: no limit beyond the 256 ranges of one command
        return b;
    }

    /**
     * The Zoned Namespace Command Set's Identify Controller (ZNS 1.1, Figure 49): ZASL 0, so Zone Append is
     * limited by MDTS only.
     */
    private static ByteBuf zonedController() {
        ByteBuf b = zeroed();
        b.setByte(0, 0); // ZASL
        return b;
    }

    /** I/O Command Set Independent Identify Namespace (5.1.13.2.x, Figure 319). */
    private ByteBuf independentNamespace(NvmeSubsystem s, int nsid) {
        if (nsid == 0 || nsid == NSID_BROADCAST || Integer.compareUnsigned(nsid, s.maxNsid()) > 0) {
            throw new NvmeCommandException(StatusCode.INVALID_NAMESPACE_OR_FORMAT,
                    "NSID " + Integer.toUnsignedString(nsid) + " is not a valid namespace");
        }
        ByteBuf b = zeroed();
        NvmeNamespace ns = s.namespace(nsid);
        if (ns != null) {
            b.setByte(0, 1);   // NSFEAT: thin provisioning
            b.setByte(1, 1);   // NMIC: may be shared
            b.setByte(14, 1);  // NSTAT: namespace ready
        }
        return b;
    }

    /**
     * I/O Command Set data structure (5.1.13.2.x): one combination, index 0, with the NVM command set, and the
     * Zoned Namespace command set (bit 2) when the subsystem has a zoned namespace.
     */
    private static ByteBuf commandSetCombinations(boolean zoned) {
        ByteBuf b = zeroed();
        b.setLongLE(0, (1L << Cns.CSI_NVM) | (zoned ? 1L << Cns.CSI_ZONED : 0));
        return b;
    }

    private static ByteBuf zeroed() {
        ByteBuf b = Unpooled.buffer(Cns.STRUCTURE_SIZE);
        b.writeZero(Cns.STRUCTURE_SIZE);
        return b;
    }

    private static NvmeCommandException invalid(String reason) {
        return new NvmeCommandException(StatusCode.INVALID_FIELD_IN_COMMAND, reason);
    }
}
