package org.copyoffload.protocol.nvme.zns;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.ProtocolFieldException;

/**
 * The Report Zones data structure (NVMe ZNS Command Set 1.1, Figure 44): a 64-byte header whose bytes 7:0 hold
 * the Number of Zones, then the zone descriptors that fit the buffer. Number of Zones counts every matching zone
 * from SLBA on, or with Partial Report only the descriptors returned, so it may exceed {@link #zones()}.
 */
public record ZoneReport(long numberOfZones, List<ZoneDescriptor> zones) {
    public static final int HEADER = 64;

    public ZoneReport {
        zones = List.copyOf(zones);
        if (Long.compareUnsigned(numberOfZones, zones.size()) < 0) {
            throw new IllegalArgumentException("Number of Zones " + numberOfZones + " below the "
                    + zones.size() + " descriptors");
        }
    }

    /** How many descriptors a buffer of {@code bytes} holds. */
    public static int capacity(long bytes) {
        return bytes < HEADER ? 0 : (int) Math.min(Integer.MAX_VALUE, (bytes - HEADER) / ZoneDescriptor.SIZE);
    }

    /**
     * Reads a report of {@code bufferBytes} bytes from the reader index: as many descriptors as Number of Zones
     * says, up to what the buffer holds.
     *
     * @throws ProtocolFieldException when the buffer is shorter than the header or than {@code bufferBytes}, or a
     *         descriptor has a reserved type or state
     */
    public static ZoneReport decode(ByteBuf in, int bufferBytes) {
        if (bufferBytes < HEADER || in.readableBytes() < bufferBytes) {
            throw new ProtocolFieldException("report length", in.readableBytes(), "a report of " + bufferBytes
                    + " bytes needs at least " + Math.max(HEADER, bufferBytes) + " readable bytes");
        }
        int base = in.readerIndex();
        long n = in.getLongLE(base);
        int count = (int) Math.min(Long.compareUnsigned(n, Integer.MAX_VALUE) > 0 ? Integer.MAX_VALUE : n,
                capacity(bufferBytes));
        List<ZoneDescriptor> zones = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            zones.add(ZoneDescriptor.decode(in, base + HEADER + i * ZoneDescriptor.SIZE));
        }
        return new ZoneReport(n, zones);
    }

    /** Writes the report into a zero-filled buffer of {@code bufferBytes} bytes at its writer index. */
    public void encode(ByteBuf out, int bufferBytes) {
        if (capacity(bufferBytes) < zones.size()) {
            throw new IllegalArgumentException(zones.size() + " descriptors do not fit " + bufferBytes + " bytes");
        }
        int base = out.writerIndex();
        out.writeZero(bufferBytes);
        out.setLongLE(base, numberOfZones);
        for (int i = 0; i < zones.size(); i++) {
            zones.get(i).encode(out, base + HEADER + i * ZoneDescriptor.SIZE);
        }
    }
}
