#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, from its seed corpus in fuzz/corpus/<name>/,
# JOBS targets at a time (default: the number of cores; each fuzzer is one process on one core, so
# CI's wall time is SECONDS x targets / JOBS instead of SECONDS x targets).
# A crash or undefined behaviour fails the run and leaves the input in fuzz/artifacts/.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
jobs=${3:-${FUZZ_JOBS:-$(nproc)}}
root=$(cd "$(dirname "$0")/.." && pwd)
# Undefined behaviour stops the run like a crash (the fuzz build's UBSan otherwise only prints:
# reversed event times in restored checkpoints went unnoticed that way until the ninth session).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$root/fuzz/artifacts"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# One target: its corpus copied to a scratch directory (the seeds stay as committed), its report
# printed whole once it ends so parallel targets' lines do not interleave.
run_one() {
  local bin=$1 name work rc=0
  name=$(basename "$bin")
  work=$(mktemp -d)
  local corpus_seed="$root/fuzz/corpus/${name#fuzz_}"
  [ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work"/ 2>/dev/null || true
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$root/fuzz/artifacts/${name}-" -print_final_stats=1 "$work" 2>"$work.log" || rc=$?
  {
    echo "fuzz: $name for ${seconds}s"
    if [ "$rc" -ne 0 ]; then
      tail -50 "$work.log"
      echo "fuzz: $name FAILED (exit $rc)"
    else
      grep -E "stat::number_of_executed_units" "$work.log" | sed "s/^/fuzz: $name /" || true
    fi
  }
  echo "$rc" > "$results/$name.rc"
  rm -rf "$work" "$work.log"
}

running=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  run_one "$bin" > "$results/$(basename "$bin").out" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

status=0
count=0
for out in "$results"/*.out; do
  [ -e "$out" ] || continue
  cat "$out"
  name=$(basename "$out" .out)
  count=$((count + 1))
  rc=$(cat "$results/$name.rc" 2>/dev/null || echo missing)
  [ "$rc" = 0 ] || status=1
done
if [ "$count" -eq 0 ]; then
  echo "fuzz: no targets in $build/fuzz" >&2
  exit 1
fi
echo "fuzz: $count targets, $([ $status = 0 ] && echo all clean || echo FAILURES above)"
exit $status
