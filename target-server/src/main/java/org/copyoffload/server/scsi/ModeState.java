package org.copyoffload.server.scsi;

/**
 * The changeable mode parameters of a logical unit. There are no saved values (PS is zero in every page), so a
 * logical unit reset puts the current values back to the defaults (SPC-5 7.5.2: current values after a reset are
 * the saved ones if any, else the defaults).
 *
 * @param writeCacheEnabled WCE of the Caching page: with it clear every write is durable before it completes
 * @param descriptorSense   D_SENSE of the Control page: CHECK CONDITION sense in descriptor format
 */
record ModeState(boolean writeCacheEnabled, boolean descriptorSense) {
    static final ModeState DEFAULT = new ModeState(true, false);
}
