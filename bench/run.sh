#!/usr/bin/env bash
# Benchmark our MTA against Postfix on this machine: bench/run.sh [N_MESSAGES]
# Installs Postfix if missing, builds our programs (into build/bin, like script/build) and the injection
# driver, runs the three cases for both MTAs and rewrites the generated block of bench/RESULTS.md.
# Needs root (or sudo): it installs and reconfigures the system's Postfix.
# Environment: see bench/bench.py (RUNS, CASES, MTAS, QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
export N_MESSAGES="${1:-${N_MESSAGES:-20000}}"

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run.sh: needs root or sudo" >&2; exit 111; }
  as_root=(sudo --preserve-env=N_MESSAGES,N_MAILDIRS,N_DISCARD,RUNS,RUNS_FANOUT,WORKERS,CASES,MTAS,QM_BIN,QM_REV,DRIVER,TIMEOUT,STALL,RESULTS,RAW,BENCH_USER)
fi

need_postfix /usr/sbin/postfix
build_targets "${mta_programs[@]}"
export QM_BIN="${QM_BIN:-$PWD/build/bin}"
build_driver

# -B: bench.py imports benchlib.py, and no __pycache__ belongs in the checkout.
exec "${as_root[@]}" python3 -B bench/bench.py
