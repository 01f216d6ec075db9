package org.copyoffload.protocol.nvme.log;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.Map;

/**
 * The Commands Supported and Effects log page (NVMe Base 2.1, 5.1.12.1.6, Figure 211): 256 admin and 256
 * I/O dwords, each with CSUPP (bit 0), LBCC (logical block content change, bit 1), NCC, NIC, CCC, and CSE
 * in bits 18:16 (1: no other command for the namespace may run at the same time).
 */
public final class CommandEffects {
    public static final int CSUPP = 1;
    public static final int LBCC = 1 << 1;
    public static final int NCC = 1 << 2;
    public static final int NIC = 1 << 3;
    public static final int CCC = 1 << 4;
    public static final int SIZE = 4096;

    private CommandEffects() {
    }

    public static ByteBuf encode(Map<Integer, Integer> admin, Map<Integer, Integer> io) {
        ByteBuf b = Unpooled.buffer(SIZE);
        b.writeZero(SIZE);
        admin.forEach((opcode, effects) -> b.setIntLE(opcode * 4, effects));
        io.forEach((opcode, effects) -> b.setIntLE(1024 + opcode * 4, effects));
        return b;
    }
}
