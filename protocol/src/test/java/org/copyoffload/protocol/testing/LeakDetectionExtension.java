package org.copyoffload.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty's {@link ResourceLeakDetector} reports a leaked {@link ByteBuf}. Surefire runs with
 * {@code -Dio.netty.leakDetection.level=paranoid}, so every buffer is tracked; this extension installs a
 * leak listener on the ByteBuf detector and, after each test, forces a garbage collection and allocates a
 * buffer (allocation is when the detector drains its reference queue and reports). Leaks already reported when
 * a test starts belong to an earlier test that did not use this extension: they are printed, not blamed on it.
 */
public final class LeakDetectionExtension implements BeforeEachCallback, AfterEachCallback {
    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();

    static {
        if (ResourceLeakDetector.getLevel().ordinal() < ResourceLeakDetector.Level.PARANOID.ordinal()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        }
        ByteBufUtil.setLeakListener((resourceType, records) -> LEAKS.add(resourceType + " leaked:\n" + records));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        List<String> earlier = drain();
        if (!earlier.isEmpty()) {
            System.err.println("Leaks reported before " + context.getDisplayName() + ":\n" + String.join("\n", earlier));
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Garbage-collects until a sentinel is enqueued, then allocates tracked buffers so pending leaks get reported. */
    public static List<String> collect() {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
        for (int attempt = 0; attempt < 10 && !sentinel.refersTo(null); attempt++) {
            System.gc();
        }
        try {
            // The reference handler thread enqueues the detector's references along with the sentinel.
            queue.remove(200);
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < 2; i++) {
            // Direct and composite buffers are always tracked (unpooled heap buffers are not).
            ByteBuf probe = Unpooled.directBuffer(1);
            probe.release();
        }
        return drain();
    }

    private static List<String> drain() {
        List<String> out = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            out.add(leak);
        }
        return out;
    }
}
