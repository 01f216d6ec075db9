package org.copyoffload.protocol.iscsi;

import static org.copyoffload.protocol.iscsi.IscsiPdus.buf;

import io.netty.buffer.ByteBuf;
import java.util.Random;

/** Random well-formed PDUs for one direction, with random field values and data sizes (0, tiny, small, large). */
final class RandomIscsiPdus {
    private RandomIscsiPdus() {
    }

    static IscsiPdu next(Random r, boolean fromInitiator, int maxData) {
        return fromInitiator ? initiatorPdu(r, maxData) : targetPdu(r, maxData);
    }

    private static IscsiPdu initiatorPdu(Random r, int maxData) {
        return switch (r.nextInt(8)) {
            case 0 -> new IscsiPdu.NopOut(r.nextBoolean(), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    data(r, maxData));
            case 1 -> new IscsiPdu.ScsiCommand(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextBoolean(),
                    r.nextInt(8), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), cdb(r),
                    r.nextBoolean() ? -1 : r.nextInt(Integer.MAX_VALUE), data(r, maxData));
            case 2 -> new IscsiPdu.TaskManagementRequest(r.nextBoolean(), r.nextInt(128), r.nextLong(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt());
            case 3 -> new IscsiPdu.LoginRequest(r.nextBoolean(), r.nextBoolean(), r.nextInt(4), r.nextInt(4),
                    r.nextInt(256), r.nextInt(256), r.nextLong() & 0xFFFF_FFFF_FFFFL, r.nextInt(0x10000), r.nextInt(),
                    r.nextInt(0x10000), r.nextInt(), r.nextInt(), data(r, maxData));
            case 4 -> new IscsiPdu.TextRequest(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextLong(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), data(r, maxData));
            case 5 -> new IscsiPdu.DataOut(r.nextBoolean(), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(), data(r, maxData));
            case 6 -> new IscsiPdu.LogoutRequest(r.nextBoolean(), r.nextInt(128), r.nextInt(), r.nextInt(0x10000),
                    r.nextInt(), r.nextInt());
            default -> new IscsiPdu.SnackRequest(r.nextInt(16), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(), r.nextInt());
        };
    }

    private static IscsiPdu targetPdu(Random r, int maxData) {
        return switch (r.nextInt(11)) {
            case 0 -> new IscsiPdu.NopIn(r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    data(r, maxData));
            case 1 -> new IscsiPdu.ScsiResponse(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextBoolean(),
                    r.nextInt(256), r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), data(r, maxData));
            case 2 -> new IscsiPdu.TaskManagementResponse(r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt());
            case 3 -> new IscsiPdu.LoginResponse(r.nextBoolean(), r.nextBoolean(), r.nextInt(4), r.nextInt(4),
                    r.nextInt(256), r.nextInt(256), r.nextLong() & 0xFFFF_FFFF_FFFFL, r.nextInt(0x10000), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(256), r.nextInt(256), data(r, maxData));
            case 4 -> new IscsiPdu.TextResponse(r.nextBoolean(), r.nextBoolean(), r.nextLong(), r.nextInt(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), data(r, maxData));
            case 5 -> new IscsiPdu.DataIn(r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextBoolean(),
                    r.nextBoolean(), r.nextInt(256), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), data(r, maxData));
            case 6 -> new IscsiPdu.LogoutResponse(r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(0x10000), r.nextInt(0x10000));
            case 7 -> new IscsiPdu.R2t(r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    r.nextInt(), r.nextInt(), r.nextInt());
            case 8 -> new IscsiPdu.AsyncMessage(r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(256),
                    r.nextInt(256), r.nextInt(0x10000), r.nextInt(0x10000), r.nextInt(0x10000), data(r, maxData));
            default -> new IscsiPdu.Reject(r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(),
                    bytes(r, r.nextInt(4) == 0 ? 0 : 48));
        };
    }

    /** 16 bytes, sometimes with an Extended CDB AHS of 1 to the most bytes the record allows. */
    private static byte[] cdb(Random r) {
        int extra = switch (r.nextInt(4)) {
            case 0 -> 1 + r.nextInt(8);
            case 1 -> IscsiPdu.ScsiCommand.MAX_CDB - 16;
            case 2 -> 1 + r.nextInt(IscsiPdu.ScsiCommand.MAX_CDB - 16);
            default -> 0;
        };
        byte[] cdb = new byte[16 + extra];
        r.nextBytes(cdb);
        return cdb;
    }

    /** A data size: often the edges, sometimes up to {@code max}. */
    static int size(Random r, int max) {
        return switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(4);
            case 2 -> r.nextInt(64);
            case 3 -> r.nextInt(4096);
            case 4 -> max;
            default -> r.nextInt(max + 1);
        };
    }

    private static ByteBuf data(Random r, int max) {
        return bytes(r, size(r, max));
    }

    private static ByteBuf bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return buf(b);
    }
}
