package org.copyoffload.initiator.copy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An encrypting layer like dm-crypt with {@code aes-xts-plain64}: every 512-byte sector of it is encrypted with AES-XTS
 * and the sector's number as the tweak, and stored at the same offset of the device below. Since the ciphertext
 * depends on where it lies, copying it elsewhere would make it decrypt to garbage: this layer forbids offloading, and
 * a copy through it falls back to READ + WRITE, which decrypts at the source and encrypts again at the destination.
 */
public final class CryptDevice implements MappedDevice {
    /** dm-crypt's IV sector size: the tweak counts 512-byte sectors whatever the block size. */
    static final int SECTOR = 512;

    private final String name;
    private final BlockDevice below;
    private final XtsCipher cipher;

    /** @param key two AES keys, 32 or 64 bytes, as {@code cryptsetup --cipher aes-xts-plain64} takes them */
    public CryptDevice(String name, BlockDevice below, byte[] key) {
        this.name = name;
        this.below = below;
        this.cipher = new XtsCipher(key.clone());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return below.size();
    }

    @Override
    public int blockSize() {
        return below.blockSize();
    }

    @Override
    public List<Extent> map(long offset, long length) {
        MappedIo.check(this, offset, length);
        return List.of(new Extent(below, offset, length));
    }

    @Override
    public boolean requiresSequentialWrites() {
        return below.requiresSequentialWrites();
    }

    @Override
    public Optional<String> forbidsCopy() {
        return Optional.of("the XTS tweak is the sector number (plain64): the ciphertext depends on where it lies");
    }

    @Override
    public CompletableFuture<ByteBuf> read(long offset, int length) {
        try {
            MappedIo.check(this, offset, length);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return below.read(offset, length).thenApply(data -> {
            try {
                byte[] bytes = new byte[data.readableBytes()];
                data.getBytes(data.readerIndex(), bytes);
                crypt(false, offset, bytes);
                return Unpooled.wrappedBuffer(bytes);
            } finally {
                data.release();
            }
        });
    }

    @Override
    public CompletableFuture<Void> write(long offset, ByteBuf data) {
        byte[] bytes;
        try {
            MappedIo.check(this, offset, data.readableBytes());
            bytes = new byte[data.readableBytes()];
            data.getBytes(data.readerIndex(), bytes);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            data.release();
        }
        crypt(true, offset, bytes);
        return below.write(offset, Unpooled.wrappedBuffer(bytes));
    }

    private void crypt(boolean encrypt, long offset, byte[] bytes) {
        for (int at = 0; at < bytes.length; at += SECTOR) {
            cipher.process(encrypt, (offset + at) / SECTOR, bytes, at, SECTOR);
        }
    }
}
