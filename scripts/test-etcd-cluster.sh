#!/usr/bin/env bash
# Conformance checks for a 3-member etcd v3 cluster, done with stock etcdctl (API 3) only:
#   1 cluster health  2 member list  3 leader election  4 write  5 read  6 TTL/lease
#   7 watch  8 cluster consistency  9 cleanup
# Prints ✓/✗ per check and a summary; exits 1 if a check fails, 2 on a usage or setup error.
#
# usage: scripts/test-etcd-cluster.sh [local|endpoints|kubectl]
#   local      (default) starts its own cluster with scripts/cluster.sh in a temporary dir, on
#              three free ports, and removes it on exit; the server is CLUSTER_SERVER (swift-etcd
#              or etcd) and SWIFT_ETCD_BIN / ETCD_BIN, as for scripts/cluster.sh
#   endpoints  a running cluster: ENDPOINTS=http://127.0.0.1:2379,http://127.0.0.1:22379,...
#   kubectl    the StatefulSet `etcd` in NAMESPACE (default "default"): etcdctl runs inside the pods
#              via `kubectl exec` (PODS, default "etcd-0 etcd-1 etcd-2"; the first runs every
#              command but the watch check's put, which runs in the second), and ENDPOINTS defaults
#              to http://etcd-{0,1,2}.etcd:2379 as seen from the pods
# Env: EXPECTED_MEMBERS (3), ETCDCTL_BIN (/usr/bin/etcdctl), KUBECTL (kubectl), CMD_TIMEOUT
# (15 s per etcdctl call), WATCH_TIMEOUT (10 s), CONSISTENCY_TIMEOUT (5 s).
# Every key it writes is under a fresh prefix /etcd-conformance/<time>-<pid>-<random>/, and it
# deletes them, and revokes its lease, on exit (even after a failure or Ctrl-C).
#
# Checks 1 and 3 use `--cluster`, and checks 7 and 8 the client URLs from the member list, so they
# cover every member even when ENDPOINTS names a single (load-balanced) address.
set -uo pipefail

name="$(basename "$0")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode="${1:-local}"
expected="${EXPECTED_MEMBERS:-3}"
cmd_timeout="${CMD_TIMEOUT:-15}"
watch_timeout="${WATCH_TIMEOUT:-10}"
consistency_timeout="${CONSISTENCY_TIMEOUT:-5}"
etcdctl="${ETCDCTL_BIN:-/usr/bin/etcdctl}"
read -ra kubectl <<< "${KUBECTL:-kubectl}"
namespace="${NAMESPACE:-default}"
read -ra pods <<< "${PODS:-etcd-0 etcd-1 etcd-2}"

usage() { sed -n '7,15p' "$0" >&2; exit 2; }
setup_error() { echo "$name: $*" >&2; exit 2; }

# The settings given as flags here must not also come from the environment (etcdctl refuses
# that); other ETCDCTL_* variables (e.g. TLS files) still apply in local and endpoints modes.
unset ETCDCTL_ENDPOINTS ETCDCTL_DIAL_TIMEOUT ETCDCTL_COMMAND_TIMEOUT ETCDCTL_WRITE_OUT
export ETCDCTL_API=3

work="$(mktemp -d "${TMPDIR:-/tmp}/etcd-conformance.XXXXXX")"
errf="$work/stderr"
prefix="/etcd-conformance/$(date +%Y%m%d-%H%M%S)-$$-$RANDOM$RANDOM/"
cluster_dir=""
watch_pid=""
lease_id=""
checking=0   # 1 once the checks run (and may have written keys)
cleaned=0

