#!/bin/bash
# The image's entrypoint: `copyoffload serve` with flags from the environment. Arguments are passed on.
#   COPYOFFLOAD_CONFIG=/etc/copyoffload/config.yaml   used when the file exists (mount it), else the embedded default
#   COPYOFFLOAD_DATA_DIR=/data                        volume files (the image's volume)
#   COPYOFFLOAD_NVME_PORT=4420                        NVMe/TCP on 0.0.0.0 (replaces the configuration's listeners)
#   COPYOFFLOAD_ISCSI_PORT=3260                       iSCSI on 0.0.0.0, if the configuration has iSCSI targets
#   COPYOFFLOAD_METRICS_PORT=9464                     /metrics on 0.0.0.0
#   COPYOFFLOAD_ADVERTISE_ADDRESS                     what discovery and SendTargets report (e.g. the host's address)
#   COPYOFFLOAD_ADVERTISE_NVME_PORT, COPYOFFLOAD_ADVERTISE_ISCSI_PORT
#                                                     the ports they report (the host's side of a port mapping)
#   COPYOFFLOAD_WAIT_FOR=FILE                         wait (60 s at most) for FILE, with KEY=VALUE lines of the
#                                                     variables above and a last line "# end", before starting:
#                                                     how CopyOffloadTargetContainer passes the mapped ports,
#                                                     known only once the container runs
#   COPYOFFLOAD_NVME_VERSION                          1.4, 2.0 or 2.1 for subsystems without their own
#   COPYOFFLOAD_NO_ISCSI=true / COPYOFFLOAD_NO_METRICS=true
#   JAVA_OPTS                                          extra JVM options
set -euo pipefail
if [ -n "${COPYOFFLOAD_WAIT_FOR:-}" ]; then
    for _ in $(seq 1 600); do
        grep -qx '# end' "$COPYOFFLOAD_WAIT_FOR" 2>/dev/null && break
        sleep 0.1
    done
    grep -qx '# end' "$COPYOFFLOAD_WAIT_FOR" 2>/dev/null \
        || { echo "entrypoint: $COPYOFFLOAD_WAIT_FOR did not come" >&2; exit 1; }
    while IFS='=' read -r key value; do
        case "$key" in
            COPYOFFLOAD_ADVERTISE_ADDRESS|COPYOFFLOAD_ADVERTISE_NVME_PORT|COPYOFFLOAD_ADVERTISE_ISCSI_PORT) export "$key=$value" ;;
        esac
    done <"$COPYOFFLOAD_WAIT_FOR"
fi
cfg=${COPYOFFLOAD_CONFIG:-/etc/copyoffload/config.yaml}
nvme_port=${COPYOFFLOAD_NVME_PORT:-4420}
iscsi_port=${COPYOFFLOAD_ISCSI_PORT:-3260}
metrics_port=${COPYOFFLOAD_METRICS_PORT:-9464}
args=(serve --data-dir "${COPYOFFLOAD_DATA_DIR:-/data}" --listen "0.0.0.0:$nvme_port")
iscsi=true
if [ -f "$cfg" ]; then
    args+=(--config "$cfg")
    # --iscsi-listen needs iSCSI targets in the configuration.
    grep -qE '^iscsi:' "$cfg" || iscsi=false
fi
[ "${COPYOFFLOAD_NO_ISCSI:-false}" = true ] && iscsi=false
if $iscsi; then args+=(--iscsi-listen "0.0.0.0:$iscsi_port"); else args+=(--no-iscsi); fi
metrics=true
[ "${COPYOFFLOAD_NO_METRICS:-false}" = true ] && metrics=false
if $metrics; then args+=(--metrics "0.0.0.0:$metrics_port"); else args+=(--no-metrics); fi
[ -n "${COPYOFFLOAD_ADVERTISE_ADDRESS:-}" ] && args+=(--advertise-address "$COPYOFFLOAD_ADVERTISE_ADDRESS")
[ -n "${COPYOFFLOAD_ADVERTISE_NVME_PORT:-}" ] && args+=(--advertise-port "$COPYOFFLOAD_ADVERTISE_NVME_PORT")
$iscsi && [ -n "${COPYOFFLOAD_ADVERTISE_ISCSI_PORT:-}" ] && args+=(--advertise-iscsi-port "$COPYOFFLOAD_ADVERTISE_ISCSI_PORT")
[ -n "${COPYOFFLOAD_NVME_VERSION:-}" ] && args+=(--nvme-version "$COPYOFFLOAD_NVME_VERSION")

# What the health check connects to.
{
    echo "nvme $nvme_port"
    $iscsi && echo "iscsi $iscsi_port"
    $metrics && echo "metrics $metrics_port"
} >/tmp/copyoffload-listeners

# shellcheck disable=SC2086
exec /opt/java/bin/java --enable-native-access=ALL-UNNAMED ${JAVA_OPTS:-} \
    -cp '/opt/copyoffload/lib/*' org.copyoffload.server.cli.CopyoffloadCli "${args[@]}" "$@"
