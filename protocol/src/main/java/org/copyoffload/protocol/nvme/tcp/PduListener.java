package org.copyoffload.protocol.nvme.tcp;

/**
 * Told of every PDU a connection receives or sends: its size on the wire (headers, padding, digests and data) and,
 * of that, its data bytes (PLEN less PDO and the data digest), so header overhead and payload can be told apart.
 */
public interface PduListener {
    PduListener NONE = new PduListener() {
        @Override
        public void received(PduType type, long wireBytes, long dataBytes) {
        }

        @Override
        public void sent(PduType type, long wireBytes, long dataBytes) {
        }
    };

    void received(PduType type, long wireBytes, long dataBytes);

    void sent(PduType type, long wireBytes, long dataBytes);
}
