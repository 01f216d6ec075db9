package org.copyoffload.testsupport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reports a leaked buffer, for the tests of every module. Test classes register it
 * with {@code @ExtendWith} (or JUnit autodetection), and fixtures call {@link #install()} before they
 * start anything, so its detector factory is in place before the first buffer exists. After each test
 * (and after each class, for what its shared server leaked on close) it collects garbage and allocates,
 * which makes the detectors report what was lost; a leak from an earlier test may surface one test late,
 * but it still fails the run.
 */
public final class LeakDetectionExtension implements AfterEachCallback, AfterAllCallback {
    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    /** Loads the class, which installs the recording detector factory. */
    public static void install() {
        // the static initializer did the work
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        // The class's shared server has closed by now: look harder, since nothing runs after this.
        sweep(context, 3);
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        // One round finds a test's leaks in that test (checked with a deliberately leaking test); the modules
        // run hundreds of tests each, and three rounds per test would cost half a minute in the target's.
        sweep(context, 1);
    }

    private static void sweep(ExtensionContext context, int rounds) throws InterruptedException {
        for (int round = 0; round < rounds; round++) {
            System.gc();
            Thread.sleep(10);
            // Detectors look for collected, unreleased buffers when the next buffer is tracked.
            for (int i = 0; i < 4; i++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(8);
                b.release();
                b = UnpooledByteBufAllocator.DEFAULT.heapBuffer(8);
                b.release();
            }
        }
        List<String> found;
        synchronized (LEAKS) {
            found = new ArrayList<>(LEAKS);
            LEAKS.clear();
        }
        if (!found.isEmpty()) {
            throw new AssertionError(found.size() + " leaked buffer(s) after " + context.getDisplayName()
                    + ":\n" + String.join("\n----\n", found));
        }
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected boolean needReport() {
                    return true;
                }

                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    record("LEAK " + resourceType + records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    record("LEAK " + resourceType + " (untraced)");
                }
            };
        }

        private static void record(String leak) {
            synchronized (LEAKS) {
                LEAKS.add(leak);
            }
        }
    }
}
