#!/usr/bin/env python3
"""qmail-send's memory for one message to many remote recipients (issue 13, item 5).

  sudo python3 bench/fanout_memory.py                  # N_RCPTS="1000 100000", VERP="1 0"
  sudo N_RCPTS=20000 VERP=1 python3 bench/fanout_memory.py

As the bench user (qmbench, normal-user mode), for each N in N_RCPTS and each sender kind in
VERP (1: a VERP sender, list-@lists.example-@[], so every recipient is its own attempt; 0: a
plain sender, recipients grouped by domain up to 100 per attempt): a fresh mail root under
/tmp/qmfanout, one 2 KiB message queued by qmail-queue (envelope on fd 1) to N recipients
subscriber<i>@member-<i % 1000>.example, then qmail-start. control/smtproutes sends every
domain to 127.0.0.1:PORT, a socket this script listens on and never accepts from: the kernel
completes the connections, so concurrencyremote (20) attempts stay in flight waiting for a
greeting that never comes, and the message's pass over remote/N stays open with all its
recipients, the state whose size is measured. No DNS, no real network.

Once LIMIT (20) "starting delivery" lines are in the log, qmail-send's VmRSS is sampled for
HOLD (3) seconds; then its VmHWM (peak RSS since exec, which includes the preprocessing of
todo/N) is read and qmail-send is killed (its attempts would wait timeoutremote). Prints one
JSON line per run and appends them to bench/results/fanout-memory.jsonl; the per-recipient
cost is the difference between two sizes divided by the difference of N.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("QM_BIN", os.path.join(REPO, "build", "bin"))
SIZES = [int(n) for n in os.environ.get("N_RCPTS", "1000 100000").split()]
VERPS = [v == "1" for v in os.environ.get("VERP", "1 0").split()]
PORT = int(os.environ.get("PORT", "2727"))
LIMIT = int(os.environ.get("LIMIT", "20"))
HOLD = float(os.environ.get("HOLD", "3"))
TIMEOUT = float(os.environ.get("TIMEOUT", "300"))
ROOT = "/tmp/qmfanout"
USER = os.environ.get("BENCH_USER", "qmbench")


def env():
    return {"PATH": "/usr/bin:/bin", "QMAILHOME": ROOT + "/root"}


def become_bench_user():
    benchlib.stage_and_become(ROOT, BIN, USER)


def fresh_root():
    home = ROOT + "/root"
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([ROOT + "/bin-staged/qmail-install", home], env=env(), check=True,
                   capture_output=True)
    for name, value in (("me", "bench.test"), ("locals", "bench.test"),
                        ("smtproutes", ":[127.0.0.1]:%d" % PORT)):
        with open(home + "/control/" + name, "w") as f:
            f.write(value + "\n")


def recipients(n):
    return ["subscriber%06d@member-%03d.example" % (i, i % 1000) for i in range(n)]


def queue_message(n, verp):
    sender = "list-@lists.example-@[]" if verp else "list@lists.example"
    envelope = ("F" + sender + "\0" + "".join("T%s\0" % r for r in recipients(n)) + "\0").encode()
    body = ("Subject: fan-out\n\n" + ("x" * 70 + "\n") * 28).encode()
    # qmail-queue reads the message on fd 0 and the envelope on fd 1: a file holds it, so a
    # large envelope needs no writer thread.
    path = ROOT + "/envelope"
    with open(path, "wb") as f:
        f.write(envelope)
    with open(path, "rb") as env_fd:
        r = subprocess.run([ROOT + "/root/bin/qmail-queue"], input=body, stdout=env_fd,
                           stderr=subprocess.PIPE, env=env())
    if r.returncode != 0:
        raise RuntimeError("qmail-queue exited %d: %s" % (r.returncode, r.stderr))
    return len(envelope)


def status_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError("no %s for pid %d" % (key, pid))


REV = ""  # main() reads it while still root: the checkout is not the bench user's


def run(n, verp):
    fresh_root()
    envelope_bytes = queue_message(n, verp)
    remote_bytes = sum(len("T%s\0" % r) for r in recipients(n))
    log_path = ROOT + "/send.log"
    logf = open(log_path, "wb")
    t0 = time.monotonic()
    p = subprocess.Popen([ROOT + "/root/bin/qmail-start", "./Maildir/"], env=env(),
                         cwd=ROOT + "/root", stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                         start_new_session=True)
    try:
        # qmail-start execs qmail-send: p.pid is qmail-send from then on.
        started = 0
        while started < LIMIT:
            if p.poll() is not None:
                raise RuntimeError("qmail-send exited: " + open(log_path, errors="replace").read()[-2000:])
            if time.monotonic() - t0 > TIMEOUT:
                raise RuntimeError("only %d attempts started after %.0f s" % (started, TIMEOUT))
            time.sleep(0.05)
            started = open(log_path, errors="replace").read().count("starting delivery")
        t_open = time.monotonic() - t0
        samples = []
        end = time.monotonic() + HOLD
        while time.monotonic() < end:
            samples.append(status_kib(p.pid, "VmRSS"))
            time.sleep(0.1)
        hwm = status_kib(p.pid, "VmHWM")
        text = open(log_path, errors="replace").read()
    finally:
        # Its attempts wait for a greeting until timeoutremote: nothing to wait for here.
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        logf.close()
    return {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "rev": REV,
            "load1": round(os.getloadavg()[0], 2), "recipients": n, "verp": verp, "remote_file_bytes": remote_bytes,
            "envelope_bytes": envelope_bytes, "open_s": round(t_open, 2),
            "attempts_started": text.count("starting delivery"),
            "rss_in_flight_kib": max(samples), "peak_rss_kib": hwm,
            "warnings": [l for l in text.splitlines() if "warning" in l or "alert" in l][:5]}


def main():
    # Opened before giving up root: the checkout is not the bench user's.
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    results = open(os.path.join(HERE, "results", "fanout-memory.jsonl"), "a")
    global REV
    REV = os.environ.get("QM_REV") or subprocess.run(
        ["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True,
        text=True).stdout.strip()
    become_bench_user()
    # Never accepted: connections complete in the kernel (up to the backlog) and then wait.
    sink = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sink.bind(("127.0.0.1", PORT))
    sink.listen(512)
    rows = []
    for verp in VERPS:
        for n in SIZES:
            row = run(n, verp)
            print(json.dumps(row), flush=True)
            rows.append(row)
    for verp in VERPS:
        small = [r for r in rows if r["verp"] == verp]
        if len(small) >= 2:
            a, b = small[0], small[-1]
            dn = b["recipients"] - a["recipients"]
            print("verp=%d: %+.1f bytes/recipient in flight, %+.1f bytes/recipient peak "
                  "(remote/N itself: %.1f bytes/recipient)" % (
                      verp, 1024 * (b["rss_in_flight_kib"] - a["rss_in_flight_kib"]) / dn,
                      1024 * (b["peak_rss_kib"] - a["peak_rss_kib"]) / dn,
                      (b["remote_file_bytes"] - a["remote_file_bytes"]) / dn))
    for r in rows:
        results.write(json.dumps(r) + "\n")
    results.close()
    sink.close()


if __name__ == "__main__":
    sys.exit(main())
