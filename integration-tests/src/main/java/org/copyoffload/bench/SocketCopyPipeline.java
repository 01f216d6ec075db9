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

/**
 * The host-driven copy with the protocol taken out: what copying through a host over loopback costs on this machine
 * at least. Per queue, a source thread reads chunks of one file and sends them over a loopback connection (the
 * target's READ data), a forwarder receives each whole chunk and sends it on over a second connection (the host), and
 * a sink receives each whole chunk and writes it into the other file at the same offset (the target's WRITE). The
 * receivers are woken for {@link LoopbackBandwidth#READER_WATERMARK} bytes at a time, as the loopback reference's and
 * the NVMe/TCP decoders' are. There are no commands, completions, R2Ts or PDU headers, so the NVMe/TCP host-driven
 * copy over the same files, chunk size and queue count can approach this figure, never pass it: the ratio between
 * them is what the protocol and our code cost.
 */
final class SocketCopyPipeline {
    /** A round that takes this long has stalled; the bench would rather fail than hang. */
    private static final Duration STALLED = Duration.ofMinutes(2);

    private SocketCopyPipeline() {
    }

    /** Wall time and the process's CPU time of one copy. */
    record Measured(double seconds, double cpuSeconds) {
    }

    /**
     * Copies bytes [0, size) of {@code from} to the same bytes of {@code to}, {@code chunk} bytes at a time (the last
     * chunk may be shorter) over {@code queues} pipelines that run at once.
     */
    static Measured copy(Path from, Path to, long size, int queues, int chunk) throws IOException, InterruptedException {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        List<Lane> lanes = new ArrayList<>();
        try (NativeLoopbackListener hostSide = NativeLoopbackListener.open();
             NativeLoopbackListener targetSide = NativeLoopbackListener.open();
             FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(to, StandardOpenOption.WRITE)) {
            try {
                for (int q = 0; q < queues; q++) {
                    lanes.add(Lane.open(hostSide, targetSide));
                }
                long cpuStart = ProcessCpu.nanos();
                long start = System.nanoTime();
                // The first failure stops every thread (their reads end, their writes fail) and is the one reported.
                Runnable abort = () -> lanes.forEach(Lane::shutdown);
                long chunks = (size + chunk - 1) / chunk;
                for (int q = 0; q < queues; q++) {
                    // Chunk i goes over queue i mod queues, as the host-driven copy spreads its pairs.
                    int queue = q;
                    Lane lane = lanes.get(q);
                    threads.add(start("pipeline-source-" + q, failures, abort, () -> {
                        ByteBuffer buf = ByteBuffer.allocateDirect(chunk);
                        for (long i = queue; i < chunks; i += queues) {
                            long at = i * chunk;
                            buf.clear().limit(length(size, chunk, i));
                            while (buf.hasRemaining()) {
                                if (in.read(buf, at + buf.position()) < 0) {
                                    throw new IOException(from + " ends before byte " + (at + buf.position()));
                                }
                            }
                            buf.flip();
                            writeFully(lane.source, buf);
                        }
                    }));
                    threads.add(start("pipeline-host-" + q, failures, abort, () -> {
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment buf = arena.allocate(chunk, 4096);
                            ChunkReader reader = new ChunkReader(lane.hostEnd, arena);
                            for (long i = queue; i < chunks; i += queues) {
                                MemorySegment data = buf.asSlice(0, length(size, chunk, i));
                                reader.readFully(data);
                                writeFully(lane.forward, data.asByteBuffer());
                            }
                        }
                    }));
                    threads.add(start("pipeline-sink-" + q, failures, abort, () -> {
                        try (Arena arena = Arena.ofConfined()) {
                            MemorySegment buf = arena.allocate(chunk, 4096);
                            ChunkReader reader = new ChunkReader(lane.sinkEnd, arena);
                            for (long i = queue; i < chunks; i += queues) {
                                long at = i * chunk;
                                MemorySegment received = buf.asSlice(0, length(size, chunk, i));
                                reader.readFully(received);
                                ByteBuffer data = received.asByteBuffer();
                                while (data.hasRemaining()) {
                                    out.write(data, at + data.position());
                                }
                            }
                        }
                    }));
                }
                long deadline = System.nanoTime() + STALLED.toNanos();
                for (Thread t : threads) {
                    t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    if (t.isAlive()) {
                        abort.run();
                        for (Thread u : threads) {
                            u.join();
                        }
                        throw new IOException("the socket copy pipeline stalled for " + STALLED + " (" + failures + ")");
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                double cpu = (ProcessCpu.nanos() - cpuStart) / 1e9;
                synchronized (failures) {
                    if (!failures.isEmpty()) {
                        throw new IOException("the socket copy pipeline failed", failures.getFirst());
                    }
                }
                return new Measured(seconds, cpu);
            } finally {
                lanes.forEach(Lane::close);
            }
        }
    }

    /**
     * One queue's two connections: {@code source} (target side, sending READ data) to {@code hostEnd}, and
     * {@code forward} (host side, sending WRITE data) to {@code sinkEnd}.
     */
    private record Lane(SocketChannel source, int hostEnd, SocketChannel forward, int sinkEnd) {
        static Lane open(NativeLoopbackListener hostSide, NativeLoopbackListener targetSide) throws IOException {
            SocketChannel source = connect(hostSide.port());
            SocketChannel forward = null;
            int hostEnd = -1;
            try {
                hostEnd = hostSide.accept();
                forward = connect(targetSide.port());
                return new Lane(source, hostEnd, forward, targetSide.accept());
            } catch (IOException e) {
                closeQuietly(source);
                if (forward != null) {
                    closeQuietly(forward);
                }
                if (hostEnd >= 0) {
                    NativeLoopbackListener.closeFd(hostEnd);
                }
                throw e;
            }
        }

        /** Wakes every thread blocked on the lane: reads end, writes fail. */
        void shutdown() {
            NativeLoopbackListener.shutdownFd(hostEnd);
            NativeLoopbackListener.shutdownFd(sinkEnd);
            closeQuietly(source);
            closeQuietly(forward);
        }

        void close() {
            closeQuietly(source);
            closeQuietly(forward);
            NativeLoopbackListener.closeFd(hostEnd);
            NativeLoopbackListener.closeFd(sinkEnd);
        }
    }

    private static int length(long size, int chunk, long index) {
        return (int) Math.min(chunk, size - index * chunk);
    }

    private interface Step {
        void run() throws IOException;
    }

    private static Thread start(String name, List<Throwable> failures, Runnable abort, Step step) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                step.run();
            } catch (IOException | RuntimeException e) {
                boolean first;
                synchronized (failures) {
                    first = failures.isEmpty();
                    failures.add(e);
                }
                if (first) {
                    abort.run();
                }
            }
        });
    }

    private static SocketChannel connect(int port) throws IOException {
        SocketChannel channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return channel;
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    /**
     * Reads whole chunks from one connection as the NVMe/TCP decoders read PDUs: what has arrived, without sleeping in
     * the read, and woken for as much of the chunk as is still missing, at most
     * {@link LoopbackBandwidth#READER_WATERMARK}. The kernel wakes a reader only once SO_RCVLOWAT bytes wait in the
     * socket, so a watermark above what the peer still sends would wait forever for the last chunk.
     */
    private static final class ChunkReader {
        private final int fd;
        private final MemorySegment errno;
        private final MemorySegment pollfd;
        private int watermark;

        ChunkReader(int fd, Arena arena) {
            this.fd = fd;
            this.errno = NativeLoopbackListener.errnoSegment(arena);
            this.pollfd = NativeLoopbackListener.pollfdSegment(arena);
        }

        void readFully(MemorySegment buf) throws IOException {
            long got = 0;
            while (got < buf.byteSize()) {
                int wanted = (int) Math.min(LoopbackBandwidth.READER_WATERMARK, buf.byteSize() - got);
                if (wanted != watermark) {
                    NativeLoopbackListener.wakeAfter(fd, wanted);
                    watermark = wanted;
                }
                long n = NativeLoopbackListener.readWhenReady(fd, buf.asSlice(got), errno, pollfd);
                if (n <= 0) {
                    throw new IOException("the stream ended " + got + " bytes into a " + buf.byteSize() + "-byte chunk");
                }
                got += n;
            }
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing after the copy: nothing to do about it
        }
    }
}
