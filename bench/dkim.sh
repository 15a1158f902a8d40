#!/usr/bin/env bash
# DKIM signing cost: dkim-sign (a process per message, as remote delivery runs it for
# Ed25519 keys) for RSA-2048 and Ed25519, N messages of about 3 KB each, and OpenSSL's own
# speed for one RSA-2048 and one Ed25519 signature (the in-process part of the cost).
# Usage: N=500 bench/dkim.sh   (needs build/bin)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-500}
bin=${QM_BIN:-$PWD/build/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/control"
export QMAILHOME=$work
"$bin/dkim-keygen" example.org rsa > /dev/null
"$bin/dkim-keygen" --ed25519 example.org ed > /dev/null
{
  printf 'From: Ann <ann@example.org>\nTo: list@lists.example.org\nSubject: a post\n'
  printf 'Date: Sun, 06 Dec 2026 16:00:00 +0000\nMessage-ID: <1@example.org>\n\n'
  for i in $(seq 40); do echo "line $i of a message body that is about three kilobytes long....."; done
} > "$work/msg"
for sel in rsa ed; do
  start=$EPOCHREALTIME
  for i in $(seq "$n"); do
    "$bin/dkim-sign" example.org "$sel" "$work/control/dkim/example.org.$sel.key" < "$work/msg" > /dev/null
  done
  end=$EPOCHREALTIME
  echo "dkim-sign $sel: $n messages in $(echo "$end - $start" | bc) s, $(echo "scale=3; ($end - $start) * 1000 / $n" | bc) ms per message (process start included)"
done
openssl speed -seconds 2 rsa2048 ed25519 2>/dev/null | grep -E "^rsa 2048|^ *253 bits ed25519|sign/s" | head -4
