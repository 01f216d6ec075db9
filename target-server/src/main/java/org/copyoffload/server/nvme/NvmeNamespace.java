package org.copyoffload.server.nvme;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.copyoffload.protocol.nvme.identify.Cns;
import org.copyoffload.protocol.nvme.identify.IdentifyNamespace;
import org.copyoffload.protocol.nvme.identify.LbaFormat;
import org.copyoffload.protocol.nvme.identify.NamespaceIdDescriptor;
import org.copyoffload.server.config.ServerConfig;
import org.copyoffload.server.volume.Volume;

/**
 * One namespace of a subsystem: a volume seen through one NSID. Its identifiers (UUID, NGUID, EUI-64) are
 * derived from the subsystem NQN and NSID, so they are stable across restarts and unique across subsystems.
 */
public final class NvmeNamespace {
    private final int nsid;
    private final Volume volume;
    private final UUID uuid;
    private final byte[] nguid;
    private final byte[] eui64;
    private final ServerConfig.CopyLimits copyLimits;

    public NvmeNamespace(String subsystemNqn, int nsid, Volume volume) {
        this(subsystemNqn, nsid, volume, ServerConfig.CopyLimits.DEFAULT);
    }

    public NvmeNamespace(String subsystemNqn, int nsid, Volume volume, ServerConfig.CopyLimits copyLimits) {
        this.nsid = nsid;
        this.volume = volume;
        this.copyLimits = copyLimits;
        this.uuid = UUID.nameUUIDFromBytes((subsystemNqn + "/" + nsid).getBytes(StandardCharsets.UTF_8));
        ByteBuffer b = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        this.nguid = b.array();
        this.eui64 = new byte[8];
        System.arraycopy(nguid, 8, eui64, 0, 8);
    }

    public int nsid() {
        return nsid;
    }

    public Volume volume() {
        return volume;
    }

    public int blockSize() {
        return volume.blockSize();
    }

    public long blockCount() {
        return volume.blockCount();
    }

    public UUID uuid() {
        return uuid;
    }

    public ServerConfig.CopyLimits copyLimits() {
        return copyLimits;
    }

    /** Protection information format: none here (Identify Namespace DPS 0), so Copy takes formats 0h and 2h. */
    public boolean hasProtectionInformation() {
        return false;
    }

    public int commandSet() {
        return isZoned() ? Cns.CSI_ZONED : Cns.CSI_NVM;
    }

    public boolean isZoned() {
        return volume.zoned() != null;
    }

    /** The zones of a zoned namespace; null for a conventional one. */
    public org.copyoffload.server.volume.ZonedVolume zones() {
        return volume.zoned();
    }

    /**
     * The Zoned Namespace Command Set's I/O Command Set specific Identify Namespace (ZNS 1.1, Figure 48): no zone
     * operation characteristics (ZOC 0), OZCS RAZB when reads may cross zones (cross-zone-read), MAR/MOR 0's
     * based, and for the one LBA format ZSZE in logical blocks with no zone descriptor extension (ZDES 0).
     */
    io.netty.buffer.ByteBuf identifyZoned() {
        io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer(Cns.STRUCTURE_SIZE);
        b.writeZero(Cns.STRUCTURE_SIZE);
        var zones = volume.zoned();
        b.setShortLE(0, 0);                                   // ZOC
        b.setShortLE(2, zones.crossZoneRead() ? 1 : 0);       // OZCS: bit 0 RAZB, Read Across Zone Boundaries
        b.setIntLE(4, (int) zones.limits().mar());            // MAR
        b.setIntLE(8, (int) zones.limits().mor());            // MOR
        b.setLongLE(ZNS_LBAFE_OFFSET, zones.geometry().zoneSize()); // LBAFE[0].ZSZE
        b.setByte(ZNS_LBAFE_OFFSET + 8, 0);                   // LBAFE[0].ZDES
        return b;
    }

    /** Byte offset of the LBA Format Extension list in the ZNS Identify Namespace. */
    static final int ZNS_LBAFE_OFFSET = 2816;

    /** Identify Namespace; the Copy limits are reported only where the controller supports Copy. */
    IdentifyNamespace identify(long usedBytes, boolean copySupported) {
        long nsze = blockCount();
        long nuse = Math.min(nsze, (usedBytes + blockSize() - 1) / blockSize());
        return new IdentifyNamespace(nsze, nsze, nuse, IdentifyNamespace.NSFEAT_THIN_PROVISIONING, 0, 0, 0, 0,
                // NMIC bit 0: several controllers (hosts) may attach the namespace at once.
                1, 0, IdentifyNamespace.DLFEAT_READ_ZEROES | IdentifyNamespace.DLFEAT_WRITE_ZEROES_DEALLOCATES,
                0, 0, 0, 0, 0, 0, 0, 0,
                copySupported ? copyLimits.mssrl() : 0, copySupported ? copyLimits.mcl() : 0, copySupported ? copyLimits.msrc() : 0,
                0, 0, 0, nguid, eui64, List.of(LbaFormat.ofBlockSize(blockSize())));
    }

    List<NamespaceIdDescriptor> descriptors() {
        ByteBuffer u = ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        return List.of(new NamespaceIdDescriptor(NamespaceIdDescriptor.EUI64, eui64),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.NGUID, nguid),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.UUID, u.array()),
                new NamespaceIdDescriptor(NamespaceIdDescriptor.CSI, new byte[] {(byte) commandSet()}));
    }
}
