#!/usr/bin/env bash
# Interop suite: the same Go tests (Tests/interop) against real etcd 3.4 or swift-etcd.
#
# usage: scripts/interop.sh [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- extra go test args]
#   scripts/interop.sh                        # against /usr/bin/etcd
#   scripts/interop.sh swift-etcd .build/debug/swift-etcd
#   scripts/interop.sh etcd -- -run 'TestCtl'  # pass extra args to go test
# Env: SWIFT_ETCD_BIN (binary when no 2nd arg), ETCD_BIN, ETCDCTL_BIN, GO (go command).
case "${1:-}" in -h|--help) sed -n '2,8p' "$0"; exit 0 ;; esac
CALLER="$0" exec "$(dirname "$0")/go-suite.sh" interop "$@"
