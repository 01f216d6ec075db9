package org.copyoffload.protocol.iscsi;

/**
 * What one connection's decoder and encoder need to know, shared by both. Confined to the channel's event
 * loop: the handler changes it between PDUs (digests go on once login has negotiated them, RFC 7143 13.1:
 * "used for every PDU in the Full Feature Phase"), and the codec reads it afresh for each PDU.
 */
public final class IscsiCodecSettings {
    /** RFC 7143 13.12: MaxRecvDataSegmentLength is 8192 until declared otherwise. */
    public static final int DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH = 8192;
    /** The smallest value RFC 7143 13.12 allows to be declared. */
    public static final int MIN_MAX_RECV_DATA_SEGMENT_LENGTH = 512;
    /** DataSegmentLength is a 24-bit field (RFC 7143 11.2.1.5). */
    public static final int MAX_DATA_SEGMENT_LENGTH = 0xFFFFFF;

    private final boolean targetSide;
    private boolean headerDigest;
    private boolean dataDigest;
    private int maxRecvDataSegmentLength = DEFAULT_MAX_RECV_DATA_SEGMENT_LENGTH;

    /** @param targetSide true on the target: it decodes initiator opcodes (and sends target opcodes) */
    public IscsiCodecSettings(boolean targetSide) {
        this.targetSide = targetSide;
    }

    public static IscsiCodecSettings target() {
        return new IscsiCodecSettings(true);
    }

    public static IscsiCodecSettings initiator() {
        return new IscsiCodecSettings(false);
    }

    public boolean targetSide() {
        return targetSide;
    }

    /** CRC32C header digest on every PDU, both directions. */
    public boolean headerDigest() {
        return headerDigest;
    }

    public IscsiCodecSettings headerDigest(boolean on) {
        headerDigest = on;
        return this;
    }

    /** CRC32C data digest after every non-empty data segment, both directions. */
    public boolean dataDigest() {
        return dataDigest;
    }

    public IscsiCodecSettings dataDigest(boolean on) {
        dataDigest = on;
        return this;
    }

    /** The longest data segment this side accepts; a longer one is a fatal protocol error. */
    public int maxRecvDataSegmentLength() {
        return maxRecvDataSegmentLength;
    }

    public IscsiCodecSettings maxRecvDataSegmentLength(int bytes) {
        if (bytes < MIN_MAX_RECV_DATA_SEGMENT_LENGTH || bytes > MAX_DATA_SEGMENT_LENGTH) {
            throw new IllegalArgumentException("MaxRecvDataSegmentLength " + bytes + " outside "
                    + MIN_MAX_RECV_DATA_SEGMENT_LENGTH + ".." + MAX_DATA_SEGMENT_LENGTH);
        }
        maxRecvDataSegmentLength = bytes;
        return this;
    }

    @Override
    public String toString() {
        return (targetSide ? "target" : "initiator") + " settings (HeaderDigest " + (headerDigest ? "CRC32C" : "None")
                + ", DataDigest " + (dataDigest ? "CRC32C" : "None") + ", MaxRecvDataSegmentLength "
                + maxRecvDataSegmentLength + ")";
    }
}
