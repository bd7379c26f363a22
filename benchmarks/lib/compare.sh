# Sourced by benchmarks/run: issue 7's phases, all in the same run on the same machine.
#   services     PostgreSQL and Kafka: our own throw-away servers (scripts/postgres,
#                scripts/kafka on free ports), or ORDERLINE_PG / ORDERLINE_KAFKA if given
#   comparison   the Emmett peer, Orderline embedded and Orderline on Kafka, each placing an
#                order and reading it back (orderline-loadgen --read): closed-loop peak, then
#                the same open-loop rates for all three (the load curve of the plot)
#   ceilings     raw Kafka produce/consume, raw synced RocksDB writes, PostgreSQL COPY
#   scale        Orderline as partitions grow (1, 8, 32) and as the log grows (prefilled)
# Each phase leaves its raw output in $WORK; benchmarks/report_comparison.py reads them.
#
# Needs from the caller: WORK, BENCH_TMP, QUICK, CONNECTIONS, ORDERD, LOADGEN, BUILD_DIR, log(),
# machine_busy_seconds(), and lib/servers.sh.

RUN_TAG="b$(date +%s)$$"
if ((QUICK)); then
  CMP_WARMUP=1; CMP_DURATION=2; CMP_STEPS=4; SETTLE_S=0.5; CMP_PREWARM=15
  KAFKA_RAW_MESSAGES=50000; PG_COPY_ROWS=100000; ROCKSDB_SECONDS=2
  LOG_SIZES=(30000)  # labelled as a quick-run size in the report
else
  CMP_WARMUP=3; CMP_DURATION=15; CMP_STEPS=6; SETTLE_S=2; CMP_PREWARM=30
  KAFKA_RAW_MESSAGES=500000; PG_COPY_ROWS=1000000; ROCKSDB_SECONDS=5
  LOG_SIZES=(1000000 10000000)
fi
# BENCH_LOG_SIZES="N ..." replaces the log-growth steps (the report says so).
if [[ -n "${BENCH_LOG_SIZES:-}" ]]; then read -r -a LOG_SIZES <<<"$BENCH_LOG_SIZES"; fi
PEER_DIR=benchmarks/peers/emmett
PEER_POOL="${PEER_POOL:-10}"  # pg connections per peer worker (node-postgres' default pool size)

