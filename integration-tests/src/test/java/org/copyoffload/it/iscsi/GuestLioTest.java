package org.copyoffload.it.iscsi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The configfs script for LIO in the guest (run for real by IscsiKernelInitiatorTest and LibiscsiInGuestTest). */
class GuestLioTest {

    @Test
    void theScriptExportsEachLuInOrderWithDistinctSerialsAndFitsInASingleQuotedStep() {
        String s = GuestLio.setup("iqn.2003-01.org.linux-iscsi.x:t", List.of(new GuestLio.Lun("big", 1L << 20, 4096),
                new GuestLio.Lun("small", 1L << 20, 512)), new GuestLio.Locked("iqn.2003-01.org.linux-iscsi.x:l",
                new GuestLio.Lun("other", 1L << 20, 512), "iqn.2026-01.org.copyoffload:someone-else"));

        assertThat(s).doesNotContain("'")
                .contains("backstore big 1048576 4096 1c0ffee-0000-4000-8000-000000000001")
                .contains("backstore small 1048576 512 2c0ffee-0000-4000-8000-000000000002")
                .contains("backstore other 1048576 512 3c0ffee-0000-4000-8000-000000000003")
                .contains("lun_0/big").contains("lun_1/small")
                .contains("mkdir -p $G/acls/iqn.2026-01.org.copyoffload:someone-else")
                .contains("$(cat $T/dbroot)/pr")
                .contains("np/" + GuestLio.PORTAL);
        assertThat(s.indexOf("lun_0/big")).isLessThan(s.indexOf("lun_1/small"));
    }

    @Test
    void refusesWhatLioOrTheScriptCannotTake() {
        assertThatThrownBy(() -> new GuestLio.Lun("big", 1L << 20, 1024)).hasMessageContaining("block size");
        assertThatThrownBy(() -> new GuestLio.Lun("big", 1000, 512)).hasMessageContaining("multiple");
        assertThatThrownBy(() -> new GuestLio.Lun("Big-1", 1L << 20, 512)).hasMessageContaining("[a-z0-9]+");
        assertThatThrownBy(() -> GuestLio.setup("iqn.x:t", List.of(), null)).hasMessageContaining("no LU");
        assertThatThrownBy(() -> GuestLio.setup("iqn.x:it's", List.of(new GuestLio.Lun("a", 512, 512)), null))
                .hasMessageContaining("single quote");
    }
}
