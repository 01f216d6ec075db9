package org.copyoffload.protocol.nvme.tcp;

/** Told of every PDU a connection receives or sends, with its size on the wire (headers, padding, digests). */
public interface PduListener {
    PduListener NONE = new PduListener() {
        @Override
        public void received(PduType type, long wireBytes) {
        }

        @Override
        public void sent(PduType type, long wireBytes) {
        }
    };

    void received(PduType type, long wireBytes);

    void sent(PduType type, long wireBytes);
}
