package org.copyoffload.protocol.nvme.tcp;

import java.io.ByteArrayOutputStream;
import org.copyoffload.protocol.testing.Crc32cReference;
import org.copyoffload.protocol.testing.Le;

/**
 * Builds an NVMe/TCP PDU byte by byte from the transport specification (3.6.1): common header, the
 * type-specific header, header digest, padding up to PDO, data, data digest. Nothing here calls the
 * encoder; fields can be overridden to make malformed PDUs.
 */
final class WirePdu {
    static final int IC_REQ = 0x00;
    static final int IC_RESP = 0x01;
    static final int H2C_TERM_REQ = 0x02;
    static final int C2H_TERM_REQ = 0x03;
    static final int CAPSULE_CMD = 0x04;
    static final int CAPSULE_RESP = 0x05;
    static final int H2C_DATA = 0x06;
    static final int C2H_DATA = 0x07;
    static final int R2T = 0x09;

    static final int HDGSTF = 0x01;
    static final int DDGSTF = 0x02;
    static final int LAST_PDU = 0x04;
    static final int SUCCESS = 0x08;

    private final int type;
    private final Le header;
    private int flags;
    private boolean headerDigest;
    private boolean dataDigest;
    private byte[] data = new byte[0];
    private int alignment = 1;
    private Integer pdoOverride;
    private Long plenOverride;
    private Integer hlenOverride;
    private Integer flagsOverride;
    private boolean corruptHeaderDigest;
    private boolean corruptDataDigest;
    private boolean termination;

    private WirePdu(int type, int hlen) {
        this.type = type;
        this.header = new Le(hlen);
        this.termination = type == H2C_TERM_REQ || type == C2H_TERM_REQ;
    }

    static WirePdu of(int type, int hlen) {
        return new WirePdu(type, hlen);
    }

    /** The type-specific header bytes (from offset 8) are written through this. */
    Le header() {
        return header;
    }

    WirePdu flags(int value) {
        flags = value;
        return this;
    }

    WirePdu headerDigest(boolean on) {
        headerDigest = on;
        return this;
    }

    WirePdu dataDigest(boolean on) {
        dataDigest = on;
        return this;
    }

    WirePdu data(byte[] value) {
        data = value.clone();
        return this;
    }

    /** PDO rounded up to this many bytes. */
    WirePdu alignment(int bytes) {
        alignment = bytes;
        return this;
    }

    WirePdu pdo(int value) {
        pdoOverride = value;
        return this;
    }

    WirePdu plen(long value) {
        plenOverride = value;
        return this;
    }

    WirePdu hlen(int value) {
        hlenOverride = value;
        return this;
    }

    /** The whole FLAGS byte, digest bits included, instead of the computed one. */
    WirePdu rawFlags(int value) {
        flagsOverride = value;
        return this;
    }

    WirePdu corruptHeaderDigest() {
        corruptHeaderDigest = true;
        return this;
    }

    WirePdu corruptDataDigest() {
        corruptDataDigest = true;
        return this;
    }

    byte[] build() {
        int hlen = header.size();
        int headerEnd = hlen + (headerDigest ? 4 : 0);
        boolean hasData = data.length > 0;
        int pdo;
        if (termination || !hasData) {
            pdo = 0;
        } else {
            pdo = (headerEnd + alignment - 1) / alignment * alignment;
        }
        if (pdoOverride != null) {
            pdo = pdoOverride;
        }
        boolean ddgst = hasData && dataDigest && !termination;
        int dataStart = termination ? hlen : (hasData ? pdo : headerEnd);
        int length = dataStart + data.length + (ddgst ? 4 : 0);
        long plen = plenOverride != null ? plenOverride : length;
        int f = flags | (headerDigest ? HDGSTF : 0) | (ddgst ? DDGSTF : 0);
        if (flagsOverride != null) {
            f = flagsOverride;
        }
        header.u8(0, type).u8(1, f).u8(2, hlenOverride != null ? hlenOverride : hlen).u8(3, pdo).u32(4, plen);
        byte[] head = header.array();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head);
        if (headerDigest && !termination) {
            int digest = Crc32cReference.of(head) ^ (corruptHeaderDigest ? 0x00010000 : 0);
            out.writeBytes(Le.le32(digest));
        }
        while (out.size() < dataStart) {
            out.write(0);
        }
        out.writeBytes(data);
        if (ddgst) {
            out.writeBytes(Le.le32(Crc32cReference.of(data) ^ (corruptDataDigest ? 0x80 : 0)));
        }
        return out.toByteArray();
    }
}
