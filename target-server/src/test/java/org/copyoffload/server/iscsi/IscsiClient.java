package org.copyoffload.server.iscsi;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.copyoffload.initiator.iscsi.RawIscsiConnection;
import org.copyoffload.protocol.iscsi.IscsiPdu;
import org.copyoffload.protocol.iscsi.login.TextKey;
import org.copyoffload.protocol.iscsi.login.TextKeys;
import org.copyoffload.protocol.scsi.Lun;

/**
 * A small iSCSI initiator for the target's tests, over {@link RawIscsiConnection}: logs in with the keys a test
 * gives, runs SCSI commands (immediate data, answering R2Ts, collecting Data-In and the status), keeps CmdSN,
 * ExpStatSN and the task tags, and leaves every PDU visible for protocol checks.
 */
final class IscsiClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    static final String INITIATOR = "iqn.2026-01.org.copyoffload:test-initiator";

    /** The outcome of one SCSI command. */
    record Result(int status, byte[] sense, byte[] dataIn, boolean overflow, boolean underflow, int residual,
                  int dataInPdus, int r2ts) {
    }

    final RawIscsiConnection conn;
    private static final java.util.concurrent.atomic.AtomicLong ISIDS = new java.util.concurrent.atomic.AtomicLong(0x400001370000L);
    long isid = ISIDS.incrementAndGet();
    int tsih;
    int cmdSn = 1;
    int expStatSn;
    int nextItt = 1;
    int maxCmdSn;
    Map<String, String> loginKeys = new LinkedHashMap<>();
    int targetMaxRecvDataSegmentLength = 8192;

    IscsiClient(InetSocketAddress address) {
        this.conn = RawIscsiConnection.open(address, WAIT);
    }

    /** Sends a Login Request with these keys (CSG -> NSG, T set when they differ) and returns the response. */
    IscsiPdu.LoginResponse loginStep(int csg, int nsg, boolean transit, List<TextKey> keys) {
        ByteBuf data = Unpooled.buffer();
        TextKeys.encode(keys, data);
        conn.send(new IscsiPdu.LoginRequest(transit, false, csg, transit ? nsg : 0, 0, 0, isid, tsih, nextItt, 1, cmdSn,
                expStatSn, data));
        IscsiPdu.LoginResponse r = conn.expect(IscsiPdu.LoginResponse.class, WAIT);
        expStatSn = r.statSn() + 1;
        maxCmdSn = r.maxCmdSn();
        for (TextKey k : TextKeys.decode(r.data())) {
            loginKeys.put(k.name(), k.value());
        }
        return r;
    }

    /** A whole login to full feature phase without authentication; fails the test unless it succeeds. */
    IscsiClient login(String targetName, String... extraKeys) {
        List<TextKey> keys = new ArrayList<>();
        keys.add(new TextKey("InitiatorName", INITIATOR));
        if (targetName == null) {
            keys.add(new TextKey("SessionType", "Discovery"));
        } else {
            keys.add(new TextKey("SessionType", "Normal"));
            keys.add(new TextKey("TargetName", targetName));
        }
        for (int i = 0; i < extraKeys.length; i += 2) {
            keys.add(new TextKey(extraKeys[i], extraKeys[i + 1]));
        }
        IscsiPdu.LoginResponse r = loginStep(1, 3, true, keys);
        try {
            assertThat(r.statusClass()).as("login status class (detail %d)", r.statusDetail()).isZero();
            assertThat(r.transit()).isTrue();
            tsih = r.tsih();
        } finally {
            r.release();
        }
        String mrdsl = loginKeys.get("MaxRecvDataSegmentLength");
        if (mrdsl != null) {
            targetMaxRecvDataSegmentLength = Integer.parseInt(mrdsl);
        }
        conn.digests("CRC32C".equals(loginKeys.get("HeaderDigest")), "CRC32C".equals(loginKeys.get("DataDigest")));
        return this;
    }

    int itt() {
        return nextItt++;
    }

    /** Runs one SCSI command to its status. */
    Result command(int lun, byte[] cdb, byte[] dataOut, int expectedLength, boolean read) {
        int itt = itt();
        boolean write = dataOut != null;
        int immediate = write ? Math.min(dataOut.length, Math.min(firstBurst(), targetMaxRecvDataSegmentLength)) : 0;
        if (!"Yes".equals(loginKeys.getOrDefault("ImmediateData", "Yes"))) {
            immediate = 0;
        }
        byte[] field = cdb.length >= 16 ? cdb : java.util.Arrays.copyOf(cdb, 16);
        ByteBuf imm = write && immediate > 0 ? Unpooled.wrappedBuffer(dataOut, 0, immediate) : Unpooled.EMPTY_BUFFER;
        conn.send(new IscsiPdu.ScsiCommand(false, true, read, write, 1, Lun.encode(lun), itt,
                write ? dataOut.length : expectedLength, cmdSn++, expStatSn, field, -1, imm));
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        int dataInPdus = 0;
        int r2ts = 0;
        while (true) {
            IscsiPdu pdu = conn.poll(WAIT);
            if (pdu == null) {
                throw new AssertionError("no response to ITT " + itt + " within " + WAIT);
            }
            try {
                switch (pdu) {
                    case IscsiPdu.R2t r -> {
                        assertThat(r.initiatorTaskTag()).isEqualTo(itt);
                        r2ts++;
                        sendData(itt, r.targetTransferTag(), dataOut, r.bufferOffset(), r.desiredDataTransferLength());
                    }
                    case IscsiPdu.DataIn d -> {
                        assertThat(d.initiatorTaskTag()).isEqualTo(itt);
                        assertThat(d.bufferOffset()).as("Data-In offset").isEqualTo(in.size());
                        assertThat(d.dataSn()).as("DataSN").isEqualTo(dataInPdus);
                        dataInPdus++;
                        byte[] b = new byte[d.data().readableBytes()];
                        d.data().getBytes(d.data().readerIndex(), b);
                        in.writeBytes(b);
                        if (d.statusPresent()) {
                            assertThat(d.statSn()).as("StatSN").isEqualTo(expStatSn);
                            expStatSn++;
                            maxCmdSn = d.maxCmdSn();
                            return new Result(d.status(), new byte[0], in.toByteArray(), d.overflow(), d.underflow(),
                                    d.residualCount(), dataInPdus, r2ts);
                        }
                    }
                    case IscsiPdu.ScsiResponse s -> {
                        assertThat(s.initiatorTaskTag()).isEqualTo(itt);
                        assertThat(s.statSn()).as("StatSN").isEqualTo(expStatSn);
                        expStatSn++;
                        maxCmdSn = s.maxCmdSn();
                        return new Result(s.status(), s.sense(), in.toByteArray(), s.overflow(), s.underflow(),
                                s.residualCount(), dataInPdus, r2ts);
                    }
                    default -> throw new AssertionError("unexpected " + pdu);
                }
            } finally {
                io.netty.util.ReferenceCountUtil.release(pdu);
            }
        }
    }

    private int firstBurst() {
        return Integer.parseInt(loginKeys.getOrDefault("FirstBurstLength", "65536"));
    }

    /** Data-Out answering an R2T, in PDUs the target accepts. */
    void sendData(int itt, int ttt, byte[] data, int offset, int length) {
        int dataSn = 0;
        for (int at = 0; at < length; ) {
            int n = Math.min(targetMaxRecvDataSegmentLength, length - at);
            conn.send(new IscsiPdu.DataOut(at + n == length, 0, itt, ttt, expStatSn, dataSn++, offset + at,
                    Unpooled.wrappedBuffer(data, offset + at, n)));
            at += n;
        }
    }

    Result testUnitReady(int lun) {
        return command(lun, new byte[] {0x00, 0, 0, 0, 0, 0}, null, 0, false);
    }

    Result read10(int lun, long lba, int blocks, int blockSize) {
        byte[] cdb = {0x28, 0, (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8), (byte) lba, 0,
                (byte) (blocks >>> 8), (byte) blocks, 0};
        return command(lun, cdb, null, blocks * blockSize, true);
    }

    Result write10(int lun, long lba, byte[] data, int blockSize, boolean fua) {
        int blocks = data.length / blockSize;
        byte[] cdb = {0x2A, (byte) (fua ? 0x08 : 0), (byte) (lba >>> 24), (byte) (lba >>> 16), (byte) (lba >>> 8),
                (byte) lba, 0, (byte) (blocks >>> 8), (byte) blocks, 0};
        return command(lun, cdb, data, 0, false);
    }

    /** A Text Request with these keys; returns the keys of the whole (possibly continued) response. */
    List<TextKey> text(List<TextKey> keys) {
        ByteBuf data = Unpooled.buffer();
        TextKeys.encode(keys, data);
        int itt = itt();
        conn.send(new IscsiPdu.TextRequest(true, true, false, 0, itt, 0xFFFFFFFF, cmdSn, expStatSn, data));
        ByteBuf all = Unpooled.buffer();
        try {
            while (true) {
                IscsiPdu.TextResponse r = conn.expect(IscsiPdu.TextResponse.class, WAIT);
                try {
                    expStatSn = r.statSn() + 1;
                    all.writeBytes(r.data(), r.data().readerIndex(), r.data().readableBytes());
                    if (!r.cont()) {
                        return TextKeys.decode(all);
                    }
                    conn.send(new IscsiPdu.TextRequest(true, true, false, 0, itt, r.targetTransferTag(), cmdSn,
                            expStatSn, Unpooled.EMPTY_BUFFER));
                } finally {
                    r.release();
                }
            }
        } finally {
            all.release();
        }
    }

    /** Logout (close the session); returns the Logout Response's response code. */
    int logout() {
        conn.send(new IscsiPdu.LogoutRequest(true, 0, itt(), 1, cmdSn, expStatSn));
        IscsiPdu.LogoutResponse r = conn.expect(IscsiPdu.LogoutResponse.class, WAIT);
        expStatSn = r.statSn() + 1;
        return r.response();
    }

    @Override
    public void close() {
        conn.close();
    }
}
