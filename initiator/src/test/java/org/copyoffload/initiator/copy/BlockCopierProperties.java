package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The copy path against a reference model over random stacks of linear, striped and crypt layers on memory devices, some of
 * which share a controller (and can copy between each other), some of which cannot copy, some of which refuse copies
 * or stop short. After every copy: the destination reads back as the source read before; no byte of any base device
 * outside the destination changed; offloaded and fallback bytes add up; and every byte the host copied has a reason
 * that a walk of the stack, block by block, confirms, while every byte that could be offloaded was.
 */
class BlockCopierProperties {
    static LongStream seeds() {
        return LongStream.range(0, 300);
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void copiesMatchTheModelAndEveryFallbackHasItsReason(long seed) {
        Random random = new Random(seed);
        int blockSize = random.nextBoolean() ? 512 : 4096;
        Object[] controllers = {new Object(), new Object(), null};
        List<MemoryDevice> bases = new ArrayList<>();
        int baseCount = 2 + random.nextInt(3);
        for (int k = 0; k < baseCount; k++) {
            MemoryDevice m = new MemoryDevice("base" + k, 64 + random.nextInt(64), blockSize,
                    controllers[random.nextInt(random.nextInt(4) == 0 ? 3 : 2)]);
            random.nextBytes(m.bytes);
            int fault = random.nextInt(8);
            if (fault == 0) {
                m.refuseCopies = true;
            } else if (fault == 1) {
                m.copyStopsAfter = (long) random.nextInt(8) * blockSize;
            }
            bases.add(m);
        }
        List<BlockDevice> level = new ArrayList<>(bases);
        int depth = random.nextInt(4);
        for (int d = 0; d < depth; d++) {
            // Each device of a level belongs to one layer above it, and linear segments take disjoint ranges: no two
            // top blocks share a base block, as in a real stack (copying between aliases has no defined result).
            List<BlockDevice> shuffled = new ArrayList<>(level);
            java.util.Collections.shuffle(shuffled, random);
            int split = shuffled.size() >= 2 ? 1 + random.nextInt(shuffled.size() - 1) : shuffled.size();
            List<BlockDevice> next = new ArrayList<>();
            next.add(randomLayer("l" + d + ".0", shuffled.subList(0, split), random, blockSize));
            if (split < shuffled.size()) {
                next.add(randomLayer("l" + d + ".1", shuffled.subList(split, shuffled.size()), random, blockSize));
            }
            level = next;
        }
        BlockDevice source = level.get(random.nextInt(level.size()));
        BlockDevice destination = level.get(random.nextInt(level.size()));
        long blocks = Math.min(source.size(), destination.size()) / blockSize;
        long length = (1 + random.nextInt((int) Math.max(1, blocks / 2))) * (long) blockSize;
        long sourceOffset = (long) random.nextInt((int) (source.size() / blockSize - length / blockSize + 1)) * blockSize;
        long destinationOffset;
        int tries = 0;
        do {
            destinationOffset = (long) random.nextInt((int) (destination.size() / blockSize - length / blockSize + 1))
                    * blockSize;
        } while (source == destination && sourceOffset < destinationOffset + length
                && destinationOffset < sourceOffset + length && ++tries < 100);
        if (source == destination && sourceOffset < destinationOffset + length
                && destinationOffset < sourceOffset + length) {
            return; // no disjoint destination found next to this source: nothing to check
        }

        byte[] expected = readAll(source, sourceOffset, (int) length);
        Map<MemoryDevice, byte[]> before = new HashMap<>();
        bases.forEach(b -> before.put(b, b.bytes.clone()));
        // Which base bytes the destination covers, walked block by block without the code under test.
        Map<MemoryDevice, boolean[]> covered = new HashMap<>();
        bases.forEach(b -> covered.put(b, new boolean[b.bytes.length]));
        for (long at = 0; at < length; at += blockSize) {
            Location l = locate(destination, destinationOffset + at);
            Arrays.fill(covered.get(l.device), (int) l.offset, (int) l.offset + blockSize, true);
        }

        CopyResult result = new BlockCopier(3 * blockSize, 4)
                .copy(source, sourceOffset, destination, destinationOffset, length).join();

        assertThat(readAll(destination, destinationOffset, (int) length)).as("destination, seed %d", seed)
                .isEqualTo(expected);
        for (MemoryDevice b : bases) {
            for (int i = 0; i < b.bytes.length; i++) {
                if (!covered.get(b)[i] && b.bytes[i] != before.get(b)[i]) {
                    throw new AssertionError("seed " + seed + ": " + b.name + " byte " + i
                            + " outside the destination changed");
                }
            }
        }
        assertThat(result.bytesOffloaded() + result.bytesByFallback()).isEqualTo(length);
        long fallbackBytes = result.fallbacks().stream().mapToLong(CopyResult.Fallback::length).sum();
        assertThat(fallbackBytes).as("fallback ranges add up, seed %d", seed).isEqualTo(result.bytesByFallback());

        FallbackReason[] reasonAt = new FallbackReason[(int) (length / blockSize)];
        for (CopyResult.Fallback f : result.fallbacks()) {
            for (long at = f.offset(); at < f.offset() + f.length(); at += blockSize) {
                assertThat(reasonAt[(int) (at / blockSize)]).as("block %d in two fallbacks", at / blockSize).isNull();
                reasonAt[(int) (at / blockSize)] = f.reason();
            }
        }
        for (long at = 0; at < length; at += blockSize) {
            Location from = locate(source, sourceOffset + at);
            Location to = locate(destination, destinationOffset + at);
            MemoryDevice src = from.device;
            MemoryDevice dst = to.device;
            FallbackReason why = reasonAt[(int) (at / blockSize)];
            String where = "seed " + seed + ", block " + at / blockSize + " (" + src.name + " to " + dst.name + ")";
            if (from.encrypted || to.encrypted) {
                assertThat(why).as(where).isEqualTo(FallbackReason.MAPPING_FORBIDS);
            } else if (dst.controller == null) {
                assertThat(why).as(where).isEqualTo(FallbackReason.NO_COPY_COMMAND);
            } else if (src.controller != dst.controller) {
                assertThat(why).as(where).isEqualTo(FallbackReason.DIFFERENT_DEVICES);
            } else if (dst.refuseCopies) {
                assertThat(why).as(where).isEqualTo(FallbackReason.DEVICE_REFUSED);
            } else if (dst.copyStopsAfter >= 0) {
                assertThat(why).as(where).isIn(null, FallbackReason.PARTIAL_COPY);
            } else {
                assertThat(why).as(where + ": could be offloaded").isNull();
            }
        }
    }

    private static BlockDevice randomLayer(String name, List<BlockDevice> owned, Random random, int blockSize) {
        if (random.nextInt(4) == 0) {
            byte[] key = new byte[random.nextBoolean() ? 32 : 64];
            random.nextBytes(key);
            return new CryptDevice(name, owned.getFirst(), key);
        }
        if (random.nextBoolean()) {
            List<LinearDevice.Segment> segments = new ArrayList<>();
            Map<BlockDevice, Long> used = new HashMap<>();
            int count = 1 + random.nextInt(5);
            for (int k = 0; k < count; k++) {
                BlockDevice d = owned.get(random.nextInt(owned.size()));
                long from = used.getOrDefault(d, 0L) + (long) random.nextInt(3) * blockSize;
                long left = (d.size() - from) / blockSize;
                if (left <= 0) {
                    continue;
                }
                long n = 1 + random.nextInt((int) Math.min(left, 48));
                segments.add(new LinearDevice.Segment(d, from, n * blockSize));
                used.put(d, from + n * blockSize);
            }
            if (segments.isEmpty()) {
                BlockDevice d = owned.getFirst();
                segments.add(new LinearDevice.Segment(d, 0, d.size() / blockSize * blockSize));
            }
            return new LinearDevice(name, segments);
        }
        long smallest = owned.stream().mapToLong(BlockDevice::size).min().orElseThrow() / blockSize;
        return new StripedDevice(name, owned, (1 + random.nextInt((int) Math.min(4, smallest))) * (long) blockSize);
    }

    /** A block's place on a base device, and whether a layer on the way there encrypts by position. */
    record Location(MemoryDevice device, long offset, boolean encrypted) {
    }

    /** Where one block of {@code device} lies on a base device, by asking each layer for that block alone. */
    static Location locate(BlockDevice device, long offset) {
        boolean encrypted = false;
        while (device instanceof MappedDevice m) {
            encrypted |= m instanceof CryptDevice;
            List<MappedDevice.Extent> e = m.map(offset, m.blockSize());
            assertThat(e).hasSize(1);
            device = e.getFirst().device();
            offset = e.getFirst().offset();
        }
        return new Location((MemoryDevice) device, offset, encrypted);
    }

    static byte[] readAll(BlockDevice device, long offset, int length) {
        ByteBuf b = device.read(offset, length).join();
        try {
            byte[] out = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), out);
            return out;
        } finally {
            b.release();
        }
    }
}
