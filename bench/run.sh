#!/usr/bin/env bash
# One-command benchmark of ModeRefresh against the machine's ceiling. See bench/README.md.
#   bash bench/run.sh
# Knobs (environment): BENCH_RUNS (3), BENCH_DURATION seconds per run (10), BENCH_WARMUP seconds (5),
# BENCH_CONNECTIONS (32), BENCH_THREADS (1), BENCH_AOT=0 (skip the Native AOT publish of Ingress, the image build, and
# its rows) or BENCH_AOT_DIR (an existing AOT publish of Ingress), BENCH_E2E_RATE (50),
# BENCH_PORT_BASE (5180: ceiling +0, Ingress +1, Refresh +2, AOT Ingress +3, end-to-end Ingress +4 and Refresh +5),
# BENCH_SKIP_BUILD=1.
set -Eeuo pipefail
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
RUNS=${BENCH_RUNS:-3}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-5}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-1}
PORT_BASE=${BENCH_PORT_BASE:-5180}
CEILING_PORT=$PORT_BASE
INGRESS_PORT=$((PORT_BASE + 1))
REFRESH_PORT=$((PORT_BASE + 2))
AOT_PORT=$((PORT_BASE + 3))
WEBHOOK_KEY="bench-webhook-key-$RANDOM$RANDOM"
export BENCH_WEBHOOK_KEY="$WEBHOOK_KEY" BENCH_MODE_TOKEN=bench-token BENCH_MODE_SECRET=bench-secret
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

WORK=$(mktemp -d /tmp/moderefresh-bench.XXXXXX)
PIDS=()

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- prerequisites
if ! command -v wrk >/dev/null; then
  log "wrk missing: installing it from the OS packages"
  if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
for tool in curl openssl awk; do command -v "$tool" >/dev/null || { log "$tool is required"; exit 1; }; done
for port in "$CEILING_PORT" "$INGRESS_PORT" "$REFRESH_PORT" "$AOT_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "port $port is in use; set BENCH_PORT_BASE"; exit 1; fi
done

