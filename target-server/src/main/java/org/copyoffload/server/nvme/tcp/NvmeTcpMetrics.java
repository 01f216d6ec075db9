package org.copyoffload.server.nvme.tcp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.copyoffload.protocol.nvme.tcp.FatalErrorStatus;
import org.copyoffload.protocol.nvme.tcp.PduListener;
import org.copyoffload.protocol.nvme.tcp.PduType;

/**
 * NVMe/TCP transport meters: PDUs and bytes in and out by PDU type, open connections, commands in flight,
 * the queue depth each command found, and fatal transport errors by status.
 */
public final class NvmeTcpMetrics implements PduListener {
    private final Map<PduType, Counter> pdusIn = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> pdusOut = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> bytesIn = new EnumMap<>(PduType.class);
    private final Map<PduType, Counter> bytesOut = new EnumMap<>(PduType.class);
    private final Map<FatalErrorStatus, Counter> terminations = new EnumMap<>(FatalErrorStatus.class);
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final DistributionSummary queueDepth;

    public NvmeTcpMetrics(MeterRegistry registry) {
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
        }
        for (FatalErrorStatus f : FatalErrorStatus.values()) {
            terminations.put(f, Counter.builder("copyoffload.nvme.tcp.terminations")
                    .tag("fes", f.name().toLowerCase(Locale.ROOT))
                    .description("connections ended by a C2HTermReq").register(registry));
        }
        Gauge.builder("copyoffload.nvme.tcp.connections", connections, AtomicInteger::get)
                .description("open NVMe/TCP connections (queues)").register(registry);
        Gauge.builder("copyoffload.nvme.commands.outstanding", outstanding, AtomicInteger::get)
                .description("NVMe commands received and not yet completed").register(registry);
        queueDepth = DistributionSummary.builder("copyoffload.nvme.queue.depth")
                .description("commands in flight on a queue when a command arrives").register(registry);
    }

    @Override
    public void received(PduType type, long wireBytes) {
        pdusIn.get(type).increment();
        bytesIn.get(type).increment(wireBytes);
    }

    @Override
    public void sent(PduType type, long wireBytes) {
        pdusOut.get(type).increment();
        bytesOut.get(type).increment(wireBytes);
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
}
