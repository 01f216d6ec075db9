package org.copyoffload.protocol.nvme.copy;

import java.util.Optional;
import org.copyoffload.protocol.nvme.StatusCode;

/**
 * The Descriptor Format (DESFMT, Copy CDW12 bits 11:8) of the Source Range entries that a Copy command
 * carries as its data (NVM Command Set 1.1, Copy command; formats 2h and 3h come from TP4130, cross-namespace
 * copy, folded into NVMe 2.1).
 *
 * <ul>
 *   <li>0h: 32-byte entries for namespaces without protection information or with 16b Guard PI;
 *       the expected tags are a 32-bit reference/storage tag, application tag and mask.</li>
 *   <li>1h: 40-byte entries for 32b or 64b Guard PI; the reference/storage tag field is 80 bits wide.</li>
 *   <li>2h: like 0h plus a Source Namespace Identifier (bytes 3:0) and Source Options (bytes 23:22).</li>
 *   <li>3h: like 1h plus a Source Namespace Identifier and Source Options.</li>
 * </ul>
 *
 * <p>A controller advertises format n in bit n of the Optional Copy Formats Supported field (OCFS,
 * Identify Controller bytes 535:534). Formats 2h and 3h must in addition be enabled by the host in bit n of
 * the Copy Descriptor Formats Enable field (CDFE, bytes 5:4 of the Host Behavior Support feature, FID 16h);
 * QEMU 9.1+ rejects a format that fails either test with Invalid Field in Command and DNR.
 */
public enum CopyDescriptorFormat {
    FORMAT_0(0x0, 32, false, false),
    FORMAT_1(0x1, 40, false, true),
    FORMAT_2(0x2, 32, true, false),
    FORMAT_3(0x3, 40, true, true);

    /** Byte offset of OCFS in the Identify Controller data structure (2 bytes). */
    public static final int IDENTIFY_CONTROLLER_OCFS_OFFSET = 534;
    /** Byte offset of CDFE in the Host Behavior Support data structure (2 bytes, little-endian). */
    public static final int HOST_BEHAVIOR_CDFE_OFFSET = 4;
    /** The largest entry of any format, in bytes. */
    public static final int MAX_ENTRY_SIZE = 40;

    private static final CopyDescriptorFormat[] BY_CODE = values();

    private final int code;
    private final int entrySize;
    private final boolean namesSourceNamespace;
    private final boolean wideTags;

    CopyDescriptorFormat(int code, int entrySize, boolean namesSourceNamespace, boolean wideTags) {
        this.code = code;
        this.entrySize = entrySize;
        this.namesSourceNamespace = namesSourceNamespace;
        this.wideTags = wideTags;
    }

    /** The DESFMT value. */
    public int code() {
        return code;
    }

    /** Bytes per Source Range entry: 32 for 0h/2h, 40 for 1h/3h. */
    public int entrySize() {
        return entrySize;
    }

    /** Whether each entry names its source namespace (SNSID, bytes 3:0) and carries Source Options: 2h and 3h. */
    public boolean namesSourceNamespace() {
        return namesSourceNamespace;
    }

    /**
     * Whether the expected reference/storage tag is the 80-bit field of the 32b/64b Guard formats (1h, 3h,
     * bytes 35:26) rather than the 32-bit field of the 16b Guard formats (0h, 2h, bytes 27:24).
     */
    public boolean hasWideTags() {
        return wideTags;
    }

    /** The bit this format has in Identify Controller OCFS: bit n for format n. */
    public int ocfsBit() {
        return 1 << code;
    }

    /**
     * The bit the host must set in Host Behavior Support CDFE before using this format: bit n for format n
     * (2h and 3h only; QEMU tests {@code cdfe & (1 << format)} for those two). 0 for 0h and 1h, which need no
     * enabling.
     */
    public int cdfeBit() {
        return namesSourceNamespace ? 1 << code : 0;
    }

    /** Whether this format needs the host's CDFE bit as well as the controller's OCFS bit. */
    public boolean requiresHostEnable() {
        return namesSourceNamespace;
    }

    /** Whether the controller supports and (for 2h/3h) the host has enabled this format. */
    public boolean isEnabled(int ocfs, int cdfe) {
        return (ocfs & ocfsBit()) != 0 && (cdfe & cdfeBit()) == cdfeBit();
    }

    /**
     * Whether this format suits a destination namespace whose Protection Information Format is {@code pif}
     * (ELBAF PIF: 0 = 16b Guard, 1 = 32b Guard, 2 = 64b Guard). A namespace without protection information counts
     * as pif 0, as in QEMU. A mismatch is Invalid Format (010Ah) with DNR.
     */
    public boolean suitsGuardFormat(int pif) {
        return switch (pif) {
            case 0 -> !wideTags;
            case 1, 2 -> wideTags;
            default -> false;
        };
    }

    /** The format for a DESFMT value, or empty for the reserved values 4h-Fh. */
    public static Optional<CopyDescriptorFormat> lookup(int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.of(BY_CODE[code]) : Optional.empty();
    }

    /** The format for a DESFMT value; a reserved value is Invalid Field in Command with DNR. */
    public static CopyDescriptorFormat fromCode(int code) {
        return lookup(code).orElseThrow(() -> new CopyFieldException("DESFMT", code,
                "reserved descriptor format", StatusCode.INVALID_FIELD_IN_COMMAND.dnr()));
    }

    /** An OCFS value advertising the given formats. */
    public static int ocfsOf(CopyDescriptorFormat... formats) {
        int ocfs = 0;
        for (CopyDescriptorFormat f : formats) {
            ocfs |= f.ocfsBit();
        }
        return ocfs;
    }
}
