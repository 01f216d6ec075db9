package org.copyoffload.protocol.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link IscsiPduDecoder} in an {@link EmbeddedChannel}. Bytes go in through leak-tracked buffers from the
 * channel's allocator; decoded messages are kept until {@link #close()}, which releases them and the channel.
 */
final class IscsiHarness implements AutoCloseable {
    private final EmbeddedChannel channel;
    private final List<Object> received = new ArrayList<>();

    IscsiHarness(IscsiCodecSettings settings) {
        channel = new EmbeddedChannel(new IscsiPduDecoder(settings));
    }

    /** Feeds one piece and returns what it completed. */
    List<Object> feed(byte[] bytes) {
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

    List<Object> feedAll(List<byte[]> pieces) {
        for (byte[] piece : pieces) {
            feed(piece);
        }
        return received;
    }

    List<Object> received() {
        return received;
    }

    /** The stream ends; anything the decoder then emits is added. */
    List<Object> finish() {
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

    /** Decodes the pieces in a fresh decoder; the caller releases the results. */
    static List<Object> decode(IscsiCodecSettings settings, List<byte[]> pieces) {
        IscsiHarness h = new IscsiHarness(settings);
        h.feedAll(pieces);
        List<Object> out = new ArrayList<>(h.received);
        h.received.clear();
        h.close();
        return out;
    }
}
