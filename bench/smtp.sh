#!/usr/bin/env bash
# SMTP-receiving benchmark, our qmail-smtpd + qmail-send against Postfix (issue 3, bench (a), (d)):
#   bench/smtp.sh [N_SMTP]
# (a) smtp-source sends N_SMTP (20,000) messages over 4 sessions to each MTA's loopback listener,
#     timed until every message is in the maildir; (d) N_IDLE (10,000) idle sessions held open.
# Builds the programs it runs (like bench/run.sh, plus qmail-smtpd), raises RLIMIT_NOFILE, runs
# bench/smtp.py, which rewrites the smtp:begin/smtp:end block of bench/RESULTS.md.
# Needs root (or sudo): it reconfigures the system's Postfix (as bench/run.sh does).
# BENCH_FS=journaled: both MTAs on an ext4 with a journal on a loop device (bench/common.sh).
# Environment: see bench/smtp.py (SMTP_RUNS, N_IDLE, SMTP_CASES, MTAS, QM_BIN, SKIP_BUILD=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
export N_SMTP="${1:-${N_SMTP:-20000}}"

reexec_as_root "$0" BENCH_FS,JOURNAL,N_SMTP,SMTP_SESSIONS,SMTP_LENGTH,SMTP_RUNS,N_IDLE,IDLE_RUNS,MIN_AVAIL_MIB,SMTP_CASES,MTAS,PORT_POSTFIX,PORT_OURS,QM_BIN,QM_REV,SKIP_BUILD,TIMEOUT,STALL,RESULTS,SMTP_RAW,BENCH_USER "$@"
need_postfix /usr/sbin/smtp-source
build_targets "${mta_programs[@]}" qmail-smtpd
export QM_BIN="${QM_BIN:-$PWD/build/bin}"

# 10,000 sessions: each daemon (and the idle client) needs a descriptor per session. Postfix's
# master and its smtpd processes inherit this limit from `postfix start`. Up to 65536, or the
# hard limit where raising it is not allowed (no CAP_SYS_RESOURCE, as in some containers).
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
need=$(( ${N_IDLE:-10000} + 100 ))
if [ "$(ulimit -n)" -lt "$need" ]; then
  echo "smtp.sh: RLIMIT_NOFILE is $(ulimit -n), the idle case needs $need" >&2; exit 111
fi

export PYTHONDONTWRITEBYTECODE=1  # benchlib.py is imported: no __pycache__ in the checkout
if [ "${BENCH_FS:-}" = journaled ]; then
  # Both MTAs' queues and maildirs on an ext4 file system with a journal (this VM's own
  # is without one), on a loop device over a file on the same disk: see
  # journaled_fs_begin in bench/common.sh.
  journaled_fs_begin
  trap journaled_fs_end EXIT
  python3 bench/smtp.py
else
  exec python3 bench/smtp.py
fi
