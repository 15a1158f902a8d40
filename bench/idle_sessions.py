#!/usr/bin/env python3
"""Open N SMTP sessions to HOST:PORT, read the greeting on each, and hold them all open.

  bench/idle_sessions.py [--batch B] [--min-avail-mib M] [--timeout S] HOST PORT N

Connects without blocking, at most B connection attempts outstanding at once (default 200),
and reads each session's first reply line. Prints one JSON line per second of progress and a
final line {"held": H, "refused": R, "failed": F, "stopped": REASON, ...} once every session has
either been greeted (220: held) or refused/failed, or when MemAvailable in /proc/meminfo
drops below M MiB (default 4096: the machine is shared), or after S seconds (default 600).
Then it holds the held sessions until stdin reaches EOF (or SIGTERM), and closes them.
"""

import argparse
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time


def mem_available_mib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 1 << 30


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("n", type=int)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--min-avail-mib", type=int, default=4096)
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.n + 1000), hard))

    sel = selectors.DefaultSelector()
    pending = {}   # socket -> bytes read so far (connecting or awaiting the greeting)
    held = []
    refused = failed = 0
    errors = {}
    started = 0
    t0 = time.monotonic()
    last_report = t0
    stopped = "done"

    def report(final=False, **extra):
        d = {"t": round(time.monotonic() - t0, 2), "held": len(held), "pending": len(pending),
             "refused": refused, "failed": failed, "mem_avail_mib": mem_available_mib()}
        d.update(extra)
        if final:
            d["errors"] = errors
        print(json.dumps(d), flush=True)

    while True:
        while started < a.n and len(pending) < a.batch:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect((a.host, a.port))
            except BlockingIOError:
                pass
            except OSError as e:
                failed += 1
                errors[e.strerror] = errors.get(e.strerror, 0) + 1
                s.close()
                started += 1
                continue
            pending[s] = b""
            sel.register(s, selectors.EVENT_READ)
            started += 1
        if not pending and started >= a.n:
            break
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                data = s.recv(512)
            except OSError as e:
                data = None
                errors[e.strerror] = errors.get(e.strerror, 0) + 1
            if not data:
                sel.unregister(s)
                del pending[s]
                s.close()
                failed += 1
                continue
            buf = pending[s] + data
            if b"\n" not in buf:
                pending[s] = buf
                continue
            sel.unregister(s)
            del pending[s]
            if buf.startswith(b"220"):
                held.append(s)
            else:
                refused += 1
                text = buf.split(b"\r\n")[0].decode(errors="replace")[:60]
                errors[text] = errors.get(text, 0) + 1
                s.close()
        now = time.monotonic()
        if now - last_report >= 1:
            last_report = now
            report()
            if mem_available_mib() < a.min_avail_mib:
                stopped = "MemAvailable below %d MiB" % a.min_avail_mib
                break
        if now - t0 > a.timeout:
            stopped = "timeout after %.0f s" % a.timeout
            break
    # Sessions still waiting for their greeting when stopped early count as failed.
    failed += len(pending)
    for s in list(pending):
        s.close()
    pending.clear()
    report(final=True, stopped=stopped, elapsed_s=round(time.monotonic() - t0, 2))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()
    finally:
        for s in held:
            s.close()


if __name__ == "__main__":
    main()
