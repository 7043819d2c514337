#!/usr/bin/env bash
# A local 3-member cluster on 127.0.0.1 (members etcd-0, etcd-1, etcd-2), with swift-etcd or the
# real etcd, started with the same flags. See docs/clustering.md.
#
# usage: scripts/cluster.sh start|stop|clean|status
#   start   start every member; refuses if one is already running; waits (CLUSTER_START_TIMEOUT,
#           default 30 s) until each answers `etcdctl endpoint health`, then prints the endpoints
#   stop    SIGTERM each member by its PID file, SIGKILL after CLUSTER_STOP_TIMEOUT (10 s); data kept
#   clean   stop, then remove the data dirs, logs and state of the cluster
#   status  `etcdctl endpoint status --cluster -w table`
# Env:
#   CLUSTER_SERVER      swift-etcd (default) or etcd
#   SWIFT_ETCD_BIN      swift-etcd binary (default .build/release/swift-etcd); ETCD_BIN (/usr/bin/etcd)
#   CLUSTER_DIR         data dirs, logs, PID files (default .cluster in the repo)
#   CLUSTER_BASE_PORTS  client ports, one per member (default "2379 22379 32379"); peer = client + 1
#   CLUSTER_TOKEN       --initial-cluster-token (default etcd-cluster-1)
#   CLUSTER_ARGS        extra flags given to every member
#   ETCDCTL_BIN         etcdctl (default /usr/bin/etcdctl)
# The members are started without the caller's ETCD_* variables (every setting is a flag here,
# and etcd refuses a setting given both ways); use CLUSTER_ARGS for more settings.
set -euo pipefail

name="$(basename "$0")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
host=127.0.0.1

cluster_dir="${CLUSTER_DIR:-$root/.cluster}"
cluster_dir="$(realpath -m -- "$cluster_dir")"
state="$cluster_dir/cluster.env"
etcdctl="${ETCDCTL_BIN:-/usr/bin/etcdctl}"
start_timeout="${CLUSTER_START_TIMEOUT:-30}"
stop_timeout="${CLUSTER_STOP_TIMEOUT:-10}"

die() { echo "$name: $*" >&2; exit "${EXIT_CODE:-1}"; }

# The configuration: from the environment, but a cluster that already has a state file keeps the
# server, ports and token it was created with (restart, stop, status and clean need no
# environment); `start` refuses a setting given in the environment that differs from them.
server="${CLUSTER_SERVER:-swift-etcd}"
ports="${CLUSTER_BASE_PORTS:-2379 22379 32379}"
token="${CLUSTER_TOKEN:-etcd-cluster-1}"
if [ -f "$state" ]; then
  # shellcheck disable=SC1090
  saved_server="$(. "$state"; echo "$server")"
  saved_ports="$(. "$state"; echo "$ports")"
  saved_token="$(. "$state"; echo "$token")"
  if [ "${1:-}" = start ]; then
    for v in CLUSTER_SERVER:server CLUSTER_BASE_PORTS:ports CLUSTER_TOKEN:token; do
      env_name="${v%%:*}" saved="saved_${v#*:}"
      if [ -n "${!env_name:-}" ] && [ "${!env_name}" != "${!saved}" ]; then
        die "$cluster_dir holds a cluster created with $env_name='${!saved}', not '${!env_name}'; run '$0 clean' first"
      fi
    done
  fi
  server="$saved_server" ports="$saved_ports" token="$saved_token"
fi
read -ra client_ports <<< "$ports"
[ ${#client_ports[@]} -ge 1 ] || die "CLUSTER_BASE_PORTS is empty"
for p in "${client_ports[@]}"; do
  [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1 ] && [ "$p" -lt 65535 ] || die "bad port '$p' in CLUSTER_BASE_PORTS"
done
n=${#client_ports[@]}
member_name() { echo "etcd-$1"; }
client_url() { echo "http://$host:${client_ports[$1]}"; }
peer_url() { echo "http://$host:$((client_ports[$1] + 1))"; }
endpoints() {
  local i list=()
  for ((i = 0; i < n; i++)); do list+=("$(client_url "$i")"); done
  (IFS=,; echo "${list[*]}")
}

resolve_binary() {
  case "$server" in
    swift-etcd) bin="${SWIFT_ETCD_BIN:-$root/.build/release/swift-etcd}"
                hint="build it with 'make build' (or set SWIFT_ETCD_BIN)" ;;
    etcd)       bin="${ETCD_BIN:-/usr/bin/etcd}"; hint="install Debian's etcd-server" ;;
    *)          die "CLUSTER_SERVER must be swift-etcd or etcd, not '$server'" ;;
  esac
  case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
  [ -x "$bin" ] || die "$bin is not an executable; $hint"
}

