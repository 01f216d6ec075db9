package org.copyoffload.protocol.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Ways to cut a byte stream into the pieces a socket might deliver. */
public final class Chunks {
    private Chunks() {
    }

    public static List<byte[]> whole(byte[] all) {
        return List.of(all);
    }

    /** Two pieces: {@code [0, at)} and {@code [at, end)}; the first is empty when at is 0. */
    public static List<byte[]> splitAt(byte[] all, int at) {
        return List.of(Arrays.copyOfRange(all, 0, at), Arrays.copyOfRange(all, at, all.length));
    }

    /** Random pieces, mostly small, sometimes single bytes, sometimes large, sometimes empty. */
    public static List<byte[]> random(byte[] all, Random random) {
        List<byte[]> out = new ArrayList<>();
        int at = 0;
        while (at < all.length) {
            int n = switch (random.nextInt(5)) {
                case 0 -> 1;
                case 1 -> random.nextInt(8);
                case 2 -> random.nextInt(64) + 1;
                case 3 -> random.nextInt(1024) + 1;
                default -> random.nextInt(all.length - at) + 1;
            };
            n = Math.min(n, all.length - at);
            out.add(Arrays.copyOfRange(all, at, at + n));
            at += n;
        }
        return out;
    }
}
