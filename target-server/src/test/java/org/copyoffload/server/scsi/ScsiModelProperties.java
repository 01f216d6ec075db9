package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.LbaStatusDescriptor;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ServiceActionIn16Cdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.UnmapParameterList;
import org.copyoffload.protocol.scsi.WriteSameCdb;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random sequences of READ and WRITE in all four sizes (some with FUA), WRITE SAME (pattern, zeros with and
 * without UNMAP, NDOB), UNMAP with several descriptors and COMPARE AND WRITE (matching or not) on both logical
 * units, against a byte array per unit. A region at the start or the end of each unit is used, and some commands
 * reach past the end (LBA OUT OF RANGE, nothing changed). Every read must match the model; at the end the whole
 * region must, GET LBA STATUS must tile it with every deallocated block reading as zeros, and no range lock may be
 * left held. A failure names its seed.
 */
class ScsiModelProperties extends ScsiTestBase {
    static final int REGION_BLOCKS = 512;
    static final int OPERATIONS = 40;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 40);
    }

    /** One unit's region and its model; block {@code base} of the unit is byte 0 of the model. */
    final class Region {
        final long lun;
        final int bs;
        final long base;
        final byte[] model;

        Region(long lun, boolean atEnd) {
            this.lun = lun;
            this.bs = blockSize(lun);
            this.base = atEnd ? blocks(lun) - REGION_BLOCKS : 0;
            this.model = new byte[REGION_BLOCKS * bs];
        }

        byte[] modelBlocks(long lba, long n) {
            int from = (int) ((lba - base) * bs);
            return Arrays.copyOfRange(model, from, from + (int) n * bs);
        }

        void put(long lba, byte[] data) {
            System.arraycopy(data, 0, model, (int) ((lba - base) * bs), data.length);
        }

        boolean atEnd() {
            return base + REGION_BLOCKS == blocks(lun);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void commandsMatchTheModel(long seed) {
        Random random = new Random(seed);
        Region[] regions = {new Region(LUN_4K, seed % 2 == 1), new Region(LUN_512, seed % 3 == 0)};
        List<String> log = new ArrayList<>();
        try {
            for (int op = 0; op < OPERATIONS; op++) {
                Region r = regions[random.nextInt(2)];
                step(random, r, log);
            }
            for (Region r : regions) {
                int chunk = Math.min(REGION_BLOCKS, (1 << 20) / r.bs);
                for (int at = 0; at < REGION_BLOCKS; at += chunk) {
                    assertThat(read16(r.lun, r.base + at, chunk)).as("LUN %d blocks %d+%d", r.lun, r.base + at, chunk)
                            .isEqualTo(r.modelBlocks(r.base + at, chunk));
                }
                checkLbaStatus(r);
            }
            assertThat(target.unit(LUN_4K).ranges().heldCount()).isZero();
            assertThat(target.unit(LUN_512).ranges().heldCount()).isZero();
        } catch (AssertionError e) {
            throw new AssertionError("seed " + seed + " after:\n  " + String.join("\n  ", log), e);
        }
    }

    private void step(Random random, Region r, List<String> log) {
        // Up to the whole region, but within MAXIMUM TRANSFER LENGTH (1 MiB: 256 blocks of 4 KiB).
        int most = Math.min(REGION_BLOCKS, (1 << 20) / r.bs);
        int n = 1 + (random.nextInt(4) == 0 ? random.nextInt(most) : random.nextInt(16));
        long lba = r.base + random.nextInt(REGION_BLOCKS - n + 1);
        boolean pastEnd = r.atEnd() && random.nextInt(10) == 0;
        if (pastEnd) {
            lba = blocks(r.lun) - n + 1 + random.nextInt(3);
        }
        switch (random.nextInt(7)) {
            case 0, 1 -> {
                OperationCode op = randomForm(random, true, lba, n);
                boolean fua = op.cdbLength() > 6 && random.nextBoolean();
                byte[] data = new byte[n * r.bs];
                random.nextBytes(data);
                log.add(op + " LUN " + r.lun + " LBA " + lba + " x" + n + (fua ? " FUA" : ""));
                Result res = write(r.lun, new ReadWriteCdb(op, lba, n, 0, false, fua).encode(), data);
                if (pastEnd) {
                    res.check(AdditionalSense.LBA_OUT_OF_RANGE);
                } else {
                    res.good();
                    r.put(lba, data);
                }
            }
            case 2 -> {
                OperationCode op = randomForm(random, false, lba, n);
                log.add(op + " LUN " + r.lun + " LBA " + lba + " x" + n);
                Result res = run(r.lun, new ReadWriteCdb(op, lba, n, 0, false, false).encode());
                if (pastEnd) {
                    res.check(AdditionalSense.LBA_OUT_OF_RANGE);
                } else {
                    assertThat(res.good().data()).as("read of LBA %d x%d", lba, n).isEqualTo(r.modelBlocks(lba, n));
                }
            }
            case 3 -> {
                OperationCode op = random.nextBoolean() ? OperationCode.WRITE_SAME_10 : OperationCode.WRITE_SAME_16;
                int kind = random.nextInt(3); // 0 pattern, 1 zeros, 2 NDOB (16 only)
                boolean unmap = random.nextBoolean();
                boolean ndob = kind == 2 && op == OperationCode.WRITE_SAME_16;
                byte[] block = new byte[r.bs];
                if (kind == 0) {
                    random.nextBytes(block);
                }
                log.add(op + " LUN " + r.lun + " LBA " + lba + " x" + n + (unmap ? " UNMAP" : "")
                        + (ndob ? " NDOB" : kind == 0 ? " pattern" : " zeros"));
                byte[] cdb = new WriteSameCdb(op, lba, n, 0, false, unmap, ndob).encode();
                Result res = ndob ? send(A, r.lun, cdb, null, 0, false, false) : write(r.lun, cdb, block);
                if (pastEnd) {
                    res.check(AdditionalSense.LBA_OUT_OF_RANGE);
                } else {
                    res.good();
                    for (int i = 0; i < n; i++) {
                        r.put(lba + i, block);
                    }
                }
            }
            case 4 -> {
                int count = 1 + random.nextInt(4);
                List<UnmapParameterList.Descriptor> ds = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int m = random.nextInt(32);
                    ds.add(new UnmapParameterList.Descriptor(r.base + random.nextInt(REGION_BLOCKS - m + 1), m, 0));
                }
                if (pastEnd) {
                    ds.add(new UnmapParameterList.Descriptor(lba, n, 0));
                }
                log.add("UNMAP LUN " + r.lun + " " + ds);
                byte[] list = new UnmapParameterList(ds).encode();
                Result res = write(r.lun, new UnmapCdb(false, list.length).encode(), list);
                if (pastEnd) {
                    res.check(AdditionalSense.LBA_OUT_OF_RANGE);
                } else {
                    res.good();
                    for (UnmapParameterList.Descriptor d : ds) {
                        r.put(d.lba(), new byte[(int) d.blocks() * r.bs]);
                    }
                }
            }
            case 5, 6 -> {
                int m = Math.min(n, 1 + random.nextInt(8));
                long at = pastEnd ? blocks(r.lun) - m + 1 + random.nextInt(3) : Math.min(lba, r.base + REGION_BLOCKS - m);
                boolean match = random.nextInt(3) != 0;
                byte[] compare = pastEnd ? new byte[m * r.bs] : r.modelBlocks(at, m);
                int flip = -1;
                if (!match) {
                    flip = random.nextInt(compare.length);
                    compare[flip] ^= (byte) (1 + random.nextInt(255));
                }
                byte[] next = new byte[m * r.bs];
                random.nextBytes(next);
                byte[] data = Arrays.copyOf(compare, 2 * compare.length);
                System.arraycopy(next, 0, data, compare.length, next.length);
                log.add("COMPARE AND WRITE LUN " + r.lun + " LBA " + at + " x" + m + (match ? "" : " miscompare@" + flip));
                Result res = write(r.lun, new CompareAndWriteCdb(at, m, 0, false, random.nextBoolean()).encode(), data);
                if (pastEnd) {
                    res.check(AdditionalSense.LBA_OUT_OF_RANGE);
                } else if (match) {
                    res.good();
                    r.put(at, next);
                } else {
                    assertThat(res.check(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION).information())
                            .hasValue(flip);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /** A form that can address {@code lba} (the 6-byte ones reach 21 bits and 256 blocks). */
    private static OperationCode randomForm(Random random, boolean write, long lba, int n) {
        OperationCode[] forms = write
                ? new OperationCode[] {OperationCode.WRITE_6, OperationCode.WRITE_10, OperationCode.WRITE_12,
                        OperationCode.WRITE_16}
                : new OperationCode[] {OperationCode.READ_6, OperationCode.READ_10, OperationCode.READ_12,
                        OperationCode.READ_16};
        int pick = random.nextInt(4);
        if (pick == 0 && (lba > 0x1FFFFF || n > 256)) {
            pick = 3;
        }
        return forms[pick];
    }

    private void checkLbaStatus(Region r) {
        long at = r.base;
        while (at < r.base + REGION_BLOCKS) {
            byte[] d = run(r.lun, new ServiceActionIn16Cdb(0x12, at, 8 + 16 * 8).encode()).good().data();
            ByteBuffer b = ByteBuffer.wrap(d);
            assertThat(b.getLong(8)).isEqualTo(at);
            for (int i = 8; i + 16 <= d.length && at < r.base + REGION_BLOCKS; i += 16) {
                long lba = b.getLong(i);
                long blocks = b.getInt(i + 8) & 0xFFFF_FFFFL;
                int status = d[i + 12] & 0x0F;
                assertThat(lba).isEqualTo(at);
                assertThat(blocks).isPositive();
                if (status == LbaStatusDescriptor.DEALLOCATED) {
                    long end = Math.min(lba + blocks, r.base + REGION_BLOCKS);
                    assertThat(r.modelBlocks(lba, end - lba)).as("deallocated LBAs %d-%d", lba, end - 1)
                            .containsOnly(0);
                }
                at = lba + blocks;
            }
        }
    }
}
