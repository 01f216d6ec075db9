package org.copyoffload.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check itself: a buffer dropped without release must be reported by {@link LeakDetectionExtension#collect()}. */
class LeakDetectionExtensionTest {

    @Test
    void reportsADroppedBuffer() {
        LeakDetectionExtension.collect(); // whatever earlier tests left
        leakOne();
        List<String> leaks = LeakDetectionExtension.collect();
        assertThat(leaks).as("a dropped direct buffer is reported").hasSize(1);
        assertThat(leaks.getFirst()).contains("ByteBuf").contains("leakOne");
    }

    @Test
    void reportsNothingWhenReleased() {
        LeakDetectionExtension.collect();
        ByteBuf b = Unpooled.directBuffer(64).writeLong(1);
        b.release();
        assertThat(LeakDetectionExtension.collect()).isEmpty();
    }

    private static void leakOne() {
        ByteBuf b = Unpooled.directBuffer(16);
        b.writeInt(42);
        b.touch("deliberately leaked by LeakDetectionExtensionTest");
    }
}
