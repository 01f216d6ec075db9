package org.copyoffload.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;

/**
 * Submission queue entries with every field explicit, and blocking helpers over {@link NvmeTcpHost} for
 * commands whose status the tests check (the host's own helpers throw on an error status).
 */
public final class Nvme {
    public static final int FUA = 1 << 30;
    public static final int DEAC = 1 << 25;
    /** Dataset Management CDW11 bit 2: Attribute - Deallocate. */
    public static final int DSM_AD = 1 << 2;

    private Nvme() {
    }

    // ---- statuses ----

    public static NvmeStatus status(StatusCode code, boolean dnr) {
        return dnr ? code.dnr() : code.status();
    }

    public static void assertStatus(Completion c, StatusCode code, boolean dnr) {
        assertThat(c.status()).as("status of CID %d", c.cid()).isEqualTo(status(code, dnr));
    }

    public static void assertStatus(CompletionQueueEntry cqe, StatusCode code, boolean dnr) {
        assertThat(cqe.status()).as("status of CID %d", cqe.cid()).isEqualTo(status(code, dnr));
    }

    public static void assertSuccess(Completion c) {
        assertThat(c.status()).as("status of CID %d", c.cid()).isEqualTo(NvmeStatus.SUCCESS);
    }

    // ---- SQEs ----

    public static SubmissionQueueEntry identify(int cns, int nsid, int csi) {
        return SubmissionQueueEntry.builder(AdminOpcode.IDENTIFY.code()).nsid(nsid).cdw10(cns & 0xFF).cdw11(csi << 24).build();
    }

    public static SubmissionQueueEntry rw(NvmOpcode op, int nsid, long slba, int blocks, int cdw12Flags) {
        return rw(op.code(), nsid, slba, blocks, cdw12Flags);
    }

    /** Read/Write/Compare/Write Zeroes/Verify layout: SLBA in CDW11:10, NLB (0's based) in CDW12 15:0. */
    public static SubmissionQueueEntry rw(int opcode, int nsid, long slba, int blocks, int cdw12Flags) {
        return SubmissionQueueEntry.builder(opcode)
                .nsid(nsid)
                .cdw10((int) slba)
                .cdw11((int) (slba >>> 32))
                .cdw12(((blocks - 1) & 0xFFFF) | cdw12Flags)
                .build();
    }

    public static SubmissionQueueEntry read(int nsid, long slba, int blocks) {
        return rw(NvmOpcode.READ, nsid, slba, blocks, 0);
    }

    public static SubmissionQueueEntry write(int nsid, long slba, int blocks, boolean fua) {
        return rw(NvmOpcode.WRITE, nsid, slba, blocks, fua ? FUA : 0);
    }

    public static SubmissionQueueEntry writeZeroes(int nsid, long slba, int blocks, boolean deac) {
        return rw(NvmOpcode.WRITE_ZEROES, nsid, slba, blocks, deac ? DEAC : 0);
    }

    public static SubmissionQueueEntry compare(int nsid, long slba, int blocks) {
        return rw(NvmOpcode.COMPARE, nsid, slba, blocks, 0);
    }

    public static SubmissionQueueEntry verify(int nsid, long slba, int blocks) {
        return rw(NvmOpcode.VERIFY, nsid, slba, blocks, 0);
    }

    public static SubmissionQueueEntry flush(int nsid) {
        return SubmissionQueueEntry.builder(NvmOpcode.FLUSH.code()).nsid(nsid).build();
    }

    /** Dataset Management with {@code ranges} ranges (NR is 0's based) and AD as given. */
    public static SubmissionQueueEntry datasetManagement(int nsid, int ranges, boolean deallocate) {
        return SubmissionQueueEntry.builder(NvmOpcode.DATASET_MANAGEMENT.code())
                .nsid(nsid)
                .cdw10((ranges - 1) & 0xFF)
                .cdw11(deallocate ? DSM_AD : 0)
                .build();
    }

