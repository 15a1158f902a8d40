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
# The helper as remote delivery runs it for Ed25519: one dkim-sign --serve process, N
# requests (and RSA through the same path, for comparison with the in-process cost).
for sel in rsa ed; do
  python3 - "$work/msg" "$work/control/dkim/example.org.$sel.key" "$sel" "$n" > "$work/requests" <<'PY'
import sys
msg = open(sys.argv[1], 'rb').read()
ns = lambda b: str(len(b)).encode() + b':' + b + b','
req = ns(b'example.org') + ns(sys.argv[3].encode()) + ns(sys.argv[2].encode()) + ns(msg)
sys.stdout.buffer.write(req * int(sys.argv[4]))
PY
  start=$EPOCHREALTIME
  answers=$("$bin/dkim-sign" --serve "$n" < "$work/requests" | grep -c "DKIM-Signature" || true)
  end=$EPOCHREALTIME
  [ "$answers" -eq "$n" ] || { echo "dkim.sh: $answers answers of $n" >&2; exit 1; }
  echo "dkim-sign --serve $sel: $n messages in $(echo "$end - $start" | bc) s, $(echo "scale=3; ($end - $start) * 1000 / $n" | bc) ms per message"
done
openssl speed -seconds 2 rsa2048 ed25519 2>/dev/null | grep -E "^rsa 2048|^ *253 bits ed25519|sign/s" | head -4
