package org.copyoffload.backends.store;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;

/**
 * The few Linux libc calls the JDK does not expose (fallocate, fstat, ftruncate, cachestat), bound once through FFM.
 * Every call captures errno in the same downcall, because a later Java-side call could overwrite it.
 */
final class Libc {
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000; // same value on x86_64 and aarch64

    static final int FALLOC_FL_KEEP_SIZE = 0x01;
    static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    static final int FALLOC_FL_ZERO_RANGE = 0x10;

    static final int EINTR = 4;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    static final int EPERM = 1;
    static final int ENXIO = 6;
    static final int EAGAIN = 11;

    /** lseek(2) whence values for sparse files (Linux 3.1). */
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;

    /** cachestat(2), Linux 6.5; the same number on x86_64 and the generic table (aarch64, riscv64). */
    static final long SYS_CACHESTAT = 451;

    /**
     * struct stat as glibc (and the kernel ABI) lays it out for 64-bit Linux. On x86_64 (st_dev, st_ino, st_nlink, st_mode,
     * st_uid, st_gid, pad, st_rdev, st_size, st_blksize, st_blocks, ...) and on the generic layout used by
     * aarch64 and riscv64 (st_dev, st_ino, st_mode, st_nlink, st_uid, st_gid, st_rdev, pad, st_size, st_blksize
     * int + pad, st_blocks, ...) st_size is the 8-byte field at offset 48 and st_blocks (in 512-byte units,
     * whatever the filesystem block size) the 8-byte field at offset 64. The struct is 144 bytes on x86_64 and
     * 128 on the generic layout; we hand fstat a larger buffer to be safe.
     */
    static final long STAT_SIZE_OFFSET = 48;
    static final long STAT_BLOCKS_OFFSET = 64;
    static final long STAT_BUFFER_BYTES = 256;
    private static final boolean STAT_LAYOUT_KNOWN =
            Set.of("amd64", "x86_64", "aarch64", "riscv64").contains(System.getProperty("os.arch"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = bind("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), true, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = bind("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle FALLOCATE = bind("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), true);
    private static final MethodHandle FTRUNCATE = bind("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), true);
    private static final MethodHandle LSEEK = bind("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), true);
    private static final MethodHandle FSTAT = bind("fstat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), true);
    private static final MethodHandle PREADV2 = bind("preadv2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT), true);
    /** preadv2(2) flag: fail with EAGAIN instead of waiting for the disk (Linux 4.14, buffered reads). */
    static final int RWF_NOWAIT = 0x08;
    private static final MethodHandle PWRITEV2 = bind("pwritev2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT), true);
    /** pwritev2(2) flag: this write is O_DSYNC (Linux 4.7). */
    static final int RWF_DSYNC = 0x02;
    /** The most iovecs one pwritev2 takes (IOV_MAX, UIO_MAXIOV in the kernel). */
    static final int IOV_MAX = 1024;
    private static final MethodHandle SYSCALL4 = bind("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), true,
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle GETPAGESIZE = bind("getpagesize", FunctionDescriptor.of(JAVA_INT), false);
    static final int PAGE_SIZE = pageSize();
    private static final MethodHandle STRERROR = bind("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), false);

    private Libc() {
    }

    @SuppressWarnings("restricted") // binding native code is the point of this class
    private static MethodHandle bind(String name, FunctionDescriptor descriptor, boolean errno,
            Linker.Option... extra) {
        MemorySegment symbol = LIBC.find(name)
                .orElseThrow(() -> new UnsupportedOperationException("libc has no " + name + " (Linux only)"));
        Linker.Option[] options = extra;
        if (errno) {
            options = Arrays.copyOf(extra, extra.length + 1);
            options[extra.length] = Linker.Option.captureCallState("errno");
        }
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** open(2) an existing file; returns the fd. */
    static int open(String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment cPath = arena.allocateFrom(path);
            int fd;
            do {
                fd = (int) OPEN.invokeExact(state, cPath, flags, 0);
            } while (fd < 0 && errno(state) == EINTR);
            if (fd < 0) {
                throw failure("open(" + path + ")", errno(state));
            }
            return fd;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void close(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            // No retry on EINTR: on Linux the fd is released even then, and a retry could close a reused fd.
            if ((int) CLOSE.invokeExact(state, fd) != 0 && errno(state) != EINTR) {
                throw failure("close(" + fd + ")", errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void fallocate(int fd, int mode, long offset, long length) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            int rc;
            do {
                rc = (int) FALLOCATE.invokeExact(state, fd, mode, offset, length);
            } while (rc != 0 && errno(state) == EINTR);
            if (rc != 0) {
                throw failure("fallocate(mode=0x" + Integer.toHexString(mode) + ", offset=" + offset
                        + ", length=" + length + ")", errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static void ftruncate(int fd, long length) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            int rc;
            do {
                rc = (int) FTRUNCATE.invokeExact(state, fd, length);
            } while (rc != 0 && errno(state) == EINTR);
            if (rc != 0) {
                throw failure("ftruncate(length=" + length + ")", errno(state));
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * lseek(2); returns the resulting offset, or -1 for ENXIO (SEEK_DATA past the last data, or an offset at or past
     * the end of the file), which callers of SEEK_DATA read as "a hole to the end".
     */
    static long lseek(int fd, long offset, int whence) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            long rc = (long) LSEEK.invokeExact(state, fd, offset, whence);
            if (rc < 0) {
                int errno = errno(state);
                if (errno == ENXIO) {
                    return -1;
                }
                throw failure("lseek(offset=" + offset + ", whence=" + whence + ")", errno);
            }
            return rc;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fstat(2): the two fields we need, st_size and st_blocks. */
    static Stat fstat(int fd) throws ErrnoException {
        if (!STAT_LAYOUT_KNOWN) {
            throw new UnsupportedOperationException("struct stat layout unknown on " + System.getProperty("os.arch"));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment buf = arena.allocate(STAT_BUFFER_BYTES, 8);
            if ((int) FSTAT.invokeExact(state, fd, buf) != 0) {
                throw failure("fstat(" + fd + ")", errno(state));
            }
            return new Stat(buf.get(JAVA_LONG, STAT_SIZE_OFFSET), buf.get(JAVA_LONG, STAT_BLOCKS_OFFSET));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * cachestat(2): how many pages of {@code [offset, offset + length)} are in the page cache (struct
     * cachestat_range in, the first field of struct cachestat, nr_cache, out).
     */
    static long cachedPages(int fd, long offset, long length) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment range = arena.allocate(16, 8);
            range.set(JAVA_LONG, 0, offset);
            range.set(JAVA_LONG, 8, length);
            MemorySegment stat = arena.allocate(5 * 8, 8);
            long rc = (long) SYSCALL4.invokeExact(state, SYS_CACHESTAT, (long) fd, range, stat, 0L);
            if (rc != 0) {
                throw failure("cachestat(offset=" + offset + ", length=" + length + ")", errno(state));
            }
            return stat.get(JAVA_LONG, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * preadv2(2) of one buffer with RWF_NOWAIT: the bytes read (fewer when only part of the range is in the page
     * cache, 0 at the end of the file), or -1 when reading would have to wait for the disk (EAGAIN).
     */
    static long preadNoWait(int fd, MemorySegment dst, long offset) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment iov = arena.allocate(16, 8); // struct iovec { void *iov_base; size_t iov_len; }
            iov.set(ADDRESS, 0, dst);
            iov.set(JAVA_LONG, 8, dst.byteSize());
            long rc;
            do {
                rc = (long) PREADV2.invokeExact(state, fd, iov, 1, offset, RWF_NOWAIT);
            } while (rc < 0 && errno(state) == EINTR);
            if (rc < 0) {
                int errno = errno(state);
                if (errno == EAGAIN) {
                    return -1;
                }
                throw failure("preadv2(offset=" + offset + ", length=" + dst.byteSize() + ", RWF_NOWAIT)", errno);
            }
            return rc;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * pwritev2(2) of direct buffers from {@code offset}: the bytes written, which may be fewer than they hold (the
     * caller writes the rest). At most {@link #IOV_MAX} buffers; their positions are not moved.
     */
    static long pwritev(int fd, ByteBuffer[] srcs, int from, int count, long offset, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            MemorySegment iov = arena.allocate(16L * count, 8); // struct iovec { void *iov_base; size_t iov_len; }
            long total = 0;
            for (int i = 0; i < count; i++) {
                MemorySegment src = MemorySegment.ofBuffer(srcs[from + i]);
                iov.set(ADDRESS, 16L * i, src);
                iov.set(JAVA_LONG, 16L * i + 8, src.byteSize());
                total += src.byteSize();
            }
            long rc;
            do {
                rc = (long) PWRITEV2.invokeExact(state, fd, iov, count, offset, flags);
            } while (rc < 0 && errno(state) == EINTR);
            if (rc < 0) {
                throw failure("pwritev2(offset=" + offset + ", length=" + total + ", flags=0x"
                        + Integer.toHexString(flags) + ")", errno(state));
            }
            return rc;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static int pageSize() {
        try {
            return (int) GETPAGESIZE.invokeExact();
        } catch (Throwable t) {
            return 4096;
        }
    }

    /** The fields of struct stat we use; blocks are 512-byte units. */
    record Stat(long size, long blocks) {
        long allocatedBytes() {
            return blocks * 512;
        }
    }

    @SuppressWarnings("restricted") // strerror's result is a C string owned by libc
    static String strerror(int errno) {
        try {
            MemorySegment message = (MemorySegment) STRERROR.invokeExact(errno);
            // strerror returns a NUL-terminated string of unknown length; reading it needs a bounded view.
            return message.equals(MemorySegment.NULL) ? "unknown error" : message.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "unknown error";
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static ErrnoException failure(String call, int errno) {
        return new ErrnoException(call, errno, strerror(errno));
    }

    /** invokeExact declares Throwable; anything but our own ErrnoException is a bug or a JVM error. */
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException("native call failed", t);
    }
}
