package org.copyoffload.protocol.scsi;

import java.util.Objects;

/**
 * A command ends in CHECK CONDITION with this sense data. Decoders and command handlers throw it for a field they
 * refuse; the message names the field, its value and why, for the log, while the initiator sees only the sense.
 * No stack trace is filled in: it is a normal outcome, not a bug.
 */
public final class CheckCondition extends RuntimeException {
    private final SenseData sense;

    public CheckCondition(SenseData sense, String message) {
        super(message, null, false, false);
        this.sense = Objects.requireNonNull(sense, "sense");
    }

    public CheckCondition(AdditionalSense sense, String message) {
        this(new SenseData(sense), message);
    }

    public SenseData sense() {
        return sense;
    }

    /** INVALID FIELD IN CDB pointing at {@code field}. */
    public static CheckCondition invalidField(CdbField field, long value, String why) {
        return new CheckCondition(SenseData.of(AdditionalSense.INVALID_FIELD_IN_CDB, field.pointer()),
                field.name() + " = " + value + " (0x" + Long.toHexString(value) + "): " + why);
    }

    /** INVALID FIELD IN PARAMETER LIST pointing at byte {@code offset}, bit {@code bit} of the data-out. */
    public static CheckCondition invalidParameter(String field, int offset, int bit, long value, String why) {
        return new CheckCondition(SenseData.of(AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST,
                SenseData.FieldPointer.parameter(offset, bit)),
                field + " (parameter byte " + offset + ") = " + value + " (0x" + Long.toHexString(value) + "): " + why);
    }

    /** LOGICAL BLOCK ADDRESS OUT OF RANGE for {@code blocks} blocks at {@code lba} on a unit of {@code capacity}. */
    public static CheckCondition lbaOutOfRange(long lba, long blocks, long capacity) {
        return new CheckCondition(AdditionalSense.LBA_OUT_OF_RANGE, "LBA " + Long.toUnsignedString(lba) + " + "
                + Long.toUnsignedString(blocks) + " blocks is beyond the " + capacity + "-block logical unit");
    }

    /** PARAMETER LIST LENGTH ERROR. */
    public static CheckCondition parameterListLength(String why) {
        return new CheckCondition(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR, why);
    }

    /** MISCOMPARE with the offset of the first byte that differs in INFORMATION (SBC-4 5.3, 5.33). */
    public static CheckCondition miscompare(long offset) {
        return new CheckCondition(SenseData.of(AdditionalSense.MISCOMPARE_DURING_VERIFY_OPERATION, offset),
                "miscompare at byte " + offset + " of the data-out");
    }

    @Override
    public String toString() {
        return "CHECK CONDITION " + sense + ": " + getMessage();
    }
}
