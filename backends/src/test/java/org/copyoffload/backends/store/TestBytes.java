package org.copyoffload.backends.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

/** Test data helpers shared by the store tests. */
final class TestBytes {
    private TestBytes() {
    }

    static byte[] random(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static byte[] read(BlockStore store, long offset, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        store.read(offset, buffer);
        assertThat(buffer.hasRemaining()).isFalse();
        return buffer.array();
    }

    static byte[] readAll(BlockStore store) throws IOException {
        return read(store, 0, Math.toIntExact(store.size()));
    }

    static void write(BlockStore store, long offset, byte[] bytes) throws IOException {
        store.write(offset, ByteBuffer.wrap(bytes), false);
    }

    /** Compares without dumping megabytes into the failure message. */
    static void assertSameBytes(byte[] actual, byte[] expected, String what) {
        int at = Arrays.mismatch(actual, expected);
        assertThat(at).as("%s: first differing byte (lengths %d and %d)", what, actual.length, expected.length)
                .isEqualTo(-1);
    }

    static void assertZeros(byte[] actual, String what) {
        assertSameBytes(actual, new byte[actual.length], what);
    }
}