LOAD_BEFORE=$(cut -d" " -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- build (Release)
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  for project in services/Ingress services/Refresh bench/Ceiling bench/SidecarHost bench/Micro; do
    log "dotnet build -c Release $project"
    dotnet build "$ROOT/$project" -c Release -v quiet -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  done
fi
INGRESS_DLL="$ROOT/services/Ingress/bin/Release/net10.0/ModeRefresh.Ingress.dll"
REFRESH_DLL="$ROOT/services/Refresh/bin/Release/net10.0/ModeRefresh.Refresh.dll"
CEILING_DLL="$ROOT/bench/Ceiling/bin/Release/net10.0/ModeRefresh.Bench.Ceiling.dll"
SIDECAR_DLL="$ROOT/bench/SidecarHost/bin/Release/net10.0/ModeRefresh.Bench.SidecarHost.dll"
MICRO_DLL="$ROOT/bench/Micro/bin/Release/net10.0/ModeRefresh.Bench.Micro.dll"

# ---------------------------------------------------------------- the stand-in sidecar
log "starting the stand-in sidecar (RecordNothing)"
dotnet "$SIDECAR_DLL" >"$WORK/sidecar.out" 2>"$WORK/sidecar.err" &
SIDECAR_PID=$!
PIDS+=("$SIDECAR_PID")
for _ in $(seq 1 300); do grep -q '^READY' "$WORK/sidecar.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY' "$WORK/sidecar.out" || { log "sidecar did not start"; cat "$WORK/sidecar.err"; exit 1; }
DAPR_GRPC=$(sed -n 's/^DAPR_GRPC_ENDPOINT=//p' "$WORK/sidecar.out")
DAPR_HTTP=$(sed -n 's/^DAPR_HTTP_ENDPOINT=//p' "$WORK/sidecar.out")
log "sidecar: gRPC $DAPR_GRPC, HTTP $DAPR_HTTP"

# Production-like environment for every measured process: Release build, logging at Warning.
SERVICE_ENV=(env "DAPR_GRPC_ENDPOINT=$DAPR_GRPC" "DAPR_HTTP_ENDPOINT=$DAPR_HTTP"
  Logging__LogLevel__Default=Warning "Logging__LogLevel__Microsoft.AspNetCore=Warning"
  ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
  Refresh__Workspace=bench Refresh__Reports__0__Report=benchreport1 'Refresh__Reports__0__Jobs__0=*'
  Mode__BaseUrl=http://127.0.0.1:9)

RUN_ENV=("${SERVICE_ENV[@]}") # the environment start_timed gives a process

# start_timed <name> <port> <command...>: starts the process (tracked for cleanup); sets STARTED_PID and STARTED_MS
# (ms from launch to the first /readyz 200). No subshell, so PIDS stays complete.
start_timed() {
  local name=$1 port=$2; shift 2
  local t0 t1 code pid
  t0=$(date +%s%N)
  "${RUN_ENV[@]}" "$@" --urls "http://127.0.0.1:$port" >>"$WORK/$name.out" 2>>"$WORK/$name.err" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 6000); do
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [[ "$code" == 200 ]] && break
    kill -0 "$pid" 2>/dev/null || { log "$name exited"; cat "$WORK/$name.err" >&2; return 1; }
    sleep 0.005
  done
  t1=$(date +%s%N)
  [[ "$code" == 200 ]] || { log "$name never became ready"; return 1; }
  STARTED_PID=$pid
  STARTED_MS=$(( (t1 - t0) / 1000000 ))
}

# startup <name> <port> <command...>: RUNS timed starts; all but the last are stopped. Sets STARTED_PID.
startup() {
  local name=$1 port=$2; shift 2
  local r
  : >"$WORK/startup.$name"
  for r in $(seq 1 "$RUNS"); do
    start_timed "$name" "$port" "$@"
    echo "$STARTED_MS" >>"$WORK/startup.$name"
    if [[ $r -lt $RUNS ]]; then stop_pid "$STARTED_PID"; fi
  done
  log "$name ready in $(tr '\n' ' ' <"$WORK/startup.$name")ms"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# ---------------------------------------------------------------- start what is measured
startup ceiling "$CEILING_PORT" dotnet "$CEILING_DLL"; CEILING_PID=$STARTED_PID
startup ingress "$INGRESS_PORT" dotnet "$INGRESS_DLL"; INGRESS_PID=$STARTED_PID
startup refresh "$REFRESH_PORT" dotnet "$REFRESH_DLL"; REFRESH_PID=$STARTED_PID
AOT_PID=
AOT_NOTE=""
if [[ "${BENCH_AOT:-1}" == 1 && -z "${BENCH_AOT_DIR:-}" ]]; then
  # Published from a copy of the sources, so that the RID-specific restore does not touch the working tree's obj/.
  log "Native AOT publish of Ingress, as its Dockerfile does (BENCH_AOT=0 skips it; a few minutes)"
  if ! command -v clang >/dev/null || ! dpkg -s zlib1g-dev >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq clang zlib1g-dev >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq clang zlib1g-dev >/dev/null; fi
  fi
  mkdir -p "$WORK/aotsrc/services"
  cp "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" "$ROOT/global.json" "$ROOT/.editorconfig" "$WORK/aotsrc/"
  cp -r "$ROOT/services/Ingress" "$ROOT/services/Contracts" "$ROOT/services/ServiceDefaults" "$WORK/aotsrc/services/"
  rm -rf "$WORK"/aotsrc/services/*/bin "$WORK"/aotsrc/services/*/obj
  # Warnings stay warnings here (TreatWarningsAsErrors=false) so that the result can be measured; they are listed below.
  if dotnet publish "$WORK/aotsrc/services/Ingress" -c Release --use-current-runtime -p:PublishAot=true -p:TreatWarningsAsErrors=false \
      -o "$WORK/aot" -nologo >"$WORK/aot.log" 2>&1; then
    BENCH_AOT_DIR="$WORK/aot"
    AOT_NOTE=$(grep -E '(warning|error) IL[0-9]+' "$WORK/aot.log" | sed 's/ \[\/.*//' | sort -u | grep -oE '(warning|error) IL[0-9]+' | sort | uniq -c | awk '{printf "%s%s × %s %s", (NR>1?", ":""), $1, $2, $3}' || true)
    AOT_NOTE="Native AOT publish: ${AOT_NOTE:-no trim/AOT warnings} (see bench/README.md)."
  else
    AOT_NOTE="Native AOT publish failed: $(grep -m1 -oE 'error [A-Z]+[0-9]+:.*' "$WORK/aot.log" | cut -c1-200 || true)"
  fi
fi
if [[ -n "${BENCH_AOT_DIR:-}" && -x "${BENCH_AOT_DIR}/ModeRefresh.Ingress" ]]; then
  startup ingress-aot "$AOT_PORT" "$BENCH_AOT_DIR/ModeRefresh.Ingress"; AOT_PID=$STARTED_PID
fi

# ---------------------------------------------------------------- requests
BODY="$BENCH/payload.json"
GOOD_SIG=$(openssl dgst -sha256 -hmac "$WEBHOOK_KEY" -r <"$BODY" | cut -d' ' -f1)
FORGED_SIG=$(openssl dgst -sha256 -hmac "not-the-key" -r <"$BODY" | cut -d' ' -f1)
check() { # check <url> <signature> <expected status>
  local code
  code=$(curl -s -o "$WORK/check.body" -m 5 -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "Authorization: $2" --data-binary @"$BODY" "$1")
  [[ "$code" == "$3" ]] || { log "expected $3 from $1, got $code: $(cat "$WORK/check.body")"; exit 1; }
}
check "http://127.0.0.1:$CEILING_PORT/webhooks/dbt" "$GOOD_SIG" 202
check "http://127.0.0.1:$INGRESS_PORT/webhooks/dbt" "$GOOD_SIG" 202
grep -q '"published":true' "$WORK/check.body" || { log "verified request not published: $(cat "$WORK/check.body")"; exit 1; }
check "http://127.0.0.1:$INGRESS_PORT/webhooks/dbt" "$FORGED_SIG" 401
if [[ -n "$AOT_PID" ]]; then
  check "http://127.0.0.1:$AOT_PORT/webhooks/dbt" "$GOOD_SIG" 202
  check "http://127.0.0.1:$AOT_PORT/webhooks/dbt" "$FORGED_SIG" 401
fi

# CPU time (user + system, in clock ticks) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

# wrk: run <label> <port> <signature> <seconds> <service pid> -> appends "rps p50 p99 p999 non2xx sockerr svc_us sidecar_us"
# (latencies in ms; svc_us / sidecar_us: CPU µs per request the service and the stand-in sidecar spent) to $WORK/wrk.<label>
run_wrk() {
  local label=$1 port=$2 sig=$3 secs=$4 pid=$5 s0 c0
  s0=$(cpu_ticks "$pid"); c0=$(cpu_ticks "$SIDECAR_PID")
  BENCH_BODY_FILE="$BODY" BENCH_SIGNATURE="$sig" timeout $((secs + 30)) \
    wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 5s --latency -s "$BENCH/webhook.lua" \
    "http://127.0.0.1:$port/webhooks/dbt" >"$WORK/wrk.last" 2>&1 || { cat "$WORK/wrk.last" >&2; exit 1; }
  grep '^BENCH ' "$WORK/wrk.last" | cut -d' ' -f2- | awk -v s=$(( $(cpu_ticks "$pid") - s0 )) \
    -v c=$(( $(cpu_ticks "$SIDECAR_PID") - c0 )) -v t="$TICKS" -v d="$secs" \
    '{n = $1 * d; printf "%s %.1f %.1f\n", $0, s * 1e6 / t / n, c * 1e6 / t / n}' >>"$WORK/wrk.$label"
}

TARGETS=("ceiling $CEILING_PORT $GOOD_SIG $CEILING_PID" "verified $INGRESS_PORT $GOOD_SIG $INGRESS_PID"
  "forged $INGRESS_PORT $FORGED_SIG $INGRESS_PID")
if [[ -n "$AOT_PID" ]]; then
  TARGETS+=("aot-verified $AOT_PORT $GOOD_SIG $AOT_PID" "aot-forged $AOT_PORT $FORGED_SIG $AOT_PID")
fi
log "warm-up: ${WARMUP}s per target"
for t in "${TARGETS[@]}"; do read -r label port sig pid <<<"$t"; run_wrk "warmup-$label" "$port" "$sig" "$WARMUP" "$pid"; done
# Interleaved (ceiling, verified, forged, ...) so that drift on the machine hits every target alike.
for r in $(seq 1 "$RUNS"); do
  for t in "${TARGETS[@]}"; do
    read -r label port sig pid <<<"$t"
    log "run $r/$RUNS: $label (${DURATION}s, -t$THREADS -c$CONNS)"
    run_wrk "$label" "$port" "$sig" "$DURATION" "$pid"
  done
done

LOAD_AFTER=$(cut -d" " -f1-3 /proc/loadavg)
RSS_CEILING=$(rss_kb "$CEILING_PID"); RSS_INGRESS=$(rss_kb "$INGRESS_PID"); RSS_REFRESH=$(rss_kb "$REFRESH_PID")
RSS_SIDECAR=$(rss_kb "$SIDECAR_PID"); RSS_AOT=; [[ -n "$AOT_PID" ]] && RSS_AOT=$(rss_kb "$AOT_PID")

# ---------------------------------------------------------------- allocations (in process)
log "micro: allocations per verified request"
for r in $(seq 1 "$RUNS"); do
  dotnet "$MICRO_DLL" "$BODY" 200000 >>"$WORK/micro"
done

# ---------------------------------------------------------------- webhook -> Mode end to end
# Needs the stand-in's shared broker and delivery (tests/TestSupport/StandIn, added separately); skipped with the
# reason when it is not there or bench/EndToEnd does not build against it.
E2E_NOTE=""
E2E_RATE=${BENCH_E2E_RATE:-50}
if ! grep -rlq "Broker" "$ROOT/tests/TestSupport/StandIn" 2>/dev/null; then
  E2E_NOTE="skipped: the stand-in sidecar has no pub/sub delivery to a subscriber app (no \"Broker\" in tests/TestSupport/StandIn)."
elif ! dotnet build "$ROOT/bench/EndToEnd" -c Release -v quiet -nologo >"$WORK/build-e2e.log" 2>&1; then
  E2E_NOTE="skipped: bench/EndToEnd does not build against the current tests/TestSupport/StandIn ($(grep -m1 -o 'error [A-Z]*[0-9]*:.*' "$WORK/build-e2e.log" | cut -c1-160 || true))."
else
  log "end to end: Ingress → stand-in broker → Refresh → fake Mode at $E2E_RATE req/s"
  E2E_INGRESS_PORT=$((PORT_BASE + 4)); E2E_REFRESH_PORT=$((PORT_BASE + 5))
  mkfifo "$WORK/e2e.in"
  dotnet "$ROOT/bench/EndToEnd/bin/Release/net10.0/ModeRefresh.Bench.EndToEnd.dll" \
    --ingress "http://127.0.0.1:$E2E_INGRESS_PORT" --refresh "http://127.0.0.1:$E2E_REFRESH_PORT" \
    --rate "$E2E_RATE" --seconds "$DURATION" --runs "$RUNS" <"$WORK/e2e.in" >"$WORK/e2e.out" 2>"$WORK/e2e.err" &
  E2E_PID=$!
  PIDS+=("$E2E_PID")
  exec 4>"$WORK/e2e.in"
  for _ in $(seq 1 300); do grep -q '^READY' "$WORK/e2e.out" 2>/dev/null && break; sleep 0.1; done
  if grep -q '^READY' "$WORK/e2e.out"; then
    e2e() { sed -n "s/^$1=//p" "$WORK/e2e.out"; }
    RUN_ENV=(env "DAPR_GRPC_ENDPOINT=$(e2e INGRESS_GRPC)" "DAPR_HTTP_ENDPOINT=$(e2e INGRESS_HTTP)"
      Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production)
    E2E_OK=0
    start_timed e2e-ingress "$E2E_INGRESS_PORT" dotnet "$INGRESS_DLL" && E2E_OK=1 && E2E_INGRESS_PID=$STARTED_PID
    E2E_REPORTS=()
    for j in $(seq 0 19); do E2E_REPORTS+=("Refresh__Reports__${j}__Report=r$j" "Refresh__Reports__${j}__Jobs__0=$j"); done
    RUN_ENV=(env "DAPR_GRPC_ENDPOINT=$(e2e REFRESH_GRPC)" "DAPR_HTTP_ENDPOINT=$(e2e REFRESH_HTTP)"
      Logging__LogLevel__Default=Warning ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production
      Refresh__Workspace=bench "${E2E_REPORTS[@]}" "Mode__BaseUrl=$(e2e MODE_URL)" Mode__RequestsPerSecond=1000)
    [[ $E2E_OK == 1 ]] && { start_timed e2e-refresh "$E2E_REFRESH_PORT" dotnet "$REFRESH_DLL" || E2E_OK=0; }
    E2E_REFRESH_PID=$STARTED_PID
    if [[ $E2E_OK == 1 ]]; then echo GO >&4; fi
    exec 4>&-
    deadline=$(( $(date +%s) + RUNS * (DURATION + 40) + 60 ))
    while kill -0 "$E2E_PID" 2>/dev/null && [[ $(date +%s) -lt $deadline ]]; do sleep 0.5; done
    grep '^E2E ' "$WORK/e2e.out" | cut -d' ' -f2- >"$WORK/e2e" || true
    if [[ $E2E_OK == 1 ]]; then RSS_E2E_INGRESS=$(rss_kb "$E2E_INGRESS_PID"); RSS_E2E_REFRESH=$(rss_kb "$E2E_REFRESH_PID"); fi
  fi
  exec 4>&-
  if [[ ! -s "$WORK/e2e" ]]; then
    E2E_NOTE="failed: no measurement came back ($(tail -c 300 "$WORK/e2e.err" | tr '\n' ' ' || true))."
  fi
fi

# ---------------------------------------------------------------- report
# median / min / max of one column (1-based) of a file
stat_col() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%s %s %s", m, v[1], v[NR]}'; }
med() { stat_col "$1" "$2" | cut -d' ' -f1; }
fmt_rps() { read -r m lo hi <<<"$(stat_col "$1" 1)"; printf '%.0f (%.0f–%.0f)' "$m" "$lo" "$hi"; }
fmt_ms() { read -r m lo hi <<<"$(stat_col "$1" "$2")"; printf '%.2f (%.2f–%.2f)' "$m" "$lo" "$hi"; }
CEIL_RPS=$(med "$WORK/wrk.ceiling" 1)
ratio() { awk -v a="$(med "$1" 1)" -v b="$CEIL_RPS" 'BEGIN {printf "%.0f %%", 100*a/b}'; }
row() { # row <label> <file> <expected>
  local f=$2 n2=$(awk '{s+=$5} END {print s+0}' "$2") se=$(awk '{s+=$6} END {print s+0}' "$2")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(fmt_rps "$f")" "$(ratio "$f")" \
    "$(fmt_ms "$f" 2)" "$(fmt_ms "$f" 3)" "$(fmt_ms "$f" 4)" "$(med "$f" 7)" "$(med "$f" 8)" "$3: $n2 non-2xx" "$se"
}
startup_cell() { read -r m lo hi <<<"$(stat_col "$WORK/startup.$1" 1)"; printf '%.0f (%.0f–%.0f)' "$m" "$lo" "$hi"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
micro_cell() { # micro_cell <name> -> "bytes | ns (min–max)"
  awk -v n="$1" '$1==n {print $2, $3}' "$WORK/micro" >"$WORK/micro.$1"
  read -r m lo hi <<<"$(stat_col "$WORK/micro.$1" 2)"
  printf '%s | %.0f (%.0f–%.0f)' "$(med "$WORK/micro.$1" 1)" "$m" "$lo" "$hi"
}

DATE=$(date -u +%Y-%m-%d)
OUT="$BENCH/results/$DATE.md"
mkdir -p "$BENCH/results"
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)
{
  echo "# ModeRefresh benchmark, $DATE"
  echo
  echo "Produced by \`bash bench/run.sh\` at $(date -u +%H:%M) UTC on commit $COMMIT${DIRTY:+ (with uncommitted changes)}."
  echo
  echo "## Machine"
  echo
  echo "- nproc: $(nproc); CPU: $CPU"
  echo "- memory: $MEM; kernel $(uname -r)"
  echo "- dotnet $(dotnet --version); $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2 || true)"
  echo "- load average (1/5/15 min) before the build: $LOAD_BEFORE; after the load runs: $LOAD_AFTER. Other work on the machine"
  echo "  (e.g. concurrent test runs) shows up here and widens the spread."
  echo "- load: \`wrk -t$THREADS -c$CONNS -d${DURATION}s --latency\`, $RUNS runs per row after a ${WARMUP}s warm-up, interleaved."
  echo "  wrk, the service and the stand-in sidecar share the $(nproc) core(s); nothing is pinned."
  echo "  Payload: bench/payload.json ($(wc -c <"$BODY") bytes, a dbt job.run.completed), one key."
  echo
  echo "## Load (median (min–max) of $RUNS runs)"
  echo
  echo "| path | req/s | of ceiling | p50 ms | p99 ms | p99.9 ms | service CPU µs/req | sidecar CPU µs/req | answers | socket errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  row "1. ceiling: bare Kestrel, read body, 202" "$WORK/wrk.ceiling" "202"
  row "2. Ingress verified (HMAC → parse → publish → 202)" "$WORK/wrk.verified" "202"
  row "3. Ingress forged (wrong HMAC → 401)" "$WORK/wrk.forged" "401"
  if [[ -n "$AOT_PID" ]]; then
    row "2a. Ingress Native AOT (the image build), verified" "$WORK/wrk.aot-verified" "202"
    row "3a. Ingress Native AOT (the image build), forged" "$WORK/wrk.aot-forged" "401"
    echo
    echo "${AOT_NOTE:-Native AOT binary from $BENCH_AOT_DIR.}"
  fi
  echo
  echo "\"answers\": the expected status; forged requests are all 401, so all count as non-2xx. CPU µs/req: user + system"
  echo "time of the measured process (for row 1 the bare endpoint) and of the stand-in sidecar over the run, per answered"
  echo "request (/proc/<pid>/stat); medians. wrk's own CPU is not in either column."
  echo
  echo "## 4. Webhook → Mode end to end at $E2E_RATE req/s"
  echo
  if [[ -s "$WORK/e2e" ]]; then
    echo "Ingress → stand-in sidecar → shared stand-in broker → Refresh's stand-in sidecar → Refresh → fake Mode server, all on loopback;"
    echo "latency from sending the signed webhook to the fake Mode server receiving the report-run call (bench/EndToEnd)."
    echo "$RUNS runs of ${DURATION}s at a steady $E2E_RATE webhooks/s, each with a new dbt run id; 20 jobs routed to 20 reports."
    echo
    echo "| sent | Mode calls | failed sends | p50 ms | p99 ms | max ms |"
    echo "|---|---|---|---|---|---|"
    printf "| %s | %s | %s | %s | %s | %s |\n" "$(awk "{s+=\$1} END {print s}" "$WORK/e2e")" \
      "$(awk '{s+=$2} END {print s}' "$WORK/e2e")" "$(awk '{s+=$7} END {print s}' "$WORK/e2e")" \
      "$(fmt_ms "$WORK/e2e" 3)" "$(fmt_ms "$WORK/e2e" 4)" "$(fmt_ms "$WORK/e2e" 6)"
    echo
    echo "Latency cells: median (min–max) over the $RUNS runs of each run's percentile ($((E2E_RATE * DURATION)) samples per run)."
  else
    echo "$E2E_NOTE"
  fi
  echo
  echo "## 5. Start to ready, memory"
  echo
  echo "| process | start → /readyz 200, ms (median (min–max) of $RUNS starts) | RSS after load |"
  echo "|---|---|---|"
  echo "| ceiling (bench/Ceiling) | $(startup_cell ceiling) | $(mb "$RSS_CEILING") MB |"
  echo "| Ingress | $(startup_cell ingress) | $(mb "$RSS_INGRESS") MB |"
  [[ -n "$AOT_PID" ]] && echo "| Ingress, Native AOT (the image build) | $(startup_cell ingress-aot) | $(mb "$RSS_AOT") MB |"
  echo "| Refresh (idle: it gets no traffic in rows 1–3) | $(startup_cell refresh) | $(mb "$RSS_REFRESH") MB |"
  if [[ -n "${RSS_E2E_INGRESS:-}" ]]; then
    echo "| Ingress after the end-to-end runs (item 4) | — | $(mb "$RSS_E2E_INGRESS") MB |"
    echo "| Refresh after the end-to-end runs (item 4) | — | $(mb "$RSS_E2E_REFRESH") MB |"
  fi
  echo "| stand-in sidecar (bench/SidecarHost) | — | $(mb "$RSS_SIDECAR") MB |"
  echo
  echo "Start is measured from launching \`dotnet <dll>\` to the first 200 from \`/readyz\` (polled every ~5 ms with curl);"
  echo "Ingress is ready once the sidecar answers and the webhook key is loaded, Refresh once the sidecar answers."
  echo
  echo "## 6. Allocations per verified request (bench/Micro, in process, 200 000 iterations, $RUNS runs)"
  echo
  echo "| step | bytes/op | ns/op (median (min–max)) |"
  echo "|---|---|---|"
  for n in verify verify-forged parse serialize metadata verified-total; do echo "| $n | $(micro_cell "$n") |"; done
  echo
  echo "verified-total = SignatureVerifier.Verify + DbtPayloadParser.TryParse + SerializeToUtf8Bytes (ContractsJsonContext)"
  echo "+ EventPublisher.AddMetadata. The publish itself (queue, gRPC, protobuf) is not included here; it is in row 2."
  echo
  echo "## Against the goals of issue 6 (aimed at, not asserted)"
  echo
  na="not measured (BENCH_AOT=0)"
  echo "| goal | JIT build (\`dapr run -f .\`) | Native AOT (the Ingress image) |"
  echo "|---|---|---|"
  echo "| verified path ≥ 60 % of the ceiling | $(ratio "$WORK/wrk.verified") | $([[ -n "$AOT_PID" ]] && ratio "$WORK/wrk.aot-verified" || echo "$na") |"
  echo "| forged path ≥ 80 % of the ceiling | $(ratio "$WORK/wrk.forged") | $([[ -n "$AOT_PID" ]] && ratio "$WORK/wrk.aot-forged" || echo "$na") |"
  if [[ -s "$WORK/e2e" ]]; then echo "| webhook → Mode p99 ≤ 50 ms | $(med "$WORK/e2e" 4) ms | — |"; else echo "| webhook → Mode p99 ≤ 50 ms | not measured (item 4 skipped) | — |"; fi
  echo "| Ingress RSS ≤ 60 MB | $(mb "$RSS_INGRESS") MB | $([[ -n "$AOT_PID" ]] && echo "$(mb "$RSS_AOT") MB" || echo "$na") |"
  echo "| start to ready ≤ 0.5 s | Ingress $(med "$WORK/startup.ingress" 1) ms, Refresh $(med "$WORK/startup.refresh" 1) ms (bare Kestrel: $(med "$WORK/startup.ceiling" 1) ms) | $([[ -n "$AOT_PID" ]] && echo "Ingress $(med "$WORK/startup.ingress-aot" 1) ms" || echo "$na") |"
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
