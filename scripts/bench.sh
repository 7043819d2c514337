#!/usr/bin/env bash
# Benchmark: the same workloads against swift-etcd and the real etcd, on this machine, in one
# run; writes the table into docs/performance.md (see that file for the method).
#
# usage: scripts/bench.sh [quick|full|test] [extra etcd-bench matrix flags]
#   scripts/bench.sh quick                       # make bench-quick (about 1.5 minutes once built)
#   scripts/bench.sh full                        # make bench (with the 1,000,000-key restart row)
#   scripts/bench.sh quick --rows put-1x1 --nodes 1 --out ''   # one row, no doc update
#   scripts/bench.sh full --rows restart --restart-keys 100000 --out ''   # a smaller restart row
#   BENCH_CLUSTER=1 BENCH_TARGETS=etcd scripts/bench.sh quick --nodes 3 --out ''   # 3-member rows, etcd only
#   scripts/bench.sh test                        # the benchmark's own unit tests (go test)
#
# Needs: go (1.19), Debian golang-etcd-server-dev (clientv3 under /usr/share/gocode) and
# etcd-server (/usr/bin/etcd). Builds swift-etcd in release mode unless SWIFT_ETCD_BIN is set.
# Env: SWIFT_ETCD_BIN, ETCD_BIN (default /usr/bin/etcd), GO, BENCH_TMPDIR (parent of the data
# dirs; default $TMPDIR or /tmp, must be on disk), BENCH_OUT (default docs/performance.md),
# BENCH_CLUSTER=1 (also run the 3-member topology: default --nodes 1,3 instead of 1),
# BENCH_TARGETS (default --servers: swift-etcd,etcd; e.g. etcd).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-quick}"
[ $# -gt 0 ] && shift
case "$mode" in
  quick|full|test) ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  *) echo "usage: $0 [quick|full|test] [etcd-bench matrix flags]" >&2; exit 2 ;;
esac

GO="${GO:-go}"
build="$root/.build-bench"
gopath="$build/gopath"
mkdir -p "$gopath/src/swiftetcd" "$build/cache"
ln -sfn "$root/Tests/bench" "$gopath/src/swiftetcd/bench"
# The helpers the Go suites share, imported as "swiftetcd/testserver".
ln -sfn "$root/Tests/goshared/testserver" "$gopath/src/swiftetcd/testserver"

export GO111MODULE=off
export GOPATH="$gopath:/usr/share/gocode"
export GOFLAGS=
export GOCACHE="${GOCACHE:-$build/cache}"

if [ "$mode" = test ]; then
  cd "$gopath/src/swiftetcd/bench" && exec "$GO" test -count=1 -vet=off "$@" .
fi

echo "bench.sh: building the load generator (.build-bench/etcd-bench)"
(cd "$gopath/src/swiftetcd/bench" && "$GO" build -o "$build/etcd-bench" .)

if [ -z "${SWIFT_ETCD_BIN:-}" ]; then
  echo "bench.sh: building swift-etcd (release)"
  (cd "$root" && swift build -c release --product swift-etcd)
  SWIFT_ETCD_BIN="$root/.build/release/swift-etcd"
fi
case "$SWIFT_ETCD_BIN" in /*) ;; *) SWIFT_ETCD_BIN="$PWD/$SWIFT_ETCD_BIN" ;; esac
ETCD_BIN="${ETCD_BIN:-/usr/bin/etcd}"
for bin in "$SWIFT_ETCD_BIN" "$ETCD_BIN"; do
  if [ ! -x "$bin" ]; then echo "bench.sh: $bin is not an executable" >&2; exit 2; fi
done

cd "$root"
exec "$build/etcd-bench" matrix --mode "$mode" \
  --swift-etcd-bin "$SWIFT_ETCD_BIN" --etcd-bin "$ETCD_BIN" \
  --work-dir "$build" --out "${BENCH_OUT-$root/docs/performance.md}" "$@"
