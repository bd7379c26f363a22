#!/usr/bin/env python3
"""Issue 7's part of the report, run by benchmarks/run after its main report.

Reads the raw outputs of lib/compare.sh in $RESULTS_WORK (peer and Orderline comparison,
ceilings, scale), adds them to benchmarks/results/latest.json under "issue7", replaces the
`<!-- comparison -->` line of docs/benchmarks.md with the tables, and writes
$RESULTS_WORK/load_curve.dat for benchmarks/plot_load.gp. Every figure comes from the run.
"""
import json
import os
import subprocess

env = os.environ
work = env["RESULTS_WORK"]
root = env["RESULTS_ROOT"]
quick = env["RESULTS_QUICK"] == "1"
SYSTEMS = {"peer": "Emmett peer", "ol_embedded": "Orderline embedded", "ol_kafka": "Orderline on Kafka"}


def read(name):
    with open(os.path.join(work, name)) as f:
        return f.read()


def load(name):
    # The last line: a tool's JSON follows whatever it logged on stdout (orderline-prefill's engine logs).
    return json.loads([line for line in read(name).splitlines() if line.strip()][-1])


def pair(name):
    return [float(x) for x in read(name).split()]


def phase(name):
    """Loadgen JSON of a phase, with the CPU of the server, the tool and everything else."""
    out = load(name + ".out")
    real, user, system = pair(name + ".time")
    s0, s1 = pair(name + ".server_cpu")
    b0, b1 = pair(name + ".machine_cpu")
    tool, server = user + system, s1 - s0
    out["cpu"] = {"server_cores": round(server / real, 2), "tool_cores": round(tool / real, 2),
                  "other_cores": round(max(0.0, b1 - b0 - tool - server) / real, 2)}
    out["server_rss_mib"] = float(read(name + ".rss_mib"))
    return out


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        return ""


def n(v, digits=0):
    return "n/a" if v is None else f"{v:,.{digits}f}"


def met(ok):
    return "yes" if ok else "**no**"


def ratio(a, b):
    return a / b if a is not None and b else None


# ---- gather -----------------------------------------------------------------------------------
rates = [float(r) for r in read("cmp_rates").split()]
comparison = {}
for sys_name in SYSTEMS:
    comparison[sys_name] = {"peak": phase(f"cmp_{sys_name}_peak"),
                            "steps": [phase(f"cmp_{sys_name}_step{i}") for i in range(len(rates))]}
kafka_raw = load("ceil_kafka.out")
rocksdb_raw = {f"{t}x{b}": load(f"ceil_rocksdb_t{t}_b{b}.out") for t, b in ((1, 1), (8, 1), (8, 64))}
pg_copy = load("ceil_pg_copy.out")

scale = {"partitions": {}, "log": {}}
for p in (1, 8, 32):
    name = f"scale_p{p}"
    scale["partitions"][str(p)] = {"peak": phase(name + "_peak"), "open": phase(name + "_open"),
                                   "rss_start_mib": float(read(name + ".rss_start_mib"))}
for size in read("scale_log_sizes").split():
    name = f"scale_log_{size}"
    scale["log"][size] = {"prefill": load(name + ".prefill"), "peak": phase(name + "_peak"),
                          "open": phase(name + "_open"), "rss_start_mib": float(read(name + ".rss_start_mib"))}

lock = json.load(open(os.path.join(root, "benchmarks/peers/emmett/package-lock.json")))
pkgs = lock.get("packages", {})
peer_versions = {k.split("node_modules/")[-1]: v.get("version") for k, v in pkgs.items()
                 if k in ("node_modules/@event-driven-io/emmett", "node_modules/@event-driven-io/emmett-postgresql",
                          "node_modules/pg")}
peer_versions["node"] = sh("node --version")
workers = int(sh("nproc") or 1)

peer_peak = comparison["peer"]["peak"]["orders_per_s"]
emb_peak = comparison["ol_embedded"]["peak"]["orders_per_s"]
kafka_peak = comparison["ol_kafka"]["peak"]["orders_per_s"]
peer_rate_step = 1  # rates[1] is the peer's peak (rates[0] half of it)


def kept_up(step):
    return step["errors"] == 0 and step["orders_per_s"] >= 0.98 * step["rate_target"]


