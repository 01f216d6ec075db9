package org.copyoffload.protocol.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.copyoffload.protocol.BufferCarrier;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One iSCSI PDU (RFC 7143, section 11) as its fields. Sequence numbers, tags and lengths are {@code int}s
 * holding the 32-bit field (compare them unsigned); a LUN is the raw 8-byte field (see
 * {@link org.copyoffload.protocol.scsi.Lun}); an ISID is the 6-byte field in the low 48 bits of a
 * {@code long}. Fields the RFC marks "or reserved" are written as given: pass 0 where they do not apply.
 *
 * <p>PDUs with a data segment hold it as a {@link ByteBuf} (without padding or digest). They are
 * {@link BufferCarrier}s: reference counted through it, and whoever takes one releases it.
 */
public sealed interface IscsiPdu {
    /** Basic Header Segment length (RFC 7143 11.2.1). */
    int BHS_LENGTH = 48;
    /** The reserved tag value 0xffffffff (RFC 7143 11.2.1.8). */
    int RESERVED_TAG = 0xFFFFFFFF;

    /** The opcode; null for a {@link Malformed}, which is no PDU. */
    IscsiOpcode opcode();

    /** A PDU with a data segment; reference counting goes to the buffer. */
    sealed interface WithData extends IscsiPdu, BufferCarrier {
    }

    // ---------------------------------------------------------------- initiator to target

    /** NOP-Out (11.18); the data is ping data to be echoed in the NOP-In. */
    record NopOut(boolean immediate, long lun, int initiatorTaskTag, int targetTransferTag, int cmdSn, int expStatSn,
                  ByteBuf data) implements WithData {
        public NopOut {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.NOP_OUT;
        }
    }

