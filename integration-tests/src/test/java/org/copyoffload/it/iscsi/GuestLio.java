package org.copyoffload.it.iscsi;

import java.util.List;
import java.util.Objects;

/**
 * LIO, the Linux kernel's own iSCSI target, set up over configfs inside a QEMU guest (see
 * {@link org.copyoffload.it.guest.GuestVm}): the reference our target is compared with, driven by the same clients in
 * the same boot. It listens on the guest's own {@value #PORTAL}, so only the guest reaches it.
 *
 * <p>Each logical unit is a fileio backstore on the guest's tmpfs ({@code /tmp/lio/NAME.img}, sparse, buffered), so
 * a step can read what the clients wrote in its backing file. What LIO needs that is easy to miss:
 * <ul>
 *   <li>{@code wwn/vpd_unit_serial}, distinct in the first 25 hex digits, or the NAA designators of two LUs are
 *       equal (sg_xcopy then cannot tell them apart);</li>
 *   <li>the folder {@code DBROOT/pr}: LIO writes its persistent-reservation state there on every REGISTER, and
 *       without it answers NOT READY after having registered the key;</li>
 *   <li>{@code attrib/block_size} set after {@code enable} and before the LU is exported.</li>
 * </ul>
 * Thin provisioning ({@code emulate_tpu}, UNMAP by punching holes) is switched on, as ours has it.
 */
final class GuestLio {

    /** Where LIO listens in the guest. */
    static final String PORTAL = "127.0.0.1:3260";

    /**
     * One logical unit.
     *
     * @param name      backstore name, and its file {@code /tmp/lio/NAME.img}
     * @param size      bytes
     * @param blockSize logical block size (512 or 4096)
     */
    record Lun(String name, long size, int blockSize) {
        Lun {
            Objects.requireNonNull(name, "name");
            if (!name.matches("[a-z0-9]+")) {
                throw new IllegalArgumentException("backstore name must be [a-z0-9]+: " + name);
            }
            if (blockSize != 512 && blockSize != 4096) {
                throw new IllegalArgumentException("block size must be 512 or 4096: " + blockSize);
            }
            if (size <= 0 || size % blockSize != 0) {
                throw new IllegalArgumentException("size must be a positive multiple of the block size: " + size);
            }
        }

        /** The backing file in the guest. */
        String file() {
            return "/tmp/lio/" + name + ".img";
        }
    }

    /**
     * A target that admits only the initiators of its access list (none of the guest's), for a refused login.
     *
     * @param iqn     its name
     * @param lun     its single LU
     * @param allowed the one initiator its access list names
     */
    record Locked(String iqn, Lun lun, String allowed) {
    }

    private GuestLio() {
    }

    /**
     * A guest step snippet (for {@code step NAME '...'}; it contains no single quote) that loads LIO and sets up
     * {@code iqn} on {@value #PORTAL} with {@code luns} as LUN 0, 1, ... (any initiator may log in, no CHAP), and
     * {@code locked} beside it when not null. It prints one line per LU with the attributes LIO ended up with.
     */
    static String setup(String iqn, List<Lun> luns, Locked locked) {
        if (luns.isEmpty()) {
            throw new IllegalArgumentException("no LU");
        }
        StringBuilder sb = new StringBuilder("""
                set -e
                modprobe target_core_mod; modprobe target_core_file; modprobe iscsi_target_mod
                T=/sys/kernel/config/target
                mkdir -p /tmp/lio "$(cat $T/dbroot)/pr"
                backstore() {
                  D=$T/core/fileio_0/$1
                  mkdir -p $D
                  echo "fd_dev_name=/tmp/lio/$1.img,fd_dev_size=$2,fd_buffered_io=1" > $D/control
                  echo "$4" > $D/wwn/vpd_unit_serial
                  echo 1 > $D/enable
                  echo $3 > $D/attrib/block_size
                  echo 1 > $D/attrib/emulate_3pc
                  echo 1 > $D/attrib/emulate_tpu 2>/dev/null || echo "$1: emulate_tpu refused"
                  echo "$1: block_size=$(cat $D/attrib/block_size) emulate_3pc=$(cat $D/attrib/emulate_3pc) emulate_tpu=$(cat $D/attrib/emulate_tpu) unmap_zeroes_data=$(cat $D/attrib/unmap_zeroes_data 2>/dev/null)"
                }
                portal() {
                  G=$T/iscsi/$1/tpgt_1
                  mkdir -p $G/np/%s
                  echo 0 > $G/attrib/authentication
                }
                """.formatted(PORTAL));
        int serial = 0;
        for (Lun l : luns) {
            sb.append(backstore(l, ++serial));
        }
        if (locked != null) {
            sb.append(backstore(locked.lun(), ++serial));
        }
        sb.append("portal ").append(iqn).append('\n');
        sb.append("G=$T/iscsi/").append(iqn).append("/tpgt_1\n");
        for (int i = 0; i < luns.size(); i++) {
            sb.append("mkdir $G/lun/lun_").append(i).append(" && ln -s $T/core/fileio_0/").append(luns.get(i).name())
                    .append(" $G/lun/lun_").append(i).append('/').append(luns.get(i).name()).append('\n');
        }
        // Demo mode: every initiator gets an ACL made on login, and may write.
        sb.append("""
                echo 1 > $G/attrib/generate_node_acls; echo 1 > $G/attrib/cache_dynamic_acls
                echo 0 > $G/attrib/demo_mode_write_protect
                echo 1 > $G/enable
                """);
        if (locked != null) {
            sb.append("portal ").append(locked.iqn()).append('\n')
                    .append("G=$T/iscsi/").append(locked.iqn()).append("/tpgt_1\n")
                    .append("mkdir $G/lun/lun_0 && ln -s $T/core/fileio_0/").append(locked.lun().name())
                    .append(" $G/lun/lun_0/").append(locked.lun().name()).append('\n')
                    .append("mkdir -p $G/acls/").append(locked.allowed()).append('\n')
                    .append("echo 1 > $G/enable\n");
        }
        sb.append("echo \"LIO $(cat $T/iscsi/lio_version 2>/dev/null), dbroot $(cat $T/dbroot)\"\n");
        String s = sb.toString();
        if (s.contains("'")) {
            throw new IllegalStateException("a single quote would end the step snippet: " + s);
        }
        return s;
    }

    /** {@code backstore NAME SIZE BLOCK SERIAL}: serials differ in their first hex digit, well inside the first 25. */
    private static String backstore(Lun l, int n) {
        if (n > 15) {
            throw new IllegalArgumentException("at most 15 LUs");
        }
        return "backstore %s %d %d %xc0ffee-0000-4000-8000-%012x%n".formatted(l.name(), l.size(), l.blockSize(), n, n);
    }
}