teardown() {
  trap - EXIT INT TERM HUP
  if [ -n "$watch_pid" ]; then kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; fi
  if [ -n "$cluster_dir" ]; then
    CLUSTER_DIR="$cluster_dir" "$root/scripts/cluster.sh" clean >/dev/null 2>&1
  elif [ "$checking" -eq 1 ] && [ "$cleaned" -eq 0 ]; then
    # Interrupted or failed before check 9: remove what this run wrote, best effort.
    ctl "$ENDPOINTS" del --prefix "$prefix" >/dev/null 2>&1
    [ -n "$lease_id" ] && ctl "$ENDPOINTS" lease revoke "$lease_id" >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap teardown EXIT
trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP

# ctl_argv ENDPOINTS [POD]: the etcdctl command line, in CMD.
ctl_argv() {
  if [ "$mode" = kubectl ]; then
    CMD=("${kubectl[@]}" -n "$namespace" exec "${2:-${pods[0]}}" -- etcdctl)
  else
    CMD=("$etcdctl")
  fi
  CMD+=("--endpoints=$1" --dial-timeout=3s --command-timeout=5s)
}
# ctl ENDPOINTS ARGS...: run etcdctl, bounded by CMD_TIMEOUT; stderr goes to $errf.
ctl() {
  local eps="$1"; shift
  ctl_argv "$eps"
  timeout --foreground -k 5 "$cmd_timeout" "${CMD[@]}" "$@" 2>"$errf"
}
# A failure reason from the last command's stderr: etcdctl's "Error: ..." or "Failed ..." line
# rather than the client library's JSON warnings; else the first line.
err() {
  local e
  e="$(grep -E '^(Error|Failed)' "$errf" 2>/dev/null | head -n 1)"
  [ -n "$e" ] || e="$(grep -v '^$' "$errf" 2>/dev/null | head -n 1)"
  e="${e:-${1:-no output}}"
  echo "${e:0:300}"
}
# field NAME: the first value of "NAME" : value in etcdctl -w fields output on stdin.
field() { awk -F' : ' -v n="\"$1\"" '$1 == n { v = $2; gsub(/^"|"$/, "", v); print v; exit }'; }

passed=0
failed=()
check_no=0
result() { # result ok|fail TITLE REASON
  check_no=$((check_no + 1))
  if [ "$1" = ok ]; then
    passed=$((passed + 1)); printf '✓ %d. %s: %s\n' "$check_no" "$2" "$3"
  else
    failed+=("$2"); printf '✗ %d. %s: %s\n' "$check_no" "$2" "$3"
  fi
}

# ---------------------------------------------------------------- set-up per mode
port_free() {
  if command -v ss >/dev/null 2>&1; then
    ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .
  else
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
# Three client ports p with p and p+1 free, below the kernel's ephemeral range (32768+) so that
# outgoing connections do not take them, and away from the 2379/22379 defaults.
pick_ports() {
  local picked=() p q clash
  while [ ${#picked[@]} -lt 3 ]; do
    p=$((15000 + RANDOM % 15000))
    [ $((p % 10000)) -eq 2379 ] && continue
    clash=0
    for q in "${picked[@]}"; do [ $((p - q)) -ge -1 ] && [ $((p - q)) -le 1 ] && clash=1; done
    [ $clash -eq 0 ] && port_free "$p" && port_free $((p + 1)) && picked+=("$p")
  done
  echo "${picked[*]}"
}

case "$mode" in
  local)
    command -v "$etcdctl" >/dev/null || setup_error "$etcdctl not found (Debian package etcd-client)"
    cluster_dir="$work/cluster"
    export CLUSTER_SERVER="${CLUSTER_SERVER:-swift-etcd}"
    for attempt in 1 2 3; do
      ports="$(pick_ports)"
      CLUSTER_DIR="$cluster_dir" CLUSTER_BASE_PORTS="$ports" CLUSTER_TOKEN="conformance-$$" \
        "$root/scripts/cluster.sh" start > "$work/start.out" 2>&1
      rc=$?
      [ $rc -eq 3 ] && continue   # a port was taken meanwhile: new ports
      break
    done
    sed 's/^/  /' "$work/start.out"
    [ $rc -eq 0 ] || setup_error "could not start the local $CLUSTER_SERVER cluster (exit $rc)"
    ENDPOINTS="$(sed -n 's/^ENDPOINTS=//p' "$work/start.out")"
    ;;
  endpoints)
    [ -n "${ENDPOINTS:-}" ] || setup_error "endpoints mode needs ENDPOINTS=http://host:port,..."
    command -v "$etcdctl" >/dev/null || setup_error "$etcdctl not found (Debian package etcd-client)"
    ;;
  kubectl)
    command -v "${kubectl[0]}" >/dev/null || setup_error "${kubectl[0]} not found"
    ENDPOINTS="${ENDPOINTS:-http://etcd-0.etcd:2379,http://etcd-1.etcd:2379,http://etcd-2.etcd:2379}"
    out="$(timeout --foreground "$cmd_timeout" "${kubectl[@]}" -n "$namespace" exec "${pods[0]}" -- etcdctl version 2>&1)" ||
      setup_error "cannot run etcdctl in pod ${pods[0]} (namespace $namespace): $(echo "$out" | head -n 1)"
    ;;
  -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
  *) usage ;;
