#!/usr/bin/env bash
# Runs one of the Go test suites (Tests/<suite>) against real etcd 3.4 or swift-etcd, built in
# GOPATH mode on Debian's clientv3. scripts/interop.sh and scripts/crash-test.sh call this.
#
# usage: scripts/go-suite.sh SUITE [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- extra go test args]
# The suite reads <SUITE>_TARGET, <SUITE>_TMPDIR (scratch space for data dirs, removed at exit)
# and <SUITE>_SERVER_LOG from the environment (SUITE upper-cased), and SWIFT_ETCD_BIN.
# Needs: go (1.19), Debian golang-etcd-server-dev, /usr/bin/etcdctl and /usr/bin/etcd.
set -euo pipefail

suite="$1"
shift
name="$(basename "${CALLER:-$0}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-etcd}"
[ $# -gt 0 ] && shift
case "$target" in
  etcd) ;;
  swift-etcd)
    if [ $# -gt 0 ] && [ "$1" != "--" ]; then SWIFT_ETCD_BIN="$1"; shift; fi
    if [ -z "${SWIFT_ETCD_BIN:-}" ]; then
      echo "$name: swift-etcd target needs a binary path (arg 2 or SWIFT_ETCD_BIN)" >&2; exit 2
    fi
    case "$SWIFT_ETCD_BIN" in /*) ;; *) SWIFT_ETCD_BIN="$PWD/$SWIFT_ETCD_BIN" ;; esac
    if [ ! -x "$SWIFT_ETCD_BIN" ]; then
      echo "$name: $SWIFT_ETCD_BIN is not an executable" >&2; exit 2
    fi
    export SWIFT_ETCD_BIN ;;
  *) echo "usage: $name [etcd|swift-etcd] [path-to-swift-etcd-binary] [-- go test args]" >&2; exit 2 ;;
esac
[ "${1:-}" = "--" ] && shift

GO="${GO:-go}"
build="$root/.build-$suite"
gopath="$build/gopath"
mkdir -p "$gopath/src/swiftetcd" "$build/cache"
ln -sfn "$root/Tests/$suite" "$gopath/src/swiftetcd/$suite"
# The helpers the Go suites share, imported as "swiftetcd/testserver".
ln -sfn "$root/Tests/goshared/testserver" "$gopath/src/swiftetcd/testserver"

# Scratch space for the server's data dirs; removed whatever happens, even if the test binary dies.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/$suite-run.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM

prefix="$(echo "$suite" | tr '[:lower:]' '[:upper:]')"
log="$build/server-$target.log"
export GO111MODULE=off
export GOPATH="$gopath:/usr/share/gocode"
export GOFLAGS=
export GOCACHE="${GOCACHE:-$build/cache}"
export "${prefix}_TARGET=$target" "${prefix}_TMPDIR=$tmp" "${prefix}_SERVER_LOG=$log"

echo "$name: target=$target${SWIFT_ETCD_BIN:+ bin=$SWIFT_ETCD_BIN} server log: $log"
cd "$gopath/src/swiftetcd/$suite"
out="$build/go-test-$target.out"
set +e
"$GO" test -v -vet=off -count=1 -timeout 10m "$@" . 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
set -e
# A test binary killed by -timeout or a panic cannot show the server log itself (the server dies
# with it); show it here.
if [ "$rc" -ne 0 ] && [ -f "$log" ] && ! grep -q -- '----- end of server log -----' "$out"; then
  echo "----- last 40 lines of $log -----"
  tail -n 40 "$log"
  echo "----- end of server log -----"
fi
echo "$name: target=$target exit=$rc"
exit $rc
