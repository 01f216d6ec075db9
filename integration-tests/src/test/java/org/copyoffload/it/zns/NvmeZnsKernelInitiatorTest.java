package org.copyoffload.it.zns;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.copyoffload.it.guest.GuestRun;
import org.copyoffload.it.guest.GuestStep;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.server.CopyoffloadServer;
import org.copyoffload.server.config.ConfigLoader;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Linux kernel sees our zoned namespace as a host-managed zoned block device, once per kernel generation:
 * sysfs geometry, nvme-cli's ZNS commands, writes at and off the write pointer, Zone Append, the zone actions,
 * blkzone where util-linux has it (6.12 guest), and the data in the volume file on this host.
 */
class NvmeZnsKernelInitiatorTest {
    private static final String NQN = "nqn.2026-01.org.copyoffload:zns-it";

    @TempDir
    Path dataDir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(GuestVm.Dist.class)
    void hostManagedZonedDevice(GuestVm.Dist dist) throws Exception {
        GuestVm.ensureAvailable();
        // 8 zones of 4 MiB (1024 blocks of 4 KiB), capacity 3 MiB, at most 2 open / 3 active.
        String yaml = """
                data-dir: %s
                listeners: [{address: 127.0.0.1, port: 0, advertise-address: %s}]
                metrics: {enabled: false}
                volumes:
                  - {name: z, size: 32MiB, block-size: 4096, zoned: {zone-size: 4MiB, zone-capacity: 3MiB, max-active: 3, max-open: 2}}
                subsystems:
                  - nqn: %s
                    namespaces: [{nsid: 1, volume: z}]
                """.formatted(dataDir, GuestVm.HOST_ADDRESS, NQN);
        try (CopyoffloadServer server = CopyoffloadServer.start(ConfigLoader.parse(yaml, "test"))) {
            int port = server.nvmeAddresses().getFirst().getPort();
            String script = """
                    export PORT=%d NQN=%s HOST=%s
                    step connect 'nvme connect -t tcp -a $HOST -s $PORT -n $NQN; sleep 1
                      for b in /sys/block/nvme*n*; do n=${b##*/}; case $n in *c*) continue;; esac; echo "Z=$n"; done | head -1 > /tmp/z; cat /tmp/z'
                    step sysfs '. /tmp/z; cat /sys/block/$Z/queue/zoned /sys/block/$Z/queue/nr_zones /sys/block/$Z/queue/chunk_sectors
                      for p in /sys/block/nvme*c*n*; do echo "path $(cat $p/queue/max_open_zones) $(cat $p/queue/max_active_zones)"; done
                      echo "head $(cat /sys/block/$Z/queue/max_open_zones) $(cat /sys/block/$Z/queue/max_active_zones)"'
                    step zns-id-ctrl '. /tmp/z; nvme zns id-ctrl /dev/$Z'
                    step zns-id-ns '. /tmp/z; nvme zns id-ns /dev/$Z'
                    step report-empty '. /tmp/z; nvme zns report-zones /dev/$Z'
                    step write-at-wp '. /tmp/z; dd if=/dev/urandom of=/share/zone0.bin bs=4096 count=8 2>/dev/null
                      dd if=/share/zone0.bin of=/dev/$Z bs=4096 count=8 oflag=direct 2>&1 | tail -1
                      nvme zns report-zones /dev/$Z -d 1'
                    step write-off-wp '. /tmp/z; dd if=/share/zone0.bin of=/dev/$Z bs=4096 count=1 seek=100 oflag=direct'
                    step zone-append '. /tmp/z; head -c 4096 /share/zone0.bin > /tmp/one; nvme zns zone-append /dev/$Z -s 0 -z 4096 -d /tmp/one'
                    step read-back '. /tmp/z; dd if=/dev/$Z bs=4096 count=8 iflag=direct 2>/dev/null | cmp - /share/zone0.bin && echo READBACK-OK'
                    step open-zone '. /tmp/z; nvme zns open-zone /dev/$Z -s 1024 && nvme zns report-zones /dev/$Z -s 1024 -d 1'
                    step close-zone '. /tmp/z; nvme zns close-zone /dev/$Z -s 0 && nvme zns report-zones /dev/$Z -d 1'
                    step finish-zone '. /tmp/z; nvme zns finish-zone /dev/$Z -s 1024 && nvme zns report-zones /dev/$Z -s 1024 -d 1'
                    step write-full '. /tmp/z; dd if=/share/zone0.bin of=/dev/$Z bs=4096 count=1 seek=1024 oflag=direct'
                    step reset-zone '. /tmp/z; nvme zns reset-zone /dev/$Z -s 1024 && nvme zns report-zones /dev/$Z -s 1024 -d 1'
                    step not-zone-start '. /tmp/z; nvme zns open-zone /dev/$Z -s 5'
                    step blkzone '. /tmp/z; if command -v blkzone >/dev/null; then blkzone report /dev/$Z; else echo NO-BLKZONE; fi'
                    step disconnect 'nvme disconnect -n $NQN'
                    """.formatted(port, NQN, GuestVm.HOST_ADDRESS);
            GuestRun run = GuestVm.run(dist, script, Duration.ofMinutes(5)).requireDone();
            String log = run.describe();

            run.ok("connect");
            // host-managed, 8 zones, zone size 4 MiB = 8192 sectors, the limits as configured on the path device.
            // (Kernel 6.1's multipath head device shows 0 0 for the limits; 6.12 passes them up to the head.)
            GuestStep sysfs = run.ok("sysfs");
            assertThat(sysfs.lines()).as(log).startsWith("host-managed", "8", "8192").contains("path 2 3");
            if (dist == GuestVm.Dist.TRIXIE) {
                assertThat(sysfs.lines()).as(log).contains("head 2 3");
            }
            run.ok("zns-id-ctrl");
            assertThat(run.ok("zns-id-ns").output()).as(log).containsPattern("mar\\s+: 0x2").containsPattern("mor\\s+: 0x1");
            assertThat(run.ok("report-empty").output()).as(log).contains("nr_zones: 8").contains("Cap: 0x300");
            // Zone 0 implicitly opened (ZS 2h: State 0x20) with its write pointer after 8 blocks.
            assertThat(run.ok("write-at-wp").output()).as(log).containsPattern("WP: 0x8\\s+Cap: 0x300\\s+State: 0x20");
            assertThat(run.step("write-off-wp").rc()).as(log).isNotZero();
            assertThat(run.ok("zone-append").output()).as(log).contains("appended data to LBA 8");
            assertThat(run.ok("read-back").output()).as(log).contains("READBACK-OK");
            assertThat(run.ok("open-zone").output()).as(log).containsPattern("State: 0x30");   // explicitly opened
            assertThat(run.ok("close-zone").output()).as(log).containsPattern("State: 0x40");  // closed
            assertThat(run.ok("finish-zone").output()).as(log).containsPattern("State: 0xe0"); // full
            assertThat(run.step("write-full").rc()).as(log).isNotZero();
            assertThat(run.ok("reset-zone").output()).as(log).containsPattern("WP: 0x400\\s+Cap: 0x300\\s+State: 0x10");
            assertThat(run.step("not-zone-start").rc()).as(log).isNotZero();
            GuestStep blkzone = run.ok("blkzone");
            if (!blkzone.contains("NO-BLKZONE")) {
                assertThat(blkzone.output()).as(log).contains("start: 0x000000000, len 0x002000, cap 0x001800, wptr 0x000048");
            }
            run.ok("disconnect");

            // The 8 blocks written with dd and the appended one are in the volume file.
            byte[] written = Files.readAllBytes(run.share().resolve("zone0.bin"));
            try (FileChannel ch = FileChannel.open(dataDir.resolve("z.img"))) {
                ByteBuffer b = ByteBuffer.allocate(9 * 4096);
                ch.read(b, 0);
                assertThat(java.util.Arrays.copyOfRange(b.array(), 0, 8 * 4096)).as(log).isEqualTo(written);
                assertThat(java.util.Arrays.copyOfRange(b.array(), 8 * 4096, 9 * 4096))
                        .as(log).isEqualTo(java.util.Arrays.copyOf(written, 4096));
            }
        }
    }
}
