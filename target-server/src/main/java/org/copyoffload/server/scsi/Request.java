package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;

/**
 * A command on its way to a handler: the command itself, the logical unit it addresses (null when there is none at
 * that LUN: only INQUIRY, REPORT LUNS and REQUEST SENSE get that far) and the target.
 */
record Request(ScsiCommand command, LogicalUnit unit, ScsiTarget target) {
    byte[] cdb() {
        return command.cdb();
    }

    ItNexus nexus() {
        return command.nexus();
    }

    /** The data-out the transport collected (borrowed; never released here). */
    ByteBuf dataOut() {
        return command.dataOut();
    }

    /** Bytes of data-out received: zero when the initiator sent none (no W bit, or an Expected length of zero). */
    int dataOutLength() {
        ByteBuf data = command.dataOut();
        return data == null ? 0 : data.readableBytes();
    }

    /** The first {@code length} bytes of data-out, copied (for parameter lists, which are small). */
    byte[] dataOutBytes(int length) {
        byte[] b = new byte[length];
        command.dataOut().getBytes(command.dataOut().readerIndex(), b);
        return b;
    }
}
