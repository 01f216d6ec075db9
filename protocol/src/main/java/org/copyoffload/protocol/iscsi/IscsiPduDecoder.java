package org.copyoffload.protocol.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.protocol.WatermarkedDecoder;
import org.copyoffload.protocol.iscsi.IscsiPdu.Malformed;

/**
 * Turns bytes into {@link IscsiPdu}s (RFC 7143 11.2). For each PDU it waits for the BHS, AHS and header
 * digest, checks the header digest and DataSegmentLength (a failure there is fatal: the length that frames
 * the stream cannot be trusted), then the opcode, then the AHS and whether the PDU may have AHS and data
 * (format errors, fatal by RFC 7143 7.7), then waits for the data segment, its padding and data digest. A PDU
 * it cannot accept becomes one {@link Malformed} message. After a fatal one the decoder discards everything;
 * after any other (an unsupported or wrong-side opcode, a data digest error) it skips the rest of that PDU, as
 * it arrives, and decodes the next, so the connection stays in step.
 */
public final class IscsiPduDecoder extends WatermarkedDecoder {
    static final int AHS_EXTENDED_CDB = 1;
    static final int AHS_BIDI_READ_LENGTH = 2;
    private static final int BHS = IscsiPdu.BHS_LENGTH;

    private final IscsiCodecSettings settings;
    private boolean failed;
    /** Bytes of a rejected PDU still to skip. */
    private long discard;

    public IscsiPduDecoder(IscsiCodecSettings settings) {
        this(settings, ReceiveWatermark.NONE);
    }

    /** @param watermark told, after every read, how many bytes the PDU being received still lacks */
    public IscsiPduDecoder(IscsiCodecSettings settings, ReceiveWatermark watermark) {
        super(watermark);
        this.settings = settings;
    }

    @Override
    protected boolean failed() {
        return failed;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        newDecode();
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (discard > 0) {
            int n = (int) Math.min(discard, in.readableBytes());
            in.skipBytes(n);
            discard -= n;
            return;
        }
        if (in.readableBytes() < BHS) {
            return;
        }
        Object result = decodeOne(in, in.readerIndex());
        if (result != null) {
            out.add(result);
        }
    }

