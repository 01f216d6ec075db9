package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.copyoffload.backends.store.FileBlockStore;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.SenseData;
import org.copyoffload.server.volume.Volume;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target over two file-backed logical units, as a transport would drive it: LUN 0 of 4096-byte blocks, LUN 1 of
 * 512-byte blocks, each on a {@link CountingStore} over a sparse file in a temporary directory, I/O on virtual
 * threads. Commands go in as {@link ScsiCommand}s with their data-out in a buffer the test owns (and releases after
 * completion, as the transport does); every data-in is copied out and released, so a leak is the target's.
 */
@ExtendWith(LeakDetectionExtension.class)
abstract class ScsiTestBase {
    static final String TARGET = "iqn.2026-01.org.copyoffload:scsi-test";
    static final long LUN_4K = 0;
    static final long LUN_512 = 1;
    static final long BLOCKS_4K = 4096;     // 16 MiB
    static final long BLOCKS_512 = 16384;   // 8 MiB
    static final ItNexus A = new ItNexus("iqn.2026-01.org.example:host-a", 0x23D000000001L, TARGET, 1, 1);
    static final ItNexus B = new ItNexus("iqn.2026-01.org.example:host-b", 0x23D000000002L, TARGET, 2, 2);

    @TempDir
    Path dir;
    ExecutorService executor;
    CountingStore store4k;
    CountingStore store512;
    ScsiTarget target;
    private long tags;

    @BeforeEach
    void startTarget() throws IOException {
        LeakDetectionExtension.install();
        executor = Executors.newVirtualThreadPerTaskExecutor();
        store4k = new CountingStore(FileBlockStore.open(dir.resolve("lu0.img"), BLOCKS_4K * 4096, true));
        store512 = new CountingStore(FileBlockStore.open(dir.resolve("lu1.img"), BLOCKS_512 * 512, true));
        Map<Long, Volume> luns = new LinkedHashMap<>();
        luns.put(LUN_4K, new Volume("vol-4k", store4k, 4096));
        luns.put(LUN_512, new Volume("vol-512", store512, 512));
        target = newTarget(luns);
    }

    ScsiTarget newTarget(Map<Long, Volume> luns) {
        return new ScsiTarget(TARGET, luns, executor);
    }

    @AfterEach
    void stopTarget() throws IOException, InterruptedException {
        executor.shutdown();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        store4k.close();
        store512.close();
    }

    static int blockSize(long lun) {
        return lun == LUN_4K ? 4096 : 512;
    }

    static long blocks(long lun) {
        return lun == LUN_4K ? BLOCKS_4K : BLOCKS_512;
    }

    CountingStore store(long lun) {
        return lun == LUN_4K ? store4k : store512;
    }

    /** The outcome of one command, data-in copied out. */
    record Result(ScsiStatus status, byte[] senseBytes, byte[] data) {
        Result good() {
            assertThat(status).as("status (sense %s)", senseBytes.length == 0 ? "none" : sense()).isEqualTo(ScsiStatus.GOOD);
            return this;
        }

        SenseData sense() {
            return SenseData.decode(senseBytes);
        }

        /** CHECK CONDITION with this sense key, ASC and ASCQ. */
        SenseData check(AdditionalSense expected) {
            assertThat(status).as("status").isEqualTo(ScsiStatus.CHECK_CONDITION);
            SenseData s = sense();
            assertThat(s.key()).as("sense key of %s", s).isEqualTo(expected.key());
            assertThat(s.asc() << 8 | s.ascq()).as("ASC/ASCQ of %s", s).isEqualTo(expected.code());
            return s;
        }

        /** As {@link #check(AdditionalSense)}, with this field pointer. */
        SenseData check(AdditionalSense expected, SenseData.FieldPointer pointer) {
            SenseData s = check(expected);
            assertThat(s.fieldPointer()).as("field pointer of %s", s).contains(pointer);
            return s;
        }
    }

    CompletableFuture<ScsiResponse> submit(ItNexus nexus, long lun, byte[] cdb, byte[] dataOut, long expected,
                                           boolean read, boolean write, ByteBuf[] owned) {
        ByteBuf out = dataOut == null ? null : Unpooled.wrappedBuffer(dataOut);
        owned[0] = out;
        byte[] padded = java.util.Arrays.copyOf(cdb, Math.max(16, cdb.length)); // iSCSI's 16-byte CDB field
        ScsiCommand command = new ScsiCommand(nexus, lun, padded, out, expected, read, write, TaskAttribute.SIMPLE,
                tags++);
        return target.execute(command);
    }

    /** The task tag of the command {@link #submit} sent last. */
    long lastTag() {
        return tags - 1;
    }

    Result send(ItNexus nexus, long lun, byte[] cdb, byte[] dataOut, long expected, boolean read, boolean write) {
        ByteBuf[] owned = new ByteBuf[1];
        CompletableFuture<ScsiResponse> f = submit(nexus, lun, cdb, dataOut, expected, read, write, owned);
        try {
            return collect(f);
        } finally {
            if (owned[0] != null) {
                owned[0].release(); // the transport's buffer, released after the response
            }
        }
    }

    static Result collect(CompletableFuture<ScsiResponse> f) {
        ScsiResponse r = f.orTimeout(30, TimeUnit.SECONDS).join();
        byte[] data = new byte[0];
        if (r.dataIn() != null) {
            data = ByteBufUtil.getBytes(r.dataIn());
            r.release();
        }
        return new Result(r.status(), r.sense(), data);
    }

    /** A command without data-out from nexus A, expecting data-in. */
    Result run(long lun, byte[] cdb) {
        return send(A, lun, cdb, null, 1 << 20, true, false);
    }

    Result run(ItNexus nexus, long lun, byte[] cdb) {
        return send(nexus, lun, cdb, null, 1 << 20, true, false);
    }

    /** A command with data-out from nexus A. */
    Result write(long lun, byte[] cdb, byte[] data) {
        return send(A, lun, cdb, data, data.length, false, true);
    }

    Result write(ItNexus nexus, long lun, byte[] cdb, byte[] data) {
        return send(nexus, lun, cdb, data, data.length, false, true);
    }

    // ---- common commands

    byte[] read16(long lun, long lba, int blocks) {
        return run(lun, new ReadWriteCdb(OperationCode.READ_16, lba, blocks, 0, false, false).encode()).good().data();
    }

    void write16(long lun, long lba, byte[] data) {
        write(lun, new ReadWriteCdb(OperationCode.WRITE_16, lba, data.length / blockSize(lun), 0, false, false)
                .encode(), data).good();
    }

    static byte[] random(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The parts one after another. */
    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] filled(int value, int length) {
        byte[] b = new byte[length];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** Retries {@code assertion} for up to 10 s (for work a command leaves running, as IMMED does). */
    static void eventually(Runnable assertion) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                assertion.run();
                return;
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    static byte[] tur() {
        return new byte[6];
    }
}
