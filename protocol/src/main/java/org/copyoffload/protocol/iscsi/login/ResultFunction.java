package org.copyoffload.protocol.iscsi.login;

/**
 * The result functions of negotiated keys (RFC 7143, 6.2.2): how the offer of one side and the value the other
 * side supports make the result. The target computes the result it answers with; the initiator uses the same
 * function to check that an answer is one the function can produce from its offer ({@link #admits}).
 */
public enum ResultFunction {
    /** The smaller value (MaxBurstLength, FirstBurstLength, MaxOutstandingR2T, ...). */
    MINIMUM,
    /** The larger value (DefaultTime2Wait). */
    MAXIMUM,
    /** Yes only when both say Yes (ImmediateData). */
    AND,
    /** Yes when either says Yes (InitialR2T, DataPDUInOrder, DataSequenceInOrder). */
    OR;

    /** The result of a numerical key: MINIMUM or MAXIMUM. */
    public long apply(long offer, long supported) {
        return switch (this) {
            case MINIMUM -> Math.min(offer, supported);
            case MAXIMUM -> Math.max(offer, supported);
            case AND, OR -> throw new IllegalStateException(this + " is a boolean result function");
        };
    }

    /** The result of a boolean key: AND or OR. */
    public boolean apply(boolean offer, boolean supported) {
        return switch (this) {
            case AND -> offer && supported;
            case OR -> offer || supported;
            case MINIMUM, MAXIMUM -> throw new IllegalStateException(this + " is a numerical result function");
        };
    }

    /** Whether {@code answer} is a result this function can give for {@code offer}: the function of the two is the answer. */
    public boolean admits(long offer, long answer) {
        return apply(offer, answer) == answer;
    }

    public boolean admits(boolean offer, boolean answer) {
        return apply(offer, answer) == answer;
    }

    /**
     * The result of a boolean key whose answer the acceptor may leave out (RFC 7143, 6.2.2: AND with an offer of No,
     * OR with an offer of Yes), or null when the offer does not decide it.
     */
    public Boolean decidedBy(boolean offer) {
        return switch (this) {
            case AND -> offer ? null : Boolean.FALSE;
            case OR -> offer ? Boolean.TRUE : null;
            case MINIMUM, MAXIMUM -> throw new IllegalStateException(this + " is a numerical result function");
        };
    }
}
