package org.copyoffload.protocol;

import io.netty.channel.ChannelHandlerContext;

/**
 * How a decoder that knows how many bytes its next message still lacks asks the transport not to wake it for less
 * (on Linux, the socket's {@code SO_RCVLOWAT}). Every wake-up of a reader costs a context switch on each side, and
 * on this project's 2-core virtual machines an inter-processor interrupt: a reader woken for every 64 KiB segment
 * of a 1 MiB data PDU spends more CPU on wake-ups than on copying.
 *
 * <p>Only a decoder that reads the socket's bytes as they are may use it: behind TLS, bytes already taken from the
 * socket into a partial record would be waited for again.
 */
@FunctionalInterface
public interface ReceiveWatermark {
    /** Wakes nobody any later: for transports without the option, and for tests. */
    ReceiveWatermark NONE = (ctx, bytes) -> {
    };

    /** Wake the reader of {@code ctx}'s channel only once at least {@code bytes} (1: any) are waiting to be read. */
    void wakeAfter(ChannelHandlerContext ctx, int bytes);
}
