package org.copyoffload.server.nvme;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;

/**
 * What a command produced: its status, completion dwords 0 and 1, and data for the host: a buffer
 * ({@code data}), a file range ({@code file}) or neither. The transport takes ownership of {@code data}
 * and releases it once it is sent.
 */
public record CommandResult(NvmeStatus status, int dw0, int dw1, ByteBuf data, FileData file) {
    public static final CommandResult SUCCESS = new CommandResult(NvmeStatus.SUCCESS, 0, 0, null);

    public CommandResult(NvmeStatus status, int dw0, int dw1, ByteBuf data) {
        this(status, dw0, dw1, data, null);
    }

    public static CommandResult file(FileData file) {
        return new CommandResult(NvmeStatus.SUCCESS, 0, 0, null, file);
    }

    /** Bytes of data for the host, whichever form they take. */
    public long dataLength() {
        return data != null ? data.readableBytes() : file != null ? file.length() : 0;
    }

    public static CommandResult success(int dw0) {
        return new CommandResult(NvmeStatus.SUCCESS, dw0, 0, null);
    }

    public static CommandResult data(ByteBuf data) {
        return new CommandResult(NvmeStatus.SUCCESS, 0, 0, data);
    }

    public static CommandResult error(NvmeStatus status) {
        return new CommandResult(status, 0, 0, null);
    }

    public static CommandResult error(StatusCode code) {
        return new CommandResult(code.dnr(), 0, 0, null);
    }

    public CommandResult withDw0(int value) {
        return new CommandResult(status, value, dw1, data, file);
    }

    /** Drops the data, for a completion that cannot be sent any more. */
    public void release() {
        ReferenceCountUtil.release(data);
    }
}
