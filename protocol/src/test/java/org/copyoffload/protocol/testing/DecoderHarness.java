package org.copyoffload.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPduDecoder;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpSettings;

/**
 * A PDU decoder (NVMe/TCP's {@link NvmeTcpPduDecoder}, iSCSI's) in an {@link EmbeddedChannel}. Bytes go in through leak-tracked buffers from the
 * channel's allocator; decoded messages are kept until {@link #close()}, which releases them and the channel.
 */
public final class DecoderHarness implements AutoCloseable {
    private final EmbeddedChannel channel;
    private final List<Object> received = new ArrayList<>();

    public DecoderHarness(NvmeTcpSettings settings) {
        this(new NvmeTcpPduDecoder(settings));
    }

    public DecoderHarness(ChannelHandler decoder) {
        channel = new EmbeddedChannel(decoder);
    }

    /** Feeds one piece and returns what it completed. */
    public List<Object> feed(byte[] bytes) {
        ByteBuf in = channel.alloc().directBuffer(Math.max(bytes.length, 1));
        in.writeBytes(bytes);
        channel.writeInbound(in);
        List<Object> now = new ArrayList<>();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            now.add(msg);
        }
        received.addAll(now);
        return now;
    }

    public List<Object> feedAll(List<byte[]> pieces) {
        for (byte[] piece : pieces) {
            feed(piece);
        }
        return received;
    }

    public List<Object> received() {
        return received;
    }

    /** The stream ends: the decoder sees the channel close; anything it then emits is added. */
    public List<Object> finish() {
        channel.finish();
        for (Object msg; (msg = channel.readInbound()) != null; ) {
            received.add(msg);
        }
        return received;
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        for (Object msg : received) {
            ReferenceCountUtil.release(msg);
        }
        received.clear();
    }

    /** Decodes the pieces in one fresh decoder; the caller releases the results (see {@link #releaseAll}). */
    public static List<Object> decode(NvmeTcpSettings settings, List<byte[]> pieces) {
        return decode(new NvmeTcpPduDecoder(settings), pieces);
    }

    /** Decodes the pieces in {@code decoder}, fresh; the caller releases the results. */
    public static List<Object> decode(ChannelHandler decoder, List<byte[]> pieces) {
        DecoderHarness h = new DecoderHarness(decoder);
        h.feedAll(pieces);
        List<Object> out = new ArrayList<>(h.received);
        h.received.clear();
        h.close();
        return out;
    }

    public static void releaseAll(List<?> messages) {
        for (Object msg : messages) {
            ReferenceCountUtil.release(msg);
        }
    }
}
