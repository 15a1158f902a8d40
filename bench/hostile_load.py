#!/usr/bin/env python3
"""Hostile load against an SMTP daemon while a normal client keeps sending mail.

  bench/hostile_load.py [options] HOST PORT

At once, from loopback source addresses (all of 127/8 reaches lo on Linux):
  * --idle N sessions (default 10,000) that read the greeting and then say nothing,
    spread over --idle-addresses source addresses (default 500, 127.1.x.y);
  * --slow M sessions (default 1,000) from --slow-addresses addresses (default 4,
    127.2.0.x) that dribble one byte of a command every --dribble seconds (default 2) and
    never finish a line;
  * --nonreaders K sessions (default 1) that pipeline NOOPs and never read a reply;
  * one normal client from 127.0.0.1 that sends one message every second (EHLO, MAIL,
    RCPT, DATA, QUIT) and records how long each transaction took, from connect to the
    250 after the final dot.
Runs for --duration seconds (default 60), then prints one JSON object: the probe's
latencies (count, failures, p50, p90, max), how many idle sessions were greeted, refused
(421) or dropped, how many slow sessions the server dropped and after how long, and when
the non-readers were dropped.
"""

import argparse
import asyncio
import json
import resource
import socket
import statistics
import time

T0 = time.monotonic()


def now():
    return time.monotonic() - T0


async def open_from(host, port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((source, 0))
    loop = asyncio.get_running_loop()
    await loop.sock_connect(s, (host, port))
    return await asyncio.open_connection(sock=s)


async def greeted(a, source, stats):
    """Connects from source and reads the greeting; (reader, writer) when it was 220,
    else None, counted in stats as failed or refused."""
    try:
        r, w = await asyncio.wait_for(open_from(a.host, a.port, source), 30)
        line = await asyncio.wait_for(r.readline(), 30)
    except (OSError, asyncio.TimeoutError):
        stats["failed"] += 1
        return None
    if not line.startswith(b"220"):
        stats["refused"] += 1
        w.close()
        return None
    stats["greeted"] += 1
    return r, w


async def idle_session(a, source, stats):
    session = await greeted(a, source, stats)
    if session is None:
        return
    r, w = session
    try:
        rest = await r.read()  # the server's timeout, or EOF at the end
        if rest:
            stats["dropped_with_reply"] += 1
        stats["dropped_at"].append(now())
    except OSError:
        stats["dropped_at"].append(now())
    w.close()


async def slow_session(a, source, stats):
    session = await greeted(a, source, stats)
    if session is None:
        return
    r, w = session
    start = now()
    command = b"HELO dribbling.example" * 1000
    try:
        for i in range(len(command)):
            w.write(command[i:i + 1])
            await w.drain()
            try:
                data = await asyncio.wait_for(r.read(512), a.dribble)
                if not data:
                    break
            except asyncio.TimeoutError:
                continue
    except OSError:
        pass
    stats["held_s"].append(now() - start)
    w.close()


async def nonreader(a, stats):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.setblocking(False)
    loop = asyncio.get_running_loop()
    s.bind(("127.3.0.1", 0))
    await loop.sock_connect(s, (a.host, a.port))
    start = now()
    chunk = b"NOOP\r\n" * 1000
    sent = 0
    try:
        while now() < a.duration + 5:
            n = await asyncio.wait_for(loop.sock_sendall(s, chunk), a.duration + 5)
            sent += len(chunk)
    except (OSError, asyncio.TimeoutError) as e:
        stats["dropped_after_s"].append(round(now() - start, 1))
        stats["sent_bytes"].append(sent)
        stats["how"].append(type(e).__name__)
    s.close()


async def probe(a, stats):
    n = 0
    while now() < a.duration:
        n += 1
        start = time.monotonic()
        try:
            r, w = await asyncio.wait_for(open_from(a.host, a.port, "127.0.0.1"), 10)

            async def expect(code):
                while True:
                    line = await asyncio.wait_for(r.readline(), 10)
                    if not line.startswith(code):
                        raise RuntimeError(line.decode(errors="replace").strip())
                    if line[3:4] != b"-":
                        return

            await expect(b"220")
            w.write(b"EHLO probe.example\r\n")
            await expect(b"250")
            w.write(b"MAIL FROM:<probe@probe.example>\r\n")
            await expect(b"250")
            w.write(("RCPT TO:<%s>\r\n" % a.rcpt).encode())
            await expect(b"250")
            w.write(b"DATA\r\n")
            await expect(b"354")
            w.write(b"Subject: probe %d\r\n\r\nprobe\r\n.\r\n" % n)
            await expect(b"250")
            stats["latency_s"].append(time.monotonic() - start)
            w.write(b"QUIT\r\n")
            w.close()
        except (OSError, asyncio.TimeoutError, RuntimeError) as e:
            stats["failures"].append("%.1f: %s" % (now(), e))
        await asyncio.sleep(max(0.0, 1 - (time.monotonic() - start)))


def summary(xs):
    if not xs:
        return None
    xs = sorted(xs)
    return {"count": len(xs), "p50": round(statistics.median(xs), 3),
            "p90": round(xs[int(len(xs) * 0.9) - 1 if len(xs) >= 10 else -1], 3),
            "max": round(xs[-1], 3)}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--idle-addresses", type=int, default=500)
    ap.add_argument("--slow", type=int, default=1000)
    ap.add_argument("--slow-addresses", type=int, default=4)
    ap.add_argument("--dribble", type=float, default=2)
    ap.add_argument("--nonreaders", type=int, default=1)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--rcpt", default="probe@localhost")
    a = ap.parse_args()
    need = a.idle + a.slow + a.nonreaders + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))

    idle = {"greeted": 0, "refused": 0, "failed": 0, "dropped_with_reply": 0, "dropped_at": []}
    slow = {"greeted": 0, "refused": 0, "failed": 0, "held_s": []}
    nonread = {"dropped_after_s": [], "sent_bytes": [], "how": []}
    probe_stats = {"latency_s": [], "failures": []}

    tasks = [asyncio.create_task(probe(a, probe_stats))]
    for i in range(a.nonreaders):
        tasks.append(asyncio.create_task(nonreader(a, nonread)))
    for i in range(a.slow):
        src = "127.2.0.%d" % (1 + i % a.slow_addresses)
        tasks.append(asyncio.create_task(slow_session(a, src, slow)))
    for i in range(a.idle):
        k = i % a.idle_addresses
        src = "127.1.%d.%d" % (k // 250, 1 + k % 250)
        tasks.append(asyncio.create_task(idle_session(a, src, idle)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)  # do not overrun the listen backlog
    await asyncio.sleep(max(0.0, a.duration - now()))
    for t in tasks[1:]:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    idle_dropped = idle.pop("dropped_at")
    print(json.dumps({
        "duration_s": a.duration,
        "probe": {"latency": summary(probe_stats["latency_s"]),
                  "failures": probe_stats["failures"]},
        "idle": dict(idle, dropped_before_end=sum(1 for t in idle_dropped if t < a.duration)),
        "slow": {"greeted": slow["greeted"], "refused": slow["refused"], "failed": slow["failed"],
                 "held": summary(slow["held_s"])},
        "nonreaders": nonread,
    }, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
