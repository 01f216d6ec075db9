package org.copyoffload.protocol.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes {@link IscsiPdu}s (RFC 7143 11.2): BHS, AHS, header digest, data segment, padding, data digest,
 * with the digests the settings say are in force. The data is not copied: the output is a composite of the
 * encoded header, the PDU's own buffer and a small trailer for padding and digest.
 */
@ChannelHandler.Sharable
public final class IscsiPduEncoder extends MessageToMessageEncoder<IscsiPdu> {
    private final IscsiCodecSettings settings;

    public IscsiPduEncoder(IscsiCodecSettings settings) {
        super(IscsiPdu.class);
        this.settings = settings;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, IscsiPdu pdu, List<Object> out) {
        out.add(encode(ctx.alloc(), pdu, settings));
    }

    /**
     * The PDU's bytes. The data buffer of a {@link IscsiPdu.WithData} is retained into the result, so the
     * caller still owns (and releases) the PDU.
     */
    public static ByteBuf encode(ByteBufAllocator alloc, IscsiPdu pdu, IscsiCodecSettings settings) {
        ByteBuf data = pdu instanceof IscsiPdu.WithData withData ? withData.data() : null;
        int dataLength = data == null ? 0 : data.readableBytes();
        ByteBuf header = encodeHeader(alloc, pdu, dataLength, settings);
        if (dataLength == 0) {
            return header;
        }
        int padding = IscsiDigest.padding(dataLength);
        boolean ddgst = settings.dataDigest();
        CompositeByteBuf composite = alloc.compositeBuffer(3);
        composite.addComponent(true, header);
        composite.addComponent(true, data.retainedSlice());
        if (padding > 0 || ddgst) {
            ByteBuf trailer = alloc.buffer(padding + (ddgst ? IscsiDigest.LENGTH : 0));
            trailer.writeZero(padding);
            if (ddgst) {
                trailer.writeIntLE(IscsiDigest.dataDigest(data, data.readerIndex(), dataLength));
            }
            composite.addComponent(true, trailer);
        }
        return composite;
    }

    /**
     * The BHS, AHS and header digest of {@code pdu} announcing a data segment of {@code dataSegmentLength}
     * bytes, whatever data the PDU holds. For data sent from elsewhere (a file region): the caller then writes
     * the data, {@link IscsiDigest#padding} zero bytes and, when negotiated, the data digest.
     */
    public static ByteBuf encodeHeader(ByteBufAllocator alloc, IscsiPdu pdu, int dataSegmentLength,
                                       IscsiCodecSettings settings) {
        if (pdu instanceof IscsiPdu.Malformed m) {
            throw new IllegalArgumentException("not a wire PDU: " + m);
        }
        if (dataSegmentLength < 0 || dataSegmentLength > IscsiCodecSettings.MAX_DATA_SEGMENT_LENGTH) {
            throw new IllegalArgumentException(pdu.opcode() + " with a data segment of " + dataSegmentLength
                    + " bytes: DataSegmentLength is 24 bits");
        }
        if (dataSegmentLength > 0 && !(pdu instanceof IscsiPdu.WithData)) {
            throw new IllegalArgumentException(pdu.opcode() + " carries no data segment");
        }
        int ahsLength = pdu instanceof IscsiPdu.ScsiCommand c ? ahsLength(c) : 0;
        boolean hdgst = settings.headerDigest();
        int headerLength = IscsiPdu.BHS_LENGTH + ahsLength;
        ByteBuf h = alloc.buffer(headerLength + (hdgst ? IscsiDigest.LENGTH : 0));
        h.writeZero(headerLength);
        h.setByte(0, pdu.opcode().code() | (immediate(pdu) ? 0x40 : 0));
        h.setByte(4, ahsLength / 4);
        h.setMedium(5, dataSegmentLength);
        writeBhs(h, pdu);
        if (pdu instanceof IscsiPdu.ScsiCommand c) {
            writeAhs(h, c);
        }
        if (hdgst) {
            h.writeIntLE(IscsiDigest.crc32c(h, 0, headerLength));
        }
        return h;
    }

