package org.copyoffload.initiator.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import org.copyoffload.protocol.nvme.log.DiscoveryLogEntry;
import org.copyoffload.protocol.nvme.log.DiscoveryLogPage;
import org.copyoffload.protocol.nvme.log.LogPageId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a whole Discovery log page (NVMe-oF 1.1, 5.3) as nvme-cli does: the header for the record count,
 * then header and records (in pieces no larger than MDTS), then the header again; if the generation
 * counter moved in between, the page changed under the reader and it starts over.
 */
final class DiscoveryLogReader {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryLogReader.class);
    private static final int ATTEMPTS = 10;
    /** NUMREC is 64 bits, but no discovery service has more records than fit in an int-sized page. */
    private static final long MAX_RECORDS = (Integer.MAX_VALUE - DiscoveryLogPage.HEADER_SIZE) / DiscoveryLogEntry.SIZE;

    private final NvmeTcpHost host;

    DiscoveryLogReader(NvmeTcpHost host) {
        this.host = host;
    }

    DiscoveryLogPage read() {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            long genctr;
            long numrec;
            ByteBuf header = readLog(0, DiscoveryLogPage.HEADER_SIZE);
            try {
                genctr = header.getLongLE(header.readerIndex());
                numrec = header.getLongLE(header.readerIndex() + 8);
            } finally {
                header.release();
            }
            if (numrec < 0 || numrec > MAX_RECORDS) {
                throw new NvmeTransportException("Discovery log page claims " + Long.toUnsignedString(numrec) + " records");
            }
            int size = DiscoveryLogPage.HEADER_SIZE + (int) numrec * DiscoveryLogEntry.SIZE;
            ByteBuf page = readLog(0, size);
            try {
                long pageGenctr = page.getLongLE(page.readerIndex());
                long again = genctrNow();
                if (pageGenctr == genctr && again == genctr && page.getLongLE(page.readerIndex() + 8) == numrec) {
                    return DiscoveryLogPage.decode(page);
                }
                log.debug("Discovery log page changed while read (GENCTR {} -> {} -> {}), attempt {}",
                        genctr, pageGenctr, again, attempt);
            } finally {
                page.release();
            }
        }
        throw new NvmeTransportException("Discovery log page kept changing over " + ATTEMPTS + " reads");
    }

    private long genctrNow() {
        ByteBuf header = readLog(0, 16);
        try {
            return header.getLongLE(header.readerIndex());
        } finally {
            header.release();
        }
    }

    /** {@code length} bytes from {@code offset}, fetched in commands no larger than the controller's MDTS. */
    private ByteBuf readLog(long offset, int length) {
        long mdts = host.controller().maxTransferBytes();
        int chunk = mdts == 0 || mdts >= length ? length : (int) mdts;
        if (chunk == length) {
            return host.getLogPage(0, LogPageId.DISCOVERY, 0, offset, length);
        }
        CompositeByteBuf page = io.netty.buffer.Unpooled.compositeBuffer(Integer.MAX_VALUE);
        try {
            for (int at = 0; at < length; at += chunk) {
                page.addComponent(true, host.getLogPage(0, LogPageId.DISCOVERY, 0, offset + at, Math.min(chunk, length - at)));
            }
            return page;
        } catch (RuntimeException e) {
            page.release();
            throw e;
        }
    }
}
