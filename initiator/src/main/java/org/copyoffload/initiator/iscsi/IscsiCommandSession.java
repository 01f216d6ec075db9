package org.copyoffload.initiator.iscsi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;
import org.copyoffload.protocol.scsi.Lun;

/**
 * One iSCSI session of one connection, logged in without authentication and with the RFC's defaults (no digests),
 * that runs SCSI commands one at a time: immediate data then Data-Out for R2Ts, Data-In collected, the status and
 * sense returned. For tools such as the benchmark that need a few commands a library initiator does not offer
 * (EXTENDED COPY, RECEIVE COPY STATUS); not for load (one command in flight).
 */
public final class IscsiCommandSession implements AutoCloseable {
    /** The outcome of one command: SCSI status, sense data (empty unless CHECK CONDITION) and the data-in. */
    public record Result(int status, byte[] sense, byte[] dataIn) {
        public Result {
            sense = sense.clone();
            dataIn = dataIn.clone();
        }

        @Override
        public byte[] sense() {
            return sense.clone();
        }

        @Override
        public byte[] dataIn() {
            return dataIn.clone();
        }

        public boolean good() {
            return status == 0;
        }
    }

    private final RawIscsiConnection conn;
    private final Duration timeout;
    private final Map<String, String> keys = new HashMap<>();
    private int cmdSn = 1;
    private int expStatSn;
    private int nextItt = 1;

    private IscsiCommandSession(RawIscsiConnection conn, Duration timeout) {
        this.conn = conn;
        this.timeout = timeout;
    }

    /** Connects and logs in to {@code targetName} as {@code initiatorName}; throws unless the target admits it. */
    public static IscsiCommandSession login(InetSocketAddress portal, String initiatorName, String targetName,
                                            long isid, Duration timeout) {
        IscsiCommandSession s = new IscsiCommandSession(RawIscsiConnection.open(portal, timeout), timeout);
        try {
            ByteBuf data = Unpooled.buffer();
            TextKeys.encode(List.of(new TextKey("InitiatorName", initiatorName), new TextKey("SessionType", "Normal"),
                    new TextKey("TargetName", targetName)), data);
            s.conn.send(new IscsiPdu.LoginRequest(true, false, 1, 3, 0, 0, isid, 0, s.nextItt++, 1, s.cmdSn,
                    s.expStatSn, data));
            IscsiPdu.LoginResponse r = s.conn.expect(IscsiPdu.LoginResponse.class, timeout);
            try {
                if (r.statusClass() != 0 || !r.transit()) {
                    throw new IllegalStateException("login to " + targetName + " refused: status class "
                            + r.statusClass() + ", detail " + r.statusDetail());
                }
                s.expStatSn = r.statSn() + 1;
                for (TextKey k : TextKeys.decode(r.data())) {
                    s.keys.put(k.name(), k.value());
                }
            } finally {
                r.release();
            }
            return s;
        } catch (RuntimeException e) {
            s.conn.close();
            throw e;
        }
    }

    private int targetMaxRecvDataSegmentLength() {
        return Integer.parseInt(keys.getOrDefault("MaxRecvDataSegmentLength", "8192"));
    }

    /**
     * Runs one command to its status. {@code dataOut} (null for none) goes as immediate data as far as
     * FirstBurstLength and the target's MaxRecvDataSegmentLength allow, the rest in answer to R2Ts.
     */
    public Result command(int lun, byte[] cdb, byte[] dataOut, int expectedDataIn) {
        int itt = nextItt++;
        boolean write = dataOut != null;
        int immediate = !write || "No".equals(keys.get("ImmediateData")) ? 0 : Math.min(dataOut.length,
                Math.min(Integer.parseInt(keys.getOrDefault("FirstBurstLength", "65536")),
                        targetMaxRecvDataSegmentLength()));
        byte[] field = cdb.length >= 16 ? cdb : Arrays.copyOf(cdb, 16);
        conn.send(new IscsiPdu.ScsiCommand(false, true, expectedDataIn > 0, write, 1, Lun.encode(lun), itt,
                write ? dataOut.length : expectedDataIn, cmdSn++, expStatSn, field, -1,
                immediate > 0 ? Unpooled.wrappedBuffer(dataOut, 0, immediate) : Unpooled.EMPTY_BUFFER));
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        while (true) {
            IscsiPdu pdu = conn.poll(timeout);
            if (pdu == null) {
                throw new IllegalStateException("no response to ITT " + itt + " within " + timeout);
            }
            try {
                switch (pdu) {
                    case IscsiPdu.R2t r -> sendData(itt, r.targetTransferTag(), dataOut, r.bufferOffset(),
                            r.desiredDataTransferLength());
                    case IscsiPdu.DataIn d -> {
                        byte[] b = new byte[d.data().readableBytes()];
                        d.data().getBytes(d.data().readerIndex(), b);
                        in.writeBytes(b);
                        if (d.statusPresent()) {
                            expStatSn = d.statSn() + 1;
                            return new Result(d.status(), new byte[0], in.toByteArray());
                        }
                    }
                    case IscsiPdu.ScsiResponse s -> {
                        expStatSn = s.statSn() + 1;
                        return new Result(s.status(), s.sense(), in.toByteArray());
                    }
                    case IscsiPdu.NopIn n -> {
                        if (n.targetTransferTag() != 0xFFFF_FFFF) { // a ping that wants an answer (RFC 7143 11.18)
                            conn.send(new IscsiPdu.NopOut(true, n.lun(), 0xFFFF_FFFF, n.targetTransferTag(), cmdSn,
                                    expStatSn, Unpooled.EMPTY_BUFFER));
                        }
                    }
                    default -> throw new IllegalStateException("unexpected " + pdu.opcode() + " for ITT " + itt);
                }
            } finally {
                ReferenceCountUtil.release(pdu);
            }
        }
    }

    private void sendData(int itt, int ttt, byte[] data, int offset, int length) {
        int dataSn = 0;
        for (int at = 0; at < length; ) {
            int n = Math.min(targetMaxRecvDataSegmentLength(), length - at);
            conn.send(new IscsiPdu.DataOut(at + n == length, 0, itt, ttt, expStatSn, dataSn++, offset + at,
                    Unpooled.wrappedBuffer(data, offset + at, n)));
            at += n;
        }
    }

    /** Logs out, then closes the connection. */
    @Override
    public void close() {
        try {
            conn.send(new IscsiPdu.LogoutRequest(true, 0, nextItt++, 1, cmdSn, expStatSn));
            ReferenceCountUtil.release(conn.poll(timeout));
        } finally {
            conn.close();
        }
    }
}
