#!/bin/bash
# build-image.sh - builds the copyoffload target's container image from what this machine has: nothing is
# pulled from a registry. The base is a root file system made by debootstrap from Debian's own packages
# (cached), the Java runtime is jlink'ed from the build's JDK, the application is the target-server jars.
#
#   build-image.sh [IMAGE]      prepare the build context in docker/target/image and build IMAGE
#                               (default localhost/copyoffload-target:latest) with podman or docker
#   build-image.sh --context    only prepare docker/target/image (then: docker build -t NAME docker/target/image)
#
# Environment:
#   JAVA_HOME          the JDK whose jlink makes the runtime (25 or newer)
#   ENGINE             podman or docker (default: podman if installed, else docker)
#   IMAGE_CACHE        folder for the cached base root file system and jlink runtime (default /var/tmp/copyoffload-image)
#   DEBIAN_SUITE       default bookworm
# Needs docker/../target-server/target built by `mvn package` (the docker module's build runs this after it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SERVER=$ROOT/target-server/target
CTX=$HERE/target/image
CACHE=${IMAGE_CACHE:-/var/tmp/copyoffload-image}
SUITE=${DEBIAN_SUITE:-bookworm}
# The user the server runs as inside the image, and the owner of /data.
APP_UID=10001

log() { echo "[build-image $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

CONTEXT_ONLY=false
IMAGE=localhost/copyoffload-target:latest
case "${1:-}" in
    --context) CONTEXT_ONLY=true ;;
    "") ;;
    *) IMAGE=$1 ;;
esac

