package org.copyoffload.protocol.scsi;

import java.util.List;

/**
 * What a copy manager reports of itself and enforces, the same numbers in RECEIVE COPY RESULTS OPERATING PARAMETERS
 * (SPC-4 6.18.4) and the Third-party Copy VPD page (SPC-4 7.8.17): an initiator may read either.
 *
 * @param maxCscdDescriptors      MAXIMUM CSCD DESCRIPTOR COUNT (SPC-4 calls them target descriptors in places)
 * @param maxSegmentDescriptors   MAXIMUM SEGMENT DESCRIPTOR COUNT
 * @param maxDescriptorListLength MAXIMUM DESCRIPTOR LIST LENGTH: CSCD and segment descriptor bytes together
 * @param maxSegmentLength        MAXIMUM SEGMENT LENGTH in bytes
 * @param maxInlineDataLength     MAXIMUM INLINE DATA LENGTH
 * @param totalConcurrentCopies   TOTAL CONCURRENT COPIES
 * @param maxConcurrentCopies     MAXIMUM CONCURRENT COPIES (identified copies, those with a list identifier held)
 * @param dataSegmentGranularity  DATA SEGMENT GRANULARITY as log2 of bytes
 * @param inlineDataGranularity   INLINE DATA GRANULARITY as log2 of bytes
 * @param heldDataGranularity     HELD DATA GRANULARITY as log2 of bytes
 * @param descriptorTypes         the implemented segment then CSCD descriptor type codes (IMPLEMENTED DESCRIPTOR LIST)
 */
public record CopyManagerLimits(int maxCscdDescriptors, int maxSegmentDescriptors, long maxDescriptorListLength,
                                long maxSegmentLength, long maxInlineDataLength, int totalConcurrentCopies,
                                int maxConcurrentCopies, int dataSegmentGranularity, int inlineDataGranularity,
                                int heldDataGranularity, List<Integer> descriptorTypes) {
    public CopyManagerLimits {
        descriptorTypes = List.copyOf(descriptorTypes);
        if (maxCscdDescriptors < 1 || maxCscdDescriptors > 0xFFFF || maxSegmentDescriptors < 1
                || maxSegmentDescriptors > 0xFFFF || maxDescriptorListLength < 0
                || maxDescriptorListLength > 0xFFFF_FFFFL || totalConcurrentCopies > 0xFFFF
                || maxConcurrentCopies > 0xFF || descriptorTypes.size() > 0xFF) {
            throw new IllegalArgumentException("copy manager limits out of their fields: " + this);
        }
    }
}
