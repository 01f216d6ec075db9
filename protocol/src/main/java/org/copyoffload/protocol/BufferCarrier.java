package org.copyoffload.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * A wire message that holds one data buffer and is reference counted through it (NVMe/TCP and iSCSI PDUs with
 * data): retaining or releasing the message retains or releases the buffer, so whoever takes the message releases it
 * like any Netty message.
 */
public interface BufferCarrier extends ReferenceCounted {
    ByteBuf data();

    @Override
    default int refCnt() {
        return data().refCnt();
    }

    @Override
    default ReferenceCounted retain() {
        data().retain();
        return this;
    }

    @Override
    default ReferenceCounted retain(int increment) {
        data().retain(increment);
        return this;
    }

    @Override
    default ReferenceCounted touch() {
        data().touch();
        return this;
    }

    @Override
    default ReferenceCounted touch(Object hint) {
        data().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return data().release();
    }

    @Override
    default boolean release(int decrement) {
        return data().release(decrement);
    }
}
