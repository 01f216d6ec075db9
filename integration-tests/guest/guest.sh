#!/bin/bash
# guest.sh - copyoffload's harness for real Linux initiators: boots a small QEMU guest running a stock
# Debian kernel with Debian's nvme-cli, open-iscsi, sg3-utils and ddpt, runs a command script in it and
# hands the results back. The guest reaches the host's 127.0.0.1 as 10.0.2.2 and nothing else.
#
#   guest.sh deps           apt-get install the host packages this needs (skipped when all present), with
#                           libiscsi-bin and tgt for the host-side iSCSI suites
#   guest.sh build          build (or reuse) the guest for $GUEST_DIST in $GUEST_WORK
#   guest.sh run CMDS.sh    boot the guest, run CMDS.sh inside, power off; prints the run folder
#   guest.sh qemu-root      put Debian 13's QEMU 10.0 in $QEMU_ROOT (debootstrap, once)
#   guest.sh clean          remove $GUEST_WORK
#
# Environment:
#   GUEST_DIST=bookworm     Debian 12, kernel 6.1: initramfs from this host's own binaries + busybox-static
#             =trixie       Debian 13, kernel 6.12: rootfs by debootstrap from Debian's packages
#   GUEST_WORK              cache folder (default /var/tmp/copyoffload-guest/$GUEST_DIST)
#   GUEST_SHARE             run folder = the 9p share (default: a fresh mktemp -d). After `run` it holds
#                           cmds.sh, out.log (the script's output), serial.log (console), qemu.log
#   GUEST_TIMEOUT=300       seconds for the whole QEMU run (it is killed after that)
#   STEP_TIMEOUT=60         default per-step watchdog inside the guest
#   QEMU_EXTRA="..."        extra QEMU arguments, word-split (no spaces inside paths), e.g. QEMU's own NVMe:
#                           -drive file=c.img,if=none,id=c,format=raw -device nvme,serial=ref,id=n0
#                           -device nvme-ns,drive=c,bus=n0,nsid=1
#   NO9P=1                  no 9p share: the script goes in by fw_cfg, results come back on serial.log only
#   QEMU_ROOT=DIR           run the QEMU found in DIR (made by `guest.sh qemu-root`) through its own loader
#                           (it warns that the host's ui-opengl.so is from another build: harmless)
#   KPKG_NAME               force a kernel package (default: what linux-image-amd64 depends on)
#
# Inside the guest, CMDS.sh is sourced by /bin/sh with this helper defined:
#   step NAME 'snippet'     runs snippet with `sh -c` in its own session/process group; a watchdog kills the
#                           whole group after $STEP_TIMEOUT s. Prints "@@STEP-BEGIN NAME", the snippet's
#                           stdout+stderr, "@@STEP-TIMEOUT NAME" if killed, then "@@STEP-END NAME rc=N".
#                           Only exported variables are visible to the snippet.
# The guest has /etc/nvme/hostnqn, hostid and /etc/iscsi/initiatorname.iscsi fixed, no udev (find devices
# through /sys/class/nvme, /sys/class/scsi_generic), no default route, iscsid not started (start it in a step).
#
# Why TCG: /dev/kvm on these machines is a nested paravirtual hypervisor on which stock kernels hang.
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
GUEST_DIST=${GUEST_DIST:-bookworm}
case "$GUEST_DIST" in
    bookworm|trixie) ;;
    *) echo "guest.sh: GUEST_DIST must be bookworm or trixie, not '$GUEST_DIST'" >&2; exit 2 ;;
esac
W=${GUEST_WORK:-/var/tmp/copyoffload-guest/$GUEST_DIST}
ROOT=$W/rootfs
GUEST_TIMEOUT=${GUEST_TIMEOUT:-300}
KPKG_NAME=${KPKG_NAME:-}