    private static boolean immediate(IscsiPdu pdu) {
        return switch (pdu) {
            case IscsiPdu.NopOut p -> p.immediate();
            case IscsiPdu.ScsiCommand p -> p.immediate();
            case IscsiPdu.TaskManagementRequest p -> p.immediate();
            // RFC 7143 11.12: the I bit of a Login Request is always 1.
            case IscsiPdu.LoginRequest p -> true;
            case IscsiPdu.TextRequest p -> p.immediate();
            case IscsiPdu.LogoutRequest p -> p.immediate();
            default -> false;
        };
    }

    /** Total AHS bytes of a command: the Extended CDB AHS (11.2.2.3) and the bidirectional one (11.2.2.4). */
    private static int ahsLength(IscsiPdu.ScsiCommand c) {
        int total = 0;
        int extra = c.cdbLength() - IscsiPdu.ScsiCommand.CDB_FIELD;
        if (extra > 0) {
            // AHSLength, AHSType, reserved byte, then the CDB bytes beyond the first 16, padded to 4 bytes
            total += 4 + extra + IscsiDigest.padding(extra);
        }
        if (c.bidirectional()) {
            total += 8;
        }
        return total;
    }

    private static void writeAhs(ByteBuf h, IscsiPdu.ScsiCommand c) {
        int at = IscsiPdu.BHS_LENGTH;
        byte[] cdb = c.cdb();
        int extra = cdb.length - IscsiPdu.ScsiCommand.CDB_FIELD;
        if (extra > 0) {
            // AHSLength counts the reserved byte too: CDB length - 15 (11.2.2.3)
            h.setShort(at, extra + 1);
            h.setByte(at + 2, IscsiPduDecoder.AHS_EXTENDED_CDB);
            h.setBytes(at + 4, cdb, IscsiPdu.ScsiCommand.CDB_FIELD, extra);
            at += 4 + extra + IscsiDigest.padding(extra);
        }
        if (c.bidirectional()) {
            h.setShort(at, 5);
            h.setByte(at + 2, IscsiPduDecoder.AHS_BIDI_READ_LENGTH);
            h.setInt(at + 4, c.bidirectionalReadExpectedLength());
        }
    }

    private static int bit(boolean on, int mask) {
        return on ? mask : 0;
    }

