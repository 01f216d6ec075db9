/**
 * A Java iSCSI initiator (RFC 7143) with SCSI commands over it (SPC-5, SBC-4).
 *
 * <p>{@link org.copyoffload.initiator.iscsi.IscsiSession} logs in to one target over one connection (security and
 * operational negotiation through the protocol module's {@code ChapInitiator} and {@code InitiatorNegotiation}),
 * driven by a {@code ConnectionHandler} on a Netty event loop, and runs SCSI commands asynchronously from any thread
 * ({@code execute}) or through helpers for the common CDBs; {@link org.copyoffload.initiator.iscsi.IscsiSession#discover}
 * runs a Discovery session. {@link org.copyoffload.initiator.iscsi.RawIscsiConnection} sends arbitrary PDUs or bytes
 * for protocol tests of a target, and {@link org.copyoffload.initiator.iscsi.IscsiTrafficCounters} count what crosses
 * the wire, by opcode.
 */
package org.copyoffload.initiator.iscsi;
