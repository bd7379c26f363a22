# Sourced by benchmarks/run: starting and stopping the servers a run measures. Every server
# listens on loopback on a free port (port 0 + a port file) and is tracked in SERVER_PIDS so
# that the run's exit trap stops whatever is still up.
#
# Needs from the caller: WORK (scratch directory), log().

declare -A SERVER_PIDS=()   # name -> pid
declare -A SERVER_PORTS=()  # name -> port

# start_server NAME COMMAND... : runs COMMAND (which must write its port to $WORK/NAME.port)
# with stdout/stderr in $WORK/NAME.{stdout,stderr}, and waits up to 120 s for the port.
start_server() {
  local name=$1; shift
  rm -f "$WORK/$name.port"
  "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" &
  local pid=$!
  SERVER_PIDS[$name]=$pid
  for _ in $(seq 1200); do
    [[ -s "$WORK/$name.port" ]] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$WORK/$name.stderr" >&2; log "$name exited before listening"; return 1
    fi
    sleep 0.1
  done
  [[ -s "$WORK/$name.port" ]] || { log "$name did not write its port within 120 s"; return 1; }
  SERVER_PORTS[$name]=$(tr -d '[:space:]' <"$WORK/$name.port")
  log "$name (pid $pid) on 127.0.0.1:${SERVER_PORTS[$name]}"
}

# stop_server NAME: SIGTERM, then SIGKILL after 60 s; records the exit status in $WORK/NAME.exit.
stop_server() {
  local name=$1 pid=${SERVER_PIDS[$1]:-}
  [[ -n "$pid" ]] || return 0
  unset "SERVER_PIDS[$name]"
  # Runs from the exit trap too: nothing here may fail under set -e.
  if ! kill -0 "$pid" 2>/dev/null; then
    local gone=0
    wait "$pid" 2>/dev/null || gone=$?
    echo "exited early ($gone)" >"$WORK/$name.exit"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within 60 s of SIGTERM"; kill -KILL "$pid" 2>/dev/null || true
    echo "timeout" >"$WORK/$name.exit"
  fi
  local status=0
  wait "$pid" 2>/dev/null || status=$?
  [[ -s "$WORK/$name.exit" ]] || echo "$status" >"$WORK/$name.exit"
}

stop_all_servers() {
  local name
  for name in "${!SERVER_PIDS[@]}"; do stop_server "$name"; done
}

# Resident memory (MiB) of a process and its children (the peer is a node:cluster primary
# with one worker per core).
rss_mib() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null); do
    total=$((total + $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)))
  done
  awk -v kib="$total" 'BEGIN { printf "%.1f", kib / 1024 }'
}

# CPU seconds (utime + stime) of a process and its children that are alive now.
tree_cpu_seconds() {
  local pid sum=0
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null); do
    sum=$(awk -v s="$sum" -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print s + ($12 + $13) / hz }' \
      "/proc/$pid/stat" 2>/dev/null || echo "$sum")
  done
  echo "$sum"
}

# wait_ready PORT: orderd's /readyz (the projector caught up), at most 60 s.
wait_ready() {
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/readyz" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
