#!/usr/bin/env bash
# Benchmark our MTA against Postfix on this machine: bench/run.sh [N_MESSAGES]
# Installs Postfix if missing, builds our programs (into build/bin, like script/build) and the injection
# driver, runs the three cases for both MTAs and rewrites the generated block of bench/RESULTS.md.
# Needs root (or sudo): it installs and reconfigures the system's Postfix.
# Environment: see bench/bench.py (RUNS, CASES, MTAS, QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
export N_MESSAGES="${1:-${N_MESSAGES:-20000}}"

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run.sh: needs root or sudo" >&2; exit 111; }
  as_root=(sudo --preserve-env=N_MESSAGES,N_MAILDIRS,N_DISCARD,RUNS,RUNS_FANOUT,WORKERS,CASES,MTAS,QM_BIN,QM_REV,DRIVER,TIMEOUT,STALL,RESULTS,RAW,BENCH_USER)
fi

if ! command -v postconf >/dev/null || ! [ -x /usr/sbin/postfix ]; then
  echo "postfix postfix/main_mailer_type select Local only" | "${as_root[@]}" debconf-set-selections
  echo "postfix postfix/mailname string bench.test" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix
fi

# Only the programs the benchmark runs (a full script/build also compiles every test); the
# configure step is script/build's.
programs=(qmail-install qmail-queue qmail-inject sendmail qmail-start qmail-send qmail-local qmail-newu)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -f build/CMakeCache.txt ]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build build -j"$(nproc)" --target "${programs[@]}"
fi
export QM_BIN="${QM_BIN:-$PWD/build/bin}"
export DRIVER="${DRIVER:-$PWD/build/bench/inject_driver}"
mkdir -p "$(dirname "$DRIVER")"
if [ ! -x "$DRIVER" ] || [ bench/inject_driver.cpp -nt "$DRIVER" ]; then
  g++ -std=c++20 -O2 -Wall -Wextra -o "$DRIVER" bench/inject_driver.cpp
fi
# The driver runs as the unprivileged bench user: it must be able to reach it.
chmod 755 "$DRIVER"

exec "${as_root[@]}" python3 bench/bench.py
