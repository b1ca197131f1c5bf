#!/usr/bin/env bash
# One-command benchmark of ModeRefresh against the machine's ceiling. See bench/README.md.
#   bash bench/run.sh
# This script only prepares: it installs wrk (and the AOT toolchain) when missing, builds in Release, publishes
# Ingress with Native AOT, and hands over to bench/Runner, which starts what is measured, measures and writes
# bench/results/<UTC date>.md (and prints it). Knobs here: BENCH_AOT=0 (no AOT publish, no AOT rows), BENCH_AOT_DIR (an existing AOT
# publish of Ingress), BENCH_SKIP_BUILD=1. The measurement knobs (BENCH_RUNS, BENCH_DURATION, BENCH_THREADS, ...)
# are read by bench/Runner; bench/README.md lists them all.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
WORK=$(mktemp -d /tmp/moderefresh-bench.XXXXXX)
RUNNER_PID=

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cleanup() {
  # The runner stops every process it started when it gets SIGTERM.
  if [[ -n "$RUNNER_PID" ]] && kill -0 "$RUNNER_PID" 2>/dev/null; then kill -TERM "$RUNNER_PID"; wait "$RUNNER_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

apt_install() { # apt_install <package...>: from the OS packages, via sudo when not root
  local sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  log "installing $* from the OS packages"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- prerequisites
command -v dotnet >/dev/null || { log "the .NET SDK (dotnet) is required"; exit 1; }
command -v wrk >/dev/null || apt_install wrk
export BENCH_LOAD_BEFORE; BENCH_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- build (Release)
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  for project in services/Ingress services/Refresh bench/Ceiling bench/SidecarHost bench/Micro bench/Runner; do
    log "dotnet build -c Release $project"
    dotnet build "$ROOT/$project" -c Release -v quiet -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
  done
fi

# ---------------------------------------------------------------- Native AOT publish of Ingress, as its Dockerfile does
if [[ "${BENCH_AOT:-1}" != 0 && -z "${BENCH_AOT_DIR:-}" ]]; then
  log "Native AOT publish of Ingress (BENCH_AOT=0 skips it; a few minutes)"
  command -v clang >/dev/null && dpkg -s zlib1g-dev >/dev/null 2>&1 || apt_install clang zlib1g-dev
  # From a copy of the sources, so that the RID-specific restore does not touch the working tree's obj/.
  mkdir -p "$WORK/aotsrc/services"
  cp "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props" "$ROOT/global.json" "$ROOT/.editorconfig" "$WORK/aotsrc/"
  cp -r "$ROOT/services/Ingress" "$ROOT/services/Contracts" "$ROOT/services/ServiceDefaults" "$WORK/aotsrc/services/"
  rm -rf "$WORK"/aotsrc/services/*/bin "$WORK"/aotsrc/services/*/obj
  # Warnings stay warnings here (TreatWarningsAsErrors=false) so that the result can be measured; the runner counts
  # them from the log into the results. A failed publish is reported there too, and the AOT rows are left out.
  export BENCH_AOT_LOG="$WORK/aot.log"
  if dotnet publish "$WORK/aotsrc/services/Ingress" -c Release --use-current-runtime -p:PublishAot=true \
      -p:TreatWarningsAsErrors=false -o "$WORK/aot" -nologo >"$BENCH_AOT_LOG" 2>&1; then
    export BENCH_AOT_DIR="$WORK/aot"
  else
    log "Native AOT publish failed (see the results file); measuring the rest"
  fi
fi

# ---------------------------------------------------------------- measure
export BENCH_ROOT="$ROOT"
dotnet "$ROOT/bench/Runner/bin/Release/net10.0/ModeRefresh.Bench.Runner.dll" &
RUNNER_PID=$!
status=0; wait "$RUNNER_PID" || status=$?
RUNNER_PID=
[[ $status -eq 0 ]] || { log "bench/Runner failed (exit $status)"; exit "$status"; }
