package org.copyoffload.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference for NVMe/TCP throughput: one TCP stream over loopback between two Java threads, a writer
 * sending 128 KiB buffers and a reader draining them, as fast as the machine allows (what iperf3 measures).
 */
final class LoopbackBandwidth {
    private LoopbackBandwidth() {
    }

    /** Bytes per second received over {@code duration}, after a short warm-up. */
    static double measure(Duration duration, int bufferSize) throws IOException, InterruptedException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            AtomicLong received = new AtomicLong();
            Thread reader = Thread.ofPlatform().name("loopback-reader").start(() -> {
                try (SocketChannel in = server.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
                    int n;
                    while ((n = in.read(buf.clear())) >= 0) {
                        received.addAndGet(n);
                    }
                } catch (IOException e) {
                    // the writer closed first: the measurement is over
                }
            });
            try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
                out.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
                long warmUpEnd = System.nanoTime() + Duration.ofMillis(500).toNanos();
                while (System.nanoTime() < warmUpEnd) {
                    out.write(buf.clear());
                }
                long startBytes = received.get();
                long start = System.nanoTime();
                long end = start + duration.toNanos();
                while (System.nanoTime() < end) {
                    out.write(buf.clear());
                }
                long bytes = received.get() - startBytes;
                long elapsed = System.nanoTime() - start;
                out.close();
                reader.join();
                return bytes / (elapsed / 1e9);
            }
        }
    }
}