    /** One PDU (or verdict) starting at {@code start}; null when more bytes are needed. */
    private Object decodeOne(ByteBuf in, int start) {
        int ahsLength = in.getUnsignedByte(start + 4) * 4;
        int dataLength = in.getUnsignedMedium(start + 5);
        boolean hdgst = settings.headerDigest();
        int headerLength = BHS + ahsLength;
        int dataStart = headerLength + (hdgst ? IscsiDigest.LENGTH : 0);
        if (in.readableBytes() < dataStart) {
            return null;
        }
        if (hdgst) {
            // RFC 7143 7.8: with a header digest error the lengths that frame the stream are suspect.
            int expected = IscsiDigest.crc32c(in, start, headerLength);
            int received = in.getIntLE(start + headerLength);
            if (expected != received) {
                return fatal(in, start, RejectReason.PROTOCOL_ERROR, "header digest 0x" + Integer.toHexString(received)
                        + ", computed 0x" + Integer.toHexString(expected));
            }
        }
        if (dataLength > settings.maxRecvDataSegmentLength()) {
            // RFC 7143 13.12: a receiver need not take more than it declared; the bytes cannot even be buffered.
            return fatal(in, start, RejectReason.PROTOCOL_ERROR, "DataSegmentLength " + dataLength
                    + " above MaxRecvDataSegmentLength " + settings.maxRecvDataSegmentLength());
        }
        boolean ddgst = settings.dataDigest() && dataLength > 0;
        long total = (long) dataStart + dataLength + IscsiDigest.padding(dataLength) + (ddgst ? IscsiDigest.LENGTH : 0);

        int code = in.getUnsignedByte(start) & 0x3F;
        IscsiOpcode opcode = IscsiOpcode.lookup(code).orElse(null);
        if (opcode == null) {
            return skip(in, start, total, RejectReason.COMMAND_NOT_SUPPORTED, "opcode 0x" + Integer.toHexString(code)
                    + " not supported");
        }
        if (opcode.fromInitiator() != settings.targetSide()) {
            return skip(in, start, total, RejectReason.PROTOCOL_ERROR, "opcode " + opcode + " (0x"
                    + Integer.toHexString(code) + ") is sent by " + (opcode.fromInitiator() ? "initiators" : "targets"));
        }
        // RFC 7143 7.7: other illegal or inconsistent header fields are format errors, and format errors close
        // the connection. The opcode is the exception (above): a Reject answers it.
        if (ahsLength > 0 && opcode != IscsiOpcode.SCSI_COMMAND) {
            // RFC 7143 11.2.2 defines AHS only for SCSI Command
            return fatal(in, start, RejectReason.PROTOCOL_ERROR, "TotalAHSLength " + ahsLength / 4 + " in "
                    + opcode + ", which has no AHS");
        }
        if (dataLength > 0 && !carriesData(opcode)) {
            return fatal(in, start, RejectReason.PROTOCOL_ERROR, "DataSegmentLength " + dataLength + " in "
                    + opcode + ", which has no data segment");
        }
        Object ahs = null;
        if (ahsLength > 0) {
            ahs = commandAhs(in, start, ahsLength);
            if (ahs instanceof String problem) {
                return fatal(in, start, RejectReason.PROTOCOL_ERROR, problem);
            }
        }
        if (in.readableBytes() < total) {
            lacking(total - in.readableBytes());
            return null;
        }
        if (ddgst) {
            // RFC 7143 7.8: the PDU is discarded and rejected, the stream is still in step
            int padded = dataLength + IscsiDigest.padding(dataLength);
            int expected = IscsiDigest.crc32c(in, start + dataStart, padded);
            int received = in.getIntLE(start + dataStart + padded);
            if (expected != received) {
                return skip(in, start, total, RejectReason.DATA_DIGEST_ERROR, "data digest 0x"
                        + Integer.toHexString(received) + ", computed 0x" + Integer.toHexString(expected));
            }
        }
        IscsiPdu pdu = decodeBody(in, start, opcode, (CommandAhs) ahs, dataStart, dataLength);
        in.skipBytes((int) total);
        return pdu;
    }

    private static boolean carriesData(IscsiOpcode opcode) {
        return switch (opcode) {
            case TASK_MANAGEMENT_REQUEST, LOGOUT_REQUEST, SNACK_REQUEST, TASK_MANAGEMENT_RESPONSE, LOGOUT_RESPONSE, R2T
                    -> false;
            default -> true;
        };
    }

