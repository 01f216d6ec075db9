package org.copyoffload.server.scsi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.scsi.AdditionalSense;
import org.copyoffload.protocol.scsi.BlockDeviceRange;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PopulateTokenParameters;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.ReceiveCopyResultsCdb;
import org.copyoffload.protocol.scsi.RodToken;
import org.copyoffload.protocol.scsi.RodTokenInformation;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.protocol.scsi.TokenCopyCdb;
import org.copyoffload.protocol.scsi.WriteUsingTokenParameters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded random sequences of WRITE, POPULATE TOKEN and WRITE USING TOKEN (with OFFSET INTO ROD, DEL_TKN and the block
 * device zero token) over the first 128 KiB of LUN 0 (4 KiB blocks) and LUN 1 (512-byte blocks), against a model of
 * byte arrays and tokens: a token copies what its ranges held when it was made, and is refused as revoked once any
 * of those blocks was written, or as deleted after DEL_TKN; TRANSFER COUNT is what was written. The model computes a
 * copy its own way (the token's bytes as one stream, skipped and poured into the destination ranges).
 */
class TokenCopyModelProperties extends ScsiTestBase {
    private static final int REGION = 128 << 10;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 12);
    }

    private final byte[][] model = {new byte[REGION], new byte[REGION]};

    private record ModelToken(RodToken token, int unit, List<BlockDeviceRange> ranges, String[] state) {
    }

    private static int bs(int unit) {
        return unit == 0 ? 4096 : 512;
    }

    /** 1 to 3 ranges in separate slices of the region, so they never overlap. */
    private static List<BlockDeviceRange> ranges(Random random, int unit) {
        int blocks = REGION / bs(unit);
        int k = 1 + random.nextInt(3);
        int slice = blocks / k;
        List<BlockDeviceRange> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int length = 1 + random.nextInt(Math.min(slice, 24));
            int start = i * slice + random.nextInt(slice - length + 1);
            out.add(new BlockDeviceRange(start, length));
        }
        if (random.nextBoolean()) {
            java.util.Collections.reverse(out);
        }
        return out;
    }

    private static boolean overlaps(List<BlockDeviceRange> ranges, long lba, long blocks) {
        return ranges.stream().anyMatch(r -> r.lba() < lba + blocks && lba < r.lba() + r.blocks());
    }

    private void written(List<ModelToken> tokens, int unit, long lba, long blocks) {
        for (ModelToken t : tokens) {
            if (t.unit == unit && t.state[0].equals("valid") && overlaps(t.ranges, lba, blocks)) {
                t.state[0] = "revoked";
            }
        }
    }

    private Result wut(int unit, long listId, byte[] token, long offset, boolean delete, List<BlockDeviceRange> r) {
        byte[] list = new WriteUsingTokenParameters(delete, false, offset, token, r).encode();
        return write(A, unit, new TokenCopyCdb(OperationCode.ExtendedCopy.WRITE_USING_TOKEN, listId, list.length, 0)
                .encode(), list);
    }

    private RodTokenInformation rrti(int unit, long listId) {
        byte[] data = run(A, unit, new ReceiveCopyResultsCdb(0x07, listId, 4096).encode()).good().data();
        return RodTokenInformation.decode(data, data.length);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void tokenCopiesMatchTheModel(long seed) {
        Random random = new Random(seed);
        List<ModelToken> tokens = new ArrayList<>();
        for (int op = 0; op < 60; op++) {
            int choice = random.nextInt(10);
            if (choice < 3 || tokens.isEmpty() && choice >= 6) {
                int unit = random.nextInt(2);
                int blocks = 1 + random.nextInt(4);
                int lba = random.nextInt(REGION / bs(unit) - blocks + 1);
                byte[] data = new byte[blocks * bs(unit)];
                random.nextBytes(data);
                write(A, unit, new ReadWriteCdb(OperationCode.WRITE_16, lba, blocks, 0, false, false).encode(), data)
                        .good();
                System.arraycopy(data, 0, model[unit], lba * bs(unit), data.length);
                written(tokens, unit, lba, blocks);
            } else if (choice < 6) {
                int unit = random.nextInt(2);
                List<BlockDeviceRange> r = ranges(random, unit);
                byte[] list = new PopulateTokenParameters(false, false, 0, 0, r).encode();
                write(A, unit, new TokenCopyCdb(OperationCode.ExtendedCopy.POPULATE_TOKEN, op, list.length, 0)
                        .encode(), list).good();
                tokens.add(new ModelToken(rrti(unit, op).token().orElseThrow(), unit, r, new String[] {"valid"}));
            } else {
                boolean zero = random.nextInt(8) == 0;
                ModelToken t = zero ? null : tokens.get(random.nextInt(tokens.size()));
                int unit = random.nextInt(2);
                List<BlockDeviceRange> r = ranges(random, unit);
                if (t != null && t.unit == unit && r.stream().anyMatch(d -> overlaps(t.ranges, d.lba(), d.blocks()))) {
                    unit = 1 - unit; // a copy onto its own source ranges is not modelled
                    r = ranges(random, unit);
                }
                int dbs = bs(unit);
                long sourceBytes = t == null ? 0 : BlockDeviceRange.totalBlocks(t.ranges) * bs(t.unit);
                long offsetLimit = t == null ? 1 : sourceBytes / dbs;
                long offset = offsetLimit == 0 ? 0 : random.nextLong(offsetLimit);
                boolean delete = random.nextInt(6) == 0;
                Result result = wut(unit, 1000 + op, t == null ? RodToken.blockDeviceZero().bytes() : t.token.bytes(),
                        offset, delete, r);
                if (t != null && !t.state[0].equals("valid")) {
                    result.check(t.state[0].equals("revoked") ? AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_REVOKED
                            : AdditionalSense.INVALID_TOKEN_OPERATION_TOKEN_DELETED);
                    continue;
                }
                if (offsetLimit == 0) {
                    result.check(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST);
                    continue;
                }
                assertThat(result.status()).as("op %d", op).isEqualTo(ScsiStatus.GOOD);
                // The model: the token's bytes as one stream from the offset, poured into the ranges in order.
                byte[] stream;
                if (t == null) {
                    stream = new byte[(int) (BlockDeviceRange.totalBlocks(r) * dbs)];
                } else {
                    java.io.ByteArrayOutputStream s = new java.io.ByteArrayOutputStream();
                    for (BlockDeviceRange source : t.ranges) {
                        s.write(model[t.unit], (int) source.lba() * bs(t.unit), (int) source.blocks() * bs(t.unit));
                    }
                    byte[] all = s.toByteArray();
                    stream = Arrays.copyOfRange(all, (int) (offset * dbs), all.length);
                }
                int at = 0;
                for (BlockDeviceRange d : r) {
                    int n = (int) Math.min(d.blocks() * dbs, stream.length - at);
                    if (n <= 0) {
                        break;
                    }
                    System.arraycopy(stream, at, model[unit], (int) d.lba() * dbs, n);
                    written(tokens, unit, d.lba(), (n + dbs - 1) / dbs);
                    at += n;
                }
                assertThat(rrti(unit, 1000 + op).transferCount()).as("op %d", op).isEqualTo(at / dbs);
                if (t != null && delete) {
                    t.state[0] = "deleted";
                }
            }
            if (op % 10 == 9) {
                compare(op);
            }
        }
        compare(60);
    }

    private void compare(int op) {
        for (int unit = 0; unit < 2; unit++) {
            assertThat(read16(unit, 0, REGION / bs(unit))).as("LUN %d after op %d", unit, op).isEqualTo(model[unit]);
        }
    }
}
