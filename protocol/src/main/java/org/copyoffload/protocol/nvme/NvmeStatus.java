package org.copyoffload.protocol.nvme;

/**
 * The Status Field of a completion (NVMe Base 2.1, 4.2.3): Status Code Type, Status Code, Command Retry
 * Delay, More and Do Not Retry. {@link StatusCode} names the codes this project uses.
 */
public record NvmeStatus(int sct, int sc, int crd, boolean more, boolean dnr) {
    public static final NvmeStatus SUCCESS = new NvmeStatus(0, 0, 0, false, false);

    public NvmeStatus {
        if (sct < 0 || sct > 7) {
            throw new IllegalArgumentException("status code type is 3 bits, got " + sct);
        }
        if (sc < 0 || sc > 0xFF) {
            throw new IllegalArgumentException("status code is 8 bits, got " + sc);
        }
        if (crd < 0 || crd > 3) {
            throw new IllegalArgumentException("command retry delay is 2 bits, got " + crd);
        }
    }

    public static NvmeStatus fromField(int field) {
        return new NvmeStatus((field >>> 9) & 0x7, (field >>> 1) & 0xFF, (field >>> 12) & 0x3,
                (field & 0x4000) != 0, (field & 0x8000) != 0);
    }

    /** The upper 16 bits of completion dword 3, phase tag clear. */
    public int toField() {
        return (sc << 1) | (sct << 9) | (crd << 12) | (more ? 0x4000 : 0) | (dnr ? 0x8000 : 0);
    }

    public boolean isSuccess() {
        return sct == 0 && sc == 0;
    }

    /** SCT and SC together as the spec writes them in text, e.g. 0x183 for Command Size Limit Exceeded. */
    public int code() {
        return (sct << 8) | sc;
    }

    public NvmeStatus withDnr() {
        return new NvmeStatus(sct, sc, crd, more, true);
    }

    public boolean is(StatusCode code) {
        return sct == code.sct() && sc == code.sc();
    }

    @Override
    public String toString() {
        return describe(StatusCode.lookup(sct, sc));
    }

    /**
     * As {@link #toString()}, named as the status of a command that is not a Fabrics command: command-specific codes
     * mean different things for each (183h is Command Size Limit Exceeded for a Copy, Connect Restart Discovery for a
     * Connect).
     */
    public String toStringForIo() {
        return describe(StatusCode.lookup(sct, sc, false));
    }

    private String describe(java.util.Optional<StatusCode> code) {
        String name = code.map(Enum::name).orElse("UNKNOWN");
        return String.format("%s (sct=%xh sc=%02xh%s%s)", name, sct, sc, dnr ? " DNR" : "", more ? " M" : "");
    }
}
