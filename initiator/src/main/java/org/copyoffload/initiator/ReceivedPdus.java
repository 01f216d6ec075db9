package org.copyoffload.initiator;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * What a bare protocol-test connection (NVMe/TCP or iSCSI) received: every decoded PDU in order, and whether the
 * peer closed. Taken PDUs are the taker's to release; {@link #drain} releases the rest.
 *
 * @param <P> the protocol's PDU type
 */
public final class ReceivedPdus<P> {
    private final Class<P> type;
    private final BlockingQueue<P> queue = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> peerClosed = new CompletableFuture<>();
    private volatile boolean closing;

    public ReceivedPdus(Class<P> type) {
        this.type = type;
    }

    /** Everything decoded from the peer, in order. */
    public BlockingQueue<P> queue() {
        return queue;
    }

    /** The next received PDU, or null when none arrives in time. */
    public P poll(Duration timeout) {
        try {
            return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The next received PDU, which must be of {@code expected}; anything else (or nothing) throws. */
    public <T extends P> T expect(Class<T> expected, Duration timeout) {
        P pdu = poll(timeout);
        if (pdu == null) {
            throw new IllegalStateException("no " + expected.getSimpleName() + " within " + timeout.toMillis() + " ms"
                    + (isPeerClosed() ? " (peer closed)" : ""));
        }
        if (!expected.isInstance(pdu)) {
            String text = pdu.toString();
            ReferenceCountUtil.release(pdu);
            throw new IllegalStateException("expected " + expected.getSimpleName() + ", received " + text);
        }
        return expected.cast(pdu);
    }

    /** True once the peer closed the connection (not when this side did). */
    public boolean isPeerClosed() {
        return peerClosed.isDone() && !closing;
    }

    /** Waits for the peer to close the connection; false when it is still open after {@code timeout}. */
    public boolean awaitPeerClose(Duration timeout) {
        try {
            peerClosed.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return !closing;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** This side is closing: a close seen from now on is not the peer's doing. */
    public void closing() {
        closing = !peerClosed.isDone();
    }

    /** Releases every PDU nobody took. */
    public void drain() {
        P pdu;
        while ((pdu = queue.poll()) != null) {
            ReferenceCountUtil.release(pdu);
        }
    }

    /**
     * The last handler of such a connection's pipeline: queues decoded PDUs (after {@code onEach}, which may adopt
     * settings before the next PDU decodes) and notes the peer's close; a reset counts as a close.
     */
    public ChannelInboundHandlerAdapter collector(Consumer<P> onEach) {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (type.isInstance(msg)) {
                    P pdu = type.cast(msg);
                    onEach.accept(pdu);
                    queue.add(pdu);
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                peerClosed.complete(null);
                ctx.fireChannelInactive();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                // A reset by the peer counts as its close; the test looks at what arrived before it.
                ctx.close();
            }
        };
    }
}
