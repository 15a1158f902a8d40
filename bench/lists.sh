#!/usr/bin/env bash
# Mailing-list benchmarks (bench/lists.py): (a) ezmlm-sub of 1,000,000 addresses from a file,
# (b) one post to 100,000 subscribers through ezmlm-send and qmail-send's remote delivery to
# Postfix's smtp-sink on loopback, against Postfix's sendmail with the same recipients:
#   bench/lists.sh
# Rewrites the lists:begin/lists:end block of bench/RESULTS.md. Needs root (or sudo): (b)
# reconfigures the system's Postfix as bench/remote.sh does; run it only when no other
# benchmark runs (pgrep -af 'bench/').
# Environment: see bench/lists.py (N_SUBSCRIBE, N_LIST, SUB_RUNS, LIST_RUNS, LIST_CASES, MTAS,
# QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "lists.sh: needs root or sudo" >&2; exit 111; }
  exec sudo --preserve-env=N_SUBSCRIBE,N_LIST,SUB_RUNS,LIST_RUNS,LIST_CASES,MTAS,PORT_SINK,QM_BIN,QM_REV,SKIP_BUILD,TIMEOUT,STALL,RESULTS,LIST_RAW,BENCH_USER "$0" "$@"
fi
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time

programs=(qmail-install qmail-queue qmail-inject sendmail qmail-start qmail-send qmail-local
          qmail-newu ezmlm-make ezmlm-sub ezmlm-list ezmlm-send)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f build/CMakeCache.txt ]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build build -j"$(nproc)" --target "${programs[@]}"
fi
export QM_BIN="${QM_BIN:-$PWD/build/bin}"
export PYTHONDONTWRITEBYTECODE=1  # bench.py and remote.py are imported: no __pycache__
exec python3 bench/lists.py
