package org.copyoffload.protocol.nvme.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * The Discovery log page (NVMe over Fabrics 1.1, 5.3, Figure 31): a 1024-byte header with the generation
 * counter, record count and record format, then one 1024-byte entry per record.
 */
public record DiscoveryLogPage(long generationCounter, List<DiscoveryLogEntry> entries) {
    public static final int HEADER_SIZE = 1024;

    public DiscoveryLogPage {
        entries = List.copyOf(entries);
    }

    public ByteBuf encode() {
        ByteBuf b = Unpooled.buffer(HEADER_SIZE + entries.size() * DiscoveryLogEntry.SIZE);
        b.writeZero(HEADER_SIZE + entries.size() * DiscoveryLogEntry.SIZE);
        b.setLongLE(0, generationCounter);
        b.setLongLE(8, entries.size());
        b.setShortLE(16, 0);
        for (int i = 0; i < entries.size(); i++) {
            entries.get(i).encode(b, HEADER_SIZE + i * DiscoveryLogEntry.SIZE);
        }
        return b;
    }

    /**
     * Decodes the header and as many whole entries as the buffer holds.
     *
     * @throws IllegalArgumentException for fewer than the 16 bytes of GENCTR and NUMREC
     */
    public static DiscoveryLogPage decode(ByteBuf in) {
        if (in.readableBytes() < 16) {
            throw new IllegalArgumentException("discovery log page of " + in.readableBytes()
                    + " bytes lacks GENCTR and NUMREC (16 bytes)");
        }
        int base = in.readerIndex();
        long genctr = in.getLongLE(base);
        long numrec = in.getLongLE(base + 8);
        List<DiscoveryLogEntry> entries = new ArrayList<>();
        // NUMREC is the target's word; only the whole entries the buffer holds are read.
        for (long i = 0; Long.compareUnsigned(i, numrec) < 0; i++) {
            long at = base + HEADER_SIZE + i * DiscoveryLogEntry.SIZE;
            if (at + DiscoveryLogEntry.SIZE > in.writerIndex()) {
                break;
            }
            entries.add(DiscoveryLogEntry.decode(in, (int) at));
        }
        return new DiscoveryLogPage(genctr, entries);
    }
}
