package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.copyoffload.protocol.iscsi.IscsiPdu;

/**
 * One task of a connection, from submission to its last PDU: it holds a slot of the connection (whose number is
 * in the low 16 bits of its Initiator Task Tag) and is touched only on the connection's event loop after
 * submission.
 */
abstract sealed class Task permits Task.Scsi, Task.Control {
    int slot = -1;
    int itt;

    abstract void fail(Throwable cause);

    /**
     * A SCSI command (RFC 7143, 11.3). Owns {@code dataOut} until the command ends (Data-Out PDUs carry retained
     * slices of it) and {@code dataIn} until it is handed to the caller.
     */
    static final class Scsi extends Task {
        final long lun;
        final byte[] cdb;
        final int dataOutLength;
        final int dataInLength;
        final CompletableFuture<ScsiResult> future = new CompletableFuture<>();
        ByteBuf dataOut;
        ByteBuf dataIn;
        int cmdSn;
        /** Data-in bytes received so far: the offset the next Data-In must have (DataPDUInOrder=Yes). */
        int received;
        int nextDataSn;
        int nextR2tSn;

        Scsi(long lun, byte[] cdb, ByteBuf dataOut, int dataInLength) {
            this.lun = lun;
            this.cdb = cdb;
            this.dataOut = dataOut;
            this.dataOutLength = dataOut == null ? 0 : dataOut.readableBytes();
            this.dataInLength = dataInLength;
        }

        void releaseBuffers() {
            ReferenceCountUtil.release(dataOut);
            dataOut = null;
            ReferenceCountUtil.release(dataIn);
            dataIn = null;
        }

        @Override
        void fail(Throwable cause) {
            releaseBuffers();
            future.completeExceptionally(cause);
        }
    }

    /**
     * A request answered by one response PDU, or by a series of them (a login, a continued Text negotiation)
     * under the same Initiator Task Tag: {@code last} says which response ends the task; until then each response
     * completes the current exchange and the caller sends the next request with
     * {@link ConnectionHandler#continueControl}.
     */
    static final class Control extends Task {
        /** Builds the request once its tag and the connection's sequence numbers are known. */
        interface Request {
            IscsiPdu build(int itt, int cmdSn, int expStatSn);
        }

        final Predicate<IscsiPdu> last;
        Request request;
        volatile CompletableFuture<IscsiPdu> exchange = new CompletableFuture<>();

        Control(Request request, Predicate<IscsiPdu> last) {
            this.request = request;
            this.last = last;
        }

        @Override
        void fail(Throwable cause) {
            exchange.completeExceptionally(cause);
        }
    }
}