    /** DSM range data: 16 bytes per range, context attributes 0, length in LBAs, starting LBA. */
    public static ByteBuf dsmRanges(long[]... ranges) {
        ByteBuf b = Unpooled.buffer(ranges.length * 16);
        for (long[] r : ranges) {
            b.writeIntLE(0);
            b.writeIntLE((int) r[1]);
            b.writeLongLE(r[0]);
        }
        return b;
    }

    public static SubmissionQueueEntry setFeatures(int fid, int cdw11, boolean save) {
        return SubmissionQueueEntry.builder(AdminOpcode.SET_FEATURES.code())
                .cdw10((fid & 0xFF) | (save ? 1 << 31 : 0))
                .cdw11(cdw11)
                .build();
    }

    public static SubmissionQueueEntry getFeatures(int fid, int sel, int cdw11) {
        return SubmissionQueueEntry.builder(AdminOpcode.GET_FEATURES.code())
                .cdw10((fid & 0xFF) | (sel << 8))
                .cdw11(cdw11)
                .build();
    }

    // ---- blocking submission over the Java host ----

    public static Completion admin(NvmeTcpHost host, SubmissionQueueEntry sqe, ByteBuf dataOut, int dataIn) {
        return await(host.submitAdmin(sqe, dataOut, dataIn));
    }

    public static Completion admin(NvmeTcpHost host, SubmissionQueueEntry sqe) {
        return admin(host, sqe, null, 0);
    }

    public static Completion io(NvmeTcpHost host, SubmissionQueueEntry sqe, ByteBuf dataOut, int dataIn) {
        return io(host, 0, sqe, dataOut, dataIn);
    }

    public static Completion io(NvmeTcpHost host, int queue, SubmissionQueueEntry sqe, ByteBuf dataOut, int dataIn) {
        return await(host.submitIo(queue, sqe, dataOut, dataIn));
    }

    public static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(TestServer.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no completion within " + TestServer.TIMEOUT, e);
        }
    }

    /** Writes {@code data} at {@code slba}, which must succeed. */
    public static void write(NvmeTcpHost host, int nsid, long slba, byte[] data, boolean fua) {
        int lba = TestServer.lbaSize(nsid);
        try (Completion c = io(host, write(nsid, slba, data.length / lba, fua), TestServer.buffer(data), 0)) {
            assertSuccess(c);
        }
    }

    /** Reads {@code blocks} LBAs, which must succeed. */
    public static byte[] read(NvmeTcpHost host, int nsid, long slba, int blocks) {
        return read(host, 0, nsid, slba, blocks);
    }

    public static byte[] read(NvmeTcpHost host, int queue, int nsid, long slba, int blocks) {
        try (Completion c = io(host, queue, read(nsid, slba, blocks), null, blocks * TestServer.lbaSize(nsid))) {
            assertSuccess(c);
            byte[] out = new byte[c.data().readableBytes()];
            c.data().getBytes(c.data().readerIndex(), out);
            return out;
        }
    }

    /** Runs a command without data, which must succeed. */
    public static void ok(NvmeTcpHost host, SubmissionQueueEntry sqe) {
        try (Completion c = io(host, sqe, null, 0)) {
            assertSuccess(c);
        }
    }

    /** Runs an I/O command and checks its status. */
    public static void expectIo(NvmeTcpHost host, SubmissionQueueEntry sqe, ByteBuf dataOut, int dataIn,
                                StatusCode code, boolean dnr) {
        try (Completion c = io(host, sqe, dataOut, dataIn)) {
            assertStatus(c, code, dnr);
        }
    }

    public static void expectAdmin(NvmeTcpHost host, SubmissionQueueEntry sqe, ByteBuf dataOut, int dataIn,
                                   StatusCode code, boolean dnr) {
        try (Completion c = admin(host, sqe, dataOut, dataIn)) {
            assertStatus(c, code, dnr);
        }
    }
}
