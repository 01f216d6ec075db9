package org.copyoffload.backends.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Operations on a pair of stores, each mirrored on a plain byte[] reference model. Kept apart from the generator
 * so the same checks could be driven by any source of random operations.
 */
final class StoreModel {
    private final BlockStore[] stores;
    private final byte[][] models;
    private final int copyChunkBytes;

    StoreModel(BlockStore first, BlockStore second, int copyChunkBytes) {
        this.stores = new BlockStore[] {first, second};
        this.models = new byte[][] {new byte[Math.toIntExact(first.size())], new byte[Math.toIntExact(second.size())]};
        this.copyChunkBytes = copyChunkBytes;
    }

    sealed interface Op {
        void apply(StoreModel m) throws IOException;
    }

    record Write(int store, int offset, int length, long seed, boolean durable) implements Op {
        @Override
        public void apply(StoreModel m) throws IOException {
            byte[] data = TestBytes.random(seed, length);
            m.stores[store].write(offset, ByteBuffer.wrap(data), durable);
            System.arraycopy(data, 0, m.models[store], offset, length);
        }
    }

    record WriteZeroes(int store, int offset, int length, boolean deallocate, boolean durable) implements Op {
        @Override
        public void apply(StoreModel m) throws IOException {
            m.stores[store].writeZeroes(offset, length, deallocate, durable);
            Arrays.fill(m.models[store], offset, offset + length, (byte) 0);
        }
    }

    record Deallocate(int store, int offset, int length) implements Op {
        @Override
        public void apply(StoreModel m) throws IOException {
            m.stores[store].deallocate(offset, length);
            Arrays.fill(m.models[store], offset, offset + length, (byte) 0);
        }
    }

    record Copy(int src, int srcOffset, int dst, int dstOffset, int length, boolean durable) implements Op {
        @Override
        public void apply(StoreModel m) throws IOException {
            StoreCopier.copy(m.stores[src], srcOffset, m.stores[dst], dstOffset, length, durable, m.copyChunkBytes);
            // System.arraycopy behaves as if through a temporary when the ranges overlap: the semantics we want.
            System.arraycopy(m.models[src], srcOffset, m.models[dst], dstOffset, length);
        }
    }

    void run(List<Op> ops) throws IOException {
        for (Op op : ops) {
            op.apply(this);
        }
    }

    /** Null if every store matches its model, else where the first difference is. */
    String firstDifference() throws IOException {
        for (int i = 0; i < stores.length; i++) {
            byte[] actual = TestBytes.readAll(stores[i]);
            int at = Arrays.mismatch(actual, models[i]);
            if (at >= 0) {
                return "store " + i + " (" + stores[i] + ") differs at byte " + at + ": " + actual[at]
                        + " instead of " + models[i][at];
            }
        }
        return null;
    }
}
