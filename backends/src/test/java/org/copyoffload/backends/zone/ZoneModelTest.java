package org.copyoffload.backends.zone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.copyoffload.backends.zone.ZoneState.*;

import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ZoneModelTest {
    /** 4 zones of 16 blocks, 12 writable. */
    static final ZoneGeometry G = new ZoneGeometry(4096, 16, 12, 4);

    static ZoneModel model(long maxActive, long maxOpen) {
        return new ZoneModel(G, new ZoneLimits(maxActive, maxOpen));
    }

    static ZoneModel unlimited() {
        return new ZoneModel(G, ZoneLimits.unlimited());
    }

    static long start(int z) {
        return z * 16L;
    }

    static void assertError(ZoneError error, Executable call) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(ZoneException.class,
                e -> assertThat(e.error()).isEqualTo(error));
    }

    static void assertZone(ZoneModel m, int z, ZoneState state, long wp) {
        assertThat(m.zone(z)).isEqualTo(new Zone(z, state, start(z), 12, wp));
    }

    @Nested
    class Types {
        @Test
        void stateCodesAreTheReportZonesCodes() {
            assertThat(List.of(EMPTY, IMPLICITLY_OPENED, EXPLICITLY_OPENED, CLOSED, READ_ONLY, FULL, OFFLINE))
                    .extracting(ZoneState::code).containsExactly(0x1, 0x2, 0x3, 0x4, 0xD, 0xE, 0xF);
            for (ZoneState s : ZoneState.values()) {
                assertThat(ZoneState.fromCode(s.code())).isEqualTo(s);
            }
            assertThatThrownBy(() -> ZoneState.fromCode(5)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void geometryRefusesANonPowerOfTwoZoneSize() {
            assertThatThrownBy(() -> new ZoneGeometry(512, 24, 20, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two")
                    .hasMessageContaining("24");
            assertThatThrownBy(() -> new ZoneGeometry(512, 16, 17, 4)).hasMessageContaining("capacity");
            assertThatThrownBy(() -> new ZoneGeometry(512, 16, 0, 4)).hasMessageContaining("capacity");
            assertThatThrownBy(() -> new ZoneGeometry(500, 16, 8, 4)).hasMessageContaining("block size");
            assertThatThrownBy(() -> new ZoneGeometry(512, 16, 8, 0)).hasMessageContaining("zone count");
        }

        @Test
        void geometryArithmetic() {
            assertThat(G.totalBlocks()).isEqualTo(64);
            assertThat(G.totalBytes()).isEqualTo(64 * 4096);
            assertThat(G.zoneIndex(31)).isEqualTo(1);
            assertThat(G.zoneStart(3)).isEqualTo(48);
            assertThat(G.isZoneStart(32)).isTrue();
            assertThat(G.isZoneStart(33)).isFalse();
        }

        @Test
        void limitsFieldsAreZerosBased() {
            ZoneLimits l = new ZoneLimits(8, 4);
            assertThat(l.mar()).isEqualTo(7);
            assertThat(l.mor()).isEqualTo(3);
            assertThat(ZoneLimits.unlimited().mar()).isEqualTo(0xFFFF_FFFFL);
            assertThat(ZoneLimits.fromFields(7, 3)).isEqualTo(l);
            assertThat(ZoneLimits.fromFields(0xFFFF_FFFFL, 0xFFFF_FFFFL)).isEqualTo(ZoneLimits.unlimited());
            assertThatThrownBy(() -> new ZoneLimits(2, 3)).hasMessageContaining("must not exceed");
        }
    }

    @Nested
    class Writes {
        @Test
        void writeAtTheWritePointerOpensImplicitlyAndAdvances() throws Exception {
            ZoneModel m = unlimited();
            ZoneModel.WriteReservation w = m.reserveWrite(start(1), 4);
            assertThat(w.lba()).isEqualTo(16);
            assertZone(m, 1, IMPLICITLY_OPENED, 20);
            assertThat(w.changes()).singleElement().satisfies(c -> {
                assertThat(c.before().state()).isEqualTo(EMPTY);
                assertThat(c.after()).isEqualTo(m.zone(1));
            });
            assertThat(m.openCount()).isEqualTo(1);
            assertThat(m.activeCount()).isEqualTo(1);
            m.reserveWrite(20, 3);
            assertZone(m, 1, IMPLICITLY_OPENED, 23);
        }

        @Test
        void writeNotAtTheWritePointerIsAnInvalidWrite() throws Exception {
            ZoneModel m = unlimited();
            assertError(ZoneError.ZONE_INVALID_WRITE, () -> m.reserveWrite(1, 1));
            m.reserveWrite(0, 2);
            assertError(ZoneError.ZONE_INVALID_WRITE, () -> m.reserveWrite(0, 1));
            assertError(ZoneError.ZONE_INVALID_WRITE, () -> m.reserveWrite(3, 1));
            assertZone(m, 0, IMPLICITLY_OPENED, 2);
        }

        @Test
        void writeCrossingTheCapacityIsABoundaryError() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 10);
            assertError(ZoneError.ZONE_BOUNDARY_ERROR, () -> m.reserveWrite(10, 3));
            assertError(ZoneError.ZONE_BOUNDARY_ERROR, () -> m.reserveWrite(16, 13));
            assertZone(m, 0, IMPLICITLY_OPENED, 10);
        }

        @Test
        void writeToTheCapacityMakesTheZoneFullAndFreesResources() throws Exception {
            ZoneModel m = model(1, 1);
            m.reserveWrite(0, 12);
            assertZone(m, 0, FULL, 12);
            assertThat(m.openCount()).isZero();
            assertThat(m.activeCount()).isZero();
            assertError(ZoneError.ZONE_IS_FULL, () -> m.reserveWrite(12, 1));
            assertError(ZoneError.ZONE_IS_FULL, () -> m.reserveAppend(0, 1));
            m.reserveWrite(16, 1); // the freed resources serve another zone
        }

        @Test
        void writeToReadOnlyOrOfflineZones() throws Exception {
            ZoneModel m = unlimited();
            m.setReadOnly(2);
            assertError(ZoneError.ZONE_IS_READ_ONLY, () -> m.reserveWrite(start(2), 1));
            assertError(ZoneError.ZONE_IS_READ_ONLY, () -> m.reserveAppend(start(2), 1));
            m.offline(start(2), false);
            assertError(ZoneError.ZONE_IS_OFFLINE, () -> m.reserveWrite(start(2), 1));
            assertError(ZoneError.ZONE_IS_OFFLINE, () -> m.reserveAppend(start(2), 1));
        }

        @Test
        void writeOutOfRange() {
            ZoneModel m = unlimited();
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.reserveWrite(64, 1));
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.reserveWrite(-1, 1));
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.reserveWrite(63, 2));
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.reserveAppend(64, 1));
            assertThatThrownBy(() -> m.reserveWrite(0, 0)).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        void appendReturnsTheLbaWrittenAndNeedsAZoneStart() throws Exception {
            ZoneModel m = unlimited();
            assertThat(m.reserveAppend(start(3), 5).lba()).isEqualTo(48);
            assertThat(m.reserveAppend(start(3), 2).lba()).isEqualTo(53);
            assertZone(m, 3, IMPLICITLY_OPENED, 55);
            assertError(ZoneError.INVALID_FIELD, () -> m.reserveAppend(49, 1));
            assertError(ZoneError.ZONE_BOUNDARY_ERROR, () -> m.reserveAppend(start(3), 6));
            assertThat(m.reserveAppend(start(3), 5).lba()).isEqualTo(55);
            assertZone(m, 3, FULL, 60);
        }

        @Test
        void writeToAClosedZoneReopensItImplicitlyWithoutANewActiveResource() throws Exception {
            ZoneModel m = model(1, 1);
            m.reserveWrite(0, 1);
            m.close(0, false);
            assertZone(m, 0, CLOSED, 1);
            assertThat(m.activeCount()).isEqualTo(1);
            m.reserveWrite(1, 1);
            assertZone(m, 0, IMPLICITLY_OPENED, 2);
            assertThat(m.activeCount()).isEqualTo(1);
            assertThat(m.openCount()).isEqualTo(1);
        }

        @Test
        void tooManyActiveZones() throws Exception {
            ZoneModel m = model(2, 2);
            m.reserveWrite(0, 1);
            m.reserveWrite(16, 1);
            assertError(ZoneError.TOO_MANY_ACTIVE_ZONES, () -> m.reserveWrite(32, 1));
            assertError(ZoneError.TOO_MANY_ACTIVE_ZONES, () -> m.open(32, false));
            assertZone(m, 2, EMPTY, 32);
        }

        @Test
        void fullOpenResourcesCloseTheLeastRecentlyImplicitlyOpenedZone() throws Exception {
            ZoneModel m = model(4, 2);
            m.reserveWrite(start(0), 1);
            m.reserveWrite(start(1), 1);
            m.reserveWrite(start(0) + 1, 1); // writing does not refresh the order: zone 0 was opened first
            ZoneModel.WriteReservation w = m.reserveWrite(start(2), 1);
            assertZone(m, 0, CLOSED, 2);
            assertZone(m, 1, IMPLICITLY_OPENED, 17);
            assertZone(m, 2, IMPLICITLY_OPENED, 33);
            assertThat(w.changes()).extracting(c -> c.after().index()).containsExactly(0, 2);
            assertThat(m.openCount()).isEqualTo(2);
            assertThat(m.activeCount()).isEqualTo(3);
            m.reserveWrite(start(3), 1);
            assertZone(m, 1, CLOSED, 17);
        }

        @Test
        void explicitlyOpenedZonesAreNeverClosedImplicitly() throws Exception {
            ZoneModel m = model(4, 2);
            m.open(start(0), false);
            m.open(start(1), false);
            assertError(ZoneError.TOO_MANY_OPEN_ZONES, () -> m.reserveWrite(start(2), 1));
            assertError(ZoneError.TOO_MANY_OPEN_ZONES, () -> m.open(start(2), false));
            assertZone(m, 2, EMPTY, 32);
            assertThat(m.activeCount()).isEqualTo(2);
        }
    }

    @Nested
    class Open {
        @Test
        void fromEmptyImplicitlyOpenedAndClosed() throws Exception {
            ZoneModel m = unlimited();
            m.open(start(0), false);
            assertZone(m, 0, EXPLICITLY_OPENED, 0);
            m.reserveWrite(start(1), 1);
            m.open(start(1), false);
            assertZone(m, 1, EXPLICITLY_OPENED, 17);
            m.reserveWrite(start(2), 1);
            m.close(start(2), false);
            m.open(start(2), false);
            assertZone(m, 2, EXPLICITLY_OPENED, 33);
            assertThat(m.open(start(2), false)).isEmpty(); // already explicitly opened: no change
            assertThat(m.openCount()).isEqualTo(3);
            assertThat(m.activeCount()).isEqualTo(3);
        }

        @Test
        void writeKeepsAnExplicitlyOpenedZoneExplicit() throws Exception {
            ZoneModel m = unlimited();
            m.open(0, false);
            m.reserveWrite(0, 3);
            assertZone(m, 0, EXPLICITLY_OPENED, 3);
            m.reserveWrite(3, 9);
            assertZone(m, 0, FULL, 12);
            assertThat(m.openCount()).isZero();
        }

        @Test
        void fromFullReadOnlyOfflineIsInvalid() throws Exception {
            ZoneModel m = unlimited();
            m.finish(0, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.open(0, false));
            m.setReadOnly(1);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.open(16, false));
            m.offline(16, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.open(16, false));
        }

        @Test
        void mayCloseAnImplicitlyOpenedZone() throws Exception {
            ZoneModel m = model(4, 1);
            m.reserveWrite(0, 1);
            List<ZoneChange> changes = m.open(16, false);
            assertZone(m, 0, CLOSED, 1);
            assertZone(m, 1, EXPLICITLY_OPENED, 16);
            assertThat(changes).hasSize(2);
        }

        @Test
        void selectAllOpensEveryClosedZoneOrNone() throws Exception {
            ZoneModel m = model(4, 2);
            m.reserveWrite(0, 1);
            m.reserveWrite(16, 1);
            m.reserveWrite(32, 1); // closes zone 0
            m.close(16, false);
            assertZone(m, 0, CLOSED, 1);
            assertZone(m, 1, CLOSED, 17);
            assertError(ZoneError.TOO_MANY_OPEN_ZONES, () -> m.open(0, true)); // 1 open + 2 closed > 2
            assertZone(m, 0, CLOSED, 1);
            m.finish(32, false);
            assertThat(m.open(0, true)).hasSize(2);
            assertZone(m, 0, EXPLICITLY_OPENED, 1);
            assertZone(m, 1, EXPLICITLY_OPENED, 17);
            assertZone(m, 2, FULL, 44);
            assertZone(m, 3, EMPTY, 48);
        }

        @Test
        void actionSlbaMustBeAZoneStartInRange() {
            ZoneModel m = unlimited();
            for (Executable e : List.<Executable>of(() -> m.open(1, false), () -> m.close(17, false),
                    () -> m.finish(2, false), () -> m.reset(63, false), () -> m.offline(5, false))) {
                assertError(ZoneError.INVALID_FIELD, e);
            }
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.open(64, false));
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.reset(-16, false));
        }

        @Test
        void selectAllIgnoresTheSlba() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 1);
            m.close(12345, true);
            assertZone(m, 0, CLOSED, 1);
        }
    }

    @Nested
    class Close {
        @Test
        void withZbcRulesOpenedZonesCloseOrBecomeEmptyWhenNothingWasWritten() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 1);
            m.open(16, false);
            m.reserveWrite(32, 2);
            m.open(32, false);
            m.close(0, false, ZoneCommandSet.ZBC);
            m.close(16, false, ZoneCommandSet.ZBC);
            m.close(32, false, ZoneCommandSet.ZBC);
            assertZone(m, 0, CLOSED, 1);
            assertZone(m, 1, EMPTY, 16);
            assertZone(m, 2, CLOSED, 34);
            assertThat(m.openCount()).isZero();
            assertThat(m.activeCount()).isEqualTo(2);
            assertThat(m.close(0, false)).isEmpty(); // closed: no change
        }

        @Test
        void withZbcRulesEmptyAndFullAreNoChangeAndReadOnlyOfflineTheirOwnErrors() throws Exception {
            ZoneModel m = unlimited();
            assertThat(m.close(0, false, ZoneCommandSet.ZBC)).isEmpty();
            m.finish(16, false);
            assertThat(m.close(16, false, ZoneCommandSet.ZBC)).isEmpty();
            assertThat(m.open(16, false, ZoneCommandSet.ZBC)).isEmpty();
            assertZone(m, 1, FULL, 28);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.open(16, false));
            m.setReadOnly(2);
            for (Executable e : List.<Executable>of(() -> m.close(32, false, ZoneCommandSet.ZBC),
                    () -> m.open(32, false, ZoneCommandSet.ZBC), () -> m.finish(32, false, ZoneCommandSet.ZBC),
                    () -> m.reset(32, false, ZoneCommandSet.ZBC))) {
                assertError(ZoneError.ZONE_IS_READ_ONLY, e);
            }
            m.offline(32, false);
            for (Executable e : List.<Executable>of(() -> m.close(32, false, ZoneCommandSet.ZBC),
                    () -> m.open(32, false, ZoneCommandSet.ZBC), () -> m.finish(32, false, ZoneCommandSet.ZBC),
                    () -> m.reset(32, false, ZoneCommandSet.ZBC))) {
                assertError(ZoneError.ZONE_IS_OFFLINE, e);
            }
            assertZone(m, 2, OFFLINE, 32);
        }

        @Test
        void fromEmptyFullReadOnlyOfflineIsInvalid() throws Exception {
            ZoneModel m = unlimited();
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.close(0, false));
            m.finish(16, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.close(16, false));
            m.setReadOnly(2);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.close(32, false));
            m.offline(32, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.close(32, false));
        }

        @Test
        void selectAllClosesOpenedZonesOnly() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 1);
            m.open(16, false);
            m.finish(32, false);
            List<ZoneChange> changes = m.close(0, true, ZoneCommandSet.ZBC);
            assertThat(changes).extracting(c -> c.after().index()).containsExactly(0, 1);
            assertZone(m, 0, CLOSED, 1);
            assertZone(m, 1, EMPTY, 16);
            assertZone(m, 2, FULL, 44);
            assertZone(m, 3, EMPTY, 48);
        }
    }

    @Nested
    class Finish {
        @Test
        void fromEmptyOpenedClosedToFullAtTheCapacity() throws Exception {
            ZoneModel m = unlimited();
            m.finish(0, false);
            m.reserveWrite(16, 1);
            m.finish(16, false);
            m.open(32, false);
            m.finish(32, false);
            m.reserveWrite(48, 3);
            m.close(48, false);
            m.finish(48, false);
            for (int z = 0; z < 4; z++) {
                assertZone(m, z, FULL, start(z) + 12);
            }
            assertThat(m.openCount()).isZero();
            assertThat(m.activeCount()).isZero();
            assertThat(m.finish(0, false)).isEmpty(); // full: no change
        }

        @Test
        void fromReadOnlyOfflineIsInvalid() throws Exception {
            ZoneModel m = unlimited();
            m.setReadOnly(0);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.finish(0, false));
            m.offline(0, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.finish(0, false));
        }

        @Test
        void selectAllFinishesOpenedAndClosedButNotEmptyZones() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 1);
            m.open(16, false);
            m.reserveWrite(32, 1);
            m.close(32, false);
            m.finish(0, true);
            assertZone(m, 0, FULL, 12);
            assertZone(m, 1, FULL, 28);
            assertZone(m, 2, FULL, 44);
            assertZone(m, 3, EMPTY, 48);
        }
    }

    @Nested
    class Reset {
        @Test
        void toEmptyWithTheRangeToZero() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 5);
            List<ZoneChange> changes = m.reset(0, false);
            assertZone(m, 0, EMPTY, 0);
            assertThat(changes).singleElement().satisfies(c -> {
                assertThat(c.zeroStartLba()).isEqualTo(0);
                assertThat(c.zeroBlocks()).isEqualTo(5);
            });
            assertThat(m.openCount()).isZero();
            assertThat(m.activeCount()).isZero();
            assertThat(m.reset(0, false)).isEmpty(); // empty: no change
        }

        @Test
        void fromEveryResettableState() throws Exception {
            ZoneModel m = unlimited();
            m.open(0, false);
            m.reserveWrite(16, 1);
            m.close(16, false);
            m.finish(32, false);
            m.reserveWrite(48, 1);
            for (int z = 0; z < 4; z++) {
                m.reset(start(z), false);
                assertZone(m, z, EMPTY, start(z));
            }
            assertThat(m.activeCount()).isZero();
        }

        @Test
        void fromReadOnlyOfflineIsInvalid() throws Exception {
            ZoneModel m = unlimited();
            m.setReadOnly(0);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.reset(0, false));
            m.offline(0, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.reset(0, false));
        }

        @Test
        void selectAllSkipsEmptyReadOnlyAndOffline() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 2);
            m.finish(16, false);
            m.setReadOnly(2);
            List<ZoneChange> changes = m.reset(0, true);
            assertThat(changes).extracting(c -> c.after().index()).containsExactly(0, 1);
            assertThat(changes).extracting(ZoneChange::zeroBlocks).containsExactly(2L, 12L);
            assertZone(m, 2, READ_ONLY, 32);
        }
    }

    @Nested
    class Offline {
        @Test
        void onlyFromReadOnly() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(0, 3);
            m.setReadOnly(0);
            assertZone(m, 0, READ_ONLY, 3);
            assertThat(m.openCount()).isZero();
            assertThat(m.activeCount()).isZero();
            m.offline(0, false);
            assertZone(m, 0, OFFLINE, 3);
            assertThat(m.offline(0, false)).isEmpty();
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.offline(16, false));
            m.finish(32, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.offline(32, false));
            m.open(48, false);
            assertError(ZoneError.INVALID_ZONE_STATE_TRANSITION, () -> m.offline(48, false));
        }

        @Test
        void selectAllTakesReadOnlyZones() throws Exception {
            ZoneModel m = unlimited();
            m.setReadOnly(1);
            m.setReadOnly(3);
            assertThat(m.offline(0, true)).hasSize(2);
            assertZone(m, 1, OFFLINE, 16);
            assertZone(m, 3, OFFLINE, 48);
            assertZone(m, 0, EMPTY, 0);
        }

        @Test
        void setReadOnlyOfAnOfflineZoneChangesNothing() throws Exception {
            ZoneModel m = unlimited();
            m.setReadOnly(0);
            m.offline(0, false);
            assertThat(m.setReadOnly(0)).isEmpty();
            assertZone(m, 0, OFFLINE, 0);
        }
    }

    @Nested
    class Report {
        @Test
        void filtersAndCountsFromTheStartLbaZone() throws Exception {
            ZoneModel m = unlimited();
            m.reserveWrite(16, 1);
            m.finish(32, false);
            ZoneReport all = m.report(17, ReportFilter.ALL, false, 10);
            assertThat(all.zones()).extracting(Zone::index).containsExactly(1, 2, 3);
            assertThat(all.numberOfZones()).isEqualTo(3);
            ZoneReport empty = m.report(0, ReportFilter.EMPTY, false, 1);
            assertThat(empty.zones()).extracting(Zone::index).containsExactly(0);
            assertThat(empty.numberOfZones()).isEqualTo(2);
            assertThat(m.report(0, ReportFilter.EMPTY, true, 1).numberOfZones()).isEqualTo(1);
            assertThat(m.report(0, ReportFilter.IMPLICITLY_OPENED, false, 4).zones()).extracting(Zone::index)
                    .containsExactly(1);
            assertThat(m.report(0, ReportFilter.FULL, false, 4).zones()).singleElement()
                    .isEqualTo(new Zone(2, FULL, 32, 12, 44));
            assertThat(m.report(0, ReportFilter.OFFLINE, false, 4).numberOfZones()).isZero();
            assertError(ZoneError.LBA_OUT_OF_RANGE, () -> m.report(64, ReportFilter.ALL, false, 1));
        }

        @Test
        void filterCodes() {
            assertThat(ReportFilter.fromCode(0x5)).isEqualTo(ReportFilter.FULL);
            assertThat(ReportFilter.fromCode(0x7)).isEqualTo(ReportFilter.OFFLINE);
            assertThat(ReportFilter.fromCode(0x8)).isNull();
        }
    }

    @Nested
    class Restore {
        @Test
        void openedZonesComeBackClosedOrEmpty() {
            List<Zone> zones = List.of(new Zone(0, IMPLICITLY_OPENED, 0, 12, 3),
                    new Zone(1, EXPLICITLY_OPENED, 16, 12, 16), new Zone(2, FULL, 32, 12, 44),
                    new Zone(3, READ_ONLY, 48, 12, 50));
            ZoneModel m = ZoneModel.restore(G, ZoneLimits.unlimited(), zones);
            assertZone(m, 0, CLOSED, 3);
            assertZone(m, 1, EMPTY, 16);
            assertZone(m, 2, FULL, 44);
            assertZone(m, 3, READ_ONLY, 50);
            assertThat(m.activeCount()).isEqualTo(1);
            assertThat(m.openCount()).isZero();
        }

        @Test
        void refusesZonesThatDoNotFit() {
            assertThatThrownBy(() -> ZoneModel.restore(G, ZoneLimits.unlimited(), List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            List<Zone> bad = List.of(new Zone(0, CLOSED, 0, 12, 13), new Zone(1, EMPTY, 16, 12, 16),
                    new Zone(2, EMPTY, 32, 12, 32), new Zone(3, EMPTY, 48, 12, 48));
            assertThatThrownBy(() -> ZoneModel.restore(G, ZoneLimits.unlimited(), bad))
                    .hasMessageContaining("zone 0");
        }
    }

    @Nested
    class Completions {
        @Test
        void theCommittedWritePointerAdvancesOverTheCompletedPrefixOnly() throws Exception {
            ZoneModel m = unlimited();
            ZoneModel.WriteReservation a = m.reserveWrite(0, 2);
            ZoneModel.WriteReservation b = m.reserveWrite(2, 3);
            ZoneModel.WriteReservation c = m.reserveAppend(0, 7); // fills the zone
            assertThat(c.lba()).isEqualTo(5);
            assertThat(c.changes()).singleElement().satisfies(ch -> {
                assertThat(ch.after()).isEqualTo(new Zone(0, FULL, 0, 12, 12));
                assertThat(ch.persist()).isEqualTo(new Zone(0, EMPTY, 0, 12, 0));
            });
            assertThat(m.completeWrite(c)).isEmpty();
            assertThat(m.completeWrite(b)).isEmpty();
            assertThat(m.committedWritePointer(0)).isZero();
            assertThat(m.completeWrite(a)).contains(new Zone(0, FULL, 0, 12, 12));
            assertThat(m.committedWritePointer(0)).isEqualTo(12);
        }

        @Test
        void aPartlyCompletedZoneIsPersistedClosed() throws Exception {
            ZoneModel m = unlimited();
            ZoneModel.WriteReservation a = m.reserveWrite(16, 2);
            m.reserveWrite(18, 2);
            assertThat(m.completeWrite(a)).contains(new Zone(1, CLOSED, 16, 12, 18));
            m.setReadOnly(1);
            assertThat(m.zone(1)).isEqualTo(new Zone(1, READ_ONLY, 16, 12, 20));
        }

        @Test
        void completionsBeforeAResetOrFinishAreVoid() throws Exception {
            ZoneModel m = unlimited();
            ZoneModel.WriteReservation a = m.reserveWrite(0, 2);
            m.reset(0, false);
            ZoneModel.WriteReservation b = m.reserveWrite(0, 1);
            assertThat(m.completeWrite(a)).isEmpty();
            assertThat(m.committedWritePointer(0)).isZero();
            assertThat(m.completeWrite(b)).contains(new Zone(0, IMPLICITLY_OPENED, 0, 12, 1));
            ZoneModel.WriteReservation c = m.reserveWrite(1, 1);
            assertThat(m.finish(0, false)).singleElement()
                    .satisfies(ch -> assertThat(ch.persist()).isEqualTo(new Zone(0, FULL, 0, 12, 12)));
            assertThat(m.completeWrite(c)).isEmpty();
            assertThat(m.committedWritePointer(0)).isEqualTo(12);
        }
    }

    @Test
    void nvmeCloseKeepsAnUnwrittenZoneClosedAsQemuDoes() throws Exception {
        ZoneModel m = new ZoneModel(G, ZoneLimits.unlimited());
        m.open(0, false);
        m.close(0, false);
        assertZone(m, 0, CLOSED, 0);
        assertThat(m.activeCount()).isEqualTo(1);
    }

    @Test
    void concurrentAppendsGetDisjointLbas() throws Exception {
        ZoneGeometry g = new ZoneGeometry(512, 1 << 16, 1 << 16, 1);
        ZoneModel m = new ZoneModel(g, ZoneLimits.unlimited());
        int threads = 4;
        int each = 4000;
        java.util.Set<Long> lbas = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                for (int k = 0; k < each; k++) {
                    try {
                        lbas.add(m.reserveAppend(0, 2).lba());
                    } catch (ZoneException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertThat(lbas).hasSize(threads * each);
        assertThat(m.zone(0).writePointer()).isEqualTo(2L * threads * each);
    }

    @Test
    void aReservationIsCommittedOnceEveryWriteBeforeItCompleted() throws Exception {
        ZoneModel m = unlimited();
        var a = m.reserveAppend(start(1), 2);
        var b = m.reserveAppend(start(1), 3);
        assertThat(m.completeWrite(b)).isEmpty();
        assertThat(m.isCommitted(b)).as("b completed, a still in flight").isFalse();
        assertThat(m.completeWrite(a)).isPresent();
        assertThat(m.isCommitted(a)).isTrue();
        assertThat(m.isCommitted(b)).isTrue();
        var c = m.reserveAppend(start(1), 1);
        assertThat(m.isCommitted(c)).isFalse();
        m.reset(start(1), false);
        assertThat(m.isCommitted(c)).as("its zone was reset: nothing left to wait for").isTrue();
    }
}
