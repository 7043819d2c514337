#!/usr/bin/env bash
# Interop suite: the same Go tests (Tests/interop) against real etcd 3.4 or swift-etcd.
#
# usage: scripts/interop.sh [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- extra go test args]
#   scripts/interop.sh                        # against /usr/bin/etcd
#   scripts/interop.sh swift-etcd .build/debug/swift-etcd
#   scripts/interop.sh etcd -- -run 'TestCtl'  # pass extra args to go test
#
# Needs: go (1.19), Debian golang-etcd-server-dev (clientv3 under /usr/share/gocode),
# /usr/bin/etcdctl, and /usr/bin/etcd for the etcd target.
# Env: SWIFT_ETCD_BIN (binary when no 2nd arg), ETCD_BIN, ETCDCTL_BIN, GO (go command).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-etcd}"
[ $# -gt 0 ] && shift
case "$target" in
  etcd) ;;
  swift-etcd)
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then SWIFT_ETCD_BIN="$1"; shift; fi
    if [ -z "${SWIFT_ETCD_BIN:-}" ]; then
      echo "interop.sh: swift-etcd target needs a binary path (arg 2 or SWIFT_ETCD_BIN)" >&2; exit 2
    fi
    case "$SWIFT_ETCD_BIN" in /*) ;; *) SWIFT_ETCD_BIN="$PWD/$SWIFT_ETCD_BIN" ;; esac
    if [ ! -x "$SWIFT_ETCD_BIN" ]; then
      echo "interop.sh: $SWIFT_ETCD_BIN is not an executable" >&2; exit 2
    fi
    export SWIFT_ETCD_BIN ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  *) echo "usage: $0 [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- go test args]" >&2; exit 2 ;;
esac
[ "${1:-}" = "--" ] && shift

GO="${GO:-go}"
build="$root/.build-interop"
gopath="$build/gopath"
mkdir -p "$gopath/src/swiftetcd" "$build/cache"
ln -sfn "$root/Tests/interop" "$gopath/src/swiftetcd/interop"

# Scratch space for the server's data dir; removed whatever happens.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/interop-run.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

export GO111MODULE=off
export GOPATH="$gopath:/usr/share/gocode"
export GOFLAGS=
export GOCACHE="${GOCACHE:-$build/cache}"
export INTEROP_TARGET="$target"
export INTEROP_TMPDIR="$tmp"
export INTEROP_SERVER_LOG="$build/server-$target.log"

echo "interop.sh: target=$target${SWIFT_ETCD_BIN:+ bin=$SWIFT_ETCD_BIN} server log: $INTEROP_SERVER_LOG"
cd "$gopath/src/swiftetcd/interop"
out="$build/go-test-$target.out"
set +e
"$GO" test -v -vet=off -count=1 -timeout 5m "$@" . 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# A panicking test kills the test binary before TestMain can show the server
# log (the server itself dies with it via PDEATHSIG); show it here instead.
if [ "$rc" -ne 0 ] && [ -f "$INTEROP_SERVER_LOG" ] && ! grep -q -- '----- end of server log -----' "$out"; then
  echo "----- last 40 lines of $INTEROP_SERVER_LOG -----"
  tail -n 40 "$INTEROP_SERVER_LOG"
  echo "----- end of server log -----"
fi
echo "interop.sh: target=$target exit=$rc"
exit $rc