results_path = os.path.join(root, "benchmarks/results/latest.json")
results = json.load(open(results_path))
wrk_rps = results["http"]["healthz_wrk"]["requests_per_s"]
bus_case = next((c for name, c in results["command_bus_bench"]["cases"].items() if name.startswith("BM_PlaceOrder/")), None)
in_process = bus_case["items_per_second"] if bus_case and not bus_case.get("error") else None
best_rocksdb = max(rocksdb_raw.values(), key=lambda r: r["records_per_s"])
log_sizes = sorted(scale["log"], key=int)
rss_log = [scale["log"][s]["peak"]["server_rss_mib"] for s in log_sizes]
rss_fresh = scale["partitions"]["8"]["peak"]["server_rss_mib"]

results["issue7"] = {
    "scenario": "POST an order, then GET it (read-your-write), 64 keep-alive connections",
    "peer": {"versions": peer_versions, "workers": workers, "pg_pool_per_worker": int(env["RESULTS_PEER_POOL"])},
    "durations": {"prewarm_s": float(env["RESULTS_CMP_PREWARM"]), "warmup_s": float(env["RESULTS_CMP_WARMUP"]),
                  "duration_s": float(env["RESULTS_CMP_DURATION"])},
    "rates": rates,
    "comparison": comparison,
    "ceilings": {"kafka_raw": kafka_raw, "rocksdb_raw": rocksdb_raw, "pg_copy": pg_copy, "wrk_healthz_rps": wrk_rps},
    "scale": scale,
    "servers": {"postgres": "ORDERLINE_PG" if env.get("RESULTS_PG_EXTERNAL") else "scripts/postgres (throw-away)",
                "kafka": "ORDERLINE_KAFKA" if env.get("RESULTS_KAFKA_EXTERNAL") else "scripts/kafka (throw-away)"},
    "run_seconds_after_build": int(env["RESULTS_RUN_SECONDS"]),
}
with open(results_path, "w") as f:
    json.dump(results, f, indent=2)
    f.write("\n")

# ---- the plot's data --------------------------------------------------------------------------
with open(os.path.join(work, "load_curve.dat"), "w") as f:
    f.write("# offered achieved_peer p99_peer achieved_embedded p99_embedded achieved_kafka p99_kafka\n")
    for i, r in enumerate(rates):
        row = [r]
        for s in SYSTEMS:
            st = comparison[s]["steps"][i]
            row += [st["orders_per_s"], max(st["p99_ms"], 0.01)]
        f.write(" ".join(f"{v:.3f}" for v in row) + "\n")

# ---- docs -------------------------------------------------------------------------------------
L = []
L.append("## Orderline against its peer and its ceilings (issue 7)")
L.append("")
if quick:
    L.append("> **Quick run** (`--quick`) on a shared 2-core machine: "
             f"{n(float(env['RESULTS_CMP_DURATION']))} s per point after {n(float(env['RESULTS_CMP_WARMUP']))} s of warm-up "
             f"(and {n(float(env['RESULTS_CMP_PREWARM']))} s of unmeasured load on each system before its first point), "
             f"log-growth steps of {', '.join(n(int(s)) for s in log_sizes)} events instead of 1M and 10M. "
             "Indicative only; the *other* column says how busy the machine was.")
    L.append("")
if not quick and log_sizes != ["1000000", "10000000"]:
    L.append(f"> **Log-growth steps changed** (`BENCH_LOG_SIZES`): {', '.join(n(int(s)) for s in log_sizes)} events "
             "instead of 1M and 10M.")
    L.append("")
L.append(f"Scenario, for all three systems, driven by the same `orderline-loadgen`: place an order (`POST`), then "
         f"read it back (`GET` on the same keep-alive connection); one order = both answered; "
         f"{comparison['peer']['peak']['connections']} connections. "
         f"**Peer**: Emmett {peer_versions.get('@event-driven-io/emmett')} with "
         f"`@event-driven-io/emmett-postgresql` {peer_versions.get('@event-driven-io/emmett-postgresql')} on Node "
         f"{peer_versions['node']} (`benchmarks/peers/emmett`): `CommandHandler` + `getPostgreSQLEventStore`, the append "
         f"expects `STREAM_DOES_NOT_EXIST`, the read is `aggregateStream`; node:cluster with {workers} workers (one per "
         f"core), node-postgres pool of {env['RESULTS_PEER_POOL']} per worker. **Orderline**: `orderd serve --no-saga "
         "--pg DSN` (the saga would add stock and payment work the peer does not do), embedded log, or "
         "`--event-log kafka://...`; its read is `GET /api/v1/orders/{id}?after=POSITION` (waits for the projection: "
         "read-your-write, as the peer's fold of the stream is). Orderline authenticates every request (a customer's "
         "bearer token); the peer has no authentication. All three use the same PostgreSQL server (one database each) "
         f"and the Kafka broker is the same for Orderline and the raw Kafka ceiling ({results['issue7']['servers']['postgres']}, "
         f"{results['issue7']['servers']['kafka']}).")
