package org.copyoffload.it.zns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.copyoffload.bench.ZoneCrashCampaign;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The target as a separate process, killed with SIGKILL at random moments while the Java host writes and appends
 * with FUA to a zoned namespace and resets zones; after every restart each acknowledged write, every block below
 * each write pointer and the zone states are checked ({@link ZoneCrashCampaign}). {@code -Dcopyoffload.crashKills=N}
 * sets the number of kills (default 20); {@code copyoffload bench --only zns} runs a longer campaign.
 */
class ZoneCrashTest {
    @TempDir
    Path dir;

    @Test
    void acknowledgedZoneWritesSurviveSigkill() throws Exception {
        int kills = Integer.getInteger("copyoffload.crashKills", 20);
        long seed = Long.getLong("copyoffload.crashSeed", System.nanoTime());
        System.out.println("zone crash test: " + kills + " kills, seed " + seed + " (-Dcopyoffload.crashSeed to repeat)");
        ZoneCrashCampaign.Result r = new ZoneCrashCampaign(dir, kills, seed, System.out).run();
        System.out.printf("zone crash test: %d kills survived (%d of them during start-up), %d FUA writes and %d FUA"
                        + " appends acknowledged and found intact, %d resets acknowledged, %d unacknowledged resets that"
                        + " took effect, %d blocks read back, %.1f s%n", r.kills() + r.startupKills(), r.startupKills(),
                r.writesChecked(), r.appendsChecked(), r.resetsAcknowledged(), r.unacknowledgedResetsApplied(),
                r.blocksChecked(), r.seconds());
        assertThat(r.writesChecked()).as("acknowledged writes checked").isPositive();
        assertThat(r.appendsChecked()).as("acknowledged appends checked").isPositive();
        assertThat(r.blocksChecked()).isGreaterThanOrEqualTo(r.writesChecked() + r.appendsChecked());
    }
}