    private static IscsiPdu decodeBody(ByteBuf in, int s, IscsiOpcode opcode, CommandAhs ahs, int dataStart,
                                       int dataLength) {
        int flags = in.getUnsignedByte(s + 1);
        boolean immediate = (in.getUnsignedByte(s) & 0x40) != 0;
        boolean f = (flags & 0x80) != 0;
        long lun = in.getLong(s + 8);
        int itt = in.getInt(s + 16);
        int w20 = in.getInt(s + 20);
        int w24 = in.getInt(s + 24);
        int w28 = in.getInt(s + 28);
        int w32 = in.getInt(s + 32);
        int w36 = in.getInt(s + 36);
        int w40 = in.getInt(s + 40);
        int w44 = in.getInt(s + 44);
        return switch (opcode) {
            case NOP_OUT -> new IscsiPdu.NopOut(immediate, lun, itt, w20, w24, w28, data(in, s, dataStart, dataLength));
            case SCSI_COMMAND -> scsiCommand(in, s, ahs, dataStart, dataLength);
            case TASK_MANAGEMENT_REQUEST -> new IscsiPdu.TaskManagementRequest(immediate, flags & 0x7F, lun, itt, w20,
                    w24, w28, w32, w36);
            case LOGIN_REQUEST -> new IscsiPdu.LoginRequest(f, (flags & 0x40) != 0, (flags >> 2) & 3, flags & 3,
                    in.getUnsignedByte(s + 2), in.getUnsignedByte(s + 3), isid(in, s), in.getUnsignedShort(s + 14), itt,
                    in.getUnsignedShort(s + 20), w24, w28, data(in, s, dataStart, dataLength));
            case TEXT_REQUEST -> new IscsiPdu.TextRequest(immediate, f, (flags & 0x40) != 0, lun, itt, w20, w24, w28,
                    data(in, s, dataStart, dataLength));
            case SCSI_DATA_OUT -> new IscsiPdu.DataOut(f, lun, itt, w20, w28, w36, w40, data(in, s, dataStart, dataLength));
            case LOGOUT_REQUEST -> new IscsiPdu.LogoutRequest(immediate, flags & 0x7F, itt, in.getUnsignedShort(s + 20),
                    w24, w28);
            case SNACK_REQUEST -> new IscsiPdu.SnackRequest(flags & 0x0F, lun, itt, w20, w28, w40, w44);
            case NOP_IN -> new IscsiPdu.NopIn(lun, itt, w20, w24, w28, w32, data(in, s, dataStart, dataLength));
            case SCSI_RESPONSE -> new IscsiPdu.ScsiResponse((flags & 0x10) != 0, (flags & 0x08) != 0,
                    (flags & 0x04) != 0, (flags & 0x02) != 0, in.getUnsignedByte(s + 2), in.getUnsignedByte(s + 3), itt,
                    w20, w24, w28, w32, w36, w40, w44, data(in, s, dataStart, dataLength));
            case TASK_MANAGEMENT_RESPONSE -> new IscsiPdu.TaskManagementResponse(in.getUnsignedByte(s + 2), itt, w24,
                    w28, w32);
            case LOGIN_RESPONSE -> new IscsiPdu.LoginResponse(f, (flags & 0x40) != 0, (flags >> 2) & 3, flags & 3,
                    in.getUnsignedByte(s + 2), in.getUnsignedByte(s + 3), isid(in, s), in.getUnsignedShort(s + 14), itt,
                    w24, w28, w32, in.getUnsignedByte(s + 36), in.getUnsignedByte(s + 37),
                    data(in, s, dataStart, dataLength));
            case TEXT_RESPONSE -> new IscsiPdu.TextResponse(f, (flags & 0x40) != 0, lun, itt, w20, w24, w28, w32,
                    data(in, s, dataStart, dataLength));
            case SCSI_DATA_IN -> new IscsiPdu.DataIn(f, (flags & 0x40) != 0, (flags & 0x04) != 0, (flags & 0x02) != 0,
                    (flags & 0x01) != 0, in.getUnsignedByte(s + 3), lun, itt, w20, w24, w28, w32, w36, w40, w44,
                    data(in, s, dataStart, dataLength));
            case LOGOUT_RESPONSE -> new IscsiPdu.LogoutResponse(in.getUnsignedByte(s + 2), itt, w24, w28, w32,
                    in.getUnsignedShort(s + 40), in.getUnsignedShort(s + 42));
            case R2T -> new IscsiPdu.R2t(lun, itt, w20, w24, w28, w32, w36, w40, w44);
            case ASYNC_MESSAGE -> new IscsiPdu.AsyncMessage(lun, w24, w28, w32, in.getUnsignedByte(s + 36),
                    in.getUnsignedByte(s + 37), in.getUnsignedShort(s + 38), in.getUnsignedShort(s + 40),
                    in.getUnsignedShort(s + 42), data(in, s, dataStart, dataLength));
            case REJECT -> new IscsiPdu.Reject(in.getUnsignedByte(s + 2), w24, w28, w32, w36,
                    data(in, s, dataStart, dataLength));
        };
    }

    /** What the AHSs of a SCSI Command carry: the CDB bytes beyond 16 (or null) and the bidirectional read length (or -1). */
    private record CommandAhs(byte[] extendedCdb, int bidirectionalReadLength) {
    }

