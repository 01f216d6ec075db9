#!/bin/bash
# podman-service.sh [unix:///run/copyoffload-podman.sock] - makes sure `podman system service` serves the
# Docker API on that socket (Testcontainers' DOCKER_HOST), with the settings in podman/containers.conf;
# starts it in the background if it does not answer. Idempotent; the service stays up (--time=0).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URL=${1:-unix:///run/copyoffload-podman.sock}
SOCK=${URL#unix://}
LOG=${PODMAN_SERVICE_LOG:-/var/tmp/copyoffload-podman-service.log}
# The service reads its settings for as long as it runs: they live in a folder of their own, not in this checkout,
# which may be a temporary clone deleted while the service goes on serving the next one.
STATE=/var/tmp/copyoffload-podman
PIDFILE=$STATE/service.pid
mkdir -p "$STATE"
changed=
if ! cmp -s "$HERE/podman/containers.conf" "$STATE/containers.conf"; then
    cp "$HERE/podman/containers.conf" "$STATE/containers.conf.tmp" && mv "$STATE/containers.conf.tmp" "$STATE/containers.conf"
    changed=1
fi
export CONTAINERS_CONF=$STATE/containers.conf

command -v podman >/dev/null || { echo "podman-service.sh: podman is not installed (apt-get install podman runc slirp4netns)" >&2; exit 1; }
answers() { podman --remote --url "$URL" version >/dev/null 2>&1; }
# A service started by this script with other settings, or with settings from a folder that is gone, goes.
own=$(cat "$PIDFILE" 2>/dev/null || true)
stale=
if [ -n "$changed" ]; then stale=1; fi
for pid in $(pgrep -f "podman system service .*$URL" || true); do
    conf=$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^CONTAINERS_CONF=//p')
    # A service whose working directory was deleted (started from a clone since removed, before it was started from
    # $STATE) cannot start containers: conmon fails with "Failed to get working directory".
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null || true)
    if [ -n "$stale" ] || [ "$conf" != "$STATE/containers.conf" ] || [ "$pid" != "$own" ] || [[ "$cwd" == *" (deleted)" ]]; then
        echo "podman-service.sh: stopping the service $pid (settings ${conf:-none}, working directory ${cwd:-unknown};" \
            "wanted $STATE/containers.conf)" >&2
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
done
if answers; then
    echo "podman-service.sh: $URL answers" >&2
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "podman-service.sh: needs root to start the podman service on $SOCK" >&2; exit 1; }
rm -f "$SOCK"
echo "podman-service.sh: starting podman system service on $URL (log $LOG)" >&2
# From $STATE, not from this checkout: the service and every container's conmon inherit its working directory.
(cd "$STATE" && exec setsid nohup podman system service --time=0 "$URL" >>"$LOG" 2>&1 </dev/null) &
echo $! > "$PIDFILE"
for _ in $(seq 1 50); do
    answers && { echo "podman-service.sh: $URL answers" >&2; exit 0; }
    sleep 0.2
done
echo "podman-service.sh: the podman service on $URL did not answer; last lines of $LOG:" >&2
tail -20 "$LOG" >&2
exit 1
