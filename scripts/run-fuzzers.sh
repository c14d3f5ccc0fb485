#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, from its seed corpus in fuzz/corpus/<name>/.
# A crash or undefined behaviour fails the run and leaves the input in fuzz/artifacts/.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
# Undefined behaviour stops the run like a crash (the fuzz build's UBSan otherwise only prints:
# reversed event times in restored checkpoints went unnoticed that way until the ninth session).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$root/fuzz/artifacts"
status=0
for bin in "$build"/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  corpus_seed="$root/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus_seed" ] && cp -r "$corpus_seed"/. "$work"/ 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="$root/fuzz/artifacts/${name}-" -print_final_stats=1 "$work" 2>"$work.log"; then
    tail -50 "$work.log"
    echo "fuzz: $name FAILED"
    status=1
  else
    grep -E "stat::number_of_executed_units" "$work.log" | sed "s/^/fuzz: $name /" || true
  fi
  rm -rf "$work" "$work.log"
done
exit $status