    /**
     * The AHSs of a SCSI Command (RFC 7143 11.2.2): an Extended CDB and a bidirectional read length, each at
     * most once. A {@link CommandAhs}, or a String saying what is wrong.
     */
    private static Object commandAhs(ByteBuf in, int s, int ahsLength) {
        int at = BHS;
        int end = BHS + ahsLength;
        byte[] extension = null;
        int bidi = -1;
        // Every AHS takes a whole number of 4-byte words, so one always starts on a word inside the AHS area.
        while (at < end) {
            int length = in.getUnsignedShort(s + at);
            int type = in.getUnsignedByte(s + at + 2);
            // AHSLength excludes AHSLength and AHSType (3 bytes) and the padding to a 4-byte boundary
            int size = 3 + length + IscsiDigest.padding(3 + length);
            if (size > end - at) {
                return "AHSLength " + length + " of the AHS at byte " + at + " overruns TotalAHSLength " + ahsLength / 4;
            }
            switch (type) {
                case AHS_EXTENDED_CDB -> {
                    // AHSLength = CDB length - 15: the reserved byte plus the CDB bytes beyond the first 16
                    if (extension != null || length < 2 || length - 1 > IscsiPdu.ScsiCommand.MAX_CDB - 16) {
                        return "Extended CDB AHS at byte " + at + (extension != null ? " repeated" : " with AHSLength " + length);
                    }
                    extension = new byte[length - 1];
                    in.getBytes(s + at + 4, extension);
                }
                case AHS_BIDI_READ_LENGTH -> {
                    int value = in.getInt(s + at + 4);
                    if (bidi >= 0 || length != 5 || value < 0) {
                        return "Bidirectional Read Expected Data Transfer Length AHS at byte " + at
                                + (bidi >= 0 ? " repeated" : " with AHSLength " + length + ", value "
                                + Integer.toUnsignedString(value));
                    }
                    bidi = value;
                }
                default -> {
                    return "AHSType " + type + " at byte " + at + " not supported";
                }
            }
            at += size;
        }
        return new CommandAhs(extension, bidi);
    }

    /** SCSI Command (RFC 7143 11.3): the CDB is the 16-byte field followed by the Extended CDB AHS bytes. */
    private static IscsiPdu.ScsiCommand scsiCommand(ByteBuf in, int s, CommandAhs ahs, int dataStart, int dataLength) {
        byte[] extension = ahs == null ? null : ahs.extendedCdb();
        byte[] cdb = new byte[IscsiPdu.ScsiCommand.CDB_FIELD + (extension == null ? 0 : extension.length)];
        in.getBytes(s + 32, cdb, 0, IscsiPdu.ScsiCommand.CDB_FIELD);
        if (extension != null) {
            System.arraycopy(extension, 0, cdb, IscsiPdu.ScsiCommand.CDB_FIELD, extension.length);
        }
        int flags = in.getUnsignedByte(s + 1);
        return new IscsiPdu.ScsiCommand((in.getUnsignedByte(s) & 0x40) != 0, (flags & 0x80) != 0, (flags & 0x40) != 0,
                (flags & 0x20) != 0, flags & 0x07, in.getLong(s + 8), in.getInt(s + 16), in.getInt(s + 20),
                in.getInt(s + 24), in.getInt(s + 28), cdb, ahs == null ? -1 : ahs.bidirectionalReadLength(),
                data(in, s, dataStart, dataLength));
    }

    private static long isid(ByteBuf in, int s) {
        return (long) in.getUnsignedShort(s + 8) << 32 | in.getUnsignedInt(s + 10);
    }

    private static ByteBuf data(ByteBuf in, int start, int dataStart, int dataLength) {
        return dataLength == 0 ? Unpooled.EMPTY_BUFFER : in.retainedSlice(start + dataStart, dataLength);
    }

    /** A verdict after which the rest of the stream is discarded. */
    private Malformed fatal(ByteBuf in, int start, RejectReason reason, String description) {
        failed = true;
        Malformed m = malformed(in, start, reason, true, description);
        in.skipBytes(in.readableBytes());
        return m;
    }

    /** A verdict on the PDU at {@code start}, whose {@code total} bytes are skipped: those here now, the rest as they arrive. */
    private Malformed skip(ByteBuf in, int start, long total, RejectReason reason, String description) {
        Malformed m = malformed(in, start, reason, false, description);
        int now = (int) Math.min(total, in.readableBytes());
        in.skipBytes(now);
        discard = total - now;
        return m;
    }

    private static Malformed malformed(ByteBuf in, int start, RejectReason reason, boolean fatal, String description) {
        // The Reject carries the complete BHS of the rejected PDU (RFC 7143 11.17).
        return new Malformed(reason, fatal, description, in.copy(start, BHS));
    }
}
