#!/bin/bash
# The image's health check: every listener the entrypoint started answers (list in /tmp/copyoffload-listeners).
#   NVMe/TCP: an ICReq PDU (128 bytes) is answered by an ICResp (PDU type 01h)
#   iSCSI:    the portal accepts a TCP connection
#   metrics:  GET /metrics answers HTTP 200
set -uo pipefail
[ -f /tmp/copyoffload-listeners ] || { echo "not started"; exit 1; }
fail=0
while read -r kind port; do
    case "$kind" in
        nvme)
            # ICReq: type 00h, flags 0, HLEN 128, PDO 0, PLEN 128 (little endian), PFV 0, rest zero.
            type=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port || exit 1
                { printf '\\x00\\x00\\x80\\x00\\x80\\x00\\x00\\x00'; head -c 120 /dev/zero; } >&3
                head -c 128 <&3 | od -An -tx1 -N1" 2>/dev/null | tr -d ' \n')
            [ "$type" = 01 ] || { echo "NVMe/TCP on $port: no ICResp"; fail=1; } ;;
        iscsi)
            timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null \
                || { echo "iSCSI on $port: no connection"; fail=1; } ;;
        metrics)
            status=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port || exit 1
                printf 'GET /metrics HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3
                head -n 1 <&3" 2>/dev/null)
            case "$status" in HTTP/1.?\ 200*) ;; *) echo "metrics on $port: '$status'"; fail=1 ;; esac ;;
    esac
done </tmp/copyoffload-listeners
[ $fail = 0 ] && echo healthy
exit $fail