[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/jlink" ] || die "JAVA_HOME must point at a JDK 25 with jlink"
JAR=$(ls "$SERVER"/copyoffload-target-server-*.jar 2>/dev/null | grep -v -- '-sources\|-tests' | head -n 1 || true)
[ -n "$JAR" ] && [ -d "$SERVER/lib" ] || die "build target-server first (mvn package -pl docker -am)"

# The Debian mirror this host's apt already uses (as integration-tests/guest/guest.sh does).
debian_mirror() {
    local m
    m=$({ awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null
          awk '/^deb / && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null; } | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

# ---- base root file system: debootstrap --variant=minbase, trimmed, with the copyoffload user (cached)
# The cache key changes with this function's text, so an edit rebuilds it.
make_base() {
    local dir=$1
    rm -rf "$dir"
    debootstrap --variant=minbase "$SUITE" "$dir" "$(debian_mirror)" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail -20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
    # A runtime image: no package manager state, caches, documentation or locales.
    rm -rf "$dir"/var/cache/apt/* "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
           "$dir"/usr/share/info/* "$dir"/usr/share/locale/* "$dir"/usr/share/zoneinfo "$dir"/var/log/* \
           "$dir"/usr/share/common-licenses "$dir"/usr/share/lintian "$dir"/var/cache/debconf/*-old
    echo "copyoffload:x:$APP_UID:$APP_UID:copyoffload target:/data:/usr/sbin/nologin" >>"$dir/etc/passwd"
    echo "copyoffload:x:$APP_UID:" >>"$dir/etc/group"
    echo "copyoffload:!:19000::::::" >>"$dir/etc/shadow"
    mkdir -p "$dir/data" "$dir/etc/copyoffload"
    chown "$APP_UID:$APP_UID" "$dir/data"
}

base_tar() {
    local key tar
    key=$( { declare -f make_base; echo "$SUITE $APP_UID"; } | sha256sum | cut -c1-12)
    tar=$CACHE/base-$SUITE-$key.tar
    if [ ! -f "$tar" ]; then
        command -v debootstrap >/dev/null || die "debootstrap is needed (apt-get install debootstrap)"
        [ "$(id -u)" = 0 ] || die "debootstrap needs root for the first build of the base ($tar)"
        mkdir -p "$CACHE"
        (
            flock 9
            if [ ! -f "$tar" ]; then
                log "base: debootstrap --variant=minbase $SUITE (about a minute, once)"
                make_base "$CACHE/base-$key.tmp"
                tar --numeric-owner -C "$CACHE/base-$key.tmp" -cf "$tar.tmp" .
                mv "$tar.tmp" "$tar"
                rm -rf "$CACHE/base-$key.tmp"
            fi
        ) 9>"$CACHE/.lock"
    fi
    echo "$tar"
}

# ---- build context
log "context: $CTX"
rm -rf "$CTX"
mkdir -p "$CTX/app/lib"
BASE=$(base_tar)
ln "$BASE" "$CTX/rootfs.tar" 2>/dev/null || cp "$BASE" "$CTX/rootfs.tar"

cp "$JAR" "$CTX/app/lib/"
cp "$SERVER"/lib/*.jar "$CTX/app/lib/"
# The JDK modules the jars need (jdeps; the libraries' answer cached by their file names, which carry versions).
jdeps_modules() {
    "$JAVA_HOME/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 -q \
        --class-path "$CTX/app/lib/*" "$@"
}
ours=("$CTX"/app/lib/copyoffload-*.jar)
libs=()
for j in "$CTX"/app/lib/*.jar; do case "$(basename "$j")" in copyoffload-*) ;; *) libs+=("$j") ;; esac; done
LKEY=$( { "$JAVA_HOME/bin/java" -version 2>&1; for j in "${libs[@]}"; do basename "$j"; done; } | sha256sum | cut -c1-12)
mkdir -p "$CACHE"
[ -s "$CACHE/jdeps-$LKEY" ] || jdeps_modules "${libs[@]}" >"$CACHE/jdeps-$LKEY"
MODULES=$( { tr ',' '\n' <"$CACHE/jdeps-$LKEY"; jdeps_modules "${ours[@]}" | tr ',' '\n'; } | grep . | sort -u | paste -sd,)
# The runtime, cached by JDK build and module list (jlink takes half a minute on these machines).
JLINK_OPTS="--strip-debug --no-man-pages --no-header-files --compress zip-6"
RKEY=$( { cat "$JAVA_HOME/release"; echo "$MODULES $JLINK_OPTS"; } | sha256sum | cut -c1-12)
RUNTIME=$CACHE/runtime-$RKEY
if [ ! -d "$RUNTIME" ]; then
    log "jlink: $MODULES"
    mkdir -p "$CACHE"
    rm -rf "$RUNTIME.tmp.$$"
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/jlink" --add-modules "$MODULES" $JLINK_OPTS --output "$RUNTIME.tmp.$$"
    mv -T "$RUNTIME.tmp.$$" "$RUNTIME" 2>/dev/null || rm -rf "$RUNTIME.tmp.$$"
else
    log "jlink: $MODULES (cached in $RUNTIME)"
fi
cp -a "$RUNTIME" "$CTX/runtime"
cp "$HERE/src/main/docker/entrypoint.sh" "$HERE/src/main/docker/healthcheck.sh" "$CTX/app/"
cp "$HERE/Dockerfile" "$CTX/Dockerfile"

if $CONTEXT_ONLY; then
    log "context ready: docker build -t $IMAGE $CTX"
    exit 0
fi

ENGINE=${ENGINE:-$(command -v podman >/dev/null && echo podman || echo docker)}
command -v "$ENGINE" >/dev/null || die "neither podman nor docker is installed (ENGINE=$ENGINE)"
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
    export CONTAINERS_CONF=$HERE/podman/containers.conf
fi
old=$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "$ENGINE build -t $IMAGE"
args=(build -t "$IMAGE")
# Podman keeps HEALTHCHECK only in the Docker image format.
[ "$ENGINE" = podman ] && args+=(--format docker)
"$ENGINE" "${args[@]}" "$CTX" >&2
new=$("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE")
# The image this tag named before, if nothing else uses it (no dangling images pile up build after build).
if [ -n "$old" ] && [ "$old" != "$new" ]; then "$ENGINE" rmi "$old" >/dev/null 2>&1 || true; fi
"$ENGINE" image inspect --format '{{.Size}}' "$IMAGE" | awk -v i="$IMAGE" '{printf "[build-image] %s: %.1f MB\n", i, $1/1e6}' >&2
