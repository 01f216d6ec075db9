package org.copyoffload.protocol.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.copyoffload.protocol.iscsi.IscsiPdus.buf;
import static org.copyoffload.protocol.iscsi.IscsiPdus.pattern;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.copyoffload.protocol.scsi.Lun;
import org.copyoffload.protocol.testing.Chunks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** A stream of several PDUs decodes to the same PDUs however TCP cuts it: at every offset, and in random pieces. */
class IscsiPduStreamTest {

    static List<IscsiPdu> initiatorToTarget() {
        byte[] longCdb = pattern(34, 0x7F);
        return List.of(
                new IscsiPdu.LoginRequest(true, false, 1, 3, 0, 0, 0x400001370000L, 0, 1, 0, 1, 0,
                        buf("InitiatorName=iqn.x\0".getBytes(StandardCharsets.US_ASCII))),
                new IscsiPdu.NopOut(true, 0, 2, -1, 2, 1, buf(pattern(3, 1))),
                new IscsiPdu.ScsiCommand(false, false, true, true, 1, Lun.encode(300), 3, 4096, 2, 1, longCdb, 8192,
                        buf(pattern(61, 2))),
                new IscsiPdu.DataOut(false, Lun.encode(300), 3, 0x100, 1, 0, 61, buf(pattern(1, 3))),
                new IscsiPdu.DataOut(true, Lun.encode(300), 3, 0x100, 1, 1, 62, buf(pattern(90, 4))),
                new IscsiPdu.TaskManagementRequest(true, 1, Lun.encode(300), 4, 3, 3, 1, 2, 0),
                new IscsiPdu.TextRequest(false, true, false, 0, 5, -1, 3, 1, Unpooled.EMPTY_BUFFER),
                new IscsiPdu.SnackRequest(1, 0, 6, 0, 1, 0, 0),
                new IscsiPdu.LogoutRequest(true, 0, 7, 0, 4, 2));
    }

    static List<IscsiPdu> targetToInitiator() {
        return List.of(
                new IscsiPdu.LoginResponse(true, false, 1, 3, 0, 0, 0x400001370000L, 1, 1, 0, 2, 33,
                        0, 0, buf("HeaderDigest=CRC32C\0".getBytes(StandardCharsets.US_ASCII))),
                new IscsiPdu.NopIn(0, 2, -1, 1, 3, 34, buf(pattern(3, 1))),
                new IscsiPdu.R2t(Lun.encode(1), 3, 0x100, 2, 3, 34, 0, 61, 91),
                new IscsiPdu.DataIn(false, true, false, false, false, 0, Lun.encode(1), 4, 0x200, 0, 3, 34, 0, 0, 0,
                        buf(pattern(33, 5))),
                new IscsiPdu.DataIn(true, false, false, true, true, 0, Lun.encode(1), 4, -1, 2, 3, 34, 1, 33, 7,
                        buf(pattern(2, 6))),
                new IscsiPdu.ScsiResponse(false, false, false, false, 0, 2, 5, 0, 3, 4, 35, 0, 0, 0,
                        buf(new byte[] {0, 4, 0x70, 0, 5, 0})),
                new IscsiPdu.TaskManagementResponse(0, 6, 4, 4, 35),
                new IscsiPdu.TextResponse(true, false, 0, 7, -1, 5, 4, 35, Unpooled.EMPTY_BUFFER),
                new IscsiPdu.AsyncMessage(0, 6, 4, 35, 1, 0, 0, 0, 10, Unpooled.EMPTY_BUFFER),
                new IscsiPdu.Reject(4, 7, 4, 35, 0, buf(pattern(48, 7))),
                new IscsiPdu.LogoutResponse(0, 8, 8, 5, 36, 0, 0));
    }

    static byte[] encode(List<IscsiPdu> pdus, IscsiCodecSettings sender) {
        List<byte[]> parts = new ArrayList<>();
        for (IscsiPdu pdu : pdus) {
            parts.add(IscsiPdus.encode(pdu, sender));
        }
        return Be.concat(parts.toArray(byte[][]::new));
    }

