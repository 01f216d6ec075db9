package org.copyoffload.protocol.scsi;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;

/**
 * Third-party Copy VPD page (SPC-4 7.8.17): third-party copy descriptors, each a 2-byte DESCRIPTOR TYPE, a 2-byte
 * DESCRIPTOR LENGTH and its bytes padded to a multiple of four. A copy manager of EXTENDED COPY (LID1) reports
 * (SPC-4 Table 613's required set for it): Supported Commands (0001h), Parameter Data (0008h), Supported Descriptors
 * (0009h), Supported CSCD Descriptor IDs (000Ah) and General Copy Operations (8001h); one of token copy adds
 * {@link RodTokenLimits}'s three descriptors.
 *
 * @param commands service actions by operation code, each as implemented (libiscsi's
 *                 ReceiveCopyResults.CopyStatus looks for 84h with 00h here before it runs)
 * @param limits   what the Parameter Data, Supported Descriptors and General Copy Operations descriptors say
 * @param rodTokens for a copy manager of token copy: the Block Device ROD Token Limits (first: Windows looks for it
 *                  in a page of at least 24h bytes), ROD Token Features and Supported ROD Types descriptors
 */
public record ThirdPartyCopyVpdPage(Map<Integer, List<Integer>> commands, CopyManagerLimits limits,
                                    java.util.Optional<RodTokenLimits> rodTokens)
        implements VpdPage {
    public static final int SUPPORTED_COMMANDS = 0x0001;
    public static final int PARAMETER_DATA = 0x0004;
    public static final int SUPPORTED_DESCRIPTORS = 0x0008;
    public static final int SUPPORTED_CSCD_IDS = 0x000C;
    public static final int GENERAL_COPY_OPERATIONS = 0x8001;

    public ThirdPartyCopyVpdPage {
        // Ascending operation codes, for a stable page.
        commands = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(commands));
    }

    /** The page of a copy manager without token copy. */
    public ThirdPartyCopyVpdPage(Map<Integer, List<Integer>> commands, CopyManagerLimits limits) {
        this(commands, limits, java.util.Optional.empty());
    }

    /**
     * The Supported Commands descriptor (0001h) of an encoded page, header included: service actions by operation
     * code, as the copy manager lists them; empty if the page has no such descriptor. Other descriptors are skipped.
     *
     * @throws IllegalArgumentException naming the field and its value when the page is not 8Fh or a length runs past
     *                                  the bytes received
     */
    public static Map<Integer, List<Integer>> supportedCommands(byte[] page, int length) {
        if (length > page.length || length < 4) {
            throw new IllegalArgumentException("Third-party Copy VPD page of " + length + " bytes");
        }
        if ((page[1] & 0xFF) != THIRD_PARTY_COPY) {
            throw new IllegalArgumentException("PAGE CODE 0x" + Integer.toHexString(page[1] & 0xFF) + ", expected 8Fh");
        }
        int end = Math.min(length, 4 + Be.getShort(page, 2));
        Map<Integer, List<Integer>> commands = new java.util.TreeMap<>();
        for (int at = 4; at + 4 <= end; ) {
            int type = Be.getShort(page, at);
            int descriptorLength = Be.getShort(page, at + 2);
            int content = at + 4;
            if (content + descriptorLength > end) {
                throw new IllegalArgumentException("DESCRIPTOR LENGTH " + descriptorLength + " of descriptor 0x"
                        + Integer.toHexString(type) + " at byte " + at + " runs past the page's " + end + " bytes");
            }
            if (type == SUPPORTED_COMMANDS && descriptorLength > 0) {
                int listEnd = content + 1 + (page[content] & 0xFF);
                if (listEnd > content + descriptorLength) {
                    throw new IllegalArgumentException("COMMANDS SUPPORTED LIST LENGTH " + (page[content] & 0xFF)
                            + " runs past DESCRIPTOR LENGTH " + descriptorLength);
                }
                for (int c = content + 1; c < listEnd; ) {
                    if (c + 2 > listEnd || c + 2 + (page[c + 1] & 0xFF) > listEnd) {
                        throw new IllegalArgumentException("SERVICE ACTIONS LIST LENGTH of operation code 0x"
                                + Integer.toHexString(page[c] & 0xFF) + " at byte " + c
                                + " runs past COMMANDS SUPPORTED LIST LENGTH");
                    }
                    List<Integer> actions = new java.util.ArrayList<>();
                    for (int i = 0; i < (page[c + 1] & 0xFF); i++) {
                        actions.add(page[c + 2 + i] & 0xFF);
                    }
                    commands.computeIfAbsent(page[c] & 0xFF, k -> new java.util.ArrayList<>()).addAll(actions);
                    c += 2 + (page[c + 1] & 0xFF);
                }
            }
            at = content + descriptorLength;
        }
        return commands;
    }

    @Override
    public int pageCode() {
        return THIRD_PARTY_COPY;
    }

    @Override
    public byte[] payload() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        rodTokens.ifPresent(r -> descriptor(out, RodTokenLimits.BLOCK_DEVICE_ROD_TOKEN_LIMITS,
                r.blockDeviceRodTokenLimits()));
        // Supported Commands (SPC-4 7.8.17.3): COMMANDS SUPPORTED LIST LENGTH, then per command its operation code,
        // SERVICE ACTIONS LIST LENGTH and service actions.
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        commands.forEach((op, actions) -> {
            list.write(op);
            list.write(actions.size());
            actions.forEach(list::write);
        });
        byte[] supported = list.toByteArray();
        byte[] d = new byte[1 + supported.length];
        d[0] = (byte) supported.length;
        System.arraycopy(supported, 0, d, 1, supported.length);
        descriptor(out, SUPPORTED_COMMANDS, d);
        // Parameter Data (7.8.17.4): 4 reserved bytes, MAXIMUM CSCD DESCRIPTOR COUNT, MAXIMUM SEGMENT DESCRIPTOR
        // COUNT, MAXIMUM DESCRIPTOR LIST LENGTH, MAXIMUM INLINE DATA LENGTH, 12 reserved bytes.
        byte[] p = new byte[28];
        Be.putShort(p, 4, limits.maxCscdDescriptors());
        Be.putShort(p, 6, limits.maxSegmentDescriptors());
        Be.putInt(p, 8, (int) limits.maxDescriptorListLength());
        Be.putInt(p, 12, (int) limits.maxInlineDataLength());
        descriptor(out, PARAMETER_DATA, p);
        // Supported Descriptors (7.8.17.5): SUPPORTED DESCRIPTOR LIST LENGTH and the type codes.
        byte[] s = new byte[1 + limits.descriptorTypes().size()];
        s[0] = (byte) limits.descriptorTypes().size();
        for (int i = 0; i < limits.descriptorTypes().size(); i++) {
            s[1 + i] = (byte) (int) limits.descriptorTypes().get(i);
        }
        descriptor(out, SUPPORTED_DESCRIPTORS, s);
        // Supported CSCD Descriptor IDs (7.8.17.6): none of the special IDs (such as FFFFh for the copy manager's
        // own logical unit) is implemented, so the list is empty.
        descriptor(out, SUPPORTED_CSCD_IDS, new byte[2]);
        rodTokens.ifPresent(r -> {
            descriptor(out, RodTokenLimits.ROD_TOKEN_FEATURES, r.rodTokenFeatures());
            descriptor(out, RodTokenLimits.SUPPORTED_ROD_TYPES, r.supportedRodTypes());
        });
        // General Copy Operations (7.8.17.7): TOTAL CONCURRENT COPIES, MAXIMUM IDENTIFIED CONCURRENT COPIES,
        // MAXIMUM SEGMENT LENGTH, DATA SEGMENT GRANULARITY, INLINE DATA GRANULARITY, 18 reserved bytes (length 0020h).
        byte[] g = new byte[32];
        Be.putInt(g, 0, limits.totalConcurrentCopies());
        Be.putInt(g, 4, limits.maxConcurrentCopies());
        Be.putInt(g, 8, (int) limits.maxSegmentLength());
        g[12] = (byte) limits.dataSegmentGranularity();
        g[13] = (byte) limits.inlineDataGranularity();
        descriptor(out, GENERAL_COPY_OPERATIONS, g);
        return out.toByteArray();
    }

    /** One descriptor: type, length (of the padded content) and content padded with zeros to a multiple of 4. */
    private static void descriptor(ByteArrayOutputStream out, int type, byte[] content) {
        int padded = (content.length + 3) & ~3;
        byte[] h = new byte[4];
        Be.putShort(h, 0, type);
        Be.putShort(h, 2, padded);
        out.writeBytes(h);
        out.writeBytes(content);
        out.writeBytes(new byte[padded - content.length]);
    }
}
