package org.copyoffload.backends.zone;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM records durable write pointer advances and prints each one once {@code record} returned; it is killed
 * with SIGKILL mid-stream. Reopening must succeed and give every zone at least the last advance printed.
 */
class ZoneMetadataKillTest {
    static final ZoneGeometry G = new ZoneGeometry(512, 1 << 20, 1 << 20, 4);

    /** The child: {@code args[0]} the metadata file. */
    public static void main(String[] args) throws Exception {
        try (ZoneMetadataStore s = ZoneMetadataStore.create(Path.of(args[0]), G)) {
            for (long k = 1; ; k++) {
                int z = (int) (k % 4);
                long wp = G.zoneStart(z) + k;
                s.record(new Zone(z, ZoneState.IMPLICITLY_OPENED, G.zoneStart(z), G.zoneCapacity(), wp), true);
                System.out.println(z + " " + wp);
                System.out.flush();
            }
        }
    }

    @Test
    void killMinusNineNeverLosesAnAcknowledgedDurableAdvance(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("killed.zones");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                ZoneMetadataKillTest.class.getName(), file.toString())).redirectErrorStream(true).start();
        long[] acked = new long[4];
        for (int z = 0; z < 4; z++) {
            acked[z] = G.zoneStart(z);
        }
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (int n = 0; n < 300; n++) {
                String line = out.readLine();
                assertThat(line).as("child output line %d", n).isNotNull().matches("\\d \\d+");
                String[] f = line.split(" ");
                acked[Integer.parseInt(f[0])] = Long.parseLong(f[1]);
            }
            child.destroyForcibly(); // SIGKILL
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        try (ZoneMetadataStore s = ZoneMetadataStore.open(file, G)) {
            for (int z = 0; z < 4; z++) {
                Zone got = s.loadedZones().get(z);
                assertThat(got.state()).isEqualTo(ZoneState.CLOSED);
                assertThat(got.writePointer()).as("zone %d", z).isGreaterThanOrEqualTo(acked[z]);
            }
        }
    }
}