# Packages debootstrap puts in the trixie rootfs (part of the cache key of its tarball).
TRIXIE_PKGS=nvme-cli,open-iscsi,sg3-utils,ddpt,ktls-utils,libiscsi-bin,kmod,iproute2,busybox,util-linux,keyutils,e2fsprogs,f2fs-tools,bash,procps
# Kernel modules copied into the guest (with their dependencies); the first group is loaded at boot.
BOOT_MODS="virtio_pci virtio_net 9pnet_virtio 9p configfs qemu_fw_cfg sd_mod sg iscsi_tcp nvme_tcp"
MORE_MODS="nvme nvmet nvmet_tcp null_blk loop crc32c_intel crc32c_generic crc64_rocksoft_generic
           target_core_mod target_core_file target_core_iblock iscsi_target_mod
           tls gcm ghash_generic ghash_clmulni_intel aesni_intel nvme_keyring nvme_auth f2fs scsi_debug"
HOSTNQN=nqn.2014-08.org.nvmexpress:uuid:00000000-0000-0000-0000-00000000beef
HOSTID=00000000-0000-0000-0000-00000000beef
INITIATOR=iqn.2026-01.org.copyoffload:guest

log() { echo "[guest.sh $GUEST_DIST $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------- deps
# libiscsi-bin (iscsi-test-cu, iscsi-perf) and tgt (tgtd) run on the host itself, for the iSCSI suites.
HOST_PKGS="qemu-system-x86 busybox-static nvme-cli open-iscsi sg3-utils ddpt cpio kmod debootstrap
           debian-archive-keyring gzip coreutils util-linux bash libiscsi-bin tgt tshark"

cmd_deps() {
    local missing=() p
    for p in $HOST_PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then log "deps: all present"; return 0; fi
    [ "$(id -u)" = 0 ] || die "deps: need root to install: ${missing[*]}"
    log "deps: installing ${missing[*]}"
    # Wait for a colleague's apt run instead of failing on the lock.
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q update >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q install -y --no-install-recommends \
        "${missing[@]}" >&2
}

# --------------------------------------------------------------------------------------------- build
# The Debian mirror this host's apt already uses.
debian_mirror() {
    local m
    m=$({ awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null
          awk '/^deb / && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null; } | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

# apt-get / apt-cache against trixie's package lists, kept in $W/apt apart from the host's.
guest_apt() {
    local tool=$1; shift
    "$tool" -o Dir::Etc::sourcelist="$W/apt/sources.list" -o Dir::Etc::sourceparts=/dev/null \
            -o Dir::State::Lists="$W/apt/lists" -o Dir::Cache::archives="$W/apt/archives" "$@"
}

kernel_pkg() {
    if [ -n "$KPKG_NAME" ]; then echo "$KPKG_NAME"; return; fi
    local kp
    if [ "$GUEST_DIST" = bookworm ]; then
        kp=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
        if [ -z "$kp" ]; then
            apt-get -o DPkg::Lock::Timeout=600 -q update >&2
            kp=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
        fi
    else
        kp=$(guest_apt apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    fi
    [ -n "$kp" ] || die "cannot find the kernel package for $GUEST_DIST"
    echo "$kp"
}

# Copy a binary and the shared libraries it needs into $ROOT (like initramfs-tools' copy_exec).
copy_exec() {
    local f=$1 lib
    mkdir -p "$ROOT$(dirname "$f")"
    cp -L "$f" "$ROOT$f"
    for lib in $(ldd "$f" 2>/dev/null | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\/.*ld-linux/ {print $1}'); do
        [ -e "$ROOT$lib" ] && continue
        mkdir -p "$ROOT$(dirname "$lib")"
        cp -L "$lib" "$ROOT$lib"
    done
}

# Debian 12: this host's own binaries (it is Debian 12) with busybox-static as shell and small tools.
rootfs_bookworm() {
    [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 || die "busybox-static missing (guest.sh deps)"
    ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static: install busybox-static"
    mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,var,share,root}
    ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"
    ln -s usr/lib "$ROOT/lib"; ln -s usr/lib64 "$ROOT/lib64"
    ln -s ../run "$ROOT/var/run"; ln -s ../run/lock "$ROOT/var/lock"
    cp /bin/busybox "$ROOT/usr/bin/busybox"
    local b
    for b in /usr/sbin/nvme /usr/sbin/iscsiadm /usr/sbin/iscsid /usr/sbin/iscsi-iname \
             /usr/bin/ddpt /usr/bin/kmod /usr/bin/dd /usr/bin/md5sum /usr/bin/sha256sum /usr/bin/cmp \
             /usr/bin/bash /usr/sbin/blkzone /usr/bin/sg_*; do
        [ -e "$b" ] && copy_exec "$b"
    done
    for b in modprobe insmod lsmod rmmod depmod modinfo; do ln -sf /usr/bin/kmod "$ROOT/usr/sbin/$b"; done
    local a
    for a in $(/bin/busybox --list-full); do
        [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /usr/bin/busybox "$ROOT/$a"
    done
    echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
    echo "root:x:0:" > "$ROOT/etc/group"
    mkdir -p "$ROOT/etc/iscsi"
    cp /etc/iscsi/iscsid.conf "$ROOT/etc/iscsi/" 2>/dev/null || die "no /etc/iscsi/iscsid.conf (guest.sh deps)"
}

# Debian 13: debootstrap, cached as a tarball keyed by the package list.
rootfs_trixie() {
    local key tarball
    key=$(echo "$TRIXIE_PKGS" | sha256sum | cut -c1-12)
    tarball=$W/base-$key.tar.gz
    if [ ! -f "$tarball" ]; then
        log "debootstrap $GUEST_DIST (about a minute)"
        rm -rf "$W/base"
        debootstrap --variant=minbase --include="$TRIXIE_PKGS" "$GUEST_DIST" "$W/base" "$(debian_mirror)" \
            >"$W/debootstrap.log" 2>&1 || { tail -20 "$W/debootstrap.log" >&2; die "debootstrap failed"; }
        rm -rf "$W"/base/usr/share/{doc,man,info,locale} "$W"/base/var/cache/apt/archives/*.deb \
               "$W"/base/var/lib/apt/lists/*
        tar -C "$W/base" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball" && rm -rf "$W/base"
        find "$W" -maxdepth 1 -name 'base-*.tar.gz' ! -name "base-$key.tar.gz" -delete
    fi
    mkdir -p "$ROOT"; tar -C "$ROOT" -xzf "$tarball"
    mkdir -p "$ROOT"/{share,root,run,tmp}
    # busybox applets for whatever the base lacks (poweroff, nc, cttyhack, ...)
    local a
    for a in $(chroot "$ROOT" /usr/bin/busybox --list-full); do
        [ -e "$ROOT/$a" ] || [ -L "$ROOT/$a" ] || ln -s /usr/bin/busybox "$ROOT/$a"
    done
}

# Everything that makes a build different: the script itself, the dist, a forced kernel.
build_key() { { sha256sum "$SELF" | cut -d' ' -f1; echo "$GUEST_DIST ${KPKG_NAME:-}"; } | sha256sum | cut -d' ' -f1; }

is_built() {
    [ -f "$W/build.stamp" ] && [ -f "$W/vmlinuz" ] && [ -f "$W/initrd.img" ] \
        && [ "$(cat "$W/build.stamp")" = "$(build_key)" ]
}

cmd_build() {
    mkdir -p "$W"
    # One builder per work folder; a second caller waits and then finds the build done.
    exec 9>"$W/.build.lock"
    flock 9
    if is_built; then log "build: cached in $W"; exec 9>&-; return 0; fi
    local t0=$SECONDS
    mkdir -p "$W/debs"
    if [ "$GUEST_DIST" != bookworm ]; then
        mkdir -p "$W/apt/lists/partial" "$W/apt/archives/partial"
        echo "deb $(debian_mirror) $GUEST_DIST main" > "$W/apt/sources.list"
        ls "$W/apt/lists" | grep -q Packages || guest_apt apt-get -q update >&2
    fi
    local kp KV
    kp=$(kernel_pkg); KV=${kp#linux-image-}
    log "build: kernel package $kp"
    if ! ls "$W"/debs/"${kp}"_*.deb >/dev/null 2>&1; then
        if [ "$GUEST_DIST" = bookworm ]; then (cd "$W/debs" && apt-get -o APT::Sandbox::User=root -q download "$kp" >&2)
        else (cd "$W/debs" && guest_apt apt-get -o APT::Sandbox::User=root -q download "$kp" >&2); fi
    fi
    rm -rf "$W/kpkg" "$ROOT"
    dpkg -x "$(ls "$W"/debs/"${kp}"_*.deb | head -n 1)" "$W/kpkg"
    # merged-/usr kernels (Debian 13) keep their modules in /usr/lib/modules
    [ -d "$W/kpkg/lib/modules" ] || ln -s usr/lib "$W/kpkg/lib"
    depmod -b "$W/kpkg" "$KV"

    if [ "$GUEST_DIST" = bookworm ]; then rootfs_bookworm; else rootfs_trixie; fi

    local m p rel
    for m in $BOOT_MODS $MORE_MODS; do
        { modprobe -d "$W/kpkg" -S "$KV" --show-depends "$m" 2>/dev/null || true; } | awk '$1=="insmod" {print $2}'
    done | sort -u | while read -r p; do
        rel=${p#"$W/kpkg"}
        mkdir -p "$ROOT$(dirname "$rel")"; cp "$p" "$ROOT$rel"
    done
    # $ROOT/lib is a symlink to usr/lib in both layouts, so this lands next to the copied modules.
    mkdir -p "$ROOT/lib/modules/$KV"
    cp "$W"/kpkg/lib/modules/"$KV"/modules.{builtin,builtin.modinfo,order} "$ROOT/lib/modules/$KV/"
    depmod -b "$ROOT" "$KV"

    # Fixed identities, so access lists on the target side are deterministic.
    mkdir -p "$ROOT/etc/iscsi" "$ROOT/etc/nvme"
    echo "InitiatorName=$INITIATOR" > "$ROOT/etc/iscsi/initiatorname.iscsi"
    echo "$HOSTNQN" > "$ROOT/etc/nvme/hostnqn"
    echo "$HOSTID" > "$ROOT/etc/nvme/hostid"
    rm -f "$ROOT/etc/resolv.conf"; : > "$ROOT/etc/resolv.conf"   # no DNS in the guest, on purpose
    echo copyoffload-guest > "$ROOT/etc/hostname"

    write_guest_lib > "$ROOT/etc/copyoffload-lib.sh"
    write_guest_init > "$ROOT/init"
    chmod +x "$ROOT/init"

    # Write next to the final names and rename, so a run starting meanwhile sees old or new, never half.
    cp "$W/kpkg/boot/vmlinuz-$KV" "$W/vmlinuz.tmp" && mv "$W/vmlinuz.tmp" "$W/vmlinuz"
    (cd "$ROOT" && find . | cpio -o -H newc --quiet | gzip -1 > "$W/initrd.img.tmp") && mv "$W/initrd.img.tmp" "$W/initrd.img"
    echo "$kp" > "$W/kernel.txt"
    rm -rf "$W/kpkg" "$ROOT"
    build_key > "$W/build.stamp"
    log "build: done in $(( SECONDS - t0 ))s; initrd $(du -h "$W/initrd.img" | cut -f1)"
    exec 9>&-
}

# The `step` helper sourced before the command script.
write_guest_lib() {
    cat <<'EOF'
# step NAME 'snippet': the snippet runs in its own session (so its process group can be killed as a whole:
# an orphaned iscsiadm once held the output pipe for 100 s); a watchdog kills the group after
# $STEP_TIMEOUT seconds. The watchdog writes only to /dev/null and a flag file, so a leftover `sleep`
# never holds the output pipe open.
step() {
    _n=$1; shift
    echo "@@STEP-BEGIN $_n t=$(cut -d' ' -f1 /proc/uptime)"
    setsid sh -c "$*" 2>&1 &
    _pid=$!
    rm -f "/tmp/.step-timeout.$_pid"
    ( sleep "${STEP_TIMEOUT:-60}"; : > "/tmp/.step-timeout.$_pid"; kill -KILL -"$_pid" ) >/dev/null 2>&1 &
    _wd=$!
    wait "$_pid"; _rc=$?
    kill "$_wd" 2>/dev/null; wait "$_wd" 2>/dev/null
    if [ -e "/tmp/.step-timeout.$_pid" ]; then
        echo "@@STEP-TIMEOUT $_n after ${STEP_TIMEOUT:-60}s"; rm -f "/tmp/.step-timeout.$_pid"
    fi
    echo "@@STEP-END $_n rc=$_rc t=$(cut -d' ' -f1 /proc/uptime)"
    return 0
}
EOF
}

# Guest /init: mounts, modules, static network without default route, then the command script.
write_guest_init() {
    cat <<EOF
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
BOOT_MODS="$BOOT_MODS"
EOF
    cat <<'EOF'
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/lock/iscsi /dev/pts
mount -t devpts devpts /dev/pts 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo "@@GUEST-INIT uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
for m in $BOOT_MODS; do modprobe "$m" || echo "@@WARN modprobe $m failed"; done
mount -t configfs configfs /sys/kernel/config
hostname copyoffload-guest
ip link set lo up
ip link set eth0 up
# Static address and NO default route: the guest reaches only 10.0.2.0/24, where QEMU's user
# networking maps 10.0.2.2 to the host's 127.0.0.1.
ip addr add 10.0.2.15/24 dev eth0
echo "@@GUEST-NET $(ip -4 addr show eth0 | awk '/inet /{print $2}') routes: $(ip route | tr '\n' ';')"
CMDS=
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 copyoffload /share 2>/dev/null; then
    [ -f /share/cmds.sh ] && CMDS=/share/cmds.sh
fi
FW=/sys/firmware/qemu_fw_cfg/by_name/opt/copyoffload/cmds/raw
if [ -z "$CMDS" ] && [ -r "$FW" ]; then cat "$FW" > /tmp/cmds.sh; CMDS=/tmp/cmds.sh; fi
echo "@@GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime) cmds=${CMDS:-none}"
if [ -n "$CMDS" ]; then
    OUT=/dev/null; grep -q " /share " /proc/mounts && OUT=/share/out.log
    ( cd /root; . /etc/copyoffload-lib.sh; . "$CMDS" ) 2>&1 | tee "$OUT"
    echo "@@GUEST-DONE uptime=$(cut -d' ' -f1 /proc/uptime)" | tee -a "$OUT"
    sync
    grep -q " /share " /proc/mounts && umount /share
    poweroff -f
else
    echo "no command script; dropping to a shell"
    exec setsid cttyhack sh
fi
EOF
}

# ----------------------------------------------------------------------------------------------- run
cmd_run() {
    local cmds=${1:-}
    [ -n "$cmds" ] && [ -f "$cmds" ] || die "usage: guest.sh run CMDS.sh"
    is_built || cmd_build
    local share=${GUEST_SHARE:-}
    if [ -z "$share" ]; then share=$(mktemp -d "${TMPDIR:-/tmp}/copyoffload-guest-$GUEST_DIST.XXXXXX")
    else mkdir -p "$share"; rm -f "$share"/{cmds.sh,out.log,serial.log,qemu.log}; fi
    share=$(readlink -f "$share")
    log "run: share $share"
    # The per-step default travels with the script, so 9p and fw_cfg deliver the same thing.
    { echo "export STEP_TIMEOUT=${STEP_TIMEOUT:-60}"; cat "$cmds"; } > "$share/cmds.sh"
    : > "$share/serial.log"

    local qemu=(qemu-system-x86_64)
    if [ -n "${QEMU_ROOT:-}" ]; then
        [ -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ] || cmd_qemu_root
        export QEMU_MODULE_DIR=$QEMU_ROOT/usr/lib/x86_64-linux-gnu/qemu
        qemu=("$QEMU_ROOT/usr/lib64/ld-linux-x86-64.so.2" --library-path "$QEMU_ROOT/usr/lib/x86_64-linux-gnu"
              "$QEMU_ROOT/usr/bin/qemu-system-x86_64" -L "$QEMU_ROOT/usr/share/seabios" -L "$QEMU_ROOT/usr/share/qemu")
    fi
    command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} not found (guest.sh deps)"

    local t0=$EPOCHREALTIME ready=
    # Host-side clock for "guest ready", watched from the serial log.
    ( while sleep 0.1; do grep -qa '@@GUEST-READY' "$share/serial.log" && { echo "$EPOCHREALTIME" > "$share/.ready"; break; }; done ) &
    local watcher=$!
    local p9=(-fsdev "local,id=fs0,path=$share,security_model=none" -device virtio-9p-pci,fsdev=fs0,mount_tag=copyoffload)
    [ "${NO9P:-0}" = 1 ] && p9=()
    local rc=0
    # shellcheck disable=SC2086  # QEMU_EXTRA is meant to be word-split
    timeout --kill-after=10 "$GUEST_TIMEOUT" "${qemu[@]}" \
        -accel tcg,thread=multi -cpu max -smp "${GUEST_SMP:-2}" -m "${GUEST_MEM:-1G}" \
        -display none -no-reboot -monitor none -serial "file:$share/serial.log" \
        -kernel "$W/vmlinuz" -initrd "$W/initrd.img" -append "console=ttyS0 panic=-1 quiet" \
        -netdev user,id=n0,ipv6=off -device virtio-net-pci,netdev=n0,romfile= \
        "${p9[@]}" \
        -fw_cfg name=opt/copyoffload/cmds,file="$share/cmds.sh" \
        ${QEMU_EXTRA:-} \
        > "$share/qemu.log" 2>&1 || rc=$?
    local t1=$EPOCHREALTIME
    kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true
    [ -f "$share/.ready" ] && ready=$(awk -v a="$(cat "$share/.ready")" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    rm -f "$share/.ready"
    [ "$rc" = 0 ] || log "run: qemu exit status $rc$([ "$rc" = 124 ] && echo " (GUEST_TIMEOUT=${GUEST_TIMEOUT}s)")"
    grep -a '' "$share/qemu.log" | head -5 >&2 || true
    log "run: ready after ${ready:-?}s, QEMU ran $(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')s"
    grep -a '@@' "$share/serial.log" | grep -aE 'GUEST-(READY|DONE)|STEP-END|STEP-TIMEOUT|WARN' | tr -d '\r' >&2 || true
    echo "$share"
    grep -qa '@@GUEST-DONE' "$share/serial.log" || grep -qa '@@GUEST-DONE' "$share/out.log" 2>/dev/null
}

# ------------------------------------------------------------------------------------------ qemu-root
# Debian 13's QEMU in a folder of its own, run through its own loader: no chroot, no mounts.
cmd_qemu_root() {
    QEMU_ROOT=${QEMU_ROOT:-/var/tmp/copyoffload-guest/qemu-trixie}
    if [ -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ]; then log "qemu-root: present in $QEMU_ROOT"; return 0; fi
    mkdir -p "$(dirname "$QEMU_ROOT")"
    exec 8>"$QEMU_ROOT.lock"; flock 8
    if [ ! -x "$QEMU_ROOT/usr/bin/qemu-system-x86_64" ]; then
        log "qemu-root: debootstrap trixie + qemu-system-x86 into $QEMU_ROOT"
        rm -rf "$QEMU_ROOT.tmp"
        debootstrap --variant=minbase --include=qemu-system-x86 trixie "$QEMU_ROOT.tmp" "$(debian_mirror)" \
            >"$QEMU_ROOT.log" 2>&1 || { tail -20 "$QEMU_ROOT.log" >&2; die "debootstrap failed"; }
        rm -rf "$QEMU_ROOT"; mv "$QEMU_ROOT.tmp" "$QEMU_ROOT"
    fi
    exec 8>&-
    echo "$QEMU_ROOT"
}

cmd_clean() { rm -rf "$W"; }

case "${1:-}" in
    deps) cmd_deps ;;
    build) cmd_build ;;
    run) shift; cmd_run "${1:-}" ;;
    qemu-root) cmd_qemu_root ;;
    clean) cmd_clean ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF" >&2; exit 2 ;;
esac
