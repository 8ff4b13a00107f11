#!/usr/bin/env bash
# py-spy flame graphs of the Faust worker, and of the read-side service beside it, while they take
# the end-to-end run (run 2 of `make bench`).
#
#   benchmarks/profile.sh [OUTPUT]     default: benchmarks/results/worker-<date>.svg
#                                      (the service's: service-<date>.svg beside it)
#
# OUTPUT ending .svg is a flame graph, .txt collapsed stacks (one line per stack), .json speedscope.
# Takes the same BENCH_* and ENGAGE_* settings as `make bench` (BENCH_EVENTS, BENCH_NEIGHBOURHOODS, the
# ports, BENCH_VAR_DIR); only the stack and run 2 are run. py-spy reads another process's memory, so
# it needs ptrace rights over the worker: root, or kernel.yama.ptrace_scope=0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$repo/benchmarks/results/worker-$(date -u +%Y-%m-%d).svg}"
python="$repo/.venv/bin/python"
[ -x "$repo/.venv/bin/py-spy" ] || { echo "py-spy is missing: run make bench-profile (it installs the bench extra)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# Its table (run 2 only) goes beside the runs' state, not among the benchmark's results.
BENCH_RESULTS_DIR="${BENCH_RESULTS_DIR:-$repo/var/bench-profile}" BENCH_ONLY=e2e BENCH_PROFILE="$out" \
  "$python" -m benchmarks
echo "flame graphs: $out and the service's beside it"
