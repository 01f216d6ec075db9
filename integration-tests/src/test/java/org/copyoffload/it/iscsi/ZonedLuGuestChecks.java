package org.copyoffload.it.iscsi;

import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.check;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.has;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.hasNot;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.lines;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.matches;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.rc0;
import static org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.rcNot0;

import java.util.HexFormat;
import java.util.List;
import org.copyoffload.it.guest.GuestVm;
import org.copyoffload.it.iscsi.IscsiKernelInitiatorTest.Check;

/**
 * A host-managed zoned disk as the Linux kernel (sd_zbc), util-linux's blkzone and sg3-utils see it: the same steps
 * run against our zoned LU and against Linux's own ZBC emulation, {@code scsi_debug zbc=managed}, with the same
 * geometry (64 MiB of 4 KiB blocks, 16 zones of 1024 blocks, no conventional zone, at most 4 open zones). Every step
 * states what scsi_debug shows on kernels 6.1 and 6.12, so the reference is asserted too: a step that both pass
 * means ours answered as Linux's emulation does.
 *
 * <p>Zone numbers in the snippets: zone {@code n} starts at LBA {@code n * 0x400} (4 KiB blocks); blkzone counts
 * 512-byte sectors, so zone {@code n} is at sector {@code n * 8192}. sg_raw sends WRITE (16) (8Ah) and READ (16)
 * (88h) as built here, so the kernel cannot split or refuse them first (the block layer splits a write that crosses
 * a zone at the zone boundary).
 */
final class ZonedLuGuestChecks {
    /** The geometry, for our volume and for scsi_debug's parameters. */
    static final String OUR_VOLUME = "{name: zoned, size: 64MiB, block-size: 4096, zoned: {zone-size: 4MiB, "
            + "zone-capacity: 4MiB, max-open: 4}}";
    static final String SCSI_DEBUG = "modprobe scsi_debug zbc=managed zone_size_mb=4 zone_nr_conv=0 sector_size=4096 "
            + "dev_size_mb=64 zone_max_open=4";

    private ZonedLuGuestChecks() {
    }

    /**
     * Finds the zoned disk ($Z, its sg node $ZG) and, where there is one, a conventional disk beside it ($C, $CG),
     * into /tmp/zmap; writes 8 blocks of random data to /tmp/blk.
     */
    static Check map() {
        return check("map", """
                for d in /sys/class/scsi_disk/*; do b=$(ls $d/device/block); g=$(ls $d/device/scsi_generic)
                  if [ "$(cat /sys/block/$b/queue/zoned)" = none ]; then echo "C=$b"; echo "CG=$g"; else echo "Z=$b"; echo "ZG=$g"; fi
                done > /tmp/zmap; cat /tmp/zmap; dd if=/dev/urandom of=/tmp/blk bs=4096 count=8 2>/dev/null""",
                rc0(), matches("^Z=sd"), matches("^ZG=sg"));
    }

    /**
     * Steps for our target only (scsi_debug has no copy manager): WRITE USING TOKEN from the conventional LU beside
     * the zoned one ($C) into zone 12, at its write pointer (copied, the pointer moved) and past it (refused, the zone
     * as it was). Run after {@link #checks}, with {@link #withFiles}. EXTENDED COPY into the zoned LU has no step:
     * sg_xcopy and ddpt (sg3-utils 1.46/1.48, ddpt 0.97) build block segments only for peripheral device types 00h
     * and 0Eh and refuse a 14h device ("no matching target descriptor supported") before sending anything.
     */
    static List<Check> copyChecks() {
        String m = ". /tmp/zmap; ";
        return List.of(
                // Token copy into the zone: POPULATE TOKEN of $C's blocks 0-7, WRITE USING TOKEN at zone 12's write
                // pointer (its start, 0x3000), then past it (refused, nothing written).
                check("odx-at-wp", m + "rm -f /tmp/zrrti.bin /tmp/ztok.bin; dd if=/tmp/blk of=/dev/$C bs=4096 count=8 oflag=direct 2>/dev/null; sg_raw -s 32 -i /share/zbc-pt.bin /dev/$CG 83 10 00 00 00 00 00 00 01 21 00 00 00 20 00 00"
                                + " && sg_raw -r 1024 -o /tmp/zrrti.bin /dev/$CG 84 07 00 00 01 21 00 00 00 00 00 00 04 00 00 00"
                                + " && dd if=/tmp/zrrti.bin of=/tmp/ztok.bin bs=1 skip=38 count=512 2>/dev/null"
                                + " && cat /share/zbc-wut-head.bin /tmp/ztok.bin /share/zbc-wut-tail.bin > /tmp/zwut.bin"
                                + " && sg_raw -s 552 -i /tmp/zwut.bin /dev/$ZG 83 11 00 00 00 00 00 00 01 22 00 00 02 28 00 00"
                                + " && dd if=/dev/$Z bs=4096 skip=12288 count=8 iflag=direct 2>/dev/null | cmp - /tmp/blk"
                                + " && echo READBACK-OK; blkzone report -o 98304 -c 1 /dev/$Z",
                        has("READBACK-OK"), matches("wptr 0x000040 .*zcond: 2\\(oi\\)")),
                check("odx-off-wp", m + "cat /share/zbc-wut-head.bin /tmp/ztok.bin /share/zbc-wut-tail-off.bin > /tmp/zwut2.bin;"
                                + " sg_raw -s 552 -i /tmp/zwut2.bin /dev/$ZG 83 11 00 00 00 00 00 00 01 23 00 00 02 28 00 00 2>&1;"
                                + " echo rc=$?; blkzone report -o 98304 -c 1 /dev/$Z",
                        has("Unaligned write command"), hasNot("rc=0"), matches("wptr 0x000040 .*zcond: 2\\(oi\\)")));
    }

