package org.copyoffload.backends.store;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A raw file descriptor for the operations FileChannel lacks: hole punching, zero ranges, st_blocks and growing.
 * Calls hold a read lock and close takes the write lock, so a call never runs on a descriptor number that close
 * has released (the kernel reuses numbers at once, so that would hit some other file).
 */
final class LinuxFile implements Closeable {
    private final Path path;
    private final int fd;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed; // guarded by lock
    // Cleared when the kernel has no cachestat, so each later question costs nothing.
    private static volatile boolean cachestatWorks = true;
    // Cleared for a file system that refuses RWF_NOWAIT (EOPNOTSUPP), so later reads go straight to the blocking path.
    private volatile boolean noWaitWorks = true;

    private LinuxFile(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens an existing file read-write. */
    static LinuxFile open(Path path) throws IOException {
        return new LinuxFile(path, Libc.open(path.toString(), Libc.O_RDWR | Libc.O_CLOEXEC));
    }

    /**
     * fallocate(2) with the given mode.
     *
     * @return false if this filesystem does not support the mode (EOPNOTSUPP, ENOSYS), so the caller can fall back
     */
    boolean fallocate(int mode, long offset, long length) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            Libc.fallocate(fd, mode, offset, length);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EOPNOTSUPP || e.errno() == Libc.ENOSYS) {
                return false;
            }
            throw withPath(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Sets the file length; growing this way leaves a hole, allocating nothing. */
    void truncate(long length) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            Libc.ftruncate(fd, length);
        } catch (ErrnoException e) {
            throw withPath(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * lseek(2) with SEEK_DATA or SEEK_HOLE: the next data or hole at or after {@code offset}, -1 when there is no
     * more data (ENXIO). Filesystems without sparse-file support answer as if the whole file were data, which is
     * what the kernel's generic implementation does.
     */
    long seek(long offset, int whence) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            return Libc.lseek(fd, offset, whence);
        } catch (ErrnoException e) {
            throw withPath(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    Libc.Stat stat() throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            return Libc.fstat(fd);
        } catch (ErrnoException e) {
            throw withPath(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Whether every page of the range is in the page cache. False when the kernel cannot tell (no cachestat before
     * Linux 6.5, or it is not permitted): callers then treat the data as possibly on the disk, which is always safe.
     */
    boolean cached(long offset, long length) {
        if (!cachestatWorks || length <= 0) {
            return length <= 0;
        }
        long page = Libc.PAGE_SIZE;
        long pages = (offset + length + page - 1) / page - offset / page;
        lock.readLock().lock();
        try {
            if (closed) {
                return false;
            }
            return Libc.cachedPages(fd, offset, length) >= pages;
        } catch (ErrnoException e) {
            if (e.errno() == Libc.ENOSYS || e.errno() == Libc.EPERM) {
                cachestatWorks = false;
            }
            return false;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Fills {@code dst} from {@code offset} only if that needs no disk I/O (preadv2 with RWF_NOWAIT), leaving its
     * position unchanged otherwise: false when part of the range is not in the page cache, at the end of the file,
     * for a heap buffer, or when the file system cannot tell. The caller then reads the usual way, where any I/O
     * error is reported.
     */
    boolean readNoWait(long offset, ByteBuffer dst) {
        if (!noWaitWorks || !dst.isDirect()) {
            return false;
        }
        MemorySegment target = MemorySegment.ofBuffer(dst);
        long done = 0;
        lock.readLock().lock();
        try {
            if (closed) {
                return false;
            }
            while (done < target.byteSize()) {
                long n = Libc.preadNoWait(fd, target.asSlice(done), offset + done);
                if (n <= 0) {
                    return false;
                }
                done += n;
            }
        } catch (ErrnoException e) {
            if (e.errno() == Libc.EOPNOTSUPP || e.errno() == Libc.ENOSYS || e.errno() == Libc.EINVAL) {
                noWaitWorks = false;
            }
            return false;
        } finally {
            lock.readLock().unlock();
        }
        dst.position(dst.position() + (int) done);
        return true;
    }

    /**
     * Writes every direct buffer's remaining bytes, one after the other from {@code offset}, with as few pwritev2
     * calls as the kernel allows (one, unless it writes short or there are more than IOV_MAX buffers), moving each
     * buffer's position past what was written; {@code dsync} makes them stable before the return (RWF_DSYNC).
     */
    void writeGathering(long offset, ByteBuffer[] srcs, boolean dsync) throws IOException {
        int flags = dsync ? Libc.RWF_DSYNC : 0;
        int first = 0;
        long at = offset;
        lock.readLock().lock();
        try {
            ensureOpen();
            while (first < srcs.length) {
                if (!srcs[first].hasRemaining()) {
                    first++;
                    continue;
                }
                int count = Math.min(srcs.length - first, Libc.IOV_MAX);
                long n = Libc.pwritev(fd, srcs, first, count, at, flags);
                at += n;
                for (int i = first; i < first + count && n > 0; i++) {
                    int step = (int) Math.min(n, srcs[i].remaining());
                    srcs[i].position(srcs[i].position() + step);
                    n -= step;
                }
            }
        } catch (ErrnoException e) {
            throw withPath(e);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                Libc.close(fd);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Opens this file anew through /proc/self/fd, so it works when the path no longer names the file (a
     * scratch file unlinked at once); the read lock keeps close from releasing the descriptor number meanwhile.
     */
    FileChannel reopen(OpenOption... options) throws IOException {
        lock.readLock().lock();
        try {
            ensureOpen();
            return FileChannel.open(Path.of("/proc/self/fd/" + fd), options);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void ensureOpen() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
    }

    private IOException withPath(ErrnoException e) {
        return new IOException(path + ": " + e.getMessage(), e);
    }
}
