#!/usr/bin/env bash
# Cluster failure tests: each test starts its own 3-member cluster on 127.0.0.1 and kills, stops,
# restarts, adds or removes members while clients write and read (Tests/cluster/cluster_test.go
# lists the tests). The same Go suite runs against real etcd 3.4 or swift-etcd, same flags.
#
# usage: scripts/cluster-failure-test.sh [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- extra go test args]
#   scripts/cluster-failure-test.sh                          # against /usr/bin/etcd
#   scripts/cluster-failure-test.sh swift-etcd .build/debug/swift-etcd
#   scripts/cluster-failure-test.sh etcd -- -run TestKillLeader
# Env: SWIFT_ETCD_BIN (binary when no 2nd arg), ETCD_BIN, ETCDCTL_BIN, GO (go command).
# Member logs: one file per member (tail printed when a test fails) and all of them, prefixed
# with test/member, in .build-cluster/server-<target>.log.
case "${1:-}" in -h|--help) sed -n '2,12p' "$0"; exit 0 ;; esac
CALLER="$0" exec "$(dirname "$0")/go-suite.sh" cluster "$@"
