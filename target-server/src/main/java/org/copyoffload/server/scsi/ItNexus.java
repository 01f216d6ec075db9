package org.copyoffload.server.scsi;

/**
 * An I_T nexus (SAM-5, 4.7): one initiator port with one target port. For iSCSI the initiator port is the initiator
 * name with the session's ISID ({@code iqn...,i,0x<isid>}) and the target port is the target name with its portal
 * group tag ({@code iqn...,t,0x<tpgt>}); LU state kept per nexus (unit attentions, reservations, copy list
 * identifiers) is keyed by this record.
 *
 * @param initiatorName        the initiator's iSCSI name (InitiatorName key)
 * @param isid                 the session's ISID, 6 bytes as a number
 * @param targetName           the target's iSCSI name
 * @param targetPortalGroupTag TPGT of the portal group the session came through
 * @param relativeTargetPortId the relative target port identifier (SPC-5, 7.7.6.5), 1-based
 */
public record ItNexus(String initiatorName, long isid, String targetName, int targetPortalGroupTag,
                      int relativeTargetPortId) {
    /** The initiator port name as SCSI name strings spell it (RFC 7143, 10.12.2 / SPC-5 VPD 83h). */
    public String initiatorPortName() {
        return initiatorName + ",i,0x" + String.format("%012x", isid);
    }

    /** The target port name as SCSI name strings spell it. */
    public String targetPortName() {
        return targetName + ",t,0x" + String.format("%04x", targetPortalGroupTag);
    }
}
