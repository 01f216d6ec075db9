package org.copyoffload.server.iscsi;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.SocketAddress;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.protocol.iscsi.IscsiOpcode;
import org.copyoffload.protocol.scsi.ScsiStatus;
import org.copyoffload.server.metrics.ConnectionTraffic;

/**
 * iSCSI meters: PDUs, wire bytes and data bytes by opcode and direction, each open connection's traffic, SCSI commands by operation code and status with their
 * latency, open sessions and connections, login failures by status.
 */
public final class IscsiMetrics {
    private final MeterRegistry registry;
    private final Map<IscsiOpcode, Counter> pdusIn = new EnumMap<>(IscsiOpcode.class);
    private final Map<IscsiOpcode, Counter> pdusOut = new EnumMap<>(IscsiOpcode.class);
    private final Map<IscsiOpcode, Counter> bytesIn = new EnumMap<>(IscsiOpcode.class);
    private final Map<IscsiOpcode, Counter> bytesOut = new EnumMap<>(IscsiOpcode.class);
    private final Map<IscsiOpcode, Counter> dataIn = new EnumMap<>(IscsiOpcode.class);
    private final Map<IscsiOpcode, Counter> dataOut = new EnumMap<>(IscsiOpcode.class);
    private final Map<Integer, Counter> commands = new ConcurrentHashMap<>();
    private final Map<Integer, Timer> latency = new ConcurrentHashMap<>();
    private final Map<String, Counter> loginFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> logins = new ConcurrentHashMap<>();
    private final Map<String, Counter> timeouts = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> copyBytes = new ConcurrentHashMap<>();
    private final AtomicInteger sessions = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();

    public IscsiMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (IscsiOpcode op : IscsiOpcode.values()) {
            String name = op.name().toLowerCase(Locale.ROOT);
            pdusIn.put(op, Counter.builder("copyoffload.iscsi.pdus").tag("direction", "in").tag("opcode", name)
                    .description("iSCSI PDUs by direction and opcode").register(registry));
            pdusOut.put(op, Counter.builder("copyoffload.iscsi.pdus").tag("direction", "out").tag("opcode", name)
                    .register(registry));
            bytesIn.put(op, Counter.builder("copyoffload.iscsi.bytes").baseUnit("bytes").tag("direction", "in")
                    .tag("opcode", name).description("iSCSI bytes on the wire (headers, padding, digests included)")
                    .register(registry));
            bytesOut.put(op, Counter.builder("copyoffload.iscsi.bytes").baseUnit("bytes").tag("direction", "out")
                    .tag("opcode", name).register(registry));
            dataIn.put(op, Counter.builder("copyoffload.iscsi.data.bytes").baseUnit("bytes").tag("direction", "in")
                    .tag("opcode", name).description("iSCSI data segment bytes (without padding and digest)")
                    .register(registry));
            dataOut.put(op, Counter.builder("copyoffload.iscsi.data.bytes").baseUnit("bytes").tag("direction", "out")
                    .tag("opcode", name).register(registry));
        }
        Gauge.builder("copyoffload.iscsi.sessions", sessions, AtomicInteger::get)
                .description("iSCSI sessions in full feature phase").register(registry);
        Gauge.builder("copyoffload.iscsi.connections", connections, AtomicInteger::get)
                .description("open iSCSI connections").register(registry);
    }

    void received(IscsiOpcode op, long wireBytes, long dataBytes) {
        pdusIn.get(op).increment();
        bytesIn.get(op).increment(wireBytes);
        dataIn.get(op).increment(dataBytes);
    }

    void sent(IscsiOpcode op, long wireBytes, long dataBytes) {
        pdusOut.get(op).increment();
        bytesOut.get(op).increment(wireBytes);
        dataOut.get(op).increment(dataBytes);
    }

    /** The series of one connection's traffic, until the caller closes them. */
    ConnectionTraffic connection(SocketAddress local, SocketAddress peer) {
        return new ConnectionTraffic(registry, "iscsi", local, peer);
    }

    void command(int scsiOpcode, ScsiStatus status, long nanos) {
        // Keyed by numbers: the tag strings are made once per meter, not once per command.
        commands.computeIfAbsent(scsiOpcode << 8 | status.code(), k -> Counter.builder("copyoffload.iscsi.commands")
                .tag("opcode", opcodeTag(scsiOpcode)).tag("status", status.name().toLowerCase(Locale.ROOT))
                .description("SCSI commands completed, by operation code and status").register(registry)).increment();
        latency.computeIfAbsent(scsiOpcode, k -> Timer.builder("copyoffload.iscsi.command.latency")
                .tag("opcode", opcodeTag(scsiOpcode))
                .description("SCSI command PDU to response").register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    private static String opcodeTag(int scsiOpcode) {
        return String.format("0x%02x", scsiOpcode);
    }

    /**
     * One EXTENDED COPY done: the bytes it wrote to destinations (also of one that failed or was aborted part-way),
     * as {@code copyoffload.iscsi.xcopy.bytes} by service action ({@code lid1}, {@code lid4}) and result
     * ({@code good}, {@code error}, {@code aborted}); the summary's count is the number of commands.
     */
    public void extendedCopy(String serviceAction, String result, long bytes) {
        copyBytes.computeIfAbsent(serviceAction + "/" + result, k -> DistributionSummary
                .builder("copyoffload.iscsi.xcopy.bytes").baseUnit("bytes").tag("service_action", serviceAction)
                .tag("result", result).description("bytes copied per EXTENDED COPY command")
                .register(registry)).record(bytes);
    }

    void loginFailed(String status) {
        loginFailures.computeIfAbsent(status, k -> Counter.builder("copyoffload.iscsi.login.failures")
                .tag("status", k).description("logins refused, by login status").register(registry)).increment();
    }

    /**
     * A connection that logged in, by session type ({@code normal}, {@code discovery}) and how it authenticated
     * ({@code none}, {@code chap-md5}, {@code chap-sha1}, {@code chap-sha256}, {@code chap-sha3-256}).
     */
    void loggedIn(String sessionType, String authentication) {
        logins.computeIfAbsent(sessionType + "/" + authentication, k -> Counter.builder("copyoffload.iscsi.logins")
                .tag("session_type", sessionType).tag("authentication", authentication)
                .description("connections logged in, by session type and authentication").register(registry))
                .increment();
    }

    /** A connection closed for silence: {@code login} (no login in time) or {@code nop-in} (ping unanswered). */
    void timedOut(String phase) {
        timeouts.computeIfAbsent(phase, k -> Counter.builder("copyoffload.connections.timeouts").tag("transport", "iscsi")
                .tag("phase", k).description("connections closed for silence: no ICReq and Connect within"
                        + " nvme.setup-timeout (NVMe/TCP); no login within iscsi.login-timeout, NOP-In unanswered"
                        + " (iSCSI)").register(registry)).increment();
    }

    void sessionOpened() {
        sessions.incrementAndGet();
    }

    void sessionClosed() {
        sessions.decrementAndGet();
    }

    void connectionOpened() {
        connections.incrementAndGet();
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }
}
