package org.copyoffload.initiator.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fscrypt case: a file's blocks encrypted with their index in the file as the XTS tweak are moved on the device by
 * copying the ciphertext as it is (offloaded where the devices can), and still decrypt; against {@link CryptDevice}'s
 * plain64, where the same raw copy would corrupt them.
 */
class EncryptedFileTest {
    static final int BLOCK = 4096;

    static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    static LinearDevice linear(MemoryDevice a, MemoryDevice b) {
        return new LinearDevice("linear", List.of(new LinearDevice.Segment(a, 0, a.size()),
                new LinearDevice.Segment(b, 0, b.size())));
    }

    @Test
    void movingAFileAcrossDevicesCopiesItsCiphertextOffloadedAndItStillDecrypts() {
        Object controller = new Object();
        MemoryDevice a = new MemoryDevice("a", 64, BLOCK, controller);
        MemoryDevice b = new MemoryDevice("b", 64, BLOCK, controller);
        LinearDevice stack = linear(a, b);
        EncryptedFile file = new EncryptedFile(stack, CryptDeviceTest.key(64), 16);
        byte[] plain = random(16 * BLOCK, 1);
        // Three extents on a, out of order, as an allocator may leave a file.
        file.write(0, Arrays.copyOfRange(plain, 0, 5 * BLOCK), 20 * BLOCK).join();
        file.write(5, Arrays.copyOfRange(plain, 5 * BLOCK, 12 * BLOCK), 2 * BLOCK).join();
        file.write(12, Arrays.copyOfRange(plain, 12 * BLOCK, 16 * BLOCK), 40 * BLOCK).join();
        byte[] cipherBefore = ciphertext(file, stack);

        CopyResult r = file.move(0, 16, 70 * BLOCK, new BlockCopier()).join();
        assertThat(r.bytesOffloaded()).as("all of it offloaded, from a into b").isEqualTo(16 * BLOCK);
        assertThat(r.fallbacks()).isEmpty();
        assertThat(b.offloadedBytes).isEqualTo(16 * BLOCK);
        assertThat(file.deviceOffset(0)).isEqualTo(70 * BLOCK);
        assertThat(file.deviceOffset(15)).isEqualTo(85 * BLOCK);
        assertThat(ciphertext(file, stack)).as("the ciphertext copied as it is").isEqualTo(cipherBefore);
        assertThat(file.read(0, 16).join()).isEqualTo(plain);
    }

    @Test
    void theTweakIsTheBlocksIndexInTheFileNotItsPlaceOnTheDevice() {
        MemoryDevice a = new MemoryDevice("a", 64, BLOCK, new Object());
        EncryptedFile file = new EncryptedFile(a, CryptDeviceTest.key(64), 4);
        byte[] same = random(BLOCK, 2);
        file.write(0, same, 10 * BLOCK).join();
        file.write(1, same, 11 * BLOCK).join();
        byte[] expected0 = same.clone();
        new XtsCipher(CryptDeviceTest.key(64)).process(true, 0, expected0, 0, BLOCK);
        byte[] expected1 = same.clone();
        new XtsCipher(CryptDeviceTest.key(64)).process(true, 1, expected1, 0, BLOCK);
        assertThat(Arrays.copyOfRange(a.bytes, 10 * BLOCK, 11 * BLOCK)).isEqualTo(expected0);
        assertThat(Arrays.copyOfRange(a.bytes, 11 * BLOCK, 12 * BLOCK)).isEqualTo(expected1).isNotEqualTo(expected0);
        // Written again elsewhere, block 0 has the same ciphertext: it does not depend on the LBA.
        file.write(0, same, 30 * BLOCK).join();
        assertThat(Arrays.copyOfRange(a.bytes, 30 * BLOCK, 31 * BLOCK)).isEqualTo(expected0);
    }

