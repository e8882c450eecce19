#!/usr/bin/env bash
# Starts the built daemon on a free port with a fresh data directory, drives it with
# bin/hvctl as a user would, stops it with SIGTERM and checks it exited cleanly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp=$(mktemp -d)
# A bridge and subnet of its own, so the smoke test never touches the host's hv0.
bridge="hvsmoke$$"
bin/hypervisord --listen "127.0.0.1:0" --data-dir "$tmp/data" --metrics-listen off \
  --bridge "$bridge" --subnet "10.216.$(( $$ % 256 )).0/24" 2>"$tmp/daemon.log" &
pid=$!
remove_bridge() {
  ip link del "$bridge" 2>/dev/null || true
  iptables-save 2>/dev/null | grep -- "--comment \"hypervisord $bridge\"" | sed -n 's/^-A /-D /p' \
    | while read -r rule; do eval "iptables -t nat $rule 2>/dev/null || iptables $rule 2>/dev/null || true"; done
}
trap 'kill -9 $pid 2>/dev/null || true; remove_bridge; rm -rf "$tmp"' EXIT
port=""
for _ in $(seq 300); do
  port=$(sed -n 's/.* on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/daemon.log" | head -1)
  [[ -n $port ]] && break
  kill -0 $pid 2>/dev/null || { echo "FAIL daemon exited"; cat "$tmp/daemon.log"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "FAIL daemon did not start"; cat "$tmp/daemon.log"; exit 1; }
export HV_ADDR="127.0.0.1:$port"
failures=0
passes=0
pass() { echo "ok   $1"; passes=$((passes+1)); }
fail() { echo "FAIL $1"; failures=$((failures+1)); }
check() { # check NAME EXPECTED_EXIT COMMAND...
  local name=$1 want=$2; shift 2
  local got=0
  "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
  if [[ $got -eq $want ]]; then
    pass "$name"
  else
    fail "$name: exit $got, want $want"; cat "$tmp/out" "$tmp/err"
  fi
}
check "hvctl ls on an empty daemon" 0 bin/hvctl ls
check "hvctl -o json ls" 0 bin/hvctl -o json ls
check "hvctl get of a missing instance is NOT_FOUND (3)" 3 bin/hvctl get inst-xyz789
check "hvctl create of a microVM without a kernel (and no --default-kernel) is INVALID_ARGUMENT (2)" 2 \
  bin/hvctl create my-micro --type microvm --image busybox --cpus 1 --memory 256MiB
grep -q "spec.kernel" "$tmp/err" && pass "the error names the field" || fail "the error does not name spec.kernel"
check "hvctl create with a bad name is INVALID_ARGUMENT (2)" 2 bin/hvctl create Bad_Name --type container --image busybox
kill -TERM $pid
code=0; wait $pid || code=$?
if [[ $code -eq 0 ]]; then pass "SIGTERM exits 0"; else fail "SIGTERM exit $code"; fi
grep -q "hypervisord stopped" "$tmp/daemon.log" && pass "daemon logged a clean stop" \
  || { fail "no clean stop in the log"; cat "$tmp/daemon.log"; }
echo "smoke: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