esac
echo "$name: mode=$mode${CLUSTER_SERVER:+ server=$CLUSTER_SERVER} endpoints=$ENDPOINTS"
echo "$name: test keys under $prefix"
checking=1

# ---------------------------------------------------------------- 1. cluster health
# etcdctl 3.4 writes the per-endpoint lines to stderr.
out="$(ctl "$ENDPOINTS" endpoint health --cluster)"; rc=$?
out="$out"$'\n'"$(cat "$errf")"
healthy="$(grep -c ' is healthy' <<< "$out")"
unhealthy="$(grep ' is unhealthy' <<< "$out" | head -n 1)"
total=$((healthy + $(grep -c ' is unhealthy' <<< "$out")))
if [ $rc -eq 0 ] && [ "$healthy" -eq "$expected" ]; then
  result ok "cluster health" "$healthy/$expected members healthy"
elif [ $rc -eq 0 ]; then
  result fail "cluster health" "$healthy members healthy, expected $expected"
else
  result fail "cluster health" "$healthy/$total members healthy; ${unhealthy:-$(grep -v '^$' <<< "$out" | head -n 1)}"
fi

# ---------------------------------------------------------------- 2. member list
declare -A member_name=()   # hex member ID -> name
declare -A url_name=()      # client URL -> name
member_urls=()
out="$(ctl "$ENDPOINTS" member list -w simple)"; rc=$?
if [ $rc -ne 0 ]; then
  result fail "member list" "$(err)"
else
  count=0 started=0 with_urls=0 names=()
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    IFS='|' read -r id status mname _peer clients _learner <<< "${line//, /|}"
    count=$((count + 1))
    [ "$status" = started ] && [ -n "$mname" ] && started=$((started + 1))
    if [ -n "$clients" ]; then
      with_urls=$((with_urls + 1))
      member_urls+=("${clients%%,*}")
      url_name["${clients%%,*}"]="$mname"
    fi
    member_name["$id"]="$mname"
    names+=("${mname:-<unstarted $id>}")
  done <<< "$out"
  mapfile -t names < <(printf '%s\n' "${names[@]}" | sort)
  if [ $count -eq "$expected" ] && [ $started -eq $count ] && [ $with_urls -eq $count ]; then
    result ok "member list" "$count members started, each with a client URL: ${names[*]}"
  else
    result fail "member list" "$count members (expected $expected), $started started, $with_urls with client URLs: ${names[*]}"
  fi
