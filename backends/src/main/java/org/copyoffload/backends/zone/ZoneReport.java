package org.copyoffload.backends.zone;

import java.util.List;

/**
 * The result of Report Zones: {@code numberOfZones} is the Number of Zones field (all matching zones from the start
 * LBA on, or only those returned when Partial Report is set), {@code zones} those that fit.
 */
public record ZoneReport(long numberOfZones, List<Zone> zones) {
    public ZoneReport {
        zones = List.copyOf(zones);
    }
}
