#!/usr/bin/env bash
# The issue-10 load test: bench/hostile_load.py against a root-mode qmail-smtpd --listen
# (timeoutsmtpd 2, --max-per-ip 20). Run as root. DUR and IDLE set the length and size.
set -e
B=${QM_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}
R=/tmp/loadroot; rm -rf $R
$B/qmail-install $R >/dev/null
echo localhost > $R/control/me; echo localhost > $R/control/rcpthosts; echo 2 > $R/control/timeoutsmtpd
ulimit -n $(ulimit -Hn)
QMAILHOME=$R $B/qmail-smtpd --listen 127.0.0.1:2626 --max-connections 12000 --max-per-ip 20 --qmail-queue > /tmp/load-smtpd.log 2>&1 &
sleep 1
python3 "$(dirname "$0")/hostile_load.py" 127.0.0.1 2626 --idle ${IDLE:-10000} --idle-addresses 500 --slow 1000 --slow-addresses 4 --duration ${DUR:-30} --rcpt probe@localhost
kill %1; sleep 1; grep -c "too many connections" /tmp/load-smtpd.log; grep -c "write timeout" /tmp/load-smtpd.log; ls $R/queue/mess/*/ | wc -l
