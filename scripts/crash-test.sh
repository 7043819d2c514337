#!/usr/bin/env bash
# Crash test (issue 5): writers put as fast as they can, the server is killed with SIGKILL at
# random moments and restarted on the same data dir, and every acknowledged write must still be
# there at its revision. The same Go test (Tests/crash) runs against real etcd 3.4 or swift-etcd.
#
# usage: scripts/crash-test.sh [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- extra go test args]
#   scripts/crash-test.sh                          # against /usr/bin/etcd
#   scripts/crash-test.sh swift-etcd .build/debug/swift-etcd
#   CRASH_SEED=42 CRASH_KILLS=50 scripts/crash-test.sh etcd
# Env: SWIFT_ETCD_BIN (binary when no 2nd arg), ETCD_BIN, GO (go command), and the test's own
# CRASH_SEED, CRASH_KILLS (default 20), CRASH_WRITERS (8), CRASH_BUDGET (170s).
case "${1:-}" in -h|--help) sed -n '2,11p' "$0"; exit 0 ;; esac
CALLER="$0" exec "$(dirname "$0")/go-suite.sh" crash "$@"
