package org.copyoffload.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The reference for NVMe/TCP throughput: TCP streams over loopback, each between two Java threads, a writer sending
 * 128 KiB buffers and a reader draining them, as fast as the machine allows (what iperf3 measures, with {@code -P}
 * for several streams). The reader is woken for {@value #READER_WATERMARK} bytes at a time, as the NVMe/TCP decoders
 * are for data PDUs, and reads up to 1 MiB at once: a reference that the data path's own tricks would beat is no
 * reference (see {@link NativeLoopbackListener}).
 */
final class LoopbackBandwidth {
    private LoopbackBandwidth() {
    }

    /**
     * The references of one run: one stream, and as many streams as the host has queues. A figure measured over
     * {@code queues} connections is compared with as many streams: one stream alone would flatter it, since it leaves
     * a core of this machine idle.
     */
    record Reference(double oneStream, double streams, int count) {
        /** The reference for a figure measured over {@code queues} connections. */
        double forQueues(int queues) {
            return queues <= 1 || count <= 1 ? oneStream : streams;
        }

        /** "0.62 of 2 loopback streams, 1.20 of one" for a figure over {@code queues} connections. */
        String describe(double bytesPerSecond, int queues) {
            if (queues <= 1 || count <= 1) {
                return String.format(java.util.Locale.ROOT, "%.2f of one loopback stream", bytesPerSecond / oneStream);
            }
            return String.format(java.util.Locale.ROOT, "%.2f of %d loopback streams, %.2f of one", bytesPerSecond / streams,
                    count, bytesPerSecond / oneStream);
        }
    }

    /** What streams carried: bytes per second, and the process's CPU time per GB carried. */
    record Measured(double bytesPerSecond, double cpuSecondsPerGb) {
    }

    /** What the reader asks for at once (SO_RCVLOWAT), the NVMe/TCP decoder's largest watermark. */
    static final int READER_WATERMARK = 256 << 10;
    /** Every byte the writers send. */
    static final byte PATTERN = (byte) 0xa5;
    /** The reader's buffer: large, so that one read takes everything a wake-up found. */
    static final int READ_BYTES = 1 << 20;

    /** Bytes per second received over {@code duration} by {@code streams} streams together, after a short warm-up. */
    static Measured measure(Duration duration, int bufferSize, int streams) throws IOException, InterruptedException {
        return measure(duration, bufferSize, streams, true);
    }

    /**
     * @param watermarked false for the stream as earlier runs measured it (and iperf3 does): a reader woken for every
     *                    segment, reading {@code bufferSize} at a time; printed beside the reference, never one
     */
    static Measured measure(Duration duration, int bufferSize, int streams, boolean watermarked)
            throws IOException, InterruptedException {
        return measure(duration, bufferSize, streams, watermarked, null, 0);
    }

    /**
     * The reference's streams with readers that also write everything they receive into the page cache: each into its
     * own {@code regionPerStream} bytes of {@code file}, over and over, written and synced first so that every write
     * overwrites cached pages (as the bench's 128 KiB writes do). No protocol, so a 128 KiB write over NVMe/TCP can
     * approach this, never pass it.
     */
    static Measured measureIntoFile(Duration duration, int bufferSize, int streams, Path file, long regionPerStream)
            throws IOException, InterruptedException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(READ_BYTES);
            for (long at = 0; at < streams * regionPerStream; at += READ_BYTES) {
                zeros.clear().limit((int) Math.min(READ_BYTES, streams * regionPerStream - at));
                while (zeros.hasRemaining()) {
                    channel.write(zeros, at + zeros.position());
                }
            }
            channel.force(false);
            return measure(duration, bufferSize, streams, true, channel, regionPerStream);
        }
    }

    private static Measured measure(Duration duration, int bufferSize, int streams, boolean watermarked,
                                    FileChannel sink, long regionPerStream) throws IOException, InterruptedException {
        try (NativeLoopbackListener server = NativeLoopbackListener.open()) {
            AtomicLong received = new AtomicLong();
            List<IOException> failures = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                long regionStart = i * regionPerStream;
                threads.add(Thread.ofPlatform().name("loopback-reader-" + i).start(() -> {
                    try (Arena arena = Arena.ofConfined()) {
                        int in = server.accept();
                        try {
                            if (watermarked) {
                                NativeLoopbackListener.wakeAfter(in, READER_WATERMARK);
                            }
                            MemorySegment buf = arena.allocate(watermarked ? READ_BYTES : bufferSize, 4096);
                            MemorySegment errno = NativeLoopbackListener.errnoSegment(arena);
                            long n;
                            long offset = 0;
                            while ((n = NativeLoopbackListener.read(in, buf, errno)) > 0) {
                                if (sink != null) {
                                    if (offset + n > regionPerStream) {
                                        offset = 0;
                                    }
                                    ByteBuffer data = buf.asSlice(0, n).asByteBuffer();
                                    while (data.hasRemaining()) {
                                        sink.write(data, regionStart + offset + data.position());
                                    }
                                    offset += n;
                                }
                                received.addAndGet(n);
                            }
                        } finally {
                            NativeLoopbackListener.closeFd(in);
                        }
                    } catch (IOException e) {
                        // a write into the sink failed, or the listener closed because a writer could not connect
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                }));
            }
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            // All writers warm up for half a second, then the bytes received in the measured interval are counted.
            long warmUpEnd = System.nanoTime() + Duration.ofMillis(500).toNanos();
            long end = warmUpEnd + duration.toNanos();
            CountDownLatch done = new CountDownLatch(streams);
            for (int i = 0; i < streams; i++) {
                threads.add(Thread.ofPlatform().name("loopback-writer-" + i).start(() -> {
                    try (SocketChannel out = SocketChannel.open(address)) {
                        out.setOption(StandardSocketOptions.TCP_NODELAY, true);
                        ByteBuffer buf = ByteBuffer.allocateDirect(bufferSize);
                        while (buf.hasRemaining()) {
                            buf.put(PATTERN);  // not zeros, so that what a reader writes into a file shows
                        }
                        while (System.nanoTime() < end) {
                            out.write(buf.clear());
                        }
                    } catch (IOException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    } finally {
                        done.countDown();
                    }
                }));
            }
            Thread.sleep(Math.max(0, (warmUpEnd - System.nanoTime()) / 1_000_000));
            long startBytes = received.get();
            long cpuStart = ProcessCpu.nanos();
            long start = System.nanoTime();
            done.await();
            long bytes = received.get() - startBytes;
            long elapsed = System.nanoTime() - start;
            long cpu = ProcessCpu.nanos() - cpuStart;
            for (Thread t : threads) {
                t.join();
            }
            if (!failures.isEmpty()) {
                throw failures.getFirst();
            }
            return new Measured(bytes / (elapsed / 1e9), bytes == 0 ? 0 : cpu / 1e9 / (bytes / 1e9));
        }
    }
}