L.append("")

emb_step, kafka_step = comparison["ol_embedded"]["steps"][peer_rate_step], comparison["ol_kafka"]["steps"][peer_rate_step]
rows = []
pk = comparison["peer"]["peak"]
rows.append(("Emmett peer: peak orders/s (place + read)", f"{n(peer_peak)} (p99 {n(pk['p99_ms'], 2)} ms)", "", ""))
for key, label, target in (("ol_embedded", "Orderline embedded", 20), ("ol_kafka", "Orderline on Kafka", 7)):
    c = comparison[key]["peak"]
    r = ratio(c["orders_per_s"], peer_peak)
    rows.append((f"{label}: peak orders/s (place + read)", f"{n(c['orders_per_s'])} (p99 {n(c['p99_ms'], 2)} ms)", "", ""))
    rows.append((f"… {label} / peer", f"{n(r, 2)}×", f"≥ {target}×", met(r is not None and r >= target)))
for label, st in (("Orderline embedded", emb_step), ("Orderline on Kafka", kafka_step)):
    ok = st["p99_ms"] <= 10 and kept_up(st)
    rows.append((f"{label}: p99 at the peer's peak load ({n(st['rate_target'])} orders/s, open loop)",
                 f"{n(st['p99_ms'], 2)} ms (achieved {n(st['orders_per_s'])}/s, {n(st['errors'])} errors)", "≤ 10 ms", met(ok)))
if len(log_sizes) >= 1:
    growth = ratio(rss_log[-1], rss_fresh)
    sizes = " → ".join(f"{n(int(s))}: {n(m, 1)} MiB" for s, m in zip(log_sizes, rss_log))
    ok = growth is not None and growth <= 1.5
    rows.append(("orderd resident memory as the log grows (after the peak phase; fresh log: "
                 f"{n(rss_fresh, 1)} MiB)", sizes, "bounded (≤ 1.5× the fresh log's)", met(ok)))
L.append("| figure | value | target | met? |")
L.append("|---|---:|---:|:---:|")
L += ["| " + " | ".join(r) + " |" for r in rows]
L.append("")

# Ceilings
L.append("Against the ceilings of the parts (same run; a ratio is Orderline's figure over the part's own):")
L.append("")
L.append("| Orderline figure | value | ceiling | ceiling value | ratio |")
L.append("|---|---:|---|---:|---:|")
emb_rps = 2 * emb_peak
L.append(f"| embedded, HTTP requests/s at the peak (2 per order) | {n(emb_rps)} | `wrk` GET /healthz requests/s | "
         f"{n(wrk_rps)} | {n(ratio(emb_rps, wrk_rps), 2)} |")
L.append(f"| embedded, orders/s (one synced event each) | {n(emb_peak)} | RocksDB synced records/s "
         f"({best_rocksdb['threads']} writers × {best_rocksdb['batch']} per batch) | {n(best_rocksdb['records_per_s'])} | "
         f"{n(ratio(emb_peak, best_rocksdb['records_per_s']), 3)} |")
if in_process:
    L.append(f"| in process, durable commands/s (`BM_PlaceOrder`) | {n(in_process)} | same | "
             f"{n(best_rocksdb['records_per_s'])} | {n(ratio(in_process, best_rocksdb['records_per_s']), 2)} |")
L.append(f"| on Kafka, orders/s | {n(kafka_peak)} | raw idempotent produce, acks=all, msgs/s | "
         f"{n(kafka_raw['produce']['messages_per_s'])} | {n(ratio(kafka_peak, kafka_raw['produce']['messages_per_s']), 3)} |")
L.append(f"| on Kafka, orders/s | {n(kafka_peak)} | raw read_committed consume, msgs/s | "
         f"{n(kafka_raw['consume']['messages_per_s'])} | {n(ratio(kafka_peak, kafka_raw['consume']['messages_per_s']), 3)} |")