    @ParameterizedTest(name = "from the initiator {0}, header digest {1}, data digest {2}")
    @CsvSource({
            "true, false, false", "true, true, false", "true, false, true", "true, true, true",
            "false, false, false", "false, true, false", "false, false, true", "false, true, true"})
    void everySplitPointGivesTheSamePdus(boolean fromInitiator, boolean hdgst, boolean ddgst) {
        List<IscsiPdu> pdus = fromInitiator ? initiatorToTarget() : targetToInitiator();
        List<Object> expected = IscsiPdus.untracked(pdus);
        try {
            IscsiCodecSettings sender = fromInitiator ? IscsiPdus.initiator(hdgst, ddgst) : IscsiPdus.target(hdgst, ddgst);
            byte[] stream = encode(pdus, sender);
            for (int at = 0; at <= stream.length; at++) {
                IscsiCodecSettings receiver = fromInitiator ? IscsiPdus.target(hdgst, ddgst) : IscsiPdus.initiator(hdgst, ddgst);
                List<Object> out = IscsiPdus.decode(receiver, Chunks.splitAt(stream, at));
                try {
                    assertThat(IscsiPdus.untracked(out)).as("split at %d of %d", at, stream.length)
                            .containsExactlyElementsOf(expected);
                } finally {
                    IscsiPdus.release(out);
                }
            }
            // and one byte at a time
            List<byte[]> bytes = new ArrayList<>();
            for (byte b : stream) {
                bytes.add(new byte[] {b});
            }
            List<Object> out = IscsiPdus.decode(fromInitiator ? IscsiPdus.target(hdgst, ddgst)
                    : IscsiPdus.initiator(hdgst, ddgst), bytes);
            try {
                assertThat(IscsiPdus.untracked(out)).as("byte by byte").containsExactlyElementsOf(expected);
            } finally {
                IscsiPdus.release(out);
            }
        } finally {
            IscsiPdus.release(pdus);
        }
    }

    static LongStream seeds() {
        return LongStream.range(0, 50);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomChunkingsGiveTheSamePdus(long seed) {
        Random r = new Random(seed);
        boolean fromInitiator = r.nextBoolean();
        boolean hdgst = r.nextBoolean();
        boolean ddgst = r.nextBoolean();
        List<IscsiPdu> pdus = fromInitiator ? initiatorToTarget() : targetToInitiator();
        try {
            byte[] stream = encode(pdus, fromInitiator ? IscsiPdus.initiator(hdgst, ddgst) : IscsiPdus.target(hdgst, ddgst));
            List<Object> out = IscsiPdus.decode(fromInitiator ? IscsiPdus.target(hdgst, ddgst)
                    : IscsiPdus.initiator(hdgst, ddgst), Chunks.random(stream, r));
            try {
                assertThat(IscsiPdus.untracked(out)).as("seed %d", seed)
                        .containsExactlyElementsOf(IscsiPdus.untracked(pdus));
            } finally {
                IscsiPdus.release(out);
            }
        } finally {
            IscsiPdus.release(pdus);
        }
    }

    /**
     * Digests go on after the last Login Response (RFC 7143 13.1: they apply in the Full Feature Phase). The
     * handler switches them on when it sees that response; the next PDU, already in the same read, must be
     * decoded with them.
     */
    @Test
    void digestsSwitchedOnAfterLoginApplyToTheNextPduInTheSameRead() {
        IscsiPdu login = new IscsiPdu.LoginResponse(true, false, 1, 3, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, Unpooled.EMPTY_BUFFER);
        IscsiPdu nop = new IscsiPdu.NopIn(0, 2, -1, 1, 1, 1, buf(pattern(5, 1)));
        byte[] stream = Be.concat(IscsiPdus.encode(login, IscsiPdus.target(false, false)),
                IscsiPdus.encode(nop, IscsiPdus.target(true, true)));
        IscsiCodecSettings settings = IscsiPdus.initiator(false, false);
        List<Object> seen = new ArrayList<>();
        EmbeddedChannel channel = new EmbeddedChannel(new IscsiPduDecoder(settings), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof IscsiPdu.LoginResponse r && r.transit() && r.nsg() == 3) {
                    settings.headerDigest(true).dataDigest(true);
                }
                seen.add(msg);
            }
        });
        try {
            channel.writeInbound(buf(stream));
            assertThat(IscsiPdus.untracked(seen)).containsExactly(IscsiPdus.untracked(login), IscsiPdus.untracked(nop));
        } finally {
            channel.finishAndReleaseAll();
            IscsiPdus.release(seen);
            ReferenceCountUtil.release(nop);
        }
    }
}
