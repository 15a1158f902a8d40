#!/usr/bin/env python3
"""Local delivery in root mode against normal-user mode, with and without the journal.

  sudo python3 bench/local_modes.py        # N_MESSAGES=5000, WRITERS=4, RUNS=1

For each of the four cases (MODES "user root" x DURABILITY "journal classic"): a fresh mail
root under /tmp/qmlocal, N_MESSAGES messages of 2 KiB to one maildir queued first by WRITERS
parallel qmail-queue loops run as the bench user (set-uid qmailq in root mode; with the
journal, qmail-journald runs alone meanwhile), not timed: a Python subprocess per message is
far slower than delivery. Then qmail-start is started (root mode: as root, so qmail-lspawn
runs each delivery as a qmail-local process of the recipient and qmail-send runs as qmails;
user mode: everything as the bench user, deliveries in qmail-send's threads) and timed until
the last file is in Maildir/new: the drain rate of local delivery, with the disk's completed
flushes per message over the same span.

CONCURRENCY_LOCAL sets control/concurrencylocal (default: qmail's 10).

Prints one JSON line per run and appends them to bench/results/local-modes.jsonl. Needs root
and the qmail users (qmail-install --create-users, or script/bootstrap).
"""
import json
import os
import shutil
import signal
import subprocess
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("QM_BIN", os.path.join(REPO, "build", "bin"))
N = int(os.environ.get("N_MESSAGES", "5000"))
WRITERS = int(os.environ.get("WRITERS", "4"))
RUNS = int(os.environ.get("RUNS", "1"))
MODES = os.environ.get("MODES", "user root").split()
DURABILITY = os.environ.get("DURABILITY", "journal classic").split()
ROOT = "/tmp/qmlocal"
USER = os.environ.get("BENCH_USER", "qmbench")
RAW = os.path.join(HERE, "results", "local-modes.jsonl")
# control/concurrencylocal, when set (qmail's default is 10).
CONCURRENCY = os.environ.get("CONCURRENCY_LOCAL")


def as_bench_user(u):
    return benchlib.as_user_prefix(u)


def setup(mode, journal, u):
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT + "/homes/bench", mode=0o755)
    shutil.copytree(BIN, ROOT + "/bin-staged")
    home = ROOT + "/root"
    env = {"PATH": "/usr/bin:/bin", "QMAILHOME": home}
    # Normal-user mode: the whole tree is the bench user's and so is every program run.
    prefix = [] if mode == "root" else as_bench_user(u)
    if mode != "root":
        benchlib.chown_tree(ROOT, u.pw_uid, u.pw_gid)
    subprocess.run(prefix + [ROOT + "/bin-staged/qmail-install", home], env=env, check=True,
                   capture_output=True)
    for name, value in (("me", "bench.test"), ("locals", "bench.test")) + \
            ((("journal", "1"),) if journal else ()) + \
            ((("concurrencylocal", CONCURRENCY),) if CONCURRENCY else ()):
        with open(home + "/control/" + name, "w") as f:
            f.write(value + "\n")
    mailhome = ROOT + "/homes/bench"
    os.chown(mailhome, u.pw_uid, u.pw_gid)
    newdir = benchlib.make_maildir(mailhome + "/Maildir", u.pw_uid, u.pw_gid)
    with open(home + "/users/assign", "w") as f:
        f.write("=bench:%s:%d:%d:%s:::\n.\n" % (u.pw_name, u.pw_uid, u.pw_gid, mailhome))
    if mode != "root":
        benchlib.chown_tree(home + "/users", u.pw_uid, u.pw_gid)
    subprocess.run(prefix + [home + "/bin/qmail-newu"], env=env, check=True, capture_output=True)
    return home, env, prefix, newdir


def inject(home, env, u):
    body = ("Subject: local modes\n\n" + ("x" * 70 + "\n") * 28).encode()
    return benchlib.queue_in_parallel(as_bench_user(u) + [home + "/bin/qmail-queue"], env, body,
                                      b"Fsrc@source.test\0Tbench@bench.test\0\0", N, WRITERS)


def start_journald(home, env, mode, u):
    # As qmail-start would: the queue files' owner (qmailq in root mode).
    owner = benchlib.pwd.getpwnam("qmailq") if mode == "root" else u
    log_path = ROOT + "/journald.log"
    with open(log_path, "wb") as logf:
        p = subprocess.Popen(as_bench_user(owner) + [home + "/bin/qmail-journald"], env=env,
                             cwd=home, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             start_new_session=True)
    deadline = time.monotonic() + 30
    while "status: journal ready" not in open(log_path, errors="replace").read():
        if p.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("qmail-journald did not come up: " + open(log_path).read()[-2000:])
        time.sleep(0.02)
    return p


def one_run(mode, journal, u, run):
    home, env, prefix, newdir = setup(mode, journal, u)
    journald = start_journald(home, env, mode, u) if journal else None
    failed = inject(home, env, u)
    if journald:
        journald.terminate()
        journald.wait(timeout=60)
    want = N - failed
    log_path = ROOT + "/start.log"
    flushes0 = benchlib.disk_flushes()
    t0 = time.monotonic()
    with open(log_path, "wb") as logf:
        p = subprocess.Popen(prefix + [home + "/bin/qmail-start", "./Maildir/"], env=env,
                             cwd=home, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                             start_new_session=True)
    status = "ok"
    while len(os.listdir(newdir)) < want:
        if p.poll() is not None:
            raise RuntimeError("qmail-start exited: " + open(log_path).read()[-2000:])
        if time.monotonic() - t0 > 600:
            status = "timeout at %d/%d" % (len(os.listdir(newdir)), want)
            break
        time.sleep(0.005)
    delivered_s = time.monotonic() - t0
    flushes1 = benchlib.disk_flushes()
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    row = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "mode": mode,
           "durability": "journal" if journal else "classic", "run": run, "messages": want,
           "concurrencylocal": int(CONCURRENCY or 10),
           "failed_to_queue": failed, "status": status, "drained_s": round(delivered_s, 3),
           "rate": round(want / delivered_s, 1),
           "disk_flushes_per_msg": round((flushes1 - flushes0) / max(want, 1), 3)
           if flushes0 is not None and flushes1 is not None else None,
           "load_before": os.getloadavg(), "machine": benchlib.machine()}
    print(json.dumps(row), flush=True)
    with open(RAW, "a") as f:
        f.write(json.dumps(row) + "\n")


def main():
    if os.getuid() != 0:
        raise SystemExit("local_modes.py: needs root (root mode, and the bench user)")
    u = benchlib.ensure_user(USER, "/var/lib/" + USER)
    for run in range(1, RUNS + 1):
        for durability in DURABILITY:
            for mode in MODES:
                one_run(mode, durability == "journal", u, run)


if __name__ == "__main__":
    main()
