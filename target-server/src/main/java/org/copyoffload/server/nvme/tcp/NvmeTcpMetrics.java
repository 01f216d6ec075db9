package org.copyoffload.server.nvme.tcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.PduListener;
import org.copyoffload.protocol.nvme.tcp.PduType;
import org.copyoffload.server.metrics.ConnectionTraffic;

/**
 * NVMe/TCP transport meters: PDUs, wire bytes and data bytes in and out by PDU type, open connections, commands in
 * flight, the queue depth each command found, and fatal transport errors by status; per open connection, its
 * traffic ({@link ConnectionTraffic}).
 */
public final class NvmeTcpMetrics implements PduListener {
    private final MeterRegistry registry;
    private final Map<PduType, Counter> pdusIn = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> pdusOut = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> bytesIn = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> bytesOut = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> dataIn = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> dataOut = new EnumMap<>(PduType.class);
    private final Map<FatalErrorStatus, Counter> terminations = new EnumMap<>(FatalErrorStatus.class);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final DistributionSummary queueDepth;
    private final Counter setupTimeouts;
    private final Counter readPauses;

    public NvmeTcpMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (PduType t : PduType.values()) {
            String type = t.name().toLowerCase(Locale.ROOT);
            pdusIn.put(t, Counter.builder("copyoffload.nvme.tcp.pdus").tag("direction", "in").tag("type", type)
                    .description("NVMe/TCP PDUs by direction and type").register(registry));
            pdusOut.put(t, Counter.builder("copyoffload.nvme.tcp.pdus").tag("direction", "out").tag("type", type)
                    .register(registry));
            bytesIn.put(t, Counter.builder("copyoffload.nvme.tcp.bytes").baseUnit("bytes").tag("direction", "in")
                    .tag("type", type).description("NVMe/TCP bytes on the wire by direction and PDU type").register(registry));
            bytesOut.put(t, Counter.builder("copyoffload.nvme.tcp.bytes").baseUnit("bytes").tag("direction", "out")
                    .tag("type", type).register(registry));
            dataIn.put(t, Counter.builder("copyoffload.nvme.tcp.data.bytes").baseUnit("bytes").tag("direction", "in")
                    .tag("type", type).description("NVMe/TCP data bytes (PLEN less PDO and data digest) by direction "
                            + "and PDU type").register(registry));
            dataOut.put(t, Counter.builder("copyoffload.nvme.tcp.data.bytes").baseUnit("bytes").tag("direction", "out")
                    .tag("type", type).register(registry));
        }
        for (FatalErrorStatus f : FatalErrorStatus.values()) {
            terminations.put(f, Counter.builder("copyoffload.nvme.tcp.terminations")
                    .tag("fes", f.name().toLowerCase(Locale.ROOT))
                    .description("connections ended by a C2HTermReq").register(registry));
        }
        setupTimeouts = Counter.builder("copyoffload.connections.timeouts").tag("transport", "nvme-tcp")
                .tag("phase", "setup").description("connections closed for silence: no ICReq and Connect within"
                        + " nvme.setup-timeout (NVMe/TCP); no login within iscsi.login-timeout, NOP-In unanswered"
                        + " (iSCSI)").register(registry);
        readPauses = Counter.builder("copyoffload.nvme.tcp.read.pauses").description("times a connection stopped "
                + "reading from its socket because in-capsule write data filled nvme.max-write-data-per-connection or "
                + "nvme.max-write-data").register(registry);
        Gauge.builder("copyoffload.nvme.tcp.connections", connections, AtomicInteger::get)
                .description("open NVMe/TCP connections (queues)").register(registry);
        Gauge.builder("copyoffload.nvme.commands.outstanding", outstanding, AtomicInteger::get)
                .description("NVMe commands received and not yet completed").register(registry);
        queueDepth = DistributionSummary.builder("copyoffload.nvme.queue.depth")
                .description("commands in flight on a queue when a command arrives").register(registry);
    }

    @Override
    public void received(PduType type, long wireBytes, long dataBytes) {
        pdusIn.get(type).increment();
        bytesIn.get(type).increment(wireBytes);
        dataIn.get(type).increment(dataBytes);
    }

    @Override
    public void sent(PduType type, long wireBytes, long dataBytes) {
        pdusOut.get(type).increment();
        bytesOut.get(type).increment(wireBytes);
        dataOut.get(type).increment(dataBytes);
    }

    /**
     * A listener for one accepted connection: it counts into these meters and into the connection's own series,
     * which go away when the channel closes.
     */
    PduListener forConnection(Channel channel) {
        ConnectionTraffic traffic = new ConnectionTraffic(registry, "nvme-tcp", channel.localAddress(),
                channel.remoteAddress());
        channel.closeFuture().addListener(f -> traffic.close());
        NvmeTcpMetrics all = this;
        return new PduListener() {
            @Override
            public void received(PduType type, long wireBytes, long dataBytes) {
                all.received(type, wireBytes, dataBytes);
                traffic.received(wireBytes, dataBytes);
            }

            @Override
            public void sent(PduType type, long wireBytes, long dataBytes) {
                all.sent(type, wireBytes, dataBytes);
                traffic.sent(wireBytes, dataBytes);
            }
        };
    }

    /** A connection closed because it sent no ICReq and Connect in time. */
    void setupTimedOut() {
        setupTimeouts.increment();
    }

    /** A connection stopped reading until in-capsule data it holds is written. */
    void readsPaused() {
        readPauses.increment();
    }

    void connectionOpened() {
        connections.incrementAndGet();
    }

    void connectionClosed(int dropped) {
        connections.decrementAndGet();
        outstanding.addAndGet(-dropped);
    }

    void submitted(int depth) {
        outstanding.incrementAndGet();
        queueDepth.record(depth);
    }

    void completed() {
        outstanding.decrementAndGet();
    }

    void terminated(FatalErrorStatus fes) {
        terminations.get(fes).increment();
    }

    /**
     * A TLS handshake on a TLS listener: {@code outcome} success (with the negotiated {@code suite}), failure (a wrong
     * or unknown PSK, a broken handshake), or plaintext_refused (ICReq on a listener that requires TLS).
     */
    void tlsHandshake(String outcome, String suite) {
        Counter.builder("copyoffload.nvme.tcp.tls.handshakes").tag("outcome", outcome).tag("suite", suite)
                .description("TLS handshakes on NVMe/TCP listeners by outcome and cipher suite").register(registry)
                .increment();
    }

    /**
     * One DH-HMAC-CHAP transaction ended: {@code success}, or {@code failure} with the reason code explanation
     * (the tag values are the explanations' names, never anything of the secrets).
     */
    public void authentication(boolean success, String reason) {
        Counter.builder("copyoffload.nvme.authentications").tag("result", success ? "success" : "failure")
                .tag("reason", reason).description("DH-HMAC-CHAP transactions by result").register(registry).increment();
    }
}