# --- services ---------------------------------------------------------------------------------
PG_OWNED_DIR=""
KAFKA_OWNED_DIR=""
start_services() {
  # Both start at once (the broker's JVM takes tens of seconds on 2 busy cores).
  local pg_job="" kafka_job=""
  if [[ -z "${ORDERLINE_PG:-}" ]]; then
    PG_OWNED_DIR=$(mktemp -d "$BENCH_TMP/orderline-bench-pg-XXXXXX")
    scripts/postgres start --port 0 --dir "$PG_OWNED_DIR" >"$WORK/postgres.stdout" 2>"$WORK/postgres.stderr" &
    pg_job=$!
  fi
  if [[ -z "${ORDERLINE_KAFKA:-}" ]]; then
    KAFKA_OWNED_DIR=$(mktemp -d "$BENCH_TMP/orderline-bench-kafka-XXXXXX")
    scripts/kafka start --port 0 --dir "$KAFKA_OWNED_DIR" >"$WORK/kafka.stdout" 2>"$WORK/kafka.stderr" &
    kafka_job=$!
  fi
  if [[ -n "$pg_job" ]]; then
    wait "$pg_job" || { cat "$WORK/postgres.stderr" >&2; log "PostgreSQL did not start"; return 1; }
    PG_URL=$(sed -n 's/^ORDERLINE_PG=//p' "$WORK/postgres.stdout")
    log "PostgreSQL: our own, $PG_URL"
  else
    PG_URL=$ORDERLINE_PG
    log "PostgreSQL: using ORDERLINE_PG=$PG_URL"
  fi
  if [[ -n "$kafka_job" ]]; then
    wait "$kafka_job" || { cat "$WORK/kafka.stderr" >&2; log "Kafka did not start"; return 1; }
    KAFKA_ADDR=$(sed -n 's/^ORDERLINE_KAFKA=//p' "$WORK/kafka.stdout")
    log "Kafka: our own, $KAFKA_ADDR"
  else
    KAFKA_ADDR=$ORDERLINE_KAFKA
    log "Kafka: using ORDERLINE_KAFKA=$KAFKA_ADDR"
  fi
  for host in "${PG_URL#*@}" "$KAFKA_ADDR"; do
    [[ "$host" == 127.* || "$host" == localhost* ]] || { log "refusing a non-loopback server: $host"; return 1; }
  done
  # One database per system on the same server, so none sees another's tables.
  PG_BASE=${PG_URL%/*}
  for db in emmett embedded kafka; do
    psql -q "$PG_URL" -c "CREATE DATABASE ${RUN_TAG}_$db" >/dev/null
  done
}

stop_services() {
  if [[ -n "${PG_URL:-}" && -z "$PG_OWNED_DIR" ]]; then
    for db in emmett embedded kafka; do psql -q "$PG_URL" -c "DROP DATABASE IF EXISTS ${RUN_TAG}_$db" >/dev/null 2>&1 || true; done
  fi
  if [[ -n "$PG_OWNED_DIR" ]]; then
    scripts/postgres stop --dir "$PG_OWNED_DIR" >/dev/null 2>&1 || true
    rm -rf "$PG_OWNED_DIR"
  fi
  if [[ -n "$KAFKA_OWNED_DIR" ]]; then
    scripts/kafka stop --dir "$KAFKA_OWNED_DIR" >/dev/null 2>&1 || true
    rm -rf "$KAFKA_OWNED_DIR"
  fi
}

# --- the peer ---------------------------------------------------------------------------------
# npm ci from the lockfile, skipped when node_modules already matches it; npm's cache lives
# under ~/.cache so a second machine set-up reuses the downloads.
install_peer() {
  command -v node >/dev/null && command -v npm >/dev/null || { log "Node.js >= 20 with npm is needed for the peer"; return 1; }
  local want have=""
  want=$(sha256sum "$PEER_DIR/package-lock.json" | cut -d' ' -f1)
  [[ -f "$PEER_DIR/node_modules/.lock-sha256" ]] && have=$(cat "$PEER_DIR/node_modules/.lock-sha256")
  if [[ "$want" != "$have" ]]; then
    log "npm ci in $PEER_DIR"
    (cd "$PEER_DIR" && npm ci --no-audit --no-fund --prefer-offline --cache "${HOME}/.cache/orderline/npm" >/dev/null)
    echo "$want" >"$PEER_DIR/node_modules/.lock-sha256"
  fi
}

# --- one load phase ---------------------------------------------------------------------------
# load_phase NAME SERVER LOADGEN-ARGS...: runs orderline-loadgen against server SERVER (a
# name of lib/servers.sh) and keeps its JSON, its own CPU, the server's CPU (with its child
# processes), the machine's busy time and the server's resident memory afterwards.
load_phase() {
  local name=$1 server=$2; shift 2
  local pid=${SERVER_PIDS[$server]} port=${SERVER_PORTS[$server]}
  local before busy_before
  before=$(tree_cpu_seconds "$pid")
  busy_before=$(machine_busy_seconds)
  local TIMEFORMAT='%R %U %S'
  { time "$LOADGEN" --port "$port" --connections "$CONNECTIONS" "$@" >"$WORK/$name.out" 2>"$WORK/$name.stderr"; } \
    2>"$WORK/$name.time" || { cat "$WORK/$name.stderr" >&2; log "$name failed"; return 1; }
  echo "$before $(tree_cpu_seconds "$pid")" >"$WORK/$name.server_cpu"
  echo "$busy_before $(machine_busy_seconds)" >"$WORK/$name.machine_cpu"
  rss_mib "$pid" >"$WORK/$name.rss_mib"
}

settle_server() {
  case "$1" in
    peer) sleep "$SETTLE_S" ;;
    *) wait_ready "${SERVER_PORTS[$1]}" || log "WARNING: $1 not ready after 60 s"; sleep "$SETTLE_S" ;;
  esac
}

loadgen_args() {  # the place-then-read scenario for one system
  case "$1" in
    peer) echo "--api emmett --read" ;;
    *) echo "--read" ;;
  esac
}

# --- comparison -------------------------------------------------------------------------------
CMP_SYSTEMS=(peer ol_embedded ol_kafka)
run_comparison() {
  install_peer
  # The saga is off for Orderline here: the peer places and reads an order, nothing more, and
  # so does Orderline with --no-saga (with the saga each order also reserves stock and pays).
  start_server peer node "$PEER_DIR/server.js" --pg "$PG_BASE/${RUN_TAG}_emmett" --port 0 \
    --port-file "$WORK/peer.port" --pool "$PEER_POOL"
  start_server ol_embedded "$ORDERD" serve --data-dir "$WORK/cmp-embedded" --port 0 --port-file "$WORK/ol_embedded.port" \
    --admin-token x --log-level warn --no-saga --pg "$PG_BASE/${RUN_TAG}_embedded"
  start_server ol_kafka "$ORDERD" serve --data-dir "$WORK/cmp-kafka" --port 0 --port-file "$WORK/ol_kafka.port" \
    --admin-token x --log-level warn --no-saga --pg "$PG_BASE/${RUN_TAG}_kafka" \
    --event-log "kafka://$KAFKA_ADDR?prefix=$RUN_TAG"
  local sys
  for sys in "${CMP_SYSTEMS[@]}"; do
    settle_server "$sys"
    # Unmeasured load first, the same for every system: a just-started JVM (the Kafka broker)
    # or V8 (the peer) runs interpreted code for its first seconds. Measured here: a fresh
    # broker gave 561 placed-and-read orders/s in the quick run's 2 s, 1,860 after 15 s of this.
    log "comparison: $sys warm-up (${CMP_PREWARM}s, not measured)"
    # shellcheck disable=SC2046
    "$LOADGEN" --port "${SERVER_PORTS[$sys]}" --connections "$CONNECTIONS" $(loadgen_args "$sys") \
      --duration "$CMP_PREWARM" --warmup 0 >/dev/null 2>"$WORK/cmp_${sys}_prewarm.stderr" ||
      log "WARNING: $sys warm-up failed (see $WORK/cmp_${sys}_prewarm.stderr)"
    log "comparison: $sys peak (place + read, closed loop, $CONNECTIONS connections, ${CMP_DURATION}s)"
    # shellcheck disable=SC2046
    load_phase "cmp_${sys}_peak" "$sys" $(loadgen_args "$sys") --duration "$CMP_DURATION" --warmup "$CMP_WARMUP"
  done
  # The same offered loads for all three: half the peer's peak, the peer's peak, then
  # geometric steps up to 1.25 x the best Orderline peak.
  read -r -a CMP_RATES <<<"$(python3 - "$WORK" "$CMP_STEPS" <<'PY'
import json, sys
work, steps = sys.argv[1], int(sys.argv[2])
peak = lambda s: max(1.0, json.load(open(f"{work}/cmp_{s}_peak.out"))["orders_per_s"])
p, m = peak("peer"), max(peak("ol_embedded"), peak("ol_kafka"))
top = max(1.25 * m, 1.25 * p)
n = steps - 1
rates = [p / 2] + [p * (top / p) ** (i / (n - 1)) for i in range(n)]
print(" ".join(str(max(10, int(r))) for r in rates))
PY
)"
  echo "${CMP_RATES[*]}" >"$WORK/cmp_rates"
  local i
  for i in "${!CMP_RATES[@]}"; do
    for sys in "${CMP_SYSTEMS[@]}"; do
      settle_server "$sys"
      log "comparison: $sys open loop at ${CMP_RATES[$i]} orders/s (${CMP_DURATION}s)"
      # shellcheck disable=SC2046
      load_phase "cmp_${sys}_step$i" "$sys" $(loadgen_args "$sys") --rate "${CMP_RATES[$i]}" \
        --duration "$CMP_DURATION" --warmup "$CMP_WARMUP" --grace 2 --timeout 5
    done
  done
  for sys in "${CMP_SYSTEMS[@]}"; do stop_server "$sys"; done
  rm -rf "$WORK/cmp-embedded" "$WORK/cmp-kafka"
}

# --- ceilings ---------------------------------------------------------------------------------
run_ceilings() {
  log "ceiling: Kafka raw produce + read_committed consume ($KAFKA_RAW_MESSAGES messages the size of our events)"
  # ... and a transactional pass-through loop (consume 64, produce 64, send offsets, commit):
  # the ceiling of a transaction per batch, as Orderline's Kafka log runs them (issue 3).
  "$BUILD_DIR/benchmarks/kafka_raw_bench" --brokers "$KAFKA_ADDR" --messages "$KAFKA_RAW_MESSAGES" --partitions 8 \
    --size-from-topic "$RUN_TAG.events" --passthrough-batch 64 --passthrough-seconds 5 \
    >"$WORK/ceil_kafka.out" 2>"$WORK/ceil_kafka.stderr" ||
    { cat "$WORK/ceil_kafka.stderr" >&2; log "kafka_raw_bench failed"; return 1; }
  local value_bytes
  value_bytes=$(jq -r '.value_bytes + .key_bytes' "$WORK/ceil_kafka.out")
  local spec
  for spec in "1 1" "8 1" "8 64"; do
    set -- $spec
    log "ceiling: RocksDB synced writes, $1 writer(s), $2 record(s) per batch, ${value_bytes} B records"
    "$BUILD_DIR/benchmarks/rocksdb_raw_bench" --dir "$WORK/rocksdb-raw" --threads "$1" --batch "$2" \
      --seconds "$ROCKSDB_SECONDS" --value-bytes "$value_bytes" >"$WORK/ceil_rocksdb_t$1_b$2.out" 2>"$WORK/ceil_rocksdb.stderr" ||
      { cat "$WORK/ceil_rocksdb.stderr" >&2; log "rocksdb_raw_bench failed"; return 1; }
  done
  log "ceiling: PostgreSQL COPY ($PG_COPY_ROWS rows like orderline_v1.orders)"
  "$BUILD_DIR/benchmarks/pg_copy_bench" --pg "$PG_URL" --rows "$PG_COPY_ROWS" >"$WORK/ceil_pg_copy.out" 2>"$WORK/ceil_pg.stderr" ||
    { cat "$WORK/ceil_pg.stderr" >&2; log "pg_copy_bench failed"; return 1; }
}

# --- scale ------------------------------------------------------------------------------------
# scale_point NAME DATA-DIR ORDERD-ARGS...: orderd (embedded, no saga) on DATA-DIR: peak, then
# open loop at the peer's peak, and its resident memory after each.
scale_point() {
  local name=$1 dir=$2; shift 2
  local rate
  rate=$(jq -r '.orders_per_s | floor' "$WORK/cmp_peer_peak.out")
  ((rate >= 10)) || rate=10
  start_server "$name" "$ORDERD" serve --data-dir "$dir" --port 0 --port-file "$WORK/$name.port" \
    --admin-token x --log-level warn --no-saga "$@"
  settle_server "$name"
  rss_mib "${SERVER_PIDS[$name]}" >"$WORK/${name}.rss_start_mib"
  log "scale: $name peak (${CMP_DURATION}s)"
  load_phase "${name}_peak" "$name" --read --duration "$CMP_DURATION" --warmup "$CMP_WARMUP"
  settle_server "$name"
  log "scale: $name open loop at $rate orders/s, the peer's peak (${CMP_DURATION}s)"
  load_phase "${name}_open" "$name" --read --rate "$rate" --duration "$CMP_DURATION" --warmup "$CMP_WARMUP"
  stop_server "$name"
}

run_scale() {
  local n
  for n in 1 8 32; do
    scale_point "scale_p$n" "$WORK/scale-p$n" --partitions "$n"
    rm -rf "$WORK/scale-p$n"
  done
  local size
  for size in "${LOG_SIZES[@]}"; do
    log "scale: prefilling the embedded log to $size events (orderline-prefill)"
    "$BUILD_DIR/benchmarks/orderline-prefill" --data-dir "$WORK/scale-log" --events "$size" \
      >"$WORK/scale_log_$size.prefill" 2>"$WORK/scale_log_$size.prefill.stderr" ||
      { tail -5 "$WORK/scale_log_$size.prefill.stderr" >&2; log "prefill failed"; return 1; }
    scale_point "scale_log_$size" "$WORK/scale-log"
  done
  rm -rf "$WORK/scale-log"
  echo "${LOG_SIZES[*]}" >"$WORK/scale_log_sizes"
}
