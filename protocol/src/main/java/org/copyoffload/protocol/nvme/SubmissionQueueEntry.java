package org.copyoffload.protocol.nvme;

import io.netty.buffer.ByteBuf;

/**
 * A 64-byte submission queue entry (NVMe Base 2.1, 4.2, Figure 91), kept as its raw dwords so every
 * command set can read its own fields. Over fabrics PSDT must select SGLs and byte 4 of a Fabrics
 * command (opcode 7Fh) is the Fabrics Command Type.
 */
public record SubmissionQueueEntry(
        int opcode, int flags, int cid, int nsid, int cdw2, int cdw3, long metadataPointer,
        SglDescriptor sgl, int cdw10, int cdw11, int cdw12, int cdw13, int cdw14, int cdw15) {

    public static final int SIZE = 64;
    public static final int FABRICS_OPCODE = 0x7F;

    public SubmissionQueueEntry {
        if ((opcode & ~0xFF) != 0 || (flags & ~0xFF) != 0 || (cid & ~0xFFFF) != 0) {
            throw new IllegalArgumentException("opcode/flags/cid out of range: " + opcode + "/" + flags + "/" + cid);
        }
    }

    /** Fused operation bits (CDW0 bits 9:8). */
    public int fuse() {
        return flags & 0x3;
    }

    /** PRP or SGL for Data Transfer (CDW0 bits 15:14): 0 PRP, 1 SGL with contiguous metadata, 2 SGL with SGL metadata. */
    public int psdt() {
        return (flags >>> 6) & 0x3;
    }

    /** CDW11:CDW10 as one 64-bit value: the starting LBA of NVM commands (SLBA, SDLBA, ZSLBA). */
    public long cdw10And11() {
        return Integer.toUnsignedLong(cdw10) | ((long) cdw11 << 32);
    }

    public boolean isFabrics() {
        return opcode == FABRICS_OPCODE;
    }

    /** Fabrics Command Type (byte 4): only meaningful for opcode 7Fh. */
    public int fabricsCommandType() {
        return nsid & 0xFF;
    }

    /**
     * Data direction from the opcode's low two bits (NVMe Base 2.1, 5.1): 01b host to controller,
     * 10b controller to host, 11b bidirectional. Fabrics commands encode it in the command type.
     */
    public DataDirection dataDirection() {
        int bits = isFabrics() ? fabricsCommandType() & 0x3 : opcode & 0x3;
        return DataDirection.fromBits(bits);
    }

    public static SubmissionQueueEntry decode(ByteBuf in, int index) {
        return new SubmissionQueueEntry(
                in.getUnsignedByte(index), in.getUnsignedByte(index + 1), in.getUnsignedShortLE(index + 2),
                in.getIntLE(index + 4), in.getIntLE(index + 8), in.getIntLE(index + 12), in.getLongLE(index + 16),
                SglDescriptor.decode(in, index + 24),
                in.getIntLE(index + 40), in.getIntLE(index + 44), in.getIntLE(index + 48),
                in.getIntLE(index + 52), in.getIntLE(index + 56), in.getIntLE(index + 60));
    }

    public void encode(ByteBuf out, int index) {
        out.setByte(index, opcode);
        out.setByte(index + 1, flags);
        out.setShortLE(index + 2, cid);
        out.setIntLE(index + 4, nsid);
        out.setIntLE(index + 8, cdw2);
        out.setIntLE(index + 12, cdw3);
        out.setLongLE(index + 16, metadataPointer);
        sgl.encode(out, index + 24);
        out.setIntLE(index + 40, cdw10);
        out.setIntLE(index + 44, cdw11);
        out.setIntLE(index + 48, cdw12);
        out.setIntLE(index + 52, cdw13);
        out.setIntLE(index + 56, cdw14);
        out.setIntLE(index + 60, cdw15);
    }

    public SubmissionQueueEntry withCid(int newCid) {
        return new SubmissionQueueEntry(opcode, flags, newCid, nsid, cdw2, cdw3, metadataPointer, sgl,
                cdw10, cdw11, cdw12, cdw13, cdw14, cdw15);
    }

    public SubmissionQueueEntry withSgl(SglDescriptor newSgl) {
        return new SubmissionQueueEntry(opcode, flags, cid, nsid, cdw2, cdw3, metadataPointer, newSgl,
                cdw10, cdw11, cdw12, cdw13, cdw14, cdw15);
    }

    /** A builder for hosts and tests: PSDT defaults to SGL (required over fabrics). */
    public static Builder builder(int opcode) {
        return new Builder(opcode);
    }

    public static final class Builder {
        private final int opcode;
        private int flags = 0x40;
        private int cid;
        private int nsid;
        private int cdw2;
        private int cdw3;
        private SglDescriptor sgl = SglDescriptor.transport(0);
        private final int[] cdw = new int[6];

        private Builder(int opcode) {
            this.opcode = opcode;
        }

        public Builder flags(int value) { this.flags = value; return this; }
        public Builder cid(int value) { this.cid = value; return this; }
        public Builder nsid(int value) { this.nsid = value; return this; }
        public Builder cdw2(int value) { this.cdw2 = value; return this; }
        public Builder cdw3(int value) { this.cdw3 = value; return this; }
        public Builder sgl(SglDescriptor value) { this.sgl = value; return this; }
        public Builder cdw10(int value) { cdw[0] = value; return this; }
        public Builder cdw11(int value) { cdw[1] = value; return this; }
        public Builder cdw12(int value) { cdw[2] = value; return this; }
        public Builder cdw13(int value) { cdw[3] = value; return this; }
        public Builder cdw14(int value) { cdw[4] = value; return this; }
        public Builder cdw15(int value) { cdw[5] = value; return this; }

        public SubmissionQueueEntry build() {
            return new SubmissionQueueEntry(opcode, flags, cid, nsid, cdw2, cdw3, 0, sgl,
                    cdw[0], cdw[1], cdw[2], cdw[3], cdw[4], cdw[5]);
        }
    }
}
