package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** TgtTarget's pieces that need no tgtd (the rest is LibiscsiAgainstTgtTest). */
class TgtTargetTest {

    @Test
    void connectionsFromTgtadmShow() {
        // tgtadm 1.0.85's --mode target --op show, with two sessions (trimmed to what matters).
        String show = """
                Target 1: iqn.2026-01.org.copyoffload:tgt
                    System information:
                        Driver: iscsi
                        State: ready
                    I_T nexus information:
                        I_T nexus: 1
                            Initiator: iqn.2010-11.libiscsi:iscsi-perf alias: none
                            Connection: 0
                                IP Address: 127.0.0.1
                        I_T nexus: 4
                            Initiator: iqn.2026-01.org.copyoffload:libiscsi-1 alias: none
                            Connection: 0
                                IP Address: 127.0.0.1
                            Connection: 1
                                IP Address: 127.0.0.1
                    LUN information:
                        LUN: 0
                            Type: controller
                """;
        assertThat(TgtTarget.connections(show)).containsExactly(new int[] {1, 0}, new int[] {4, 0}, new int[] {4, 1});
        assertThat(TgtTarget.connections("Target 1: x\n    I_T nexus information:\n    LUN information:\n")).isEmpty();
    }

    @Test
    void controlSocketNumbersStayInTgtdsRange() {
        assertThat(TgtTarget.controlFor(3261)).isEqualTo(3261);
        assertThat(TgtTarget.controlFor(32767)).isEqualTo(32767);
        assertThat(TgtTarget.controlFor(32768)).isZero(); // refused by start: 0 is the system tgtd's
        assertThat(TgtTarget.controlFor(45000)).isEqualTo(45000 - 32768);
        assertThat(TgtTarget.controlFor(65535)).isEqualTo(32767);
    }

    @Test
    void lunsStartAtOne() {
        assertThatThrownBy(() -> TgtTarget.Lun.of(0, 1 << 20)).hasMessageContaining("LUN 0");
        assertThatThrownBy(() -> new TgtTarget.Lun(1, 1 << 20, 1000)).hasMessageContaining("block size");
        assertThatThrownBy(() -> TgtTarget.Config.defaults().withLuns(TgtTarget.Lun.of(1, 1), TgtTarget.Lun.of(1, 2)))
                .hasMessageContaining("repeat");
    }
}