for pt in kafka_raw.get("passthrough", []):
    # Each order is two records in a transaction (its event and its outcome).
    L.append(f"| on Kafka, records/s in transactions (2 per order) | {n(2 * kafka_peak)} | transactional pass-through "
             f"(consume {pt['batch']}, produce {pt['batch']}, send offsets, commit), msgs/s | {n(pt['messages_per_s'])} | "
             f"{n(ratio(2 * kafka_peak, pt['messages_per_s']), 2)} |")
L.append(f"| embedded, orders/s (each one row of the PostgreSQL orders read model) | {n(emb_peak)} | PostgreSQL COPY rows/s | "
         f"{n(pg_copy['rows_per_s'])} | {n(ratio(emb_peak, pg_copy['rows_per_s']), 3)} |")
L.append(f"| (the peer, for scale) orders/s | {n(peer_peak)} | PostgreSQL COPY rows/s | {n(pg_copy['rows_per_s'])} | "
         f"{n(ratio(peer_peak, pg_copy['rows_per_s']), 3)} |")
L.append("")
r11, r81 = rocksdb_raw["1x1"], rocksdb_raw["8x1"]
L.append(f"The ceilings: RocksDB with the embedded log's options and `sync = true`, {r11['value_bytes']} B records: "
         f"{n(r11['records_per_s'])}/s with one writer and one record per write (the fsync rate), "
         f"{n(r81['records_per_s'])}/s with 8 writers (RocksDB's write groups share an fsync), "
         f"{n(rocksdb_raw['8x64']['records_per_s'])}/s with 8 writers × 64 records. Kafka: {n(kafka_raw['messages'])} "
         f"messages of {kafka_raw['key_bytes']} + {kafka_raw['value_bytes']} B (mean key and value of "
         f"{n(kafka_raw['sizes_sampled'])} of Orderline's events read from `{kafka_raw['sizes_sampled_from']}`) over "
         f"{kafka_raw['partitions']} partitions, librdkafka {kafka_raw['librdkafka']}. PostgreSQL: "
         f"{n(pg_copy['rows'])} rows in one COPY into a table like `orderline_v1.orders` (primary key and both indexes).")
L.append("")
kafka_version = sh("sed -n 's/^KAFKA_VERSION=\\([0-9.]*\\).*/\\1/p' " + os.path.join(root, "scripts/kafka"))
sv = pg_copy["server_version"]
L.append(f"Servers: PostgreSQL {sv // 10000}.{sv % 10000}, Apache Kafka {kafka_version or 'n/a'} (KRaft, one node); "
         f"peer: {', '.join(f'{k} {v}' for k, v in peer_versions.items())}.")
L.append("")

# Load curve
L.append("### Load curve (open loop, same offered loads for all three)")
L.append("")
L.append("![throughput and p99 against offered load](benchmarks-load.png)")
L.append("")
L.append("| offered orders/s | " + " | ".join(f"{v}: achieved / p99 ms / errors" for v in SYSTEMS.values()) + " |")
L.append("|---:|" + "---:|" * len(SYSTEMS))
for i, r in enumerate(rates):
    cells = []
    for s in SYSTEMS:
        st = comparison[s]["steps"][i]
        cells.append(f"{n(st['orders_per_s'])} / {n(st['p99_ms'], 2)} / {n(st['errors'])}")
    L.append(f"| {n(r)}{' (peer peak)' if i == peer_rate_step else ''} | " + " | ".join(cells) + " |")
L.append("")
L.append("Cores used at each system's peak (server with its child processes / load tool / everything else):")
L.append("")
L.append("| system | server | load tool | other | resident memory after (MiB) |")
L.append("|---|---:|---:|---:|---:|")
for s, label in SYSTEMS.items():
    c = comparison[s]["peak"]
    L.append(f"| {label} | {c['cpu']['server_cores']:.2f} | {c['cpu']['tool_cores']:.2f} | {c['cpu']['other_cores']:.2f} | "
             f"{n(c['server_rss_mib'], 1)} |")
L.append("")
for s, label in SYSTEMS.items():
    c = comparison[s]["peak"]
    if c["cpu"]["server_cores"] < 0.25 and c["orders_per_s"] < peer_peak:
        L.append(f"{label} kept only {c['cpu']['server_cores']:.2f} cores busy at its peak of {n(c['orders_per_s'])} "
                 "orders/s: it was waiting, not computing.")
        L.append("")
L.append("The peer's server figure covers its node processes only; its PostgreSQL server's CPU falls under *other*, "
         "as does the Kafka broker's for Orderline on Kafka and the PostgreSQL projector's server for both Orderlines.")