    @Test
    void theSameRawCopyUnderPlain64WouldCorruptTheData() {
        // What EncryptedFile.move does, done under dm-crypt's plain64: copying the ciphertext below the crypt layer
        // makes it decrypt to garbage at the new place, which is why CryptDevice forbids the offload.
        MemoryDevice a = new MemoryDevice("a", 64, BLOCK, new Object());
        CryptDevice crypt = new CryptDevice("crypt", a, CryptDeviceTest.key(64));
        byte[] plain = random(4 * BLOCK, 3);
        crypt.write(0, io.netty.buffer.Unpooled.wrappedBuffer(plain)).join();
        System.arraycopy(a.bytes, 0, a.bytes, 8 * BLOCK, 4 * BLOCK);
        var moved = crypt.read(8 * BLOCK, 4 * BLOCK).join();
        try {
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(moved)).isNotEqualTo(plain);
        } finally {
            moved.release();
        }
        // Through the copy path the layer is respected: the copy falls back and decrypts, then encrypts again.
        CopyResult r = new BlockCopier().copy(crypt, 0, crypt, 16 * BLOCK, 4 * BLOCK).join();
        assertThat(r.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                .isEqualTo(FallbackReason.MAPPING_FORBIDS);
    }

    @Test
    void aMoveTheDeviceCannotOffloadFallsBackAndAFailedMoveLeavesTheFileWhereItWas() {
        MemoryDevice a = new MemoryDevice("a", 64, BLOCK, null); // no copy command
        EncryptedFile file = new EncryptedFile(a, CryptDeviceTest.key(32), 8);
        byte[] plain = random(8 * BLOCK, 4);
        file.write(0, plain, 0).join();
        CopyResult r = file.move(2, 4, 32 * BLOCK, new BlockCopier()).join();
        assertThat(r.bytesByFallback()).isEqualTo(4 * BLOCK);
        assertThat(r.fallbacks()).singleElement().extracting(CopyResult.Fallback::reason)
                .isEqualTo(FallbackReason.NO_COPY_COMMAND);
        assertThat(file.read(0, 8).join()).isEqualTo(plain);

        a.failReads = true;
        assertThatThrownBy(() -> file.move(0, 8, 40 * BLOCK, new BlockCopier()).join())
                .hasCauseInstanceOf(CopyFailedException.class);
        a.failReads = false;
        assertThat(file.deviceOffset(0)).as("the map unchanged").isZero();
        assertThat(file.deviceOffset(2)).isEqualTo(32 * BLOCK);
        assertThat(file.read(0, 8).join()).isEqualTo(plain);
    }

    @Test
    void badRequestsAreRefusedNamingWhatIsWrong() {
        MemoryDevice a = new MemoryDevice("a", 16, BLOCK, new Object());
        EncryptedFile file = new EncryptedFile(a, CryptDeviceTest.key(64), 4);
        file.write(0, random(2 * BLOCK, 5), 0).join();
        assertThatThrownBy(() -> file.read(0, 3).join()).hasMessageContaining("file block 2 was never written");
        assertThatThrownBy(() -> file.read(3, 2).join()).hasMessageContaining("outside a file of 4 blocks");
        assertThatThrownBy(() -> file.write(0, new byte[100], 0).join()).hasMessageContaining("not whole blocks");
        assertThatThrownBy(() -> file.write(0, new byte[BLOCK], 16 * BLOCK).join()).hasMessageContaining("inside a");
        assertThatThrownBy(() -> file.move(0, 2, BLOCK, new BlockCopier()).join())
                .hasMessageContaining("would overwrite them");
        assertThatThrownBy(() -> new EncryptedFile(a, new byte[16], 4)).hasMessageContaining("32 or 64 bytes");
    }

    /** The file's ciphertext as it lies on the device, in file order. */
    static byte[] ciphertext(EncryptedFile file, BlockDevice device) {
        byte[] out = new byte[file.blocks() * BLOCK];
        for (int i = 0; i < file.blocks(); i++) {
            var b = device.read(file.deviceOffset(i), BLOCK).join();
            try {
                b.getBytes(b.readerIndex(), out, i * BLOCK, BLOCK);
            } finally {
                b.release();
            }
        }
        return out;
    }
}
