package org.copyoffload.server.scsi;

import io.netty.buffer.ByteBuf;

/**
 * One SCSI command as a transport hands it to the logical units, with all its data-out already collected.
 *
 * @param nexus                      who sent it
 * @param lun                        the LUN as a number (the iSCSI layer decodes the 8-byte LUN field; SAM-5 4.6)
 * @param cdb                        the CDB, 6 to 260 bytes (iSCSI: the 16-byte field plus any extended CDB AHS)
 * @param dataOut                    the data-out buffer (null when the command sends none); borrowed: readable until
 *                                   the returned future completes, released by the transport, never by the handler
 * @param expectedDataTransferLength the initiator's Expected Data Transfer Length for the command's direction
 * @param read                       the initiator expects data-in (iSCSI R bit)
 * @param write                      the initiator sends data-out (iSCSI W bit)
 * @param attribute                  the task attribute
 * @param tag                        the task tag (iSCSI Initiator Task Tag), unique among the nexus's tasks in flight
 */
public record ScsiCommand(ItNexus nexus, long lun, byte[] cdb, ByteBuf dataOut, long expectedDataTransferLength,
                          boolean read, boolean write, TaskAttribute attribute, long tag) {
    public int opcode() {
        return cdb[0] & 0xFF;
    }
}
