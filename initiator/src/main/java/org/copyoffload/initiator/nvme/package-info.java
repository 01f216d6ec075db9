/**
 * A Java NVMe/TCP host (NVMe/TCP Transport 1.1, NVMe over Fabrics 1.1).
 *
 * <p>{@link org.copyoffload.initiator.nvme.NvmeTcpHost} connects to one controller: an admin queue and
 * I/O queues, each its own TCP connection driven by a {@code QueueHandler} on a Netty event loop.
 * Commands go in through {@code submitAdmin}/{@code submitIo} (asynchronous, any thread) or the
 * helpers built on them; {@link org.copyoffload.initiator.nvme.NvmeCommands} builds the entries.
 * {@link org.copyoffload.initiator.nvme.RawNvmeTcpConnection} sends arbitrary PDUs or bytes for protocol
 * tests of a controller, and {@link org.copyoffload.initiator.nvme.TrafficCounters} count what crosses
 * the wire, by PDU type.
 */
package org.copyoffload.initiator.nvme;
