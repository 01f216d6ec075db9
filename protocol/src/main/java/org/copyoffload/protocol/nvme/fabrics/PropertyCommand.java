package org.copyoffload.protocol.nvme.fabrics;

import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * Property Get and Property Set (NVMe over Fabrics 1.1, 3.4/3.5): ATTRIB bits 2:0 give the size
 * (0: 4 bytes, 1: 8 bytes), OFST the register offset, VALUE (Set only) the new value.
 */
public record PropertyCommand(boolean set, int sizeBytes, int offset, long value) {
    public static final int OFFSET_ATTRIB = 40;
    public static final int OFFSET_OFST = 44;

    public static PropertyCommand from(SubmissionQueueEntry sqe, boolean set) {
        int attrib = sqe.cdw10() & 0xFF;
        int size = switch (attrib & 0x7) {
            case 0 -> 4;
            case 1 -> 8;
            default -> -1;
        };
        long value = Integer.toUnsignedLong(sqe.cdw12()) | ((long) sqe.cdw13() << 32);
        return new PropertyCommand(set, size, sqe.cdw11(), value);
    }

    public SubmissionQueueEntry toSqe(int cid) {
        FabricsCommandType type = set ? FabricsCommandType.PROPERTY_SET : FabricsCommandType.PROPERTY_GET;
        return SubmissionQueueEntry.builder(SubmissionQueueEntry.FABRICS_OPCODE)
                .cid(cid)
                .nsid(type.code())
                .cdw10(sizeBytes == 8 ? 1 : 0)
                .cdw11(offset)
                .cdw12((int) value)
                .cdw13((int) (value >>> 32))
                .build();
    }
}
