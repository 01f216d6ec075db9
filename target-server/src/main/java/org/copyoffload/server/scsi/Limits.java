package org.copyoffload.server.scsi;

/**
 * What the Block Limits VPD page advertises and the commands enforce, in bytes or counts independent of the block
 * size.
 *
 * @param maxTransferBytes     the largest READ/WRITE/VERIFY data transfer (MAXIMUM TRANSFER LENGTH, in blocks,
 *                             is this over the block size)
 * @param maxUnmapLbaCount     MAXIMUM UNMAP LBA COUNT: blocks one UNMAP may deallocate in all its descriptors
 * @param maxUnmapDescriptors  MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
 * @param maxWriteSameBlocks   MAXIMUM WRITE SAME LENGTH
 * @param maxCompareAndWrite   upper bound of MAXIMUM COMPARE AND WRITE LENGTH (a byte field, and the data-out is
 *                             twice the blocks, so it is also kept within {@code maxTransferBytes / 2})
 */
record Limits(int maxTransferBytes, long maxUnmapLbaCount, int maxUnmapDescriptors, long maxWriteSameBlocks,
              int maxCompareAndWrite) {
    /**
     * 1 MiB transfers (256 blocks of 4 KiB, which libiscsi's tests read and write at once); an UNMAP LBA count that
     * stays within what libiscsi checks as sane (1 Mi blocks); as many descriptors as a 16-bit UNMAP parameter list
     * can carry; LIO's 65535-block WRITE SAME (so libiscsi's 65536-block WRITE SAME test expects INVALID FIELD IN
     * CDB rather than a 256 MiB WRITE (16) no target accepts).
     */
    // 8 MiB per command: 2048 blocks of 4 KiB, what libiscsi's tests write in one command (ExtendedCopy.Simple).
    static final Limits DEFAULT = new Limits(8 << 20, 1 << 20, 4095, 0xFFFF, 255);

    Limits {
        if (maxTransferBytes < 4096 || Integer.bitCount(maxTransferBytes) != 1) {
            throw new IllegalArgumentException("maximum transfer must be a power of two of at least 4096 bytes, was "
                    + maxTransferBytes);
        }
        if (maxUnmapLbaCount < 1 || maxUnmapDescriptors < 1 || maxUnmapDescriptors > 4095 || maxWriteSameBlocks < 1
                || maxCompareAndWrite < 1 || maxCompareAndWrite > 255) {
            throw new IllegalArgumentException("bad limits " + this);
        }
    }

    long maxTransferBlocks(int blockSize) {
        return maxTransferBytes / blockSize;
    }

    int maxCompareAndWriteBlocks(int blockSize) {
        return Math.max(1, Math.min(maxCompareAndWrite, maxTransferBytes / 2 / blockSize));
    }
}
