package org.copyoffload.protocol.nvme.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.testing.Chunks;
import org.copyoffload.protocol.testing.Le;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded properties on damaged streams: valid PDUs with bits flipped (mostly in headers), bytes inserted or the
 * stream cut short. The decoder never throws, never leaks, passes the undamaged prefix through unchanged, emits
 * at most one {@link NvmeTcpPdu.Malformed} and nothing after it, and reaches the same verdict whether the bytes
 * arrive whole or in random pieces.
 */
class PduFuzzProperties {
    static final int MAX_DATA = 8192;

    static LongStream seeds() {
        return LongStream.range(0, 250);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void damagedStreamsGiveTheValidPrefixThenAtMostOneVerdict(long seed) {
        Random r = new Random(seed);
        boolean hostToController = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        NvmeTcpSettings sender = new NvmeTcpSettings(!hostToController, MAX_DATA, MAX_DATA);
        sender.negotiated(hdgst, ddgst, r.nextInt(32));

        List<NvmeTcpPdu> pdus = new ArrayList<>();
        List<byte[]> parts = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();
        int total = 0;
        try {
            int count = 1 + r.nextInt(6);
            for (int i = 0; i < count; i++) {
                NvmeTcpPdu pdu = RandomPdus.next(r, hostToController, MAX_DATA);
                pdus.add(pdu);
                byte[] wire = Pdus.encode(pdu, sender);
                parts.add(wire);
                total += wire.length;
                ends.add(total);
            }
            byte[] stream = Le.concat(parts.toArray(byte[][]::new));
            StringBuilder how = new StringBuilder();
            int firstDamage = stream.length;
            int mutations = 1 + r.nextInt(3);
            for (int m = 0; m < mutations; m++) {
                int choice = r.nextInt(10);
                if (choice < 6) {
                    // a bit flip in some PDU's first 24 bytes (common header and most fixed fields)
                    int which = r.nextInt(pdus.size());
                    int start = which == 0 ? 0 : ends.get(which - 1);
                    int at = Math.min(stream.length - 1, start + r.nextInt(24));
                    int bit = r.nextInt(8);
                    stream[at] ^= (byte) (1 << bit);
                    firstDamage = Math.min(firstDamage, at);
                    how.append(" flip bit ").append(bit).append(" at ").append(at);
                } else if (choice < 8) {
                    int at = r.nextInt(stream.length);
                    stream[at] = (byte) r.nextInt(256);
                    firstDamage = Math.min(firstDamage, at);
                    how.append(" byte at ").append(at);
                } else if (choice == 8) {
                    int at = r.nextInt(stream.length + 1);
                    byte[] junk = new byte[1 + r.nextInt(9)];
                    r.nextBytes(junk);
                    stream = Le.concat(Arrays.copyOf(stream, at), junk, Arrays.copyOfRange(stream, at, stream.length));
                    firstDamage = Math.min(firstDamage, at);
                    how.append(" insert ").append(junk.length).append(" at ").append(at);
                } else {
                    int at = r.nextInt(stream.length);
                    stream = Arrays.copyOf(stream, at);
                    firstDamage = Math.min(firstDamage, at);
                    how.append(" cut at ").append(at);
                }
            }
            String context = "seed " + seed + ":" + how;

            NvmeTcpSettings receiver = new NvmeTcpSettings(hostToController, MAX_DATA, MAX_DATA);
            receiver.negotiated(hdgst, ddgst, 0);
            List<Object> whole = Pdus.decode(receiver, Chunks.whole(stream));
            List<Object> pieces = Pdus.decode(receiver, Chunks.random(stream, r));
            try {
                for (List<Object> out : List.of(whole, pieces)) {
                    for (int i = 0; i < out.size() - 1; i++) {
                        assertThat(out.get(i)).as("%s: nothing follows a verdict", context)
                                .isNotInstanceOf(NvmeTcpPdu.Malformed.class);
                    }
                }
                int intact = 0;
                while (intact < ends.size() && ends.get(intact) <= firstDamage) {
                    intact++;
                }
                List<Object> expectedPrefix = Pdus.untracked(pdus.subList(0, intact));
                assertThat(whole.size()).as("%s: the undamaged PDUs all arrive", context).isGreaterThanOrEqualTo(intact);
                assertThat(Pdus.untracked(whole.subList(0, intact))).as("%s: the undamaged PDUs", context)
                        .isEqualTo(expectedPrefix);
                assertThat(pieces).as(context).hasSameSizeAs(whole);
                for (int i = 0; i < whole.size(); i++) {
                    Object a = whole.get(i);
                    Object b = pieces.get(i);
                    if (a instanceof NvmeTcpPdu.Malformed ma) {
                        assertThat(b).as(context).isInstanceOfSatisfying(NvmeTcpPdu.Malformed.class, mb -> {
                            assertThat(mb.fes()).as(context).isEqualTo(ma.fes());
                            assertThat(mb.fei()).as(context).isEqualTo(ma.fei());
                        });
                    } else {
                        assertThat(Pdus.untracked(b)).as(context).isEqualTo(Pdus.untracked(a));
                    }
                }
            } finally {
                Pdus.release(whole.toArray());
                Pdus.release(pieces.toArray());
            }
        } finally {
            Pdus.release(pdus.toArray());
        }
    }
}
