package org.copyoffload.server.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.server.copy.CopyFixture.copyOk;
import static org.copyoffload.server.copy.CopyFixture.r0;
import static org.copyoffload.server.copy.CopyFixture.r2;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.copyoffload.initiator.nvme.Completion;
import org.copyoffload.initiator.nvme.NvmeTcpHost;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.copy.CopySourceRange;
import org.copyoffload.testsupport.LeakDetectionExtension;
import org.copyoffload.server.TestServer;
import org.copyoffload.server.copy.CopyFixture.Model;
import org.copyoffload.server.copy.CopyFixture.Region;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Copy that fails part-way on I/O: Write Fault (SCT 2h, SC 80h), without DNR, Dword 0 the number of source
 * ranges copied before the failure; the ranges before it are in the destination and the destination of the
 * ranges after it is untouched. Faults are made from outside: a scratch directory that does not exist, and a
 * source volume file cut short under the running target. Each test has its own server.
 */
@ExtendWith(LeakDetectionExtension.class)
class CopyWriteFaultTest {
    static final String W = "w";
    static final int LBA = 4096;
    static final long BYTES = 4 << 20;
    static final NvmeStatus WRITE_FAULT = StatusCode.WRITE_FAULT.status();

    @TempDir
    Path dir;
    CopyFixture.Config config;
    TestServer server;
    NvmeTcpHost host;

    @BeforeEach
    void start() {
        config = new CopyFixture.Config(dir).subsystem(W, "2.1", true).namespace(1, BYTES, LBA).namespace(2, BYTES, LBA);
        server = config.start();
        host = CopyFixture.connect(server, W, 1);
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void noScratchStoreForACopyThatNeedsOneIsWriteFaultWithNothingCopied() {
        Region area = Region.filled(host, 1, LBA, 64, 64, 1);
        // Range 1 reads what range 0 writes: a temporary is needed, and its directory is gone.
        List<CopySourceRange> ranges = List.of(r0(70, 8), r0(74, 8));
        double faults = CopyFixture.copyCommands(server, "0", "write_fault");
        server.server().target().scratchDirectory(dir.resolve("no-such-directory"));
        try {
            try (Completion c = CopyFixture.copy(host, 1, 72, ranges)) {
                assertThat(c.status()).as("Write Fault, may be retried").isEqualTo(WRITE_FAULT);
                assertThat(c.dw0()).as("Dword 0: no range copied").isZero();
            }
            area.assertOnDevice(host, "after the failed Copy");
            assertThat(CopyFixture.copyCommands(server, "0", "write_fault") - faults).isEqualTo(1);
            // A copy that needs no temporary is not affected.
            Model.apply(List.of(area), 1, 64, List.of(r0(100, 4)));
            copyOk(host, 1, 64, List.of(r0(100, 4)));
        } finally {
            server.server().target().scratchDirectory(dir);
        }
        // With the scratch directory back, the same Copy succeeds.
        Model.apply(List.of(area), 1, 72, ranges);
        copyOk(host, 1, 72, ranges);
        area.assertOnDevice(host, "after the retried Copy");
    }

    @Test
    void aSourceFailingPartWayIsWriteFaultNamingTheRangesCopied() throws IOException {
        Region a = Region.filled(host, 1, LBA, 0, 64, 2);
        Region b = Region.filled(host, 2, LBA, 0, 128, 3);
        Region d = Region.filled(host, 1, LBA, 256, 32, 4);
        // NSID 2's file loses everything from LBA 16 on, under the target's feet.
        Path file = config.volumeFile(W, 2);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(16 * LBA);
        }
        try {
            List<CopySourceRange> ranges = List.of(r2(1, 8, 4), r2(2, 4, 4), r2(2, 100, 4), r2(1, 40, 4));
            double faults = CopyFixture.copyCommands(server, "2", "write_fault");
            try (Completion c = CopyFixture.copy(host, 1, 256, ranges)) {
                assertThat(c.status()).as("Write Fault").isEqualTo(WRITE_FAULT);
                assertThat(c.dw0()).as("Dword 0: ranges 0 and 1 copied, range 2 failed").isEqualTo(2);
            }
            assertThat(CopyFixture.copyCommands(server, "2", "write_fault") - faults).isEqualTo(1);
            byte[] now = CopyFixture.read(host, 1, LBA, 256, 32);
            byte[] expected = d.bytes.clone();
            System.arraycopy(a.blocks(8, 4), 0, expected, 0, 4 * LBA);
            System.arraycopy(b.blocks(4, 4), 0, expected, 4 * LBA, 4 * LBA);
            assertThat(Arrays.copyOfRange(now, 0, 8 * LBA)).as("ranges 0 and 1 in the destination")
                    .isEqualTo(Arrays.copyOfRange(expected, 0, 8 * LBA));
            // Range 2's destination may hold part of it; range 3 was never started, nor anything after the destination.
            assertThat(Arrays.copyOfRange(now, 12 * LBA, 32 * LBA)).as("range 3's destination and beyond")
                    .isEqualTo(Arrays.copyOfRange(d.bytes, 12 * LBA, 32 * LBA));
            a.assertOnDevice(host, "NSID 1's sources");
        } finally {
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.setLength(BYTES);
            }
        }
        // The volume is whole again (its lost tail reads as zeros): the same Copy now works.
        List<CopySourceRange> ranges = List.of(r2(1, 8, 4), r2(2, 4, 4), r2(2, 100, 4), r2(1, 40, 4));
        copyOk(host, 1, 256, ranges);
        byte[] expected = new byte[16 * LBA];
        System.arraycopy(a.blocks(8, 4), 0, expected, 0, 4 * LBA);
        System.arraycopy(b.blocks(4, 4), 0, expected, 4 * LBA, 4 * LBA);
        System.arraycopy(a.blocks(40, 4), 0, expected, 12 * LBA, 4 * LBA);
        assertThat(CopyFixture.read(host, 1, LBA, 256, 16)).isEqualTo(expected);
    }
}
