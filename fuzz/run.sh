#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after another, on one core,
# and prints one summary line per target: executions, corpus size and whether it crashed.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]     (nightly toolchain and cargo-fuzz required)
# FUZZ_TIMEOUT=N: seconds one input may take before it counts as a hang (default 10; raise
# it on a loaded machine, where a starved process looks hung).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-240}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
[ -d fuzz/corpus ] || fuzz/seed.sh
mkdir -p fuzz/artifacts/logs
# Built once, then each binary is run directly (`cargo fuzz run` would rebuild whenever a
# source file changed in between).
cargo +nightly fuzz build -s none >fuzz/artifacts/logs/build.log 2>&1 || { echo "fuzz build failed"; exit 1; }
bin=fuzz/target/x86_64-unknown-linux-gnu/release
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  "$bin/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=3072 -max_len=65536 \
    -print_final_stats=1 -close_fd_mask=3 >"fuzz/artifacts/logs/$t.log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/artifacts/logs/$t.log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(ls "fuzz/corpus/$t" | wc -l)
  crash=$(grep -o 'Test unit written to .*' "fuzz/artifacts/logs/$t.log" | tail -1)
  echo "$t: ${secs}s, ${execs:-?} executions, corpus $corpus, exit $rc ${crash:+CRASH $crash}"
done
