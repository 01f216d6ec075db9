package org.copyoffload.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * A decoder of length-framed PDUs that tells its transport, after every read, how many bytes the PDU at the head of
 * the stream still lacks ({@link ReceiveWatermark}): the socket then wakes it once for a large data PDU instead of
 * once per segment. It asks only for bytes the peer must send anyway (never more than the PDU lacks), so no wait can
 * outlast the PDU; and for any byte again as soon as no large PDU is pending.
 */
public abstract class WatermarkedDecoder extends ByteToMessageDecoder {
    /** Below this many missing bytes a wake-up is cheaper than the two system calls that would avoid it. */
    public static final int MINIMUM = 32 << 10;
    /**
     * The most a reader waits for at once: enough to take a data PDU in a few large reads, little enough that the
     * kernel keeps acknowledging while the rest arrives (it caps the watermark at half the largest receive buffer).
     */
    public static final int MAXIMUM = 256 << 10;

    private final ReceiveWatermark watermark;
    /** Bytes the PDU at the head of the cumulation still lacks, as the last decode found it (0: none started). */
    private long missing;
    /** The receive watermark last asked of the transport. */
    private int watermarkSet = 1;

    protected WatermarkedDecoder(ReceiveWatermark watermark) {
        this.watermark = watermark;
        // Data PDUs are handed on as slices: a composite cumulation keeps the socket's buffers instead of copying
        // every read into one growing buffer.
        setCumulator(COMPOSITE_CUMULATOR);
    }

    /** Called at the start of every decode: nothing is known to be missing until {@link #lacking} says so. */
    protected final void newDecode() {
        missing = 0;
    }

    /** The PDU at the head of the stream is framed and lacks {@code bytes} more to be complete. */
    protected final void lacking(long bytes) {
        missing = bytes;
    }

    /** Whether the stream is beyond recovery: no PDU will complete, so nothing is waited for. */
    protected abstract boolean failed();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        super.channelRead(ctx, msg);
        int wanted = failed() || missing < MINIMUM ? 1 : (int) Math.min(missing, MAXIMUM);
        if (wanted != watermarkSet && ctx.channel().isActive()) {
            watermarkSet = wanted;
            watermark.wakeAfter(ctx, wanted);
        }
    }
}
