package org.copyoffload.server.scsi;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.copyoffload.protocol.scsi.BlockDeviceCharacteristics;
import org.copyoffload.protocol.scsi.BlockLimits;
import org.copyoffload.protocol.scsi.CheckCondition;
import org.copyoffload.protocol.scsi.DeviceIdentification;
import org.copyoffload.protocol.scsi.DeviceIdentification.Designator;
import org.copyoffload.protocol.scsi.ExtendedInquiryData;
import org.copyoffload.protocol.scsi.InquiryCdb;
import org.copyoffload.protocol.scsi.LogicalBlockProvisioning;
import org.copyoffload.protocol.scsi.StandardInquiryData;
import org.copyoffload.protocol.scsi.SupportedVpdPages;
import org.copyoffload.protocol.scsi.UnitSerialNumber;
import org.copyoffload.protocol.scsi.VpdPage;
import org.copyoffload.protocol.scsi.ZonedBlockDeviceCharacteristics;

/** INQUIRY (SPC-5 6.7): the standard data and the vital product data pages. */
final class InquiryCommands {
    static final String VENDOR = "COPYOFFL";
    static final String PRODUCT = "copyoffload";
    static final String REVISION = "0.1";
    /**
     * The company id of the NAA 6h designator. The project has no IEEE OUI, so this is a CID-style value with the
     * local (X) bit set: it cannot collide with a registered company's identifiers.
     */
    static final int NAA_COMPANY_ID = 0x02C00F;
    /** All target ports are in one target port group (no asymmetric access: TPGS is 00b). */
    static final int TARGET_PORT_GROUP = 1;
    /** Most VPD pages any logical unit here returns; the supported-pages list is built from these codes. */
    static final List<Integer> VPD_PAGES = List.of(VpdPage.SUPPORTED_VPD_PAGES, VpdPage.UNIT_SERIAL_NUMBER,
            VpdPage.DEVICE_IDENTIFICATION, VpdPage.EXTENDED_INQUIRY_DATA, VpdPage.THIRD_PARTY_COPY,
            VpdPage.BLOCK_LIMITS, VpdPage.BLOCK_DEVICE_CHARACTERISTICS, VpdPage.LOGICAL_BLOCK_PROVISIONING);
    /**
     * The VPD pages of a host managed zoned logical unit: Zoned Block Device Characteristics instead of Logical
     * Block Provisioning (no UNMAP, LBPME = 0).
     */
    static final List<Integer> ZONED_VPD_PAGES = List.of(VpdPage.SUPPORTED_VPD_PAGES, VpdPage.UNIT_SERIAL_NUMBER,
            VpdPage.DEVICE_IDENTIFICATION, VpdPage.EXTENDED_INQUIRY_DATA, VpdPage.THIRD_PARTY_COPY,
            VpdPage.BLOCK_LIMITS, VpdPage.BLOCK_DEVICE_CHARACTERISTICS, VpdPage.ZONED_BLOCK_DEVICE_CHARACTERISTICS);

    private InquiryCommands() {
    }

    /**
     * VERSION 06h (SPC-4) although the commands follow SPC-5: libiscsi's Inquiry.Standard fails any VERSION but
     * 0, 4, 5 and 6. HISUP (hierarchical LUNs), CMDQUE (tagged commands), 3PC (EXTENDED COPY (LID1) and RECEIVE
     * COPY RESULTS, SPC-4 6.4),
     * no protection information, no ALUA. Version descriptors: SAM-5, iSCSI, SPC-4, SBC-3 (SBC-3's code is how
     * libiscsi learns the unit speaks READ CAPACITY (16) and the 3Ch Block Limits page).
     */
    static StandardInquiryData standardData(int peripheral) {
        return new StandardInquiryData(peripheral, false, 0x06, true, 0, true, false, true, VENDOR, PRODUCT,
                REVISION, List.of(StandardInquiryData.VERSION_SAM_5, StandardInquiryData.VERSION_ISCSI,
                StandardInquiryData.VERSION_SPC_4, StandardInquiryData.VERSION_SBC_3));
    }

    /**
     * INQUIRY. With EVPD clear, PAGE CODE must be zero (INVALID FIELD IN CDB). At a LUN with no logical unit the
     * data says so: PERIPHERAL QUALIFIER 011b, type 1Fh, and only the supported-pages page exists.
     */
    static CompletableFuture<ScsiResponse> inquiry(Request r) {
        InquiryCdb c = InquiryCdb.decode(r.cdb());
        LogicalUnit u = r.unit();
        int peripheral = u == null ? StandardInquiryData.NO_LOGICAL_UNIT : peripheral(u);
        if (!c.evpd()) {
            if (c.pageCode() != 0) {
                throw CheckCondition.invalidField(InquiryCdb.PAGE_CODE, c.pageCode(), "EVPD is zero");
            }
            return Responses.dataIn(standardData(peripheral).encode(), c.allocationLength());
        }
        VpdPage page = u == null
                ? (c.pageCode() == VpdPage.SUPPORTED_VPD_PAGES ? new SupportedVpdPages(List.of(0)) : null)
                : vpdPage(r, u, c.pageCode());
        if (page == null) {
            throw CheckCondition.invalidField(InquiryCdb.PAGE_CODE, c.pageCode(), "VPD page not supported");
        }
        return Responses.dataIn(page.encode(peripheral), c.allocationLength());
    }