L.append("")

# Scale
L.append("### Scale: partitions and log size (Orderline embedded, `--no-saga`, place + read)")
L.append("")
rate = scale["partitions"]["8"]["open"]["rate_target"]
L.append(f"Each point is a fresh `orderd serve`: closed-loop peak, then open loop at the peer's peak ({n(rate)} orders/s); "
         "resident memory from /proc (VmRSS) when ready, and after each phase.")
L.append("")
L.append("| point | events in log | peak orders/s | p99 at peak (ms) | p99 at the peer's peak (ms) | RSS ready / after peak / after open (MiB) |")
L.append("|---|---:|---:|---:|---:|---:|")
for p, pt in scale["partitions"].items():
    L.append(f"| {p} partition{'s' if p != '1' else ''}, fresh log | small | {n(pt['peak']['orders_per_s'])} | "
             f"{n(pt['peak']['p99_ms'], 2)} | {n(pt['open']['p99_ms'], 2)} | {n(pt['rss_start_mib'], 1)} / "
             f"{n(pt['peak']['server_rss_mib'], 1)} / {n(pt['open']['server_rss_mib'], 1)} |")
for s in log_sizes:
    pt = scale["log"][s]
    label = f"8 partitions, log prefilled to {n(int(s))} events" + (" (quick-run size)" if quick else "")
    L.append(f"| {label} | {n(pt['prefill']['events'])} | {n(pt['peak']['orders_per_s'])} | {n(pt['peak']['p99_ms'], 2)} | "
             f"{n(pt['open']['p99_ms'], 2)} | {n(pt['rss_start_mib'], 1)} / {n(pt['peak']['server_rss_mib'], 1)} / "
             f"{n(pt['open']['server_rss_mib'], 1)} |")
L.append("")
for s in log_sizes:
    pf = scale["log"][s]["prefill"]
    L.append(f"- Prefill to {n(int(s))} events (`orderline-prefill`: the in-process engine, command bus, {pf['partitions']} "
             f"partitions, read models folded): {n(pf['orders'])} orders in {n(pf['write_seconds'], 1)} s "
             f"({n(pf['orders_per_s'])}/s), {n(pf['total_seconds'], 1)} s with the read models; data directory "
             f"{n(pf['data_dir_bytes'] / 1048576, 1)} MiB.")
L.append("")
L.append(f"This run took {results['issue7']['run_seconds_after_build']} s after its build (all of `benchmarks/run`: "
         "the wait for a quiet machine, every phase above and below, the report).")
L.append("")

doc_path = os.path.join(root, "docs/benchmarks.md")
doc = open(doc_path).read()
marker = "<!-- comparison -->"
if marker not in doc:
    raise SystemExit("report_comparison.py: no marker in docs/benchmarks.md")
doc = doc.replace(marker, "\n".join(L).rstrip("\n"))
# The exact commands of these phases, beside the others.
extra = ["", "Issue 7 (lib/compare.sh):", "```",
         f"node benchmarks/peers/emmett/server.js --pg DSN --port 0 --port-file F --pool {env['RESULTS_PEER_POOL']}",
         "orderd serve --data-dir D --port 0 --port-file F --admin-token x --log-level warn --no-saga --pg DSN [--event-log kafka://BROKER?prefix=P]",
         f"orderline-loadgen --port PORT --connections 64 --read [--api emmett] [--rate R] --duration {env['RESULTS_CMP_DURATION']} --warmup {env['RESULTS_CMP_WARMUP']}",
         f"kafka_raw_bench --brokers BROKER --messages {kafka_raw['messages']} --partitions 8 --size-from-topic P.events",
         "rocksdb_raw_bench --dir D --threads 1|8 --batch 1|64 --seconds S --value-bytes B",
         f"pg_copy_bench --pg DSN --rows {pg_copy['rows']}",
         "orderline-prefill --data-dir D --events N; orderd serve --data-dir D --no-saga [--partitions 1|8|32]",
         "gnuplot benchmarks/plot_load.gp",
         "```", ""]
doc = doc.rstrip("\n") + "\n" + "\n".join(extra)
open(doc_path, "w").write(doc)
print(json.dumps({"peer_peak": peer_peak, "embedded_peak": emb_peak, "kafka_peak": kafka_peak,
                  "embedded_over_peer": ratio(emb_peak, peer_peak), "kafka_over_peer": ratio(kafka_peak, peer_peak)}))
