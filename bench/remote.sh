#!/usr/bin/env bash
# Remote-delivery benchmark, qmail-send's SMTP client against Postfix's smtp(8), both relaying to
# Postfix's smtp-sink on loopback (issue 3, bench (b) and (c)):
#   bench/remote.sh [N_REMOTE]
# (b) N_REMOTE (10,000) separate messages, (c) one message to N_RCPTS (10,000) recipients;
# deliveries/s, RSS of the MTA's process tree, CPU per delivery. Builds the programs it runs (like
# bench/run.sh) and the injection driver, runs bench/remote.py, which rewrites the
# remote:begin/remote:end block of bench/RESULTS.md.
# Needs root (or sudo): it reconfigures the system's Postfix (as bench/run.sh does).
# Environment: see bench/remote.py (REMOTE_RUNS, REMOTE_CASES, REMOTE_INJECT, MTAS, QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
export N_REMOTE="${1:-${N_REMOTE:-10000}}"

reexec_as_root "$0" N_REMOTE,N_RCPTS,REMOTE_RUNS,REMOTE_CASES,REMOTE_INJECT,WORKERS,MTAS,PORT_SINK,QM_BIN,QM_REV,DRIVER,SKIP_BUILD,TIMEOUT,STALL,RESULTS,REMOTE_RAW,BENCH_USER "$@"
need_postfix /usr/sbin/smtp-sink
build_targets "${mta_programs[@]}"
export QM_BIN="${QM_BIN:-$PWD/build/bin}"
build_driver

export PYTHONDONTWRITEBYTECODE=1  # benchlib.py is imported: no __pycache__ in the checkout
exec python3 bench/remote.py
