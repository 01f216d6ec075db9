package org.copyoffload.protocol.nvme.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import org.copyoffload.protocol.ReceiveWatermark;
import org.copyoffload.protocol.WatermarkedDecoder;
import org.copyoffload.protocol.nvme.CompletionQueueEntry;
import org.copyoffload.protocol.nvme.SubmissionQueueEntry;
import org.copyoffload.protocol.nvme.tcp.NvmeTcpPdu.Malformed;

/**
 * Turns bytes into {@link NvmeTcpPdu}s. It checks the common header (type, HLEN, flags, PDO, PLEN) against
 * the negotiated settings before it waits for or allocates the rest, then the header digest, then the
 * PDU-specific fields. A PDU it cannot accept becomes one {@link Malformed} message naming the fatal error
 * status and the offending field's offset; after that the decoder discards everything, since a byte stream
 * out of step cannot be resynchronized.
 */
public final class NvmeTcpPduDecoder extends WatermarkedDecoder {
    private static final int COMMON_HEADER = 8;

    private final NvmeTcpSettings settings;
    private boolean failed;

    public NvmeTcpPduDecoder(NvmeTcpSettings settings) {
        this(settings, ReceiveWatermark.NONE);
    }

    /**
     * @param watermark told, after every read, how many bytes the PDU being received still lacks (see
     *                  {@link WatermarkedDecoder}); {@link ReceiveWatermark#NONE} behind TLS
     */
    public NvmeTcpPduDecoder(NvmeTcpSettings settings, ReceiveWatermark watermark) {
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
        if (in.readableBytes() < COMMON_HEADER) {
            return;
        }
        int start = in.readerIndex();
        Object result = decodeOne(in, start);
        if (result == null) {
            return;
        }
        if (result instanceof Malformed) {
            failed = true;
            in.skipBytes(in.readableBytes());
        }
        out.add(result);
    }