    /**
     * SCSI Command (11.3). {@code cdb} is the 16-byte CDB field followed by the bytes of an Extended CDB AHS
     * (11.2.2.3) when the CDB is longer; {@code bidirectionalReadExpectedLength} comes from the
     * Bidirectional Read Expected Data Transfer Length AHS (11.2.2.4), -1 when there is none. The data is
     * immediate data. {@code attributes} is ATTR, the task attribute (0-7).
     */
    record ScsiCommand(boolean immediate, boolean finalFlag, boolean read, boolean write, int attributes, long lun,
                       int initiatorTaskTag, int expectedDataTransferLength, int cmdSn, int expStatSn, byte[] cdb,
                       int bidirectionalReadExpectedLength, ByteBuf data) implements WithData {
        /** The CDB field in the BHS. */
        public static final int CDB_FIELD = 16;
        /** The longest CDB this codec carries: SPC's variable-length CDBs go up to 260 bytes. */
        public static final int MAX_CDB = 260;

        public ScsiCommand {
            Fields.check("ATTR", attributes, 7);
            Objects.requireNonNull(cdb, "cdb");
            if (cdb.length < CDB_FIELD || cdb.length > MAX_CDB) {
                throw new IllegalArgumentException("CDB of " + cdb.length + " bytes, expected " + CDB_FIELD + ".." + MAX_CDB);
            }
            if (bidirectionalReadExpectedLength < -1) {
                throw new IllegalArgumentException("Bidirectional Read Expected Data Transfer Length "
                        + bidirectionalReadExpectedLength + " (-1 for none, at most 2^31 - 1)");
            }
            cdb = cdb.clone();
            Objects.requireNonNull(data, "data");
        }

        /** A copy of the CDB (16 bytes or more). */
        @Override
        public byte[] cdb() {
            return cdb.clone();
        }

        /** The CDB's operation code. */
        public int cdbOperationCode() {
            return cdb[0] & 0xFF;
        }

        public int cdbLength() {
            return cdb.length;
        }

        public boolean bidirectional() {
            return bidirectionalReadExpectedLength >= 0;
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.SCSI_COMMAND;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ScsiCommand c && immediate == c.immediate && finalFlag == c.finalFlag
                    && read == c.read && write == c.write && attributes == c.attributes && lun == c.lun
                    && initiatorTaskTag == c.initiatorTaskTag && expectedDataTransferLength == c.expectedDataTransferLength
                    && cmdSn == c.cmdSn && expStatSn == c.expStatSn && Arrays.equals(cdb, c.cdb)
                    && bidirectionalReadExpectedLength == c.bidirectionalReadExpectedLength && data.equals(c.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(initiatorTaskTag, cmdSn, Arrays.hashCode(cdb), lun);
        }

        @Override
        public String toString() {
            return "ScsiCommand[immediate=" + immediate + ", finalFlag=" + finalFlag + ", read=" + read + ", write="
                    + write + ", attributes=" + attributes + ", lun=0x" + Long.toHexString(lun) + ", initiatorTaskTag=0x"
                    + Integer.toHexString(initiatorTaskTag) + ", expectedDataTransferLength="
                    + Integer.toUnsignedString(expectedDataTransferLength) + ", cmdSn=" + Integer.toUnsignedString(cmdSn)
                    + ", expStatSn=" + Integer.toUnsignedString(expStatSn) + ", cdb=" + HexFormat.of().formatHex(cdb)
                    + ", bidirectionalReadExpectedLength=" + bidirectionalReadExpectedLength + ", data=" + data + "]";
        }
    }

    /** SCSI Task Management Function Request (11.5); {@code function} is the 7-bit function code. */
    record TaskManagementRequest(boolean immediate, int function, long lun, int initiatorTaskTag, int referencedTaskTag,
                                 int cmdSn, int expStatSn, int refCmdSn, int expDataSn) implements IscsiPdu {
        public TaskManagementRequest {
            Fields.check("Function", function, 0x7F);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.TASK_MANAGEMENT_REQUEST;
        }
    }

    /**
     * Login Request (11.12); always immediate. CSG and NSG are the 2-bit stage codes (0 security negotiation,
     * 1 operational negotiation, 3 full feature phase); the data is text key=value pairs.
     */
    record LoginRequest(boolean transit, boolean cont, int csg, int nsg, int versionMax, int versionMin, long isid,
                        int tsih, int initiatorTaskTag, int cid, int cmdSn, int expStatSn, ByteBuf data)
            implements WithData {
        public LoginRequest {
            Fields.check("CSG", csg, 3);
            Fields.check("NSG", nsg, 3);
            Fields.check("Version-max", versionMax, 0xFF);
            Fields.check("Version-min", versionMin, 0xFF);
            Fields.checkIsid(isid);
            Fields.check("TSIH", tsih, 0xFFFF);
            Fields.check("CID", cid, 0xFFFF);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.LOGIN_REQUEST;
        }
    }

    /** Text Request (11.10): F (final) and C (continue) bits, text key=value pairs as data. */
    record TextRequest(boolean immediate, boolean finalFlag, boolean cont, long lun, int initiatorTaskTag,
                       int targetTransferTag, int cmdSn, int expStatSn, ByteBuf data) implements WithData {
        public TextRequest {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.TEXT_REQUEST;
        }
    }

    /** SCSI Data-Out (11.7). */
    record DataOut(boolean finalFlag, long lun, int initiatorTaskTag, int targetTransferTag, int expStatSn, int dataSn,
                   int bufferOffset, ByteBuf data) implements WithData {
        public DataOut {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.SCSI_DATA_OUT;
        }
    }

    /** Logout Request (11.14); {@code reasonCode} is the 7-bit reason (0 close session, 1 connection, 2 recovery). */
    record LogoutRequest(boolean immediate, int reasonCode, int initiatorTaskTag, int cid, int cmdSn, int expStatSn)
            implements IscsiPdu {
        public LogoutRequest {
            Fields.check("Reason Code", reasonCode, 0x7F);
            Fields.check("CID", cid, 0xFFFF);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.LOGOUT_REQUEST;
        }
    }

    /** SNACK Request (11.16); {@code type} is the 4-bit SNACK type. TTT doubles as the SNACK Tag for R-Data. */
    record SnackRequest(int type, long lun, int initiatorTaskTag, int targetTransferTag, int expStatSn, int begRun,
                        int runLength) implements IscsiPdu {
        public SnackRequest {
            Fields.check("Type", type, 0xF);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.SNACK_REQUEST;
        }
    }

    // ---------------------------------------------------------------- target to initiator

    /** NOP-In (11.19). */
    record NopIn(long lun, int initiatorTaskTag, int targetTransferTag, int statSn, int expCmdSn, int maxCmdSn,
                 ByteBuf data) implements WithData {
        public NopIn {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.NOP_IN;
        }
    }

    /**
     * SCSI Response (11.4). The data is the data segment as sent (11.4.7): empty, or SenseLength (2 bytes)
     * followed by the sense data; {@link #senseSegment} builds one.
     */
    record ScsiResponse(boolean bidiOverflow, boolean bidiUnderflow, boolean overflow, boolean underflow, int response,
                        int status, int initiatorTaskTag, int snackTag, int statSn, int expCmdSn, int maxCmdSn,
                        int expDataSn, int bidiReadResidualCount, int residualCount, ByteBuf data) implements WithData {
        public ScsiResponse {
            Fields.check("Response", response, 0xFF);
            Fields.check("Status", status, 0xFF);
            Objects.requireNonNull(data, "data");
        }

        /**
         * A data segment carrying {@code sense} (11.4.7.2): its length as 2 bytes, then the sense data; no sense, no
         * segment (DataSegmentLength 0), as LIO and tgt answer a GOOD status.
         */
        public static ByteBuf senseSegment(ByteBufAllocator alloc, byte[] sense) {
            if (sense.length == 0) {
                return Unpooled.EMPTY_BUFFER;
            }
            if (sense.length > 0xFFFF) {
                throw new IllegalArgumentException("sense data of " + sense.length + " bytes, SenseLength is 16 bits");
            }
            ByteBuf b = alloc.buffer(2 + sense.length);
            b.writeShort(sense.length);
            b.writeBytes(sense);
            return b;
        }

        /** The sense data in the data segment: empty without one, or when SenseLength is 0 or overruns it. */
        public byte[] sense() {
            if (data.readableBytes() < 2) {
                return new byte[0];
            }
            int length = data.getUnsignedShort(data.readerIndex());
            if (length > data.readableBytes() - 2) {
                return new byte[0];
            }
            return ByteBufUtil.getBytes(data, data.readerIndex() + 2, length);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.SCSI_RESPONSE;
        }
    }

    /** SCSI Task Management Function Response (11.6). */
    record TaskManagementResponse(int response, int initiatorTaskTag, int statSn, int expCmdSn, int maxCmdSn)
            implements IscsiPdu {
        public TaskManagementResponse {
            Fields.check("Response", response, 0xFF);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.TASK_MANAGEMENT_RESPONSE;
        }
    }

    /** Login Response (11.13). */
    record LoginResponse(boolean transit, boolean cont, int csg, int nsg, int versionMax, int versionActive, long isid,
                         int tsih, int initiatorTaskTag, int statSn, int expCmdSn, int maxCmdSn, int statusClass,
                         int statusDetail, ByteBuf data) implements WithData {
        public LoginResponse {
            Fields.check("CSG", csg, 3);
            Fields.check("NSG", nsg, 3);
            Fields.check("Version-max", versionMax, 0xFF);
            Fields.check("Version-active", versionActive, 0xFF);
            Fields.checkIsid(isid);
            Fields.check("TSIH", tsih, 0xFFFF);
            Fields.check("Status-Class", statusClass, 0xFF);
            Fields.check("Status-Detail", statusDetail, 0xFF);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.LOGIN_RESPONSE;
        }
    }

    /** Text Response (11.11). */
    record TextResponse(boolean finalFlag, boolean cont, long lun, int initiatorTaskTag, int targetTransferTag,
                        int statSn, int expCmdSn, int maxCmdSn, ByteBuf data) implements WithData {
        public TextResponse {
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.TEXT_RESPONSE;
        }
    }

    /**
     * SCSI Data-In (11.7). With {@code statusPresent} (the S bit) the PDU also completes the command:
     * {@code status}, {@code statSn} and {@code residualCount} then apply; otherwise pass 0 for them.
     */
    record DataIn(boolean finalFlag, boolean acknowledge, boolean overflow, boolean underflow, boolean statusPresent,
                  int status, long lun, int initiatorTaskTag, int targetTransferTag, int statSn, int expCmdSn,
                  int maxCmdSn, int dataSn, int bufferOffset, int residualCount, ByteBuf data) implements WithData {
        public DataIn {
            Fields.check("Status", status, 0xFF);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.SCSI_DATA_IN;
        }
    }

    /** Logout Response (11.15). */
    record LogoutResponse(int response, int initiatorTaskTag, int statSn, int expCmdSn, int maxCmdSn, int time2Wait,
                          int time2Retain) implements IscsiPdu {
        public LogoutResponse {
            Fields.check("Response", response, 0xFF);
            Fields.check("Time2Wait", time2Wait, 0xFFFF);
            Fields.check("Time2Retain", time2Retain, 0xFFFF);
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.LOGOUT_RESPONSE;
        }
    }

    /** Ready To Transfer (11.8). */
    record R2t(long lun, int initiatorTaskTag, int targetTransferTag, int statSn, int expCmdSn, int maxCmdSn, int r2tSn,
               int bufferOffset, int desiredDataTransferLength) implements IscsiPdu {
        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.R2T;
        }
    }

