#!/usr/bin/env bash
# Mailing-list benchmarks (bench/lists.py): (a) ezmlm-sub of 1,000,000 addresses from a file,
# (b) one post to 100,000 subscribers through ezmlm-send and qmail-send's remote delivery to
# Postfix's smtp-sink on loopback (and over QMTP to bench/qmtp_sink.cpp), against Postfix's
# sendmail with the same recipients:
#   bench/lists.sh
# Rewrites the lists:begin/lists:end block of bench/RESULTS.md. Needs root (or sudo): (b)
# reconfigures the system's Postfix as bench/remote.sh does; run it only when no other
# benchmark runs (pgrep -af 'bench/').
# Environment: see bench/lists.py (N_SUBSCRIBE, N_LIST, SUB_RUNS, LIST_RUNS, LIST_CASES, MTAS,
# QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

reexec_as_root "$0" N_SUBSCRIBE,N_LIST,SUB_RUNS,LIST_RUNS,LIST_CASES,LIST_PROTOCOLS,PORT_QMTP_SINK,QMTP_SINK,MTAS,PORT_SINK,QM_BIN,QM_REV,SKIP_BUILD,TIMEOUT,STALL,RESULTS,LIST_RAW,BENCH_USER "$@"
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time
need_postfix /usr/sbin/smtp-sink

build_targets "${mta_programs[@]}" ezmlm-make ezmlm-sub ezmlm-list ezmlm-send
build_qmtp_sink
export QM_BIN="${QM_BIN:-$PWD/build/bin}"
export PYTHONDONTWRITEBYTECODE=1  # benchlib.py and remote.py are imported: no __pycache__
exec python3 bench/lists.py
