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
export N_REMOTE="${1:-${N_REMOTE:-10000}}"

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "remote.sh: needs root or sudo" >&2; exit 111; }
  exec sudo --preserve-env=N_REMOTE,N_RCPTS,REMOTE_RUNS,REMOTE_CASES,REMOTE_INJECT,WORKERS,MTAS,PORT_SINK,QM_BIN,QM_REV,DRIVER,SKIP_BUILD,TIMEOUT,STALL,RESULTS,REMOTE_RAW,BENCH_USER "$0" "$@"
fi

if ! command -v postconf >/dev/null || ! [ -x /usr/sbin/smtp-sink ]; then
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string bench.test" | debconf-set-selections
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix
fi

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
chmod 755 "$DRIVER"

export PYTHONDONTWRITEBYTECODE=1  # bench.py is imported: no __pycache__ in the checkout
exec python3 bench/remote.py
