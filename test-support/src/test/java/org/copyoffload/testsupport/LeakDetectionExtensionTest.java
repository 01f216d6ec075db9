package org.copyoffload.testsupport;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.reflect.Proxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The leak check itself: a buffer dropped without release fails the test that dropped it; a released one does not. */
class LeakDetectionExtensionTest {
    static {
        // Before the first buffer: Netty's detectors come from the factory in place when ByteBuf is initialized.
        LeakDetectionExtension.install();
    }

    /** Only the display name is asked for, to name the test in the failure. */
    private static ExtensionContext context(String name) {
        return (ExtensionContext) Proxy.newProxyInstance(ExtensionContext.class.getClassLoader(),
                new Class<?>[] {ExtensionContext.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getDisplayName", "toString" -> name;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aDroppedBufferFailsTheTest() throws Exception {
        LeakDetectionExtension extension = new LeakDetectionExtension();
        extension.afterEach(context("before")); // whatever this JVM left so far
        leakOne();
        assertThatThrownBy(() -> extension.afterEach(context("leaky test")))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("leaked buffer(s) after leaky test")
                .hasMessageContaining("leakOne");
        assertThatCode(() -> extension.afterEach(context("next test"))).as("reported once").doesNotThrowAnyException();
    }

    @Test
    void aReleasedBufferPasses() throws Exception {
        LeakDetectionExtension extension = new LeakDetectionExtension();
        extension.afterEach(context("before"));
        ByteBuf b = Unpooled.directBuffer(64).writeLong(1);
        b.release();
        assertThatCode(() -> extension.afterEach(context("clean test"))).doesNotThrowAnyException();
    }

    private static void leakOne() {
        ByteBuf b = Unpooled.directBuffer(16);
        b.writeInt(42);
        b.touch("deliberately leaked by LeakDetectionExtensionTest");
    }
}