    /** Asynchronous Message (11.9); the data is SenseLength, sense data and iSCSI event data (11.9.4). */
    record AsyncMessage(long lun, int statSn, int expCmdSn, int maxCmdSn, int asyncEvent, int asyncVCode,
                        int parameter1, int parameter2, int parameter3, ByteBuf data) implements WithData {
        public AsyncMessage {
            Fields.check("AsyncEvent", asyncEvent, 0xFF);
            Fields.check("AsyncVCode", asyncVCode, 0xFF);
            Fields.check("Parameter1", parameter1, 0xFFFF);
            Fields.check("Parameter2", parameter2, 0xFFFF);
            Fields.check("Parameter3", parameter3, 0xFFFF);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.ASYNC_MESSAGE;
        }
    }

    /** Reject (11.17): the data is the complete header (BHS) of the rejected PDU. */
    record Reject(int reason, int statSn, int expCmdSn, int maxCmdSn, int dataSn, ByteBuf data) implements WithData {
        public Reject {
            Fields.check("Reason", reason, 0xFF);
            Objects.requireNonNull(data, "data");
        }

        @Override
        public IscsiOpcode opcode() {
            return IscsiOpcode.REJECT;
        }
    }

    // ---------------------------------------------------------------- decoder verdicts

    /**
     * Not a PDU on the wire: the decoder's verdict on a PDU it could not accept. {@code header} is a copy of
     * the offending BHS, the data of the Reject that answers it. When {@code fatal}, the stream cannot be
     * trusted any more (header digest error, data segment longer than MaxRecvDataSegmentLength) or the RFC
     * wants the connection closed (format errors, RFC 7143 7.7: a bad AHS, AHS or data on a PDU that has
     * none): the decoder discards everything after it and the connection must close, after the Reject if
     * one is sent. Otherwise (an unsupported opcode, an opcode of the wrong side, a data digest error, RFC
     * 7143 7.8) the decoder skipped the whole PDU and goes on with the next one.
     */
    record Malformed(RejectReason reason, boolean fatal, String description, ByteBuf header) implements WithData {
        public Malformed {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(header, "header");
        }

        @Override
        public ByteBuf data() {
            return header;
        }

        /** Always null: nothing on the wire has this as its opcode; see {@link #rejectedOpcode()}. */
        @Override
        public IscsiOpcode opcode() {
            return null;
        }

        /** The low six bits of the offending header's byte 0 (-1 when it is not there). */
        public int rejectedOpcode() {
            return header.readableBytes() > 0 ? header.getUnsignedByte(header.readerIndex()) & 0x3F : -1;
        }

        /** The Reject answering this verdict; it holds its own reference to the header, so release both. */
        public Reject toReject(int statSn, int expCmdSn, int maxCmdSn) {
            return new Reject(reason.code(), statSn, expCmdSn, maxCmdSn, 0, header.retainedDuplicate());
        }
    }
}
