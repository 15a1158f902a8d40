#!/usr/bin/env bash
# qmailanalog's speed: matchup and zoverall over a synthetic qmail-send log of N messages
# (one local and one remote delivery each, every tenth remote one deferred once first),
# beside Postfix's log summarizer pflogsumm over a Postfix log of the same deliveries.
# Usage: N=200000 bench/analog.sh   (needs a build in build/ and the pflogsumm package)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pflogsumm >/dev/null || { echo "analog.sh: needs pflogsumm (apt-get install pflogsumm)" >&2; exit 1; }
n=${N:-200000}
bin=${QM_BIN:-build/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Lines as qmail-send writes them through multilog t (TAI64N), and as Postfix writes
# them through syslog, for the same messages at the same times.
awk -v n="$n" -v qlog="$work/qmail.log" -v plog="$work/postfix.log" 'BEGIN {
  t = 1765000000; d = 0
  for (i = 1; i <= n; ++i) {
    id = 100000 + i; t += 0.01
    printf "@40000000%08x%08x new msg %d\n", 10 + int(t), 0, id > qlog
    printf "@40000000%08x%08x info msg %d: bytes %d from <sender%d@example.org> qp %d uid 1000\n", 10 + int(t), 0, id, 2000 + i % 500, i % 97, 5000 + i > qlog
    printf "@40000000%08x%08x starting delivery %d: msg %d to local user%d@example.com\n", 10 + int(t), 100, ++d, id, i % 1000 > qlog
    printf "@40000000%08x%08x delivery %d: success: did_1+0+0/\n", 10 + int(t), 2000, d > qlog
    if (i % 10 == 0) {
      printf "@40000000%08x%08x starting delivery %d: msg %d to remote r%d@example.net\n", 10 + int(t), 300, ++d, id, i % 5000 > qlog
      printf "@40000000%08x%08x delivery %d: deferral: Connection_refused/\n", 10 + int(t), 4000, d > qlog
    }
    printf "@40000000%08x%08x starting delivery %d: msg %d to remote r%d@example.net\n", 10 + int(t), 5000, ++d, id, i % 5000 > qlog
    printf "@40000000%08x%08x delivery %d: success: 1.2.3.4_accepted_message./Remote_host_said:_250_ok/\n", 10 + int(t), 9000, d > qlog
    printf "@40000000%08x%08x end msg %d\n", 10 + int(t), 9500, id > qlog

    q = sprintf("%X", id)
    printf "Dec  6 10:00:00 mx postfix/pickup[100]: %s: uid=1000 from=<sender%d>\n", q, i % 97 > plog
    printf "Dec  6 10:00:00 mx postfix/cleanup[101]: %s: message-id=<%d@example.org>\n", q, i > plog
    printf "Dec  6 10:00:00 mx postfix/qmgr[102]: %s: from=<sender%d@example.org>, size=%d, nrcpt=2 (queue active)\n", q, i % 97, 2000 + i % 500 > plog
    printf "Dec  6 10:00:00 mx postfix/local[103]: %s: to=<user%d@example.com>, relay=local, delay=0.02, delays=0/0/0/0.02, dsn=2.0.0, status=sent (delivered to maildir)\n", q, i % 1000 > plog
    if (i % 10 == 0)
      printf "Dec  6 10:00:00 mx postfix/smtp[104]: %s: to=<r%d@example.net>, relay=none, delay=0.03, delays=0/0/0.03/0, dsn=4.4.1, status=deferred (connect to example.net[1.2.3.4]:25: Connection refused)\n", q, i % 5000 > plog
    printf "Dec  6 10:00:00 mx postfix/smtp[104]: %s: to=<r%d@example.net>, relay=example.net[1.2.3.4]:25, delay=0.09, delays=0/0/0.04/0.05, dsn=2.0.0, status=sent (250 ok)\n", q, i % 5000 > plog
    printf "Dec  6 10:00:00 mx postfix/qmgr[102]: %s: removed\n", q > plog
  }
}'

secs() { local s=$EPOCHREALTIME; "$@"; echo "$EPOCHREALTIME - $s" | bc; }
qlines=$(wc -l < "$work/qmail.log"); plines=$(wc -l < "$work/postfix.log")
m=$(secs sh -c "'$bin/matchup' < '$work/qmail.log' > '$work/out' 2>/dev/null")
z=$(secs sh -c "'$bin/zoverall' < '$work/out' > '$work/overall'")
p=$(secs sh -c "pflogsumm --smtpd_stats '$work/postfix.log' > '$work/pflogsumm' 2>/dev/null")
grep -q "Completed messages: $n\$" "$work/overall" || { echo "analog: zoverall miscounted" >&2; cat "$work/overall" >&2; exit 1; }
grep -Eq "^ *($n|$((n / 1024))k) +received" "$work/pflogsumm" || { echo "analog: pflogsumm miscounted" >&2; head -20 "$work/pflogsumm" >&2; exit 1; }
echo "messages=$n qmail_log_lines=$qlines matchup_s=$m zoverall_s=$z postfix_log_lines=$plines pflogsumm_s=$p"
echo "matchup lines/s: $(echo "$qlines / $m" | bc)  pflogsumm lines/s: $(echo "$plines / $p" | bc)"
