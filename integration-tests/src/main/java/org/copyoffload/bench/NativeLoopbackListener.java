package org.copyoffload.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The reading end of the loopback reference: a plain blocking TCP socket on 127.0.0.1, driven through libc, whose
 * reader asks the kernel (SO_RCVLOWAT) to wake it only once a large read's worth has arrived, the way the NVMe/TCP
 * decoder asks for the rest of a data PDU. A reader woken for every 64 KiB segment spends more CPU on wake-ups than on
 * copying on this project's 2-core virtual machines, so a reference without the watermark would be slower than TCP
 * can honestly be (a C program, 2026-12-07: 3.0 against 4.9 GB/s for one stream of 128 KiB writes). The JDK's
 * sockets have no such option, hence libc.
 */
final class NativeLoopbackListener implements AutoCloseable {
    private static final int AF_INET = 2;
    private static final int SOCK_STREAM = 1;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVLOWAT = 18;
    private static final int EINTR = 4;
    private static final int SOCKADDR_IN = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = bind("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle BIND = bind("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = bind("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = bind("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle ACCEPT = bind("accept", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = bind("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle READ = bind("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle RECV = bind("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle POLL = bind("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;
    private static final short POLLIN = 1;
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SHUTDOWN = bind("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final int SHUT_RDWR = 2;

    private final int fd;
    private final int port;

    private NativeLoopbackListener(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    private static MethodHandle bind(String name, FunctionDescriptor fn) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fn,
                Linker.Option.captureCallState("errno"));
    }

    /** A listening socket on 127.0.0.1, on a port the kernel picks. */
    static NativeLoopbackListener open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int fd = (int) SOCKET.invokeExact(errno, AF_INET, SOCK_STREAM, 0);
            check(fd, errno, "socket");
            MemorySegment addr = arena.allocate(SOCKADDR_IN);
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            addr.set(ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f00_0001);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, SOCKADDR_IN);
            try {
                check((int) BIND.invokeExact(errno, fd, addr, SOCKADDR_IN), errno, "bind");
                check((int) LISTEN.invokeExact(errno, fd, 16), errno, "listen");
                check((int) GETSOCKNAME.invokeExact(errno, fd, addr, length), errno, "getsockname");
            } catch (IOException e) {
                closeFd(fd);
                throw e;
            }
            int port = Short.toUnsignedInt(addr.get(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2));
            return new NativeLoopbackListener(fd, port);
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    int port() {
        return port;
    }

    /** Waits for the next connection; returns its descriptor, which the caller closes with {@link #closeFd}. */
    int accept() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            int conn;
            do {
                conn = (int) ACCEPT.invokeExact(errno, fd, MemorySegment.NULL, MemorySegment.NULL);
            } while (conn < 0 && (int) ERRNO.get(errno, 0L) == EINTR);
            check(conn, errno, "accept");
            return conn;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** SO_RCVLOWAT: a blocking read of {@code conn} returns once this many bytes have arrived (or the stream ends). */
    static void wakeAfter(int conn, int bytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = arena.allocate(CAPTURE);
            MemorySegment value = arena.allocate(JAVA_INT);
            value.set(JAVA_INT, 0, bytes);
            check((int) SETSOCKOPT.invokeExact(errno, conn, SOL_SOCKET, SO_RCVLOWAT, value, 4), errno, "setsockopt");
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads into {@code buf}: the bytes read, 0 at the end of the stream, -1 on an error (the peer reset it). */
    static long read(int conn, MemorySegment buf, MemorySegment errno) {
        try {
            long n;
            do {
                n = (long) READ.invokeExact(errno, conn, buf, buf.byteSize());
            } while (n < 0 && (int) ERRNO.get(errno, 0L) == EINTR);
            return n;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Reads what has arrived without sleeping in the read: the bytes read, 0 at the end of the stream, -1 on an error.
     * When nothing has arrived it waits in poll(2) until the watermark's worth has (or the stream ends), then reads.
     * A blocking read would not do for a reader whose watermark changes: one that sleeps after taking part of what it
     * asked for is woken only once the watermark's worth arrives on top of that, which may never come.
     */
    static long readWhenReady(int conn, MemorySegment buf, MemorySegment errno, MemorySegment pollfd) {
        try {
            while (true) {
                long n = (long) RECV.invokeExact(errno, conn, buf, buf.byteSize(), MSG_DONTWAIT);
                int error = n < 0 ? (int) ERRNO.get(errno, 0L) : 0;
                if (n >= 0 || error != EAGAIN && error != EINTR) {
                    return n;
                }
                if (error == EAGAIN) {
                    pollfd.set(JAVA_INT, 0, conn);
                    pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
                    pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                    int ready = (int) POLL.invokeExact(errno, pollfd, 1L, -1);
                    if (ready < 0 && (int) ERRNO.get(errno, 0L) != EINTR) {
                        return -1;
                    }
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A struct pollfd for {@link #readWhenReady}. */
    static MemorySegment pollfdSegment(Arena arena) {
        return arena.allocate(8, 4);
    }

    static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static void closeFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void check(int rc, MemorySegment errno, String call) throws IOException {
        if (rc < 0) {
            throw new IOException(call + " failed: errno " + (int) ERRNO.get(errno, 0L));
        }
    }

    /** Shuts both directions of {@code fd} down: a thread blocked on it wakes (close alone would not wake it). */
    static void shutdownFd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) SHUTDOWN.invokeExact(arena.allocate(CAPTURE), fd, SHUT_RDWR);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the listener; a thread still waiting in {@link #accept} gets an error. */
    @Override
    public void close() {
        shutdownFd(fd);
        closeFd(fd);
    }
}