# A member is alive when its PID file names a live (non-zombie) process whose command line has the
# member's data dir, so a PID reused by another process is never signalled.
pid_file() { echo "$cluster_dir/$(member_name "$1").pid"; }
data_dir() { echo "$cluster_dir/$(member_name "$1").etcd"; }
log_file() { echo "$cluster_dir/$(member_name "$1").log"; }
member_pid() {
  local f pid
  f="$(pid_file "$1")"
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  pid_alive "$pid" || return 1
  tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--data-dir=$(data_dir "$1")" || return 1
  echo "$pid"
}
pid_alive() {
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

port_busy() {
  if command -v ss >/dev/null 2>&1; then
    ss -Htln "sport = :$1" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
  fi
}

ctl() { ETCDCTL_API=3 "$etcdctl" --dial-timeout=2s --command-timeout=3s "$@"; }

do_stop() {
  local i pid stopped=0 deadline
  # One member at a time: stopped together, etcd members trade leadership back and forth and the
  # last one waits seconds for a transfer that cannot happen.
  for ((i = 0; i < n; i++)); do
    pid="$(member_pid "$i")" || continue
    echo "$name: stopping $(member_name "$i") (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    stopped=$((stopped + 1))
    deadline=$((SECONDS + stop_timeout))
    while pid_alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    if pid_alive "$pid"; then
      echo "$name: pid $pid still running after ${stop_timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 100); do pid_alive "$pid" || break; sleep 0.05; done
    fi
  done
  for ((i = 0; i < n; i++)); do rm -f "$(pid_file "$i")"; done
  [ $stopped -gt 0 ] || echo "$name: no member running in $cluster_dir"
}

do_start() {
  local i pid initial=() running=() flags
  command -v "$etcdctl" >/dev/null 2>&1 || die "$etcdctl not found; install Debian's etcd-client (or set ETCDCTL_BIN)"
  resolve_binary
  for ((i = 0; i < n; i++)); do
    if pid="$(member_pid "$i")"; then running+=("$(member_name "$i") (pid $pid)"); fi
  done
  [ ${#running[@]} -eq 0 ] || die "already running in $cluster_dir: ${running[*]}; '$0 stop' first"
  for ((i = 0; i < n; i++)); do
    for p in "${client_ports[$i]}" $((client_ports[i] + 1)); do
      port_busy "$p" && EXIT_CODE=3 die "port $p on $host is already in use"
    done
    initial+=("$(member_name "$i")=$(peer_url "$i")")
  done
  mkdir -p "$cluster_dir"
  printf 'server=%q\nports=%q\ntoken=%q\n' "$server" "$ports" "$token" > "$state"

  # Whatever stops this start half-way (timeout, a member that died, Ctrl-C) stops every member.
  trap 'do_stop >/dev/null 2>&1 || true' EXIT
  trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP
  read -ra extra <<< "${CLUSTER_ARGS:-}"
  for ((i = 0; i < n; i++)); do
    flags=(
      "--name=$(member_name "$i")"
      "--data-dir=$(data_dir "$i")"
      "--listen-client-urls=$(client_url "$i")"
      "--advertise-client-urls=$(client_url "$i")"
      "--listen-peer-urls=$(peer_url "$i")"
      "--initial-advertise-peer-urls=$(peer_url "$i")"
      "--initial-cluster=$(IFS=,; echo "${initial[*]}")"
      "--initial-cluster-token=$token"
      "--initial-cluster-state=new"
    )
    # Own session: the members outlive this script and do not get the terminal's Ctrl-C.
    # `setsid` execs in place here (a background child is no group leader), so $! is the member.
    env $(env | sed -n 's/^\(ETCD_[A-Za-z0-9_]*\)=.*/-u \1/p') \
      setsid "$bin" "${flags[@]}" "${extra[@]}" </dev/null >>"$(log_file "$i")" 2>&1 &
    echo $! > "$(pid_file "$i")"
  done
  echo "$name: started $n $server members ($bin) in $cluster_dir; waiting up to ${start_timeout}s for health"

  local deadline=$((SECONDS + start_timeout)) healthy
  while :; do
    healthy=0
    for ((i = 0; i < n; i++)); do
      if ! member_pid "$i" >/dev/null; then
        echo "$name: $(member_name "$i") exited; last lines of $(log_file "$i"):" >&2
        tail -n 20 "$(log_file "$i")" >&2
        exit 1
      fi
      ctl --endpoints="$(client_url "$i")" endpoint health >/dev/null 2>&1 && healthy=$((healthy + 1))
    done
    [ $healthy -eq $n ] && break
    if [ $SECONDS -ge $deadline ]; then
      echo "$name: only $healthy of $n members healthy after ${start_timeout}s; logs in $cluster_dir" >&2
      for ((i = 0; i < n; i++)); do
        echo "----- last lines of $(log_file "$i") -----" >&2
        tail -n 10 "$(log_file "$i")" >&2
      done
      exit 1
    fi
    sleep 0.2
  done
  trap - EXIT INT TERM HUP
  for ((i = 0; i < n; i++)); do
    echo "$(member_name "$i")  pid $(cat "$(pid_file "$i")")  client $(client_url "$i")  peer $(peer_url "$i")"
  done
  echo "ENDPOINTS=$(endpoints)"
}

do_status() {
  local i pid up=0
  for ((i = 0; i < n; i++)); do
    if pid="$(member_pid "$i")"; then
      echo "$(member_name "$i")  running (pid $pid)  $(client_url "$i")"; up=$((up + 1))
    else
      echo "$(member_name "$i")  not running  $(client_url "$i")"
    fi
  done
  [ $up -gt 0 ] || exit 1
  ctl --endpoints="$(endpoints)" endpoint status --cluster -w table
}

do_clean() {
  local i
  do_stop
  for ((i = 0; i < n; i++)); do rm -rf "$(data_dir "$i")" "$(log_file "$i")"; done
  rm -f "$state"
  rmdir "$cluster_dir" 2>/dev/null || true
  echo "$name: removed the cluster in $cluster_dir"
}

case "${1:-}" in
  start)  do_start ;;
  stop)   do_stop ;;
  clean)  do_clean ;;
  status) do_status ;;
  -h|--help) sed -n '2,20p' "$0" ;;
  *) sed -n '5,10p' "$0" >&2; exit 2 ;;
esac
