package org.copyoffload.protocol.nvme.tcp;

/**
 * What one connection negotiated in ICReq/ICResp, shared by its decoder and encoder. Confined to the
 * channel's event loop: the handler changes it while processing the IC exchange, before the next PDU
 * is decoded or encoded.
 */
public final class NvmeTcpSettings {
    private final boolean controllerSide;
    private boolean headerDigest;
    private boolean dataDigest;
    private int sendDataAlignment = 1;
    private int maxReceiveData;
    private int maxInCapsuleData;
    private PduListener listener = PduListener.NONE;

    /**
     * @param controllerSide true on the target: it receives host-to-controller PDUs
     * @param maxReceiveData the most data one received H2CData/C2HData PDU may carry
     * @param maxInCapsuleData the most in-capsule data one CapsuleCmd may carry (controller side)
     */
    public NvmeTcpSettings(boolean controllerSide, int maxReceiveData, int maxInCapsuleData) {
        this.controllerSide = controllerSide;
        this.maxReceiveData = maxReceiveData;
        this.maxInCapsuleData = maxInCapsuleData;
    }

    public boolean controllerSide() {
        return controllerSide;
    }

    public boolean headerDigest() {
        return headerDigest;
    }

    public boolean dataDigest() {
        return dataDigest;
    }

    /** Byte alignment of data in PDUs we send: (PDA + 1) * 4 as the peer asked, 1 before negotiation. */
    public int sendDataAlignment() {
        return sendDataAlignment;
    }

    public int maxReceiveData() {
        return maxReceiveData;
    }

    public int maxInCapsuleData() {
        return maxInCapsuleData;
    }

    /** Applies the negotiated digests and the peer's PDA (0's based count of dwords; 0 asks for no alignment). */
    public void negotiated(boolean headerDigest, boolean dataDigest, int peerPda) {
        this.headerDigest = headerDigest;
        this.dataDigest = dataDigest;
        this.sendDataAlignment = peerPda == 0 ? 1 : (peerPda + 1) * 4;
    }

    public PduListener listener() {
        return listener;
    }

    public void listener(PduListener value) {
        this.listener = value;
    }

    public void maxReceiveData(int bytes) {
        this.maxReceiveData = bytes;
    }

    public void maxInCapsuleData(int bytes) {
        this.maxInCapsuleData = bytes;
    }
}
