#!/usr/bin/env python3
"""Recovery time of qmail-journald for a journal holding N_MESSAGES (100,000) messages.

  sudo python3 bench/journal_recovery.py            # N_MESSAGES=100000, WRITERS=8
  sudo GENERATE=1 python3 bench/journal_recovery.py # the journal written directly (fast)

As the bench user (qmbench, normal-user mode): a fresh mail root under /tmp/qmjournal with
control/journal 1; qmail-journald running; N_MESSAGES messages of 2 KiB queued by WRITERS
parallel qmail-queue loops (no qmail-send, so all stay held). Then three restarts of
qmail-journald, each timed from exec to "status: journal ready", with its peak RSS:
  whole    the queue intact (every held message found by its j<id>)
  lost     every queue file deleted first (all N queued again from the journal)
  again    right after "lost" (all whole again)
Prints one JSON line per restart and appends them to bench/results/journal-recovery.jsonl.
"""
import json
import os
import subprocess
import sys
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BIN = os.environ.get("QM_BIN", os.path.join(REPO, "build", "bin"))
N = int(os.environ.get("N_MESSAGES", "100000"))
WRITERS = int(os.environ.get("WRITERS", "8"))
ROOT = "/tmp/qmjournal"
USER = os.environ.get("BENCH_USER", "qmbench")


def as_user(argv):
    return argv  # setup() has become the bench user


def env():
    return {"PATH": "/usr/bin:/bin", "QMAILHOME": ROOT + "/root"}


def setup():
    # The rest as the bench user: a normal-user-mode mail root.
    benchlib.stage_and_become(ROOT, BIN, USER)
    subprocess.run(as_user([ROOT + "/bin-staged/qmail-install", ROOT + "/root"]),
                   env=env(), check=True, capture_output=True)
    for name, value in (("me", "bench.test"), ("journal", "1")):
        with open(ROOT + "/root/control/" + name, "w") as f:
            f.write(value + "\n")


def start_journald(log_name):
    log = open(ROOT + "/" + log_name, "wb")
    t0 = time.monotonic()
    p = subprocess.Popen(as_user([ROOT + "/root/bin/qmail-journald"]), env=env(),
                         stdout=log, stderr=log, start_new_session=True)
    peak = 0
    while True:
        text = open(ROOT + "/" + log_name, errors="replace").read()
        if "status: journal ready" in text:
            break
        if p.poll() is not None:
            raise RuntimeError("qmail-journald exited: " + text[-2000:])
        try:
            with open("/proc/%d/status" % p.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    return p, elapsed, peak, text


def stop(p):
    p.terminate()
    p.wait(timeout=60)


def inject():
    body = ("Subject: journal recovery\n\n" + ("x" * 70 + "\n") * 28).encode()
    t0 = time.monotonic()
    failed = benchlib.queue_in_parallel(as_user([ROOT + "/root/bin/qmail-queue"]), env(), body,
                                        b"Fsrc@source.test\0Tbench@bench.test\0\0", N, WRITERS)
    return time.monotonic() - t0, failed


def generate():
    """Writes the journal directly (qmail-journal(5)): N M records with distinct ids, the
    same body compressed once by the zstd command, in 64 MiB segments. Much faster than N
    qmail-queue runs from Python; the records are what qmail-journald itself writes."""
    import struct
    import zlib
    body = ("Received: (qmail 1 invoked by uid 987); 6 Dec 2026 04:00:00 -0000\n"
            "Subject: journal recovery\n\n" + ("x" * 70 + "\n") * 28).encode()
    frame = subprocess.run(["zstd", "-q", "-c", "-1", "--content-size"], input=body,
                           capture_output=True, check=True).stdout
    envelope = b"u987\0p1\0Fsrc@source.test\0Tbench@bench.test\0"
    d = ROOT + "/root/queue/journal"
    os.makedirs(d, exist_ok=True)

    def header(seq):
        h = b"qmjrnl1\n" + struct.pack("<QQ", seq, int(time.time()))
        return h + struct.pack("<I", zlib.crc32(h)) + b"\0\0\0\0"

    def record(kind, payload):
        head = struct.pack("<I", len(payload)) + kind + b"\0\0\0"
        return struct.pack("<I", zlib.crc32(head + payload)) + head + payload

    seq, out, size = 1, None, 0
    for n in range(N):
        if out is None or size > 64 << 20:
            if out:
                out.close()
            out = open("%s/%016x" % (d, seq), "wb")
            out.write(header(seq))
            size = 32
            seq += 1
        m = struct.pack("<QQQQI", (1 << 32) + n + 1, 0, int(time.time()), len(body),
                        len(envelope)) + envelope + frame
        r = record(b"M", m)
        out.write(r)
        size += len(r)
    out.close()
    os.sync()


def main():
    # Opened before setup() gives up root: the checkout is not the bench user's.
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    results = open(os.path.join(HERE, "results", "journal-recovery.jsonl"), "a")
    setup()
    if os.environ.get("GENERATE") == "1":
        generate()
        print("wrote a journal of %d messages directly" % N, flush=True)
    else:
        p, _, _, _ = start_journald("journald-0.log")
        took, failed = inject()
        print("queued %d messages in %.1f s (%d failed)" % (N, took, failed), flush=True)
        stop(p)
    seg = ROOT + "/root/queue/journal"
    size = sum(os.path.getsize(os.path.join(seg, f)) for f in os.listdir(seg))
    rows = []
    cases = ("lost", "again") if os.environ.get("GENERATE") == "1" else ("whole", "lost", "again")
    for case in cases:
        if case == "lost":
            q = ROOT + "/root/queue"
            for d in ("todo", "intd"):
                for f in os.listdir(q + "/" + d):
                    os.unlink(q + "/" + d + "/" + f)
            for s in os.listdir(q + "/mess"):
                for f in os.listdir(q + "/mess/" + s):
                    os.unlink(q + "/mess/" + s + "/" + f)
        subprocess.run(["sync"])
        p, elapsed, peak, text = start_journald("journald-%s.log" % case)
        line = [l for l in text.splitlines() if "journal: recovered:" in l]
        stop(p)
        row = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "case": case,
               "journal_written_by": "generate()" if os.environ.get("GENERATE") == "1"
               else "qmail-queue",
               "messages": N, "journal_bytes": size, "ready_s": round(elapsed, 3),
               "peak_rss_mib": round(peak / 1024, 1), "recovered": line[-1] if line else ""}
        print(json.dumps(row), flush=True)
        rows.append(row)
    for r in rows:
        results.write(json.dumps(r) + "\n")
    results.close()


if __name__ == "__main__":
    sys.exit(main())
