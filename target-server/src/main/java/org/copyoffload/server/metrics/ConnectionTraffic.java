package org.copyoffload.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection's traffic as Prometheus series, tagged with the transport and both ends' addresses: bytes by
 * direction and part ({@code header}: headers, AHS, padding and digests; {@code data}: the PDUs' data) and PDUs by
 * direction. The series exist while the connection is open: {@link #close()} removes them, so a long-running target
 * does not accumulate one set per connection it ever had. Only the connection's own event loop counts, but the
 * counters are the registry's, read by scrapes from other threads.
 */
public final class ConnectionTraffic implements AutoCloseable {
    private final MeterRegistry registry;
    private final Counter headerIn;
    private final Counter dataIn;
    private final Counter headerOut;
    private final Counter dataOut;
    private final Counter pdusIn;
    private final Counter pdusOut;
    private final AtomicBoolean closed = new AtomicBoolean();

    public ConnectionTraffic(MeterRegistry registry, String transport, SocketAddress local, SocketAddress peer) {
        this.registry = registry;
        Tags tags = Tags.of("transport", transport, "local", address(local), "peer", address(peer));
        headerIn = bytes(tags, "in", "header");
        dataIn = bytes(tags, "in", "data");
        headerOut = bytes(tags, "out", "header");
        dataOut = bytes(tags, "out", "data");
        pdusIn = Counter.builder("copyoffload.connection.pdus").tags(tags).tag("direction", "in")
                .description("PDUs on one open connection, by direction").register(registry);
        pdusOut = Counter.builder("copyoffload.connection.pdus").tags(tags).tag("direction", "out").register(registry);
    }

    private Counter bytes(Tags tags, String direction, String part) {
        return Counter.builder("copyoffload.connection.bytes").baseUnit("bytes").tags(tags).tag("direction", direction)
                .tag("part", part).description("bytes on one open connection as TCP payload, by direction; header "
                        + "counts headers, padding and digests, data the PDUs' data").register(registry);
    }

    /** {@code host:port} as a tag value (IPv6 in brackets), or the address's own text if it is not an IP socket. */
    static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress in && in.getAddress() != null) {
            String host = in.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + in.getPort();
        }
        return String.valueOf(a);
    }

    public void received(long wireBytes, long dataBytes) {
        pdusIn.increment();
        headerIn.increment(wireBytes - dataBytes);
        dataIn.increment(dataBytes);
    }

    public void sent(long wireBytes, long dataBytes) {
        pdusOut.increment();
        headerOut.increment(wireBytes - dataBytes);
        dataOut.increment(dataBytes);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (Meter m : List.of(headerIn, dataIn, headerOut, dataOut, pdusIn, pdusOut)) {
                registry.remove(m);
            }
        }
    }
}