    /** PERIPHERAL DEVICE TYPE 00h, or 14h for a host managed zoned unit (ZBC-2; Linux's TYPE_ZBC). */
    static int peripheral(LogicalUnit u) {
        return u.isZoned() ? StandardInquiryData.HOST_MANAGED_ZONED_BLOCK_DEVICE
                : StandardInquiryData.DIRECT_ACCESS_BLOCK_DEVICE;
    }

    static VpdPage vpdPage(Request r, LogicalUnit u, int code) {
        if (u.isZoned()) {
            switch (code) {
                case VpdPage.SUPPORTED_VPD_PAGES -> {
                    return new SupportedVpdPages(ZONED_VPD_PAGES);
                }
                case VpdPage.LOGICAL_BLOCK_PROVISIONING -> {
                    return null;
                }
                // URSWRZ: Linux's sd_zbc refuses a host managed disk without it. Reads are unrestricted here.
                // The optimal counts concern sequential write preferred zones, which there are none of.
                case VpdPage.ZONED_BLOCK_DEVICE_CHARACTERISTICS -> {
                    long maxOpen = u.zones().limits().maxOpen();
                    return new ZonedBlockDeviceCharacteristics(true, ZonedBlockDeviceCharacteristics.NOT_REPORTED,
                            ZonedBlockDeviceCharacteristics.NOT_REPORTED, maxOpen >= ZonedBlockDeviceCharacteristics.NOT_REPORTED
                                    ? ZonedBlockDeviceCharacteristics.NOT_REPORTED : maxOpen);
                }
                default -> { }
            }
        }
        Limits limits = u.limits();
        int blockSize = u.blockSize();
        // The filesystem block behind the sparse file: transfers and unmaps aligned to it avoid partial blocks.
        long granularity = Math.max(1, 4096 / blockSize);
        return switch (code) {
            case VpdPage.SUPPORTED_VPD_PAGES -> new SupportedVpdPages(VPD_PAGES);
            case VpdPage.UNIT_SERIAL_NUMBER -> new UnitSerialNumber(u.serial());
            case VpdPage.DEVICE_IDENTIFICATION -> deviceIdentification(r.nexus(), u);
            case VpdPage.THIRD_PARTY_COPY -> ThirdPartyCopyCommands.vpdPage(r.target());
            // SIMPSUP only: commands run concurrently as they arrive, with no ordering for ORDERED or HEAD OF
            // QUEUE; V_SUP: there is a volatile cache (the page cache) that SYNCHRONIZE CACHE flushes.
            case VpdPage.EXTENDED_INQUIRY_DATA -> new ExtendedInquiryData(false, false, true, true, false, 0);
            case VpdPage.BLOCK_LIMITS -> new BlockLimits(true, limits.maxCompareAndWriteBlocks(blockSize),
                    (int) granularity, limits.maxTransferBlocks(blockSize), limits.maxTransferBlocks(blockSize), 0,
                    limits.maxUnmapLbaCount(), limits.maxUnmapDescriptors(), granularity, -1,
                    limits.maxWriteSameBlocks());
            case VpdPage.BLOCK_DEVICE_CHARACTERISTICS ->
                    new BlockDeviceCharacteristics(BlockDeviceCharacteristics.NON_ROTATING, 0, 0, true);
            case VpdPage.LOGICAL_BLOCK_PROVISIONING -> new LogicalBlockProvisioning(0, true, true, true, 0b001, false,
                    LogicalBlockProvisioning.THIN_PROVISIONED);
            default -> null;
        };
    }

    /**
     * The designators of the logical unit itself (association 00b) in its Device Identification page: what an
     * EXTENDED COPY identification CSCD descriptor may name it by, whatever port the command came through.
     */
    static List<Designator> logicalUnitDesignators(LogicalUnit u) {
        return List.of(Designator.naaRegisteredExtended(NAA_COMPANY_ID, u.naaVendorSpecific()),
                Designator.t10VendorId(VENDOR, u.serial()));
    }

    /**
     * Device Identification (SPC-5 7.7.6): for the logical unit an NAA 6h designator and a T10 vendor ID one; for
     * the target port the command came through its relative port identifier, its target port group and its SCSI
     * name string ({@code iqn...,t,0x<TPGT>}); for the target device its name.
     */
    static DeviceIdentification deviceIdentification(ItNexus nexus, LogicalUnit u) {
        List<Designator> designators = new ArrayList<>(logicalUnitDesignators(u));
        OptionalInt iscsi = OptionalInt.of(Designator.PROTOCOL_ISCSI);
        designators.add(Designator.relativeTargetPort(Designator.PROTOCOL_ISCSI, nexus.relativeTargetPortId()));
        designators.add(Designator.targetPortGroup(TARGET_PORT_GROUP));
        designators.add(Designator.scsiNameString(Designator.ASSOCIATION_TARGET_PORT, iscsi, nexus.targetPortName()));
        designators.add(Designator.scsiNameString(Designator.ASSOCIATION_TARGET_DEVICE, iscsi, u.targetName()));
        return new DeviceIdentification(designators);
    }
}
