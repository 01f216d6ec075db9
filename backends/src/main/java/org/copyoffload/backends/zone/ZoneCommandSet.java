package org.copyoffload.backends.zone;

/**
 * Whose rules a zone action follows where NVMe ZNS and SCSI ZBC differ; the command set that carries the action
 * chooses, so one zoned volume can be exported both ways at once with one set of write pointers.
 * <ul>
 * <li>{@link #NVME} (ZNS 1.1, as QEMU hw/nvme): Close Zone of an opened zone with nothing written leaves it Closed;
 * an action on a zone in a state it does not apply to is Invalid Zone State Transition (a Read Only or Offline zone
 * included).</li>
 * <li>{@link #ZBC} (ZBC-2, as Linux scsi_debug): CLOSE ZONE of an opened zone with nothing written makes it Empty
 * (it leaves no active resource behind); OPEN ZONE of a Full zone and CLOSE ZONE of an Empty or Full zone change
 * nothing and succeed; a single-zone action on a Read Only zone is {@link ZoneError#ZONE_IS_READ_ONLY}, on an
 * Offline zone {@link ZoneError#ZONE_IS_OFFLINE} (DATA PROTECT). ZBC has no OFFLINE action.</li>
 * </ul>
 */
public enum ZoneCommandSet {
    NVME,
    ZBC
}