    /** Byte 1 and bytes 2-3, 8-47 of the BHS (RFC 7143 11.3-11.19); the rest is common to all. */
    private static void writeBhs(ByteBuf h, IscsiPdu pdu) {
        switch (pdu) {
            case IscsiPdu.NopOut p -> {
                h.setByte(1, 0x80);
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
            }
            case IscsiPdu.ScsiCommand p -> {
                h.setByte(1, bit(p.finalFlag(), 0x80) | bit(p.read(), 0x40) | bit(p.write(), 0x20) | p.attributes());
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.expectedDataTransferLength());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
                h.setBytes(32, p.cdb(), 0, IscsiPdu.ScsiCommand.CDB_FIELD);
            }
            case IscsiPdu.TaskManagementRequest p -> {
                h.setByte(1, 0x80 | p.function());
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.referencedTaskTag());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
                h.setInt(32, p.refCmdSn());
                h.setInt(36, p.expDataSn());
            }
            case IscsiPdu.LoginRequest p -> {
                h.setByte(1, bit(p.transit(), 0x80) | bit(p.cont(), 0x40) | p.csg() << 2 | p.nsg());
                h.setByte(2, p.versionMax());
                h.setByte(3, p.versionMin());
                writeIsidTsih(h, p.isid(), p.tsih());
                h.setInt(16, p.initiatorTaskTag());
                h.setShort(20, p.cid());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
            }
            case IscsiPdu.TextRequest p -> {
                h.setByte(1, bit(p.finalFlag(), 0x80) | bit(p.cont(), 0x40));
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
            }
            case IscsiPdu.DataOut p -> {
                h.setByte(1, bit(p.finalFlag(), 0x80));
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                h.setInt(28, p.expStatSn());
                h.setInt(36, p.dataSn());
                h.setInt(40, p.bufferOffset());
            }
            case IscsiPdu.LogoutRequest p -> {
                h.setByte(1, 0x80 | p.reasonCode());
                h.setInt(16, p.initiatorTaskTag());
                h.setShort(20, p.cid());
                h.setInt(24, p.cmdSn());
                h.setInt(28, p.expStatSn());
            }
            case IscsiPdu.SnackRequest p -> {
                h.setByte(1, 0x80 | p.type());
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                h.setInt(28, p.expStatSn());
                h.setInt(40, p.begRun());
                h.setInt(44, p.runLength());
            }
            case IscsiPdu.NopIn p -> {
                h.setByte(1, 0x80);
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
            }
            case IscsiPdu.ScsiResponse p -> {
                h.setByte(1, 0x80 | bit(p.bidiOverflow(), 0x10) | bit(p.bidiUnderflow(), 0x08)
                        | bit(p.overflow(), 0x04) | bit(p.underflow(), 0x02));
                h.setByte(2, p.response());
                h.setByte(3, p.status());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.snackTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setInt(36, p.expDataSn());
                h.setInt(40, p.bidiReadResidualCount());
                h.setInt(44, p.residualCount());
            }
            case IscsiPdu.TaskManagementResponse p -> {
                h.setByte(1, 0x80);
                h.setByte(2, p.response());
                h.setInt(16, p.initiatorTaskTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
            }
            case IscsiPdu.LoginResponse p -> {
                h.setByte(1, bit(p.transit(), 0x80) | bit(p.cont(), 0x40) | p.csg() << 2 | p.nsg());
                h.setByte(2, p.versionMax());
                h.setByte(3, p.versionActive());
                writeIsidTsih(h, p.isid(), p.tsih());
                h.setInt(16, p.initiatorTaskTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setByte(36, p.statusClass());
                h.setByte(37, p.statusDetail());
            }
            case IscsiPdu.TextResponse p -> {
                h.setByte(1, bit(p.finalFlag(), 0x80) | bit(p.cont(), 0x40));
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
            }
            case IscsiPdu.DataIn p -> {
                h.setByte(1, bit(p.finalFlag(), 0x80) | bit(p.acknowledge(), 0x40) | bit(p.overflow(), 0x04)
                        | bit(p.underflow(), 0x02) | bit(p.statusPresent(), 0x01));
                h.setByte(3, p.status());
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setInt(36, p.dataSn());
                h.setInt(40, p.bufferOffset());
                h.setInt(44, p.residualCount());
            }
            case IscsiPdu.LogoutResponse p -> {
                h.setByte(1, 0x80);
                h.setByte(2, p.response());
                h.setInt(16, p.initiatorTaskTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setShort(40, p.time2Wait());
                h.setShort(42, p.time2Retain());
            }
            case IscsiPdu.R2t p -> {
                h.setByte(1, 0x80);
                h.setLong(8, p.lun());
                h.setInt(16, p.initiatorTaskTag());
                h.setInt(20, p.targetTransferTag());
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setInt(36, p.r2tSn());
                h.setInt(40, p.bufferOffset());
                h.setInt(44, p.desiredDataTransferLength());
            }
            case IscsiPdu.AsyncMessage p -> {
                h.setByte(1, 0x80);
                h.setLong(8, p.lun());
                h.setInt(16, IscsiPdu.RESERVED_TAG);
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setByte(36, p.asyncEvent());
                h.setByte(37, p.asyncVCode());
                h.setShort(38, p.parameter1());
                h.setShort(40, p.parameter2());
                h.setShort(42, p.parameter3());
            }
            case IscsiPdu.Reject p -> {
                h.setByte(1, 0x80);
                h.setByte(2, p.reason());
                h.setInt(16, IscsiPdu.RESERVED_TAG);
                writeStatus(h, p.statSn(), p.expCmdSn(), p.maxCmdSn());
                h.setInt(36, p.dataSn());
            }
            case IscsiPdu.Malformed m -> throw new IllegalArgumentException("not a wire PDU: " + m);
        }
    }

    private static void writeIsidTsih(ByteBuf h, long isid, int tsih) {
        h.setShort(8, (int) (isid >>> 32));
        h.setInt(10, (int) isid);
        h.setShort(14, tsih);
    }

    private static void writeStatus(ByteBuf h, int statSn, int expCmdSn, int maxCmdSn) {
        h.setInt(24, statSn);
        h.setInt(28, expCmdSn);
        h.setInt(32, maxCmdSn);
    }
}
