package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Chunks laid round-robin over several devices, like dm-stripe: chunk n lies on device n mod k, at chunk n / k of it.
 * The size is the smallest device's whole chunks times the number of devices.
 */
public final class StripedDevice implements MappedDevice {
    private final String name;
    private final List<BlockDevice> stripes;
    private final long chunk;
    private final long size;
    private final int blockSize;

    public StripedDevice(String name, List<BlockDevice> stripes, long chunkBytes) {
        if (stripes.isEmpty()) {
            throw new IllegalArgumentException(name + ": no devices");
        }
        this.name = name;
        this.stripes = List.copyOf(stripes);
        this.blockSize = stripes.stream().mapToInt(BlockDevice::blockSize).max().orElseThrow();
        if (chunkBytes <= 0 || chunkBytes % blockSize != 0) {
            throw new IllegalArgumentException(name + ": chunk of " + chunkBytes + " bytes is not a multiple of "
                    + blockSize + "-byte blocks");
        }
        this.chunk = chunkBytes;
        long perDevice = stripes.stream().mapToLong(BlockDevice::size).min().orElseThrow() / chunk;
        if (perDevice == 0) {
            throw new IllegalArgumentException(name + ": a device is smaller than one chunk of " + chunk + " bytes");
        }
        this.size = perDevice * chunk * stripes.size();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public List<Extent> map(long offset, long length) {
        MappedIo.check(this, offset, length);
        List<Extent> out = new ArrayList<>();
        long at = offset;
        long end = offset + length;
        while (at < end) {
            long index = at / chunk;
            long within = at % chunk;
            long n = Math.min(end - at, chunk - within);
            int k = (int) (index % stripes.size());
            out.add(new Extent(stripes.get(k), index / stripes.size() * chunk + within, n));
            at += n;
        }
        return out;
    }

    @Override
    public boolean requiresSequentialWrites() {
        return stripes.stream().anyMatch(BlockDevice::requiresSequentialWrites);
    }

    @Override
    public Optional<String> forbidsCopy() {
        return Optional.empty();
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        return MappedIo.read(this, offset, length);
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        return MappedIo.write(this, offset, data);
    }
}
