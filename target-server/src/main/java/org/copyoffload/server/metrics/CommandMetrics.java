package org.copyoffload.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import org.copyoffload.backends.copy.CopyEngine;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.copyoffload.protocol.nvme.AdminOpcode;
import org.copyoffload.protocol.nvme.NvmOpcode;
import org.copyoffload.protocol.nvme.NvmeStatus;
import org.copyoffload.protocol.nvme.StatusCode;
import org.copyoffload.protocol.nvme.fabrics.FabricsCommandType;
import org.copyoffload.server.nvme.CommandObserver;

/**
 * Commands by queue type, opcode and status ({@code copyoffload.nvme.commands}), their latency, and the data
 * they moved. Tag values are names from the specification, so dashboards read like the spec.
 */
public final class CommandMetrics implements CommandObserver {
    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> bytes = new ConcurrentHashMap<>();

    private final Map<String, Counter> copiedBytes = new ConcurrentHashMap<>();
    private final DistributionSummary rangesPerCopy;

    public CommandMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.rangesPerCopy = DistributionSummary.builder("copyoffload.nvme.copy.ranges")
                .description("source ranges per Copy command").register(registry);
    }

    @Override
    public void completed(boolean admin, int opcode, NvmeStatus status, long nanos, long dataBytes) {
        String queue = admin ? "admin" : "io";
        String op = opcodeName(admin, opcode);
        String st = statusName(status, (opcode & 0x7F00) == 0x7F00);
        counters.computeIfAbsent(queue + op + st, k -> Counter.builder("copyoffload.nvme.commands")
                .description("NVMe commands completed").tag("queue", queue).tag("opcode", op).tag("status", st)
                .register(registry)).increment();
        timers.computeIfAbsent(queue + op, k -> Timer.builder("copyoffload.nvme.command.latency")
                .description("time from command capsule to completion").tag("queue", queue).tag("opcode", op)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        if (dataBytes > 0) {
            bytes.computeIfAbsent(queue + op, k -> Counter.builder("copyoffload.nvme.data.bytes").baseUnit("bytes")
                    .description("data returned to hosts").tag("queue", queue).tag("opcode", op)
                    .register(registry)).increment(dataBytes);
        }
    }

    /** Copy commands by format and result, source ranges per command, bytes copied inside the target. */
    @Override
    public void copied(int format, NvmeStatus status, int ranges, long bytes, CopyEngine.Plan plan) {
        String f = format < 0 ? "invalid" : Integer.toString(format);
        String result = status.isSuccess() ? "success" : statusName(status, false);
        counters.computeIfAbsent("copy" + f + result, k -> Counter.builder("copyoffload.nvme.copy.commands")
                .description("Copy commands by descriptor format and result").tag("format", f).tag("result", result)
                .register(registry)).increment();
        rangesPerCopy.record(ranges);
        if (bytes > 0) {
            copiedBytes.computeIfAbsent(plan == null ? "none" : plan.name(), p -> Counter.builder("copyoffload.nvme.copy.bytes")
                    .baseUnit("bytes").description("bytes copied inside the target, without crossing the network")
                    .tag("plan", p.toLowerCase(Locale.ROOT)).register(registry)).increment(bytes);
        }
    }

    private static String statusName(NvmeStatus status, boolean fabrics) {
        return StatusCode.lookup(status.sct(), status.sc(), fabrics).map(c -> c.name().toLowerCase(Locale.ROOT))
                .orElse(String.format("sct%x_sc%02x", status.sct(), status.sc()));
    }

    static String opcodeName(boolean admin, int opcode) {
        if ((opcode & 0x7F00) == 0x7F00) {
            return FabricsCommandType.lookup(opcode & 0xFF).map(t -> "fabrics_" + t.name().toLowerCase(Locale.ROOT))
                    .orElse("fabrics_unknown");
        }
        String name = admin ? AdminOpcode.lookup(opcode).map(Enum::name).orElse(null)
                : NvmOpcode.lookup(opcode).map(Enum::name).orElse(null);
        return name != null ? name.toLowerCase(Locale.ROOT) : String.format("unknown_%02x", opcode);
    }
}