    /** One PDU starting at {@code start}, a {@link Malformed}, or null when more bytes are needed. */
    private Object decodeOne(ByteBuf in, int start) {
        int typeCode = in.getUnsignedByte(start);
        int flags = in.getUnsignedByte(start + 1);
        int hlen = in.getUnsignedByte(start + 2);
        int pdo = in.getUnsignedByte(start + 3);
        long plen = in.getUnsignedIntLE(start + 4);

        PduType type = PduType.lookup(typeCode);
        if (type == null || type.hostToController() != settings.controllerSide()) {
            return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 0,
                    "PDU-type " + typeCode + (type == null ? " unknown" : " not sent by this peer"));
        }
        if (hlen != type.headerLength()) {
            return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 2,
                    "HLEN " + hlen + " for " + type + ", expected " + type.headerLength());
        }
        boolean hdgst = type.digestable() && settings.headerDigest();
        int headerDigestLength = hdgst ? Crc32cDigest.LENGTH : 0;
        int allowedFlags = allowedFlags(type);
        if ((flags & ~allowedFlags) != 0 || ((flags & PduFlags.HEADER_DIGEST) != 0) != hdgst) {
            return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1,
                    "FLAGS 0x" + Integer.toHexString(flags) + " for " + type + " (header digest "
                            + (hdgst ? "on" : "off") + ")");
        }
        int dataOffset;
        long dataLength;
        boolean ddgst = (flags & PduFlags.DATA_DIGEST) != 0;
        long minimum = hlen + headerDigestLength;
        if (type.isTermination()) {
            if (pdo != 0) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 3, "PDO " + pdo + " in " + type);
            }
            if (plen < hlen || plen > hlen + NvmeTcpPdu.TermReq.MAX_DATA) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 4, "PLEN " + plen + " in " + type);
            }
            dataOffset = hlen;
            dataLength = plen - hlen;
        } else if (plen == minimum && pdo == 0) {
            if (ddgst) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1, "DDGSTF set on a PDU without data");
            }
            dataOffset = (int) minimum;
            dataLength = 0;
        } else {
            if (!type.mayCarryData() || plen < minimum) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 4,
                        "PLEN " + plen + " for " + type + ", expected " + (type.mayCarryData() ? "at least " : "") + minimum);
            }
            if (pdo < minimum) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 3,
                        "PDO " + pdo + " inside the header (needs at least " + minimum + ")");
            }
            if (ddgst != settings.dataDigest()) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 1,
                        "DDGSTF " + ddgst + " but data digest " + (settings.dataDigest() ? "on" : "off"));
            }
            long tail = ddgst ? Crc32cDigest.LENGTH : 0;
            if (plen <= pdo + tail) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 4,
                        "PLEN " + plen + " leaves no data after PDO " + pdo);
            }
            dataOffset = pdo;
            dataLength = plen - pdo - tail;
            long limit = type == PduType.CAPSULE_CMD ? settings.maxInCapsuleData() : settings.maxReceiveData();
            if (dataLength > limit) {
                return malformed(in, start, FatalErrorStatus.DATA_TRANSFER_LIMIT_EXCEEDED, 4,
                        type + " carries " + dataLength + " data bytes, limit " + limit);
            }
        }
        if (type == PduType.IC_REQ || type == PduType.IC_RESP) {
            if (plen != hlen) {
                return malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 4, "PLEN " + plen + " for " + type);
            }
        }
        if (in.readableBytes() < plen) {
            lacking(plen - in.readableBytes());
            return null;
        }
        if (hdgst) {
            int expected = Crc32cDigest.of(in, start, hlen);
            int received = in.getIntLE(start + hlen);
            if (expected != received) {
                return malformed(in, start, FatalErrorStatus.HEADER_DIGEST_ERROR, received,
                        "header digest 0x" + Integer.toHexString(received) + ", computed 0x" + Integer.toHexString(expected));
            }
        }
        boolean dataDigestValid = true;
        if (ddgst && dataLength > 0) {
            int expected = Crc32cDigest.of(in, start + dataOffset, (int) dataLength);
            dataDigestValid = expected == in.getIntLE(start + dataOffset + (int) dataLength);
        }
        Object pdu = decodeBody(in, start, type, flags, dataOffset, (int) dataLength, dataDigestValid);
        if (!(pdu instanceof Malformed)) {
            in.skipBytes((int) plen);
            // A termination request's data is the offending header: counted as header, not as data.
            settings.listener().received(type, plen, type.isTermination() ? 0 : dataLength);
        }
        return pdu;
    }

    private static int allowedFlags(PduType type) {
        int digests = type.digestable() ? PduFlags.HEADER_DIGEST | PduFlags.DATA_DIGEST : 0;
        return switch (type) {
            case H2C_DATA -> digests | PduFlags.LAST_PDU;
            case C2H_DATA -> digests | PduFlags.LAST_PDU | PduFlags.SUCCESS;
            default -> digests;
        };
    }

    private Object decodeBody(ByteBuf in, int start, PduType type, int flags, int dataOffset, int dataLength,
                              boolean dataDigestValid) {
        return switch (type) {
            case IC_REQ -> {
                int pfv = in.getUnsignedShortLE(start + 8);
                int hpda = in.getUnsignedByte(start + 10);
                int dgst = in.getUnsignedByte(start + 11);
                if (pfv != 0) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 8, "PFV " + pfv + " unsupported");
                }
                if (hpda > 31) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 10, "HPDA " + hpda + " above 31");
                }
                if ((dgst & ~0x3) != 0) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 11, "DGST 0x" + Integer.toHexString(dgst));
                }
                yield new NvmeTcpPdu.IcReq(pfv, hpda, (dgst & 1) != 0, (dgst & 2) != 0, in.getIntLE(start + 12));
            }
            case IC_RESP -> {
                int pfv = in.getUnsignedShortLE(start + 8);
                int cpda = in.getUnsignedByte(start + 10);
                int dgst = in.getUnsignedByte(start + 11);
                long maxh2c = in.getUnsignedIntLE(start + 12);
                if (pfv != 0) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 8, "PFV " + pfv + " unsupported");
                }
                if (cpda > 31) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 10, "CPDA " + cpda + " above 31");
                }
                if (maxh2c < 4096 || maxh2c > Integer.MAX_VALUE) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 12, "MAXH2CDATA " + maxh2c);
                }
                yield new NvmeTcpPdu.IcResp(pfv, cpda, (dgst & 1) != 0, (dgst & 2) != 0, (int) maxh2c);
            }
            case H2C_TERM_REQ, C2H_TERM_REQ -> {
                int fesCode = in.getUnsignedShortLE(start + 8);
                FatalErrorStatus fes;
                try {
                    fes = FatalErrorStatus.fromCode(fesCode);
                } catch (RuntimeException e) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 8, "FES " + fesCode);
                }
                yield new NvmeTcpPdu.TermReq(type == PduType.H2C_TERM_REQ, fes, in.getIntLE(start + 10),
                        in.retainedSlice(start + dataOffset, dataLength));
            }
            case CAPSULE_CMD -> new NvmeTcpPdu.CapsuleCmd(SubmissionQueueEntry.decode(in, start + 8),
                    in.retainedSlice(start + dataOffset, dataLength), dataDigestValid);
            case CAPSULE_RESP -> new NvmeTcpPdu.CapsuleResp(CompletionQueueEntry.decode(in, start + 8));
            case H2C_DATA, C2H_DATA -> {
                int cccid = in.getUnsignedShortLE(start + 8);
                int ttag = in.getUnsignedShortLE(start + 10);
                int datao = in.getIntLE(start + 12);
                int datal = in.getIntLE(start + 16);
                if (datal != dataLength || dataLength == 0) {
                    yield malformed(in, start, FatalErrorStatus.INVALID_PDU_HEADER_FIELD, 16,
                            "DATAL " + Integer.toUnsignedString(datal) + " but the PDU carries " + dataLength + " bytes");
                }
                boolean last = (flags & PduFlags.LAST_PDU) != 0;
                ByteBuf data = in.retainedSlice(start + dataOffset, dataLength);
                yield type == PduType.H2C_DATA
                        ? new NvmeTcpPdu.H2cData(cccid, ttag, datao, last, data, dataDigestValid)
                        : new NvmeTcpPdu.C2hData(cccid, datao, last, (flags & PduFlags.SUCCESS) != 0, data, dataDigestValid);
            }
            case R2T -> new NvmeTcpPdu.R2t(in.getUnsignedShortLE(start + 8), in.getUnsignedShortLE(start + 10),
                    in.getIntLE(start + 12), in.getIntLE(start + 16));
        };
    }

    private static Malformed malformed(ByteBuf in, int start, FatalErrorStatus fes, int fei, String reason) {
        // The termination request echoes the offending header: as much as we have, at most 128 bytes.
        int hlen = Math.min(in.getUnsignedByte(start + 2), NvmeTcpPdu.TermReq.MAX_DATA);
        int echo = Math.min(Math.max(hlen, COMMON_HEADER), in.readableBytes());
        return new Malformed(fes, fei, in.copy(start, Math.min(echo, NvmeTcpPdu.TermReq.MAX_DATA)), reason);
    }
}
