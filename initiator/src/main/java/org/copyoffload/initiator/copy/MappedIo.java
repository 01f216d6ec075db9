package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** READ and WRITE through a mapping layer that stores bytes as they are: one I/O per extent below. */
final class MappedIo {
    private MappedIo() {
    }

    static void check(BlockDevice device, long offset, long length) {
        if (offset < 0 || length < 0 || offset > device.size() - length) {
            throw new IllegalArgumentException(length + " bytes at " + offset + " lie outside " + device.name()
                    + " (" + device.size() + " bytes)");
        }
        if (offset % device.blockSize() != 0 || length % device.blockSize() != 0) {
            throw new IllegalArgumentException(length + " bytes at " + offset + " are not aligned to the "
                    + device.blockSize() + "-byte blocks of " + device.name());
        }
    }

    static CompletableFuture<ByteBuf> read(MappedDevice device, long offset, int length) {
        List<MappedDevice.Extent> extents;
        try {
            extents = device.map(offset, length);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<ByteBuf>> parts = new ArrayList<>(extents.size());
        for (MappedDevice.Extent e : extents) {
            parts.add(e.device().read(e.offset(), (int) e.length()));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((v, error) -> {
            if (error != null) {
                parts.forEach(p -> p.thenAccept(ByteBuf::release));
                throw error instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(error);
            }
            if (parts.size() == 1) {
                return parts.getFirst().join();
            }
            CompositeByteBuf all = Unpooled.compositeBuffer(parts.size());
            for (CompletableFuture<ByteBuf> p : parts) {
                all.addComponent(true, p.join());
            }
            return all;
        });
    }

    static CompletableFuture<Void> write(MappedDevice device, long offset, ByteBuf data) {
        List<MappedDevice.Extent> extents;
        try {
            extents = device.map(offset, data.readableBytes());
        } catch (RuntimeException e) {
            data.release();
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>(extents.size());
        int at = data.readerIndex();
        for (MappedDevice.Extent e : extents) {
            parts.add(e.device().write(e.offset(), data.retainedSlice(at, (int) e.length())));
            at += (int) e.length();
        }
        data.release();
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }
}