fi
# The per-member endpoints for checks 7 and 8; without a member list, the given ones.
if [ ${#member_urls[@]} -eq 0 ]; then IFS=, read -ra member_urls <<< "$ENDPOINTS"; fi

# ---------------------------------------------------------------- 3. leader election
out="$(ctl "$ENDPOINTS" endpoint status --cluster -w fields)"; rc=$?
# One line per answering member: endpoint, member ID, the leader it knows, raft term.
statuses="$(awk -F' : ' '
  $1 == "\"MemberID\"" { id = $2 } $1 == "\"Leader\"" { ld = $2 } $1 == "\"RaftTerm\"" { term = $2 }
  $1 == "\"Endpoint\"" { ep = $2; gsub(/"/, "", ep); print ep, id, ld, term }' <<< "$out")"
answered="$(grep -c . <<< "$statuses")"
leaders="$(awk '$2"" == $3""' <<< "$statuses" | grep -c .)"
views="$(awk '{ print $3 }' <<< "$statuses" | sort -u | grep -c .)"
leader_ep="$(awk '$2"" == $3"" { print $1; exit }' <<< "$statuses")"
leader_id="$(awk '{ print $3; exit }' <<< "$statuses")"
term="$(awk '{ print $4; exit }' <<< "$statuses")"
if [ $rc -eq 0 ] && [ "$answered" -eq "$expected" ] && [ "$leaders" -eq 1 ] && [ "$views" -eq 1 ] &&
   [ "${leader_id:-0}" != 0 ]; then
  hex="$(printf '%x' "$leader_id")"
  result ok "leader election" "one leader, ${member_name[$hex]:-$hex} ($leader_ep), term $term, agreed by $answered/$expected members"
else
  reason="$answered/$expected members answered, $leaders claim to lead, $views different leaders seen"
  [ $rc -eq 0 ] || reason="$reason; $(err)"
  result fail "leader election" "$reason"
fi

# ---------------------------------------------------------------- 4. write
kv_key="${prefix}kv"
kv_value="value-$RANDOM$RANDOM"
out="$(ctl "$ENDPOINTS" put "$kv_key" "$kv_value" -w fields)"; rc=$?
write_rev="$(field Revision <<< "$out")"
if [ $rc -eq 0 ] && [ -n "$write_rev" ]; then
  result ok "write" "put $kv_key at revision $write_rev"
else
  result fail "write" "put $kv_key: $(err)"
fi

# ---------------------------------------------------------------- 5. read
out="$(ctl "$ENDPOINTS" get "$kv_key" -w fields)"; rc=$?
got="$(field Value <<< "$out")"
mod="$(field ModRevision <<< "$out")"
if [ $rc -ne 0 ]; then
  result fail "read" "get $kv_key: $(err)"
elif [ "$got" = "$kv_value" ] && [ "$mod" = "$write_rev" ]; then
  result ok "read" "get $kv_key = \"$got\", mod revision $mod"
else
  result fail "read" "get $kv_key = \"$got\" at mod revision ${mod:-none}, expected \"$kv_value\" at ${write_rev:-?}"
fi

# ---------------------------------------------------------------- 6. TTL / lease
lease_key="${prefix}lease"
out="$(ctl "$ENDPOINTS" lease grant 90)"; rc=$?
lease_id="$(sed -n 's/^lease \([0-9a-f]*\) granted with TTL(.*/\1/p' <<< "$out")"
if [ $rc -ne 0 ] || [ -z "$lease_id" ]; then
  result fail "TTL/lease" "lease grant 90: $(err "$out")"
elif ! ctl "$ENDPOINTS" put "$lease_key" "leased" --lease="$lease_id" >/dev/null; then
  result fail "TTL/lease" "put --lease=$lease_id: $(err)"
else
  out="$(ctl "$ENDPOINTS" lease timetolive "$lease_id" --keys)"; rc=$?
  remaining="$(sed -n 's/.*remaining(\(-\{0,1\}[0-9]*\)s).*/\1/p' <<< "$out")"
  keys="$(sed -n 's/.*attached keys(\[\(.*\)\]).*/\1/p' <<< "$out")"
  if [ $rc -ne 0 ]; then
    result fail "TTL/lease" "lease timetolive: $(err)"
  elif [ -n "$remaining" ] && [ "$remaining" -gt 0 ] && [ "$remaining" -le 90 ] &&
       [[ " $keys " == *" $lease_key "* ]]; then
    result ok "TTL/lease" "lease $lease_id granted 90s, ${remaining}s remaining, $lease_key attached"
  else
    result fail "TTL/lease" "unexpected timetolive answer: $out"
  fi
fi

# ---------------------------------------------------------------- 7. watch
watch_ep="${member_urls[0]}"
put_ep="${member_urls[1]:-${member_urls[0]}}"
watch_key="${prefix}watch/event"
watch_value="event-$RANDOM$RANDOM"
out="$(ctl "$watch_ep" get "${prefix}watch/" --prefix -w fields)"; rc=$?
rev="$(field Revision <<< "$out")"
if [ $rc -ne 0 ] || [ -z "$rev" ]; then
  result fail "watch" "get the current revision from $watch_ep: $(err)"
else
  # From the next revision on, so a put that lands before the watch is registered still counts.
  ctl_argv "$watch_ep" "${pods[0]}"
  timeout --foreground $((watch_timeout + cmd_timeout)) "${CMD[@]}" \
    watch --prefix "${prefix}watch/" --rev=$((rev + 1)) > "$work/watch.out" 2> "$work/watch.err" &
  watch_pid=$!
  sleep 0.5
  ctl_argv "$put_ep" "${pods[1]:-${pods[0]}}"
  if ! timeout --foreground -k 5 "$cmd_timeout" "${CMD[@]}" put "$watch_key" "$watch_value" >/dev/null 2>"$errf"; then
    result fail "watch" "put $watch_key via $put_ep: $(err)"
  else
    start=$SECONDS seen=0
    while [ $((SECONDS - start)) -lt "$watch_timeout" ]; do
      if awk -v k="$watch_key" -v v="$watch_value" \
           'p2 == "PUT" && p1 == k && $0 == v { found = 1 } { p2 = p1; p1 = $0 } END { exit !found }' \
           "$work/watch.out"; then
        seen=1; break
      fi
      kill -0 "$watch_pid" 2>/dev/null || break
      sleep 0.1
    done
    if [ $seen -eq 1 ]; then
      result ok "watch" "watch --prefix on $watch_ep saw PUT $watch_key made via $put_ep"
    elif ! kill -0 "$watch_pid" 2>/dev/null; then
      result fail "watch" "the watch on $watch_ep ended: $(head -n 1 "$work/watch.err")"
    else
      result fail "watch" "the watch on $watch_ep did not see PUT $watch_key within ${watch_timeout}s"
    fi
  fi
  # In kubectl mode this ends the local kubectl; the etcdctl in the pod exits at its next event
  # (the deletes of check 9) when writing to the closed stream fails.
  kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=""
fi

# ---------------------------------------------------------------- 8. cluster consistency
cons_key="${prefix}consistency"
cons_value="consistent-$RANDOM$RANDOM"
out="$(ctl "$ENDPOINTS" put "$cons_key" "$cons_value" -w fields)"; rc=$?
cons_rev="$(field Revision <<< "$out")"
if [ $rc -ne 0 ] || [ -z "$cons_rev" ]; then
  result fail "cluster consistency" "put $cons_key: $(err)"
else
  # Serializable reads answer from each member's own store, which a follower updates shortly
  # after the leader: retry for a few seconds before calling a difference a failure.
  start=$SECONDS
  while :; do
    agree=0 report=()
    for ep in "${member_urls[@]}"; do
      if out="$(ctl "$ep" get "$cons_key" --consistency=s -w fields)"; then
        got="$(field Value <<< "$out")" mod="$(field ModRevision <<< "$out")"
        [ "$got" = "$cons_value" ] && [ "$mod" = "$cons_rev" ] && agree=$((agree + 1))
        report+=("$ep: \"$got\"@${mod:-none}")
      else
        report+=("$ep: $(err)")
      fi
    done
    [ $agree -eq ${#member_urls[@]} ] || [ $((SECONDS - start)) -ge "$consistency_timeout" ] && break
    sleep 0.2
  done
  if [ $agree -eq ${#member_urls[@]} ] && [ $agree -eq "$expected" ]; then
    result ok "cluster consistency" "$agree/$expected members return \"$cons_value\" at mod revision $cons_rev (serializable reads)"
  else
    result fail "cluster consistency" "$agree/$expected members agree on \"$cons_value\"@$cons_rev; $(printf '%s; ' "${report[@]}" | sed 's/; $//')"
  fi
fi

# ---------------------------------------------------------------- 9. cleanup
problems=()
deleted="$(ctl "$ENDPOINTS" del --prefix "$prefix")" || problems+=("del --prefix: $(err)")
if [ -n "$lease_id" ]; then
  ctl "$ENDPOINTS" lease revoke "$lease_id" >/dev/null || problems+=("lease revoke $lease_id: $(err)")
fi
left="$(ctl "$ENDPOINTS" get --prefix "$prefix" --keys-only -w fields | field Count)"
[ "$left" = 0 ] || problems+=("${left:-?} keys left under $prefix")
if [ ${#problems[@]} -eq 0 ]; then
  cleaned=1
  result ok "cleanup" "deleted ${deleted:-0} test keys${lease_id:+, revoked lease $lease_id}, none left"
else
  result fail "cleanup" "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
fi

# ---------------------------------------------------------------- summary
echo
if [ ${#failed[@]} -eq 0 ]; then
  echo "$name: all $passed checks passed"
  exit 0
fi
echo "$name: $passed passed, ${#failed[@]} failed: $(IFS=','; echo "${failed[*]}" | sed 's/,/, /g')"
exit 1