    /**
     * The parameter lists of the token copy steps, written byte by byte from SBC-4: POPULATE TOKEN of blocks 0-7
     * (data length 1Eh, default timeout and ROD type, one range descriptor), and the WRITE USING TOKEN list around its
     * token (16-byte header, the 512-byte token, 6 reserved bytes, descriptor length 10h, one range: 8 blocks at
     * 3000h, or at 3100h past the write pointer).
     */
    static GuestVm.Options withFiles(GuestVm.Options options) {
        HexFormat hex = HexFormat.of();
        return options
                .withFile("zbc-pt.bin", hex.parseHex("001E0000000000000000000000000010" + "0000000000000000" + "00000008"
                        + "00000000"))
                .withFile("zbc-wut-head.bin", hex.parseHex("02260000000000000000000000000000"))
                .withFile("zbc-wut-tail.bin", hex.parseHex("0000000000000010" + "0000000000003000" + "00000008" + "00000000"))
                .withFile("zbc-wut-tail-off.bin", hex.parseHex("0000000000000010" + "0000000000003100" + "00000008"
                        + "00000000"));
    }

    /** The ZBC steps, in order, after {@link #map}; they start and end with every zone reset. */
    static List<Check> checks() {
        String m = ". /tmp/zmap; ";
        return List.of(
                check("sysfs", m + "for f in zoned nr_zones chunk_sectors logical_block_size max_open_zones; do "
                                + "echo \"$f=$(cat /sys/block/$Z/queue/$f)\"; done",
                        lines("zoned=host-managed", "nr_zones=16", "chunk_sectors=8192", "logical_block_size=4096",
                                "max_open_zones=4")),
                check("inquiry", m + "sg_inq /dev/$ZG", rc0(), matches("PQual=0\\s+PDT=20\\b"),
                        has("host managed zoned block")),
                // Zoned Block Device Characteristics (ZBC-2 6.5.2); page B6h by number: the abbreviation and the
                // number format differ between sg3-utils 1.46 and 1.48.
                check("vpd-zbdc", m + "sg_vpd --page=0xb6 /dev/$ZG", rc0(), matches("URSWRZ: 1"),
                        matches("Maximum number of open sequential write required zones: (0x)?4$")),
                check("readcap", m + "sg_readcap -l /dev/$ZG", rc0(), has("Logical block length=4096 bytes"),
                        has("Number of logical blocks=16384")),
                check("reset-all", m + "sg_reset_wp --all /dev/$ZG && blkzone report /dev/$Z | grep -c \"zcond: 1(em)\"",
                        rc0(), lines("16")),
                // A write at the write pointer of zone 1 through the block layer: 8 blocks, the zone implicitly open.
                check("write-at-wp", m + "dd if=/tmp/blk of=/dev/$Z bs=4096 seek=1024 count=8 oflag=direct 2>&1 | tail -1;"
                                + " blkzone report -o 8192 -c 1 /dev/$Z",
                        rc0(), matches("start: 0x000002000, len 0x002000, cap 0x002000, wptr 0x000040 .*zcond: 2\\(oi\\)")),
                check("read-back", m + "dd if=/dev/$Z bs=4096 skip=1024 count=8 iflag=direct 2>/dev/null | cmp - /tmp/blk"
                        + " && echo READBACK-OK", rc0(), has("READBACK-OK")),
                check("write-off-wp", m + "sg_raw -s 4096 -i /tmp/blk /dev/$ZG 8a 00 00 00 00 00 00 00 04 64 00 00 00 01 00 00 2>&1",
                        rcNot0(), has("Sense key: Illegal Request"), has("Unaligned write command")),
                // Unrestricted reads (URSWRZ=1): above the write pointer, zeros.
                check("read-unwritten", m + "dd if=/dev/$Z bs=4096 skip=1100 count=1 iflag=direct 2>/dev/null | od -An -tx1 | sort -u",
                        rc0(), lines(" 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00", "*")),
                // Zone 2 filled to 4 blocks short of its end, then 8 blocks from its write pointer: across the zone.
                check("write-across", m + "dd if=/dev/zero of=/dev/$Z bs=4096 seek=2048 count=1020 oflag=direct 2>&1 | tail -1;"
                                + " sg_raw -s 32768 -i /tmp/blk /dev/$ZG 8a 00 00 00 00 00 00 00 0b fc 00 00 00 08 00 00 2>&1;"
                                + " blkzone report -o 16384 -c 1 /dev/$Z",
                        has("Write boundary violation"), matches("wptr 0x001fe0 .*zcond: 2\\(oi\\)")),
                check("read-across", m + "sg_raw -r 32768 /dev/$ZG 88 00 00 00 00 00 00 00 03 fc 00 00 00 08 00 00 2>&1 | head -3",
                        rc0(), has("SCSI Status: Good")),
                check("read-past-end", m + "sg_raw -r 4096 /dev/$ZG 88 00 00 00 00 00 00 00 40 00 00 00 00 01 00 00 2>&1",
                        rcNot0(), has("Logical block address out of range")),
                // ZBC CLOSE ZONE of an open zone with nothing written: Empty (ZBC-2 4.5.3.4.x), not Closed as in NVMe.
                check("open-close", m + "sg_zone --open --zone=0x1000 /dev/$ZG; blkzone report -o 32768 -c 1 /dev/$Z;"
                                + " sg_zone --close --zone=0x1000 /dev/$ZG; blkzone report -o 32768 -c 1 /dev/$Z",
                        rc0(), matches("wptr 0x000000 .*zcond: 3\\(oe\\)[\\s\\S]*wptr 0x000000 .*zcond: 1\\(em\\)")),
                check("close-finish", m + "dd if=/tmp/blk of=/dev/$Z bs=4096 seek=5120 count=1 oflag=direct 2>&1 | tail -1;"
                                + " sg_zone --close --zone=0x1400 /dev/$ZG; blkzone report -o 40960 -c 1 /dev/$Z;"
                                + " sg_zone --finish --zone=0x1400 /dev/$ZG; blkzone report -o 40960 -c 1 /dev/$Z",
                        rc0(), matches("wptr 0x000008 .*zcond: 4\\(cl\\)[\\s\\S]*wptr 0x002000 .*zcond:14\\(fu\\)")),
                // Writes into a Full zone, at its start and at its last block.
                check("write-full", m + "sg_raw -s 4096 -i /tmp/blk /dev/$ZG 8a 00 00 00 00 00 00 00 14 00 00 00 00 01 00 00 2>&1;"
                                + " sg_raw -s 4096 -i /tmp/blk /dev/$ZG 8a 00 00 00 00 00 00 00 17 ff 00 00 00 01 00 00 2>&1",
                        rcNot0(), matches("Invalid field in cdb[\\s\\S]*Invalid field in cdb")),
                // Two zones are implicitly open; four explicit opens close them, the fifth finds no room.
                check("too-many-open", m + "for z in 0x1800 0x1c00 0x2000 0x2400 0x2800; do sg_zone --open --zone=$z /dev/$ZG;"
                                + " echo \"open $z rc=$?\"; done; blkzone report /dev/$Z | grep -c \"zcond: 3(oe)\";"
                                + " blkzone report /dev/$Z | grep -c \"zcond: 2(oi)\"",
                        has("open 0x2400 rc=0"), has("Data protect"), has("open 0x2800 rc=7"), matches("^4\\n0$")),
                check("write-too-many", m + "sg_raw -s 4096 -i /tmp/blk /dev/$ZG 8a 00 00 00 00 00 00 00 30 00 00 00 00 01 00 00 2>&1",
                        rcNot0(), has("Sense key: Data Protect"), has("Insufficient zone resources")),
                check("action-misaligned", m + "sg_zone --open --zone=0x1801 /dev/$ZG; echo rc=$?;"
                                + " sg_reset_wp --zone=0x1801 /dev/$ZG; echo rc=$?",
                        has("Open zone command: Illegal request"), has("Reset write pointer command: Illegal request")),
                check("reset-one", m + "sg_reset_wp --zone=0x400 /dev/$ZG; blkzone reset -o 16384 -c 1 /dev/$Z;"
                                + " blkzone report -o 8192 -c 2 /dev/$Z",
                        rc0(), matches("start: 0x000002000, .*wptr 0x000000 .*zcond: 1\\(em\\).*\\n.*start: 0x000004000, "
                                + ".*wptr 0x000000 .*zcond: 1\\(em\\)")),
                // Reporting options: 01h Empty zones (11 after the above), 03h explicitly opened (4); PARTIAL.
                check("report-options", m + "sg_rep_zones --report=1 /dev/$ZG | grep -c \"Zone start LBA\";"
                                + " sg_rep_zones --report=0x3 /dev/$ZG | grep -c \"Zone start LBA\";"
                                + " sg_rep_zones --partial -m 128 /dev/$ZG | head -3",
                        rc0(), matches("^11\\n4\\n"), has("Maximum LBA: 0x3fff")),
                check("reset-all-end", m + "sg_reset_wp --all /dev/$ZG && blkzone report /dev/$Z | grep -c \"zcond: 1(em)\"",
                        rc0(), lines("16")));
    }
}
