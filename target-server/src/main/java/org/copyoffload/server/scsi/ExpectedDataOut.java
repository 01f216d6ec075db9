package org.copyoffload.server.scsi;

import java.util.OptionalLong;
import org.copyoffload.protocol.scsi.CompareAndWriteCdb;
import org.copyoffload.protocol.scsi.ExtendedCopyCdb;
import org.copyoffload.protocol.scsi.ModeSelectCdb;
import org.copyoffload.protocol.scsi.OperationCode;
import org.copyoffload.protocol.scsi.PersistentReserveOutCdb;
import org.copyoffload.protocol.scsi.ReadWriteCdb;
import org.copyoffload.protocol.scsi.UnmapCdb;
import org.copyoffload.protocol.scsi.VerifyCdb;
import org.copyoffload.protocol.scsi.WriteSameCdb;

/**
 * How many bytes of data-out a CDB asks for, for a transport to report write residuals (RFC 7143 11.4.5.2: the
 * residual of a write is the difference between the Expected Data Transfer Length and the data the command needs).
 * {@link ScsiTarget#execute} writes the whole blocks it receives, at most this many; the transport reports an
 * overflow when the initiator sent less and an underflow when it sent more. Reads need nothing from here: the
 * length of a response's data-in says how much the command returned.
 */
public final class ExpectedDataOut {
    private ExpectedDataOut() {
    }

    /**
     * The data-out length for a command the target implements (zero for those that take none), or empty for an
     * operation code it does not implement (that command will end in CHECK CONDITION anyway).
     *
     * @param cdb       the CDB
     * @param blockSize the logical block size of the LUN the command addresses
     */
    public static OptionalLong bytes(byte[] cdb, int blockSize) {
        if (cdb == null || cdb.length < 6) {
            return OptionalLong.empty();
        }
        OperationCode op = OperationCode.lookup(cdb[0] & 0xFF).orElse(null);
        if (op == null || cdb.length < op.cdbLength()) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(switch (op) {
            case WRITE_6, WRITE_10, WRITE_12, WRITE_16 -> ReadWriteCdb.decode(cdb).transferLength() * blockSize;
            case WRITE_AND_VERIFY_10, WRITE_AND_VERIFY_12, WRITE_AND_VERIFY_16 -> VerifyCdb.decode(cdb).length() * blockSize;
            case VERIFY_10, VERIFY_12, VERIFY_16 -> {
                VerifyCdb v = VerifyCdb.decode(cdb);
                yield switch (v.bytchk()) {
                    case VerifyCdb.BYTCHK_COMPARE -> v.length() * blockSize;
                    case VerifyCdb.BYTCHK_COMPARE_ONE_BLOCK -> v.length() == 0 ? 0 : blockSize;
                    default -> 0;
                };
            }
            case COMPARE_AND_WRITE -> 2L * CompareAndWriteCdb.decode(cdb).blocks() * blockSize;
            case WRITE_SAME_10, WRITE_SAME_16 -> WriteSameCdb.decode(cdb).ndob() ? 0 : blockSize;
            case UNMAP -> UnmapCdb.decode(cdb).parameterListLength();
            case EXTENDED_COPY -> ExtendedCopyCdb.decode(cdb).parameterListLength();
            case MODE_SELECT_6, MODE_SELECT_10 -> ModeSelectCdb.decode(cdb).parameterListLength();
            case PERSISTENT_RESERVE_OUT -> PersistentReserveOutCdb.PARAMETER_LIST_LENGTH.read(cdb);
            default -> 0;
        });
    }
}
