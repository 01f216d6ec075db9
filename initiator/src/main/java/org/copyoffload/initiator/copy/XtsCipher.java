package org.copyoffload.initiator.copy;

import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * AES-XTS as IEEE 1619 and dm-crypt's {@code aes-xts-*} define it, over Bouncy Castle's AES engine (Bouncy Castle has
 * no IEEE 1619 XTS mode; its KXTS is the DSTU 7624 variant). The key is two AES keys, data then tweak (32 or 64 bytes
 * for AES-128 or AES-256); a data unit is a whole number of 16-byte blocks, so no ciphertext stealing is needed.
 */
final class XtsCipher {
    private static final int BLOCK = 16;
    private final BlockCipher dataEncrypt;
    private final BlockCipher dataDecrypt;
    private final BlockCipher tweakEncrypt;

    XtsCipher(byte[] key) {
        if (key.length != 32 && key.length != 64) {
            throw new IllegalArgumentException("an AES-XTS key has 32 or 64 bytes, not " + key.length);
        }
        int half = key.length / 2;
        dataEncrypt = AESEngine.newInstance();
        dataEncrypt.init(true, new KeyParameter(key, 0, half));
        dataDecrypt = AESEngine.newInstance();
        dataDecrypt.init(false, new KeyParameter(key, 0, half));
        tweakEncrypt = AESEngine.newInstance();
        tweakEncrypt.init(true, new KeyParameter(key, half, half));
    }

    /**
     * Encrypts or decrypts {@code length} bytes of {@code data} from {@code offset} in place as one data unit whose
     * tweak is {@code tweak} as a 128-bit little-endian number (dm-crypt's plain64: the sector number).
     */
    synchronized void process(boolean encrypt, long tweak, byte[] data, int offset, int length) {
        if (length % BLOCK != 0 || length == 0) {
            throw new IllegalArgumentException("an XTS data unit of " + length + " bytes is not whole 16-byte blocks");
        }
        byte[] t = new byte[BLOCK];
        for (int i = 0; i < 8; i++) {
            t[i] = (byte) (tweak >>> (8 * i));
        }
        tweakEncrypt.processBlock(t, 0, t, 0);
        BlockCipher cipher = encrypt ? dataEncrypt : dataDecrypt;
        byte[] block = new byte[BLOCK];
        for (int at = offset; at < offset + length; at += BLOCK) {
            for (int i = 0; i < BLOCK; i++) {
                block[i] = (byte) (data[at + i] ^ t[i]);
            }
            cipher.processBlock(block, 0, block, 0);
            for (int i = 0; i < BLOCK; i++) {
                data[at + i] = (byte) (block[i] ^ t[i]);
            }
            multiplyByAlpha(t);
        }
    }

    /** T times x in GF(2^128), little-endian, reduced by x^128 + x^7 + x^2 + x + 1 (IEEE 1619, 5.2). */
    private static void multiplyByAlpha(byte[] t) {
        int carry = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = t[i] & 0xFF;
            t[i] = (byte) ((b << 1) | carry);
            carry = b >>> 7;
        }
        if (carry != 0) {
            t[0] ^= (byte) 0x87;
        }
    }
}
