package org.copyoffload.protocol.nvme.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;

/**
 * Writes {@link NvmeTcpPdu}s with the negotiated digests and the peer's data alignment. The data of a
 * PDU is not copied: the output is a composite of the encoded header and the PDU's own buffer.
 */
@ChannelHandler.Sharable
public final class NvmeTcpPduEncoder extends MessageToMessageEncoder<NvmeTcpPdu> {
    private final NvmeTcpSettings settings;

    public NvmeTcpPduEncoder(NvmeTcpSettings settings) {
        super(NvmeTcpPdu.class);
        this.settings = settings;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, NvmeTcpPdu pdu, List<Object> out) {
        ByteBuf encoded = encode(ctx.alloc(), pdu, settings);
        // A termination request's data is the offending header: counted as header, not as data.
        settings.listener().sent(pdu.type(), encoded.readableBytes(), pdu.type().isTermination() ? 0 : dataLength(pdu));
        out.add(encoded);
    }

    /** The data bytes {@link #encode} puts on the wire for {@code pdu}. */
    static int dataLength(NvmeTcpPdu pdu) {
        int n = pdu instanceof NvmeTcpPdu.WithData withData ? withData.data().readableBytes() : 0;
        return pdu.type() != null && pdu.type().isTermination() ? Math.min(n, NvmeTcpPdu.TermReq.MAX_DATA) : n;
    }

    /**
     * The PDU's bytes. The data buffer of a {@link NvmeTcpPdu.WithData} is retained into the result, so the
     * caller still owns (and releases) the PDU.
     */
    public static ByteBuf encode(ByteBufAllocator alloc, NvmeTcpPdu pdu, NvmeTcpSettings settings) {
        PduType type = pdu.type();
        if (type == null) {
            throw new IllegalArgumentException("not a wire PDU: " + pdu);
        }
        ByteBuf data = pdu instanceof NvmeTcpPdu.WithData withData ? withData.data() : null;
        // Termination requests carry at most MAX_DATA bytes of data right after the header, never with digests.
        int dataLength = dataLength(pdu);
        boolean ddgst = dataLength > 0 && type.digestable() && settings.dataDigest();
        ByteBuf header = encodeHeader(alloc, pdu, dataLength, ddgst, settings);
        if (dataLength == 0) {
            return header;
        }
        CompositeByteBuf composite = alloc.compositeBuffer(3);
        composite.addComponent(true, header);
        composite.addComponent(true, data.retainedSlice(data.readerIndex(), dataLength));
        if (ddgst) {
            ByteBuf digest = alloc.buffer(Crc32cDigest.LENGTH);
            digest.writeIntLE(Crc32cDigest.of(data, data.readerIndex(), dataLength));
            composite.addComponent(true, digest);
        }
        return composite;
    }

    /**
     * The header (with its digest and padding) of a C2HData PDU whose {@code dataLength} bytes the caller
     * writes right after it from elsewhere, e.g. a file region sent with sendfile. Impossible with a
     * negotiated data digest, which needs the data.
     */
    public static ByteBuf encodeC2hDataHeader(ByteBufAllocator alloc, int cccid, int dataOffset, int dataLength,
                                              boolean last, boolean success, NvmeTcpSettings settings) {
        if (settings.dataDigest()) {
            throw new IllegalStateException("a data digest needs the data: send it as a buffer");
        }
        if (dataLength <= 0) {
            throw new IllegalArgumentException("C2HData needs data, got " + dataLength + " bytes");
        }
        NvmeTcpPdu.C2hData pdu = new NvmeTcpPdu.C2hData(cccid, dataOffset, last, success, io.netty.buffer.Unpooled.EMPTY_BUFFER, true);
        return encodeHeader(alloc, pdu, dataLength, false, settings);
    }

    /** Common header, PDU-specific header, header digest and padding up to PDO, for {@code dataLength} bytes of data. */
    private static ByteBuf encodeHeader(ByteBufAllocator alloc, NvmeTcpPdu pdu, int dataLength, boolean ddgst,
                                        NvmeTcpSettings settings) {
        PduType type = pdu.type();
        int hlen = type.headerLength();
        boolean hdgst = type.digestable() && settings.headerDigest();
        int headerEnd = hlen + (hdgst ? Crc32cDigest.LENGTH : 0);
        int pdo = 0;
        int prefix = headerEnd;
        if (type.isTermination()) {
            prefix = hlen;
        } else if (dataLength > 0) {
            int align = settings.sendDataAlignment();
            pdo = (headerEnd + align - 1) / align * align;
            prefix = pdo;
        }
        long plen = (long) prefix + dataLength + (ddgst ? Crc32cDigest.LENGTH : 0);

        ByteBuf header = alloc.buffer(prefix);
        header.writeZero(prefix);
        header.setByte(0, type.code());
        header.setByte(1, (hdgst ? PduFlags.HEADER_DIGEST : 0) | (ddgst ? PduFlags.DATA_DIGEST : 0) | extraFlags(pdu));
        header.setByte(2, hlen);
        header.setByte(3, pdo);
        header.setIntLE(4, (int) plen);
        writeSpecificHeader(header, pdu, dataLength);
        if (hdgst) {
            header.setIntLE(hlen, Crc32cDigest.of(header, 0, hlen));
        }
        return header;
    }

    private static int extraFlags(NvmeTcpPdu pdu) {
        return switch (pdu) {
            case NvmeTcpPdu.H2cData d -> d.last() ? PduFlags.LAST_PDU : 0;
            case NvmeTcpPdu.C2hData d -> (d.last() ? PduFlags.LAST_PDU : 0) | (d.success() ? PduFlags.SUCCESS : 0);
            default -> 0;
        };
    }

    private static void writeSpecificHeader(ByteBuf h, NvmeTcpPdu pdu, int dataLength) {
        switch (pdu) {
            case NvmeTcpPdu.IcReq r -> {
                h.setShortLE(8, r.pfv());
                h.setByte(10, r.hpda());
                h.setByte(11, (r.headerDigest() ? 1 : 0) | (r.dataDigest() ? 2 : 0));
                h.setIntLE(12, r.maxr2t());
            }
            case NvmeTcpPdu.IcResp r -> {
                h.setShortLE(8, r.pfv());
                h.setByte(10, r.cpda());
                h.setByte(11, (r.headerDigest() ? 1 : 0) | (r.dataDigest() ? 2 : 0));
                h.setIntLE(12, r.maxH2cData());
            }
            case NvmeTcpPdu.TermReq t -> {
                h.setShortLE(8, t.fes().code());
                h.setIntLE(10, t.fei());
            }
            case NvmeTcpPdu.CapsuleCmd c -> c.sqe().encode(h, 8);
            case NvmeTcpPdu.CapsuleResp r -> r.cqe().encode(h, 8);
            case NvmeTcpPdu.H2cData d -> {
                h.setShortLE(8, d.cccid());
                h.setShortLE(10, d.ttag());
                h.setIntLE(12, d.dataOffset());
                h.setIntLE(16, dataLength);
            }
            case NvmeTcpPdu.C2hData d -> {
                h.setShortLE(8, d.cccid());
                h.setIntLE(12, d.dataOffset());
                h.setIntLE(16, dataLength);
            }
            case NvmeTcpPdu.R2t r -> {
                h.setShortLE(8, r.cccid());
                h.setShortLE(10, r.ttag());
                h.setIntLE(12, r.r2tOffset());
                h.setIntLE(16, r.r2tLength());
            }
            case NvmeTcpPdu.Malformed m -> throw new IllegalArgumentException("not a wire PDU: " + m);
        }
    }
}
