#!/bin/bash
# podman-service.sh [unix:///run/copyoffload-podman.sock] - makes sure `podman system service` serves the
# Docker API on that socket (Testcontainers' DOCKER_HOST), with the settings in podman/containers.conf;
# starts it in the background if it does not answer. Idempotent; the service stays up (--time=0).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
URL=${1:-unix:///run/copyoffload-podman.sock}
SOCK=${URL#unix://}
LOG=${PODMAN_SERVICE_LOG:-/var/tmp/copyoffload-podman-service.log}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/podman/containers.conf}

command -v podman >/dev/null || { echo "podman-service.sh: podman is not installed (apt-get install podman runc slirp4netns)" >&2; exit 1; }
answers() { podman --remote --url "$URL" version >/dev/null 2>&1; }
if answers; then
    echo "podman-service.sh: $URL answers" >&2
    exit 0
fi
[ "$(id -u)" = 0 ] || { echo "podman-service.sh: needs root to start the podman service on $SOCK" >&2; exit 1; }
rm -f "$SOCK"
echo "podman-service.sh: starting podman system service on $URL (log $LOG)" >&2
setsid nohup podman system service --time=0 "$URL" >>"$LOG" 2>&1 </dev/null &
for _ in $(seq 1 50); do
    answers && { echo "podman-service.sh: $URL answers" >&2; exit 0; }
    sleep 0.2
done
echo "podman-service.sh: the podman service on $URL did not answer; last lines of $LOG:" >&2
tail -20 "$LOG" >&2
exit 1
