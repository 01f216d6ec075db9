package org.copyoffload.server.iscsi;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.util.LinkedHashMap;
import java.util.Map;
import org.copyoffload.server.scsi.TaskAttribute;

/**
 * One SCSI task on a connection (RFC 7143, 3.2.2): the command, the data-out collected so far (immediate data,
 * unsolicited Data-Out, then Data-Out answering R2Ts, kept as the received buffers without copying), the R2Ts in
 * flight, and where it stands. Touched only on its connection's event loop.
 */
final class IscsiTask {
    /** An R2T sent and not yet fully answered. */
    static final class Solicitation {
        final int targetTransferTag;
        final int offset;
        final int length;
        int received;
        int nextDataSn;

        Solicitation(int targetTransferTag, int offset, int length) {
            this.targetTransferTag = targetTransferTag;
            this.offset = offset;
            this.length = length;
        }
    }

    final int initiatorTaskTag;
    final long lunField;
    final long lun;
    final byte[] cdb;
    final int cmdSn;
    final boolean immediate;
    final int expectedLength;
    final int readLength;
    final boolean read;
    final boolean write;
    final TaskAttribute attribute;
    final long startNanos = System.nanoTime();
    final CompositeByteBuf data;
    /** Data-out received, all of it in order (DataPDUInOrder and DataSequenceInOrder are Yes). */
    int received;
    /** Unsolicited Data-Out may still come (the command had F=0). */
    boolean unsolicitedOpen;
    int unsolicitedLimit;
    int unsolicitedDataSn;
    /** Offset up to which R2Ts have been sent. */
    int solicitedUpTo;
    int nextR2tSn;
    final Map<Integer, Solicitation> solicitations = new LinkedHashMap<>();
    /** Bytes of the write-data budgets this task holds. */
    long budgetHeld;
    int dataInSn;
    /** Its CmdSN came up: the SCSI layer may have it once the data is complete. */
    boolean ordered;
    boolean executing;
    boolean aborted;
    Runnable onAborted;

    IscsiTask(ByteBufAllocator alloc, int initiatorTaskTag, long lunField, long lun, byte[] cdb, int cmdSn, boolean immediate,
              int expectedLength, int readLength, boolean read, boolean write, TaskAttribute attribute) {
        this.initiatorTaskTag = initiatorTaskTag;
        this.lunField = lunField;
        this.lun = lun;
        this.cdb = cdb;
        this.cmdSn = cmdSn;
        this.immediate = immediate;
        this.expectedLength = expectedLength;
        this.readLength = readLength;
        this.read = read;
        this.write = write;
        this.attribute = attribute;
        this.data = write ? alloc.compositeBuffer(Integer.MAX_VALUE) : null;
    }

    boolean dataComplete() {
        return !write || received == expectedLength && !unsolicitedOpen;
    }

    int scsiOpcode() {
        return cdb.length == 0 ? -1 : cdb[0] & 0xFF;
    }

    void releaseData() {
        if (data != null && data.refCnt() > 0) {
            data.release();
        }
    }
}
