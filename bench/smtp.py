#!/usr/bin/env python3
"""SMTP-receiving benchmark: our qmail-smtpd daemon + qmail-send against Postfix's smtpd.

Run through bench/smtp.sh (root; builds qmail-smtpd too and raises RLIMIT_NOFILE).  Reuses the
set-up of bench/bench.py (Postfix delivering to user bench's ~/Maildir, our mail root in
normal-user mode under /tmp/qmbench) and adds an SMTP listener on a loopback port to each:

  smtp  Postfix's smtp-source sends N_SMTP messages (20,000) of SMTP_LENGTH payload bytes (2048)
        over SMTP_SESSIONS (4) concurrent sessions, several messages per session (-d), to
        bench@bench.test; done when N_SMTP files are in the maildir's new/ (delivered, not only
        accepted).  Issue 3 (a).
  idle  bench/idle_sessions.py opens N_IDLE (10,000) SMTP sessions, reads each greeting and holds
        them; the MTA's process tree is measured (RSS sum, PSS sum) with all of them open.
        Issue 3 (d).

Environment: N_SMTP, SMTP_SESSIONS, SMTP_LENGTH, SMTP_RUNS (2), N_IDLE, IDLE_RUNS (1),
MIN_AVAIL_MIB (6144: the idle client stops opening sessions below this MemAvailable),
SMTP_CASES ("smtp idle"), MTAS ("postfix ours"), PORT_POSTFIX (2625), PORT_OURS (2626),
QM_BIN, QM_REV, TIMEOUT, STALL, RESULTS, SMTP_RAW (results/smtp-runs.jsonl), BENCH_USER.
"""

import datetime
import json
import os
import pwd
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench as B  # noqa: E402  (the local-injection harness: adapters, inotify, /proc sampling)

N_SMTP = int(os.environ.get("N_SMTP", "20000"))
SESSIONS = int(os.environ.get("SMTP_SESSIONS", "4"))
LENGTH = int(os.environ.get("SMTP_LENGTH", "2048"))
SMTP_RUNS = int(os.environ.get("SMTP_RUNS", "2"))
N_IDLE = int(os.environ.get("N_IDLE", "10000"))
IDLE_RUNS = int(os.environ.get("IDLE_RUNS", "1"))
MIN_AVAIL_MIB = int(os.environ.get("MIN_AVAIL_MIB", "6144"))
CASES = os.environ.get("SMTP_CASES", "smtp idle").split()
PORT = {"postfix": int(os.environ.get("PORT_POSTFIX", "2625")),
        "ours": int(os.environ.get("PORT_OURS", "2626"))}
RAW = os.environ.get("SMTP_RAW", os.path.join(HERE, "results", "smtp-runs.jsonl"))
RCPT = "bench@bench.test"
IDLE_CLIENT = os.path.join(HERE, "idle_sessions.py")
log = B.log


def wait_listening(port, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(512)  # the greeting; the session then ends (costs one connection)
                return True
        except OSError:
            time.sleep(0.05)
    return False


def tree_pids(root_pids):
    table = B.process_table()
    children = {}
    for pid, entry in table.items():
        children.setdefault(entry[0], []).append(pid)
    seen, todo = set(), [p for p in root_pids if p in table]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return seen


def memory_detail(root_pids):
    """RSS and PSS sums of the tree, and RSS/count per command name."""
    rss = pss = 0
    by_name = {}
    pids = tree_pids(root_pids)
    for pid in pids:
        try:
            with open("/proc/%d/comm" % pid) as f:
                name = f.read().strip()
            with open("/proc/%d/smaps_rollup" % pid) as f:
                vals = dict((line.split()[0].rstrip(":"), int(line.split()[1]))
                            for line in f if line.split() and line.split()[0] in ("Rss:", "Pss:"))
        except (OSError, ValueError):
            continue
        rss += vals.get("Rss", 0) * 1024
        pss += vals.get("Pss", 0) * 1024
        n, r = by_name.get(name, (0, 0))
        by_name[name] = (n + 1, r + vals.get("Rss", 0) * 1024)
    return {"rss": rss, "pss": pss, "procs": len(pids), "by_name": by_name}


# ----------------------------------------------------------------------------- adapters
class PostfixSMTP(B.Postfix):
    def configure(self):
        super().configure()  # also comments out the default smtp/inet (port 25) service
        port = PORT["postfix"]
        self.service = "127.0.0.1:%d/inet" % port
        # process limit high enough for the idle case; chroot n like every other service here.
        maxproc = max(100, N_IDLE + 10)
        B.sh("postconf", "-M", "%s=127.0.0.1:%d inet n - n - %d smtpd" % (self.service, port, maxproc))
        self.settings["master.cf"] = "127.0.0.1:%d inet n - n - %d smtpd" % (port, maxproc)
        # Postfix's default is 300 s; qmail's (and ours) timeoutsmtpd is 1200 s. Opening 10,000
        # sessions on a busy machine can take longer than 300 s.
        B.sh("postconf", "-e", "smtpd_timeout=1200s")
        self.settings["smtpd_timeout"] = "1200s"

    def unconfigure(self):
        B.sh("postconf", "-MX", self.service, check=False)
        B.sh("postconf", "-X", "smtpd_timeout", check=False)

    def smtp_server_names(self):
        return ("smtpd",)


class OursSMTP(B.Ours):
    NEEDED = B.Ours.NEEDED + ["qmail-smtpd"]

    def describe(self):
        return super().describe() + "; `qmail-smtpd --listen 127.0.0.1:%d --max-connections %d`" % (
            PORT["ours"], self.max_connections())

    def max_connections(self):
        return max(100, N_IDLE + 10)

    def start(self):
        super().start()  # qmail-start ./Maildir/ (qmail-send) as the bench user
        smtpd = self.home + "/bin/qmail-smtpd"
        if not os.access(smtpd, os.X_OK):
            smtpd = self.ROOT + "/bin-staged/qmail-smtpd"
        self.smtpd_log_path = self.ROOT + "/smtpd.log"
        self.smtpd_log = open(self.smtpd_log_path, "ab")
        prefix = B.as_user_prefix(self.user) if os.getuid() == 0 else []
        self.smtpd = subprocess.Popen(
            prefix + [smtpd, "--listen", "127.0.0.1:%d" % PORT["ours"],
                      "--max-connections", str(self.max_connections())],
            env={"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}, cwd=self.home,
            stdin=subprocess.DEVNULL, stdout=self.smtpd_log, stderr=self.smtpd_log,
            start_new_session=True)
        self.root_pids = [self.proc.pid, self.smtpd.pid]
        if not wait_listening(PORT["ours"]):
            raise RuntimeError("qmail-smtpd is not listening: " + open(self.smtpd_log_path).read()[-2000:])

    def stop(self):
        smtpd = getattr(self, "smtpd", None)
        if smtpd is not None:
            try:
                smtpd.send_signal(signal.SIGTERM)
                try:
                    smtpd.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    log("ours: qmail-smtpd still waiting for sessions after TERM; second TERM")
                    smtpd.send_signal(signal.SIGTERM)
                    try:
                        smtpd.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        smtpd.kill()
                        smtpd.wait()
                self.smtpd_rc = smtpd.returncode
            except ProcessLookupError:
                pass
            self.smtpd = None
            self.smtpd_log.close()
        super().stop()

    def verify(self, case, expected):
        check = super().verify(case, expected)
        with open(self.smtpd_log_path, errors="replace") as f:
            text = f.read()
        check["smtpd_warnings"] = len(re.findall(r"warning|alert|fatal|error", text))
        return check

    def smtp_server_names(self):
        return ("qmail-smtpd",)


def run_as_bench_user():
    return B.as_user_prefix(pwd.getpwnam(B.BENCH_USER)) if os.getuid() == 0 else []


# ----------------------------------------------------------------------------- (a) smtp
def measure_smtp(mta, run_no):
    mta.stop()
    mta.clear("local")
    os.sync()
    time.sleep(2)
    mta.start()
    time.sleep(1)
    watch = B.Watch()
    for d in mta.newdirs:
        watch.add_maildir(d)
    cmd = ["smtp-source", "-d", "-s", str(SESSIONS), "-m", str(N_SMTP), "-f", B.SENDER, "-t", RCPT,
           "-l", str(LENGTH), "127.0.0.1:%d" % PORT[mta.name]]
    _, _, mta_cpu0 = B.tree_usage(mta.root_pids)
    load = os.getloadavg()
    flush0, (cpu_total0, cpu_idle0) = B.disk_flushes(), B.cpu_times()
    t0 = time.monotonic()
    out = open("/tmp/qmbench-smtp-source.out", "w+")
    client = subprocess.Popen(run_as_bench_user() + cmd, cwd="/tmp", stdout=out, stderr=subprocess.STDOUT)
    client_fd = os.pidfd_open(client.pid)
    t_client = None
    peak_rss = peak_procs = 0
    next_sample = t0
    last_progress, last_count = t0, -1
    status = "ok"
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss, procs, _ = B.tree_usage(mta.root_pids)
            peak_rss, peak_procs = max(peak_rss, rss), max(peak_procs, procs)
            next_sample = now + 0.25
        watch.pump(max(0.0, min(0.25, next_sample - time.monotonic())),
                   () if t_client is not None else (client_fd,))
        count = watch.files
        now = time.monotonic()
        if t_client is None and select.select([client_fd], [], [], 0)[0]:
            t_client = now
        if count >= N_SMTP:
            break
        if count != last_count:
            last_count, last_progress = count, now
        if now - t0 > B.TIMEOUT:
            status = "timeout after %.0f s" % B.TIMEOUT
            break
        if t_client is not None and now - max(last_progress, t_client) > B.STALL:
            status = "stalled for %.0f s" % B.STALL
            break
    t_end = time.monotonic()
    cpu_total1, cpu_idle1 = B.cpu_times()
    flush1 = B.disk_flushes()
    _, _, mta_cpu1 = B.tree_usage(mta.root_pids)
    if t_client is None:
        select.select([client_fd], [], [], 60)
        t_client = time.monotonic()
    _, wstatus, usage = os.wait4(client.pid, 0)
    client_rc = os.waitstatus_to_exitcode(wstatus)
    out.seek(0)
    client_out = out.read().strip()
    out.close()
    os.close(client_fd)
    watch.close()
    check = mta.verify("local", N_SMTP)
    time.sleep(1)
    files = sum(len(os.listdir(d)) for d in mta.newdirs)  # duplicates would show here
    mta.stop()
    check["maildir_files"] = files
    if client_rc != 0 and status == "ok":
        status = "smtp-source exit %d: %s" % (client_rc, (client_out.splitlines() or ["?"])[-1])
    if status == "ok" and (check["log_deferred"] or check["log_failed"] or check["queue_left"]
                           or files != N_SMTP or check.get("smtpd_warnings")):
        status = "check failed"
    elapsed = t_end - t0
    busy = cpu_total1 - cpu_total0
    row = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "mta": mta.name, "case": "smtp", "run": run_no, "items": N_SMTP, "done": count,
        "sessions": SESSIONS, "length": LENGTH,
        "elapsed_s": round(elapsed, 3), "rate": round(count / elapsed, 1) if elapsed > 0 else None,
        "accepted_s": round(t_client - t0, 3),
        "peak_rss_mib": round(peak_rss / 2**20, 1), "peak_procs": peak_procs,
        "mta_cpu_ms_per_msg": round(1000 * (mta_cpu1 - mta_cpu0) / N_SMTP, 3),
        "client_cpu_ms_per_msg": round(1000 * (usage.ru_utime + usage.ru_stime) / N_SMTP, 3),
        "cpu_busy_pct": round(100.0 * (busy - (cpu_idle1 - cpu_idle0)) / busy, 1) if busy else None,
        "disk_flushes_per_msg": round((flush1 - flush0) / N_SMTP, 3) if flush0 is not None and flush1 is not None else None,
        "load_before": [round(x, 2) for x in load], "status": status, **check,
    }
    log("%s smtp run %d: %s" % (mta.name, run_no, json.dumps(row)))
    return row


# ----------------------------------------------------------------------------- (d) idle
def established(port):
    out = B.sh("ss", "-Htn", "state", "established", "( sport = :%d )" % port, check=False).stdout
    return len([line for line in out.splitlines() if line.strip()])


def measure_idle(mta, run_no):
    mta.stop()
    mta.clear("local")
    os.sync()
    time.sleep(2)
    mta.start()
    time.sleep(2)
    base = memory_detail(mta.root_pids)
    load = os.getloadavg()
    port = PORT[mta.name]
    t0 = time.monotonic()
    client = subprocess.Popen([sys.executable, IDLE_CLIENT, "--min-avail-mib", str(MIN_AVAIL_MIB),
                               "--timeout", str(B.TIMEOUT), "127.0.0.1", str(port), str(N_IDLE)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    final = None
    peak_rss = 0
    for line in client.stdout:
        d = json.loads(line)
        rss, _, _ = B.tree_usage(mta.root_pids)
        peak_rss = max(peak_rss, rss)
        if "stopped" in d:
            final = d
            break
    t_open = time.monotonic() - t0
    status = "ok"
    if final is None:
        status = "client ended without a result (rc %s)" % client.wait()
        final = {"held": 0, "refused": 0, "failed": 0, "stopped": "?", "errors": {}}
    time.sleep(3)  # let every process settle with all sessions open
    held_mem = memory_detail(mta.root_pids)
    peak_rss = max(peak_rss, held_mem["rss"])
    est = established(port)
    mem_avail = final.get("mem_avail_mib")
    try:
        client.stdin.close()
    except OSError:
        pass
    try:
        client.wait(timeout=60)
    except subprocess.TimeoutExpired:
        client.kill()
        client.wait()
    time.sleep(2)
    alive = all(os.path.exists("/proc/%d" % p) for p in mta.root_pids)
    check = mta.verify("local", 0)
    mta.stop()
    if status == "ok" and (final["held"] < N_IDLE or not alive):
        status = "held %d of %d (%s)" % (final["held"], N_IDLE, final["stopped"]) if alive else "MTA died"
    if status == "ok" and check.get("smtpd_warnings"):
        status = "smtpd warnings"
    names = mta.smtp_server_names()
    server = [v for k, v in held_mem["by_name"].items() if k in names]
    server_n = sum(v[0] for v in server)
    server_rss = sum(v[1] for v in server)
    row = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "mta": mta.name, "case": "idle", "run": run_no, "asked": N_IDLE,
        "held": final["held"], "refused": final["refused"], "failed": final["failed"],
        "errors": final.get("errors", {}), "stopped": final["stopped"], "established": est,
        "open_s": round(t_open, 2), "mem_avail_mib_at_end": mem_avail,
        "base_rss_mib": round(base["rss"] / 2**20, 1), "base_procs": base["procs"],
        "held_rss_mib": round(held_mem["rss"] / 2**20, 1), "held_pss_mib": round(held_mem["pss"] / 2**20, 1),
        "held_procs": held_mem["procs"], "peak_rss_mib": round(peak_rss / 2**20, 1),
        "server_procs": server_n, "server_rss_mib": round(server_rss / 2**20, 1),
        "rss_kib_per_session": round((held_mem["rss"] - base["rss"]) / 1024 / final["held"], 1) if final["held"] else None,
        "pss_kib_per_session": round((held_mem["pss"] - base["pss"]) / 1024 / final["held"], 1) if final["held"] else None,
        "load_before": [round(x, 2) for x in load], "status": status,
        "smtpd_warnings": check.get("smtpd_warnings"),
    }
    log("%s idle run %d: %s" % (mta.name, run_no, json.dumps(row)))
    return row


# ----------------------------------------------------------------------------- report
def fmt(v, nd=1):
    return "—" if v is None else ("%.*f" % (nd, v))


def smtp_tables(rows):
    rows = [r for r in rows if r["case"] == "smtp"]
    if not rows:
        return []
    med = {}
    for m in ("postfix", "ours"):
        ok = [r["elapsed_s"] for r in rows if r["mta"] == m and r["status"] == "ok"]
        med[m] = statistics.median(ok) if ok else None

    def cell(m):
        if med[m] is None:
            return "not measured"
        mine = [r for r in rows if r["mta"] == m and r["status"] == "ok"]
        return "%.2f s (%.0f msg/s), peak RSS %.1f MiB, CPU %.3f ms/msg" % (
            med[m], N_SMTP / med[m], statistics.median(r["peak_rss_mib"] for r in mine),
            statistics.median(r["mta_cpu_ms_per_msg"] for r in mine))
    verdict = "—"
    if med["postfix"] and med["ours"]:
        ratio = med["postfix"] / med["ours"]
        verdict = "%.2f× Postfix's rate: **%s**" % (ratio, "met" if ratio >= 2 else "not met")
    out = ["### (a) %d messages over %d SMTP sessions into one maildir (medians of the ok runs)" % (N_SMTP, SESSIONS), "",
           "| Postfix | ours | aim: ours ≥ 2× Postfix |", "|---|---|---|",
           "| %s | %s | %s |" % (cell("postfix"), cell("ours"), verdict), "",
           "| MTA | run | result | elapsed (last file in new/) | rate | all accepted at | peak RSS sum (procs) | CPU ms / msg: MTA, smtp-source | CPU busy (all cores) | load before | disk flushes / msg | check |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        check = "%d files, %d ok, %d deferred, %d failed, queue %s" % (
            r["maildir_files"], r["log_ok"], r["log_deferred"], r["log_failed"], r["queue_left"])
        if "smtpd_warnings" in r:
            check += ", smtpd warnings %d" % r["smtpd_warnings"]
        out.append("| %s | %d | %s | **%s s** | %s msg/s | %s s | %s MiB (%d) | %s, %s | %s %% | %s | %s | %s |" % (
            r["mta"], r["run"], r["status"] if r["status"] != "ok" else "%d/%d" % (r["done"], r["items"]),
            fmt(r["elapsed_s"], 2), fmt(r["rate"], 0), fmt(r["accepted_s"], 2), fmt(r["peak_rss_mib"]),
            r["peak_procs"], fmt(r["mta_cpu_ms_per_msg"], 3), fmt(r["client_cpu_ms_per_msg"], 3),
            fmt(r["cpu_busy_pct"], 0), " ".join("%.2f" % x for x in r["load_before"]),
            fmt(r["disk_flushes_per_msg"], 2), check))
    return out + [""]


def idle_tables(rows):
    rows = [r for r in rows if r["case"] == "idle"]
    if not rows:
        return []
    out = ["### (d) %d idle SMTP sessions held open" % N_IDLE, "",
           "| MTA | run | result | held / refused / failed | time to open | RSS sum before | **RSS sum, all held** (procs) | PSS sum, all held | SMTP server processes: RSS (count) | per session: RSS, PSS | load before | stopped because |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %d | %s | %d / %d / %d | %s s | %s MiB (%d) | **%s MiB** (%d) | %s MiB | %s MiB (%d) | %s KiB, %s KiB | %s | %s%s |" % (
            r["mta"], r["run"], r["status"], r["held"], r["refused"], r["failed"], fmt(r["open_s"], 1),
            fmt(r["base_rss_mib"]), r["base_procs"], fmt(r["held_rss_mib"]), r["held_procs"],
            fmt(r["held_pss_mib"]), fmt(r["server_rss_mib"]), r["server_procs"],
            fmt(r["rss_kib_per_session"]), fmt(r["pss_kib_per_session"]),
            " ".join("%.2f" % x for x in r["load_before"]), r["stopped"],
            ("; errors: " + ", ".join("%s ×%d" % kv for kv in r["errors"].items())) if r["errors"] else ""))
    return out + [""]


BEGIN, END = "<!-- smtp:begin (generated by bench/smtp.sh) -->", "<!-- smtp:end -->"


def write_results(rows, mach, notes, descriptions, settings):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    gen = [BEGIN, "", "## SMTP receiving: latest run %s" % stamp, "",
           "**Machine:** %(host)s, %(cpus)d CPUs (%(cpu_model)s), %(ram_gib)s GiB RAM, %(os)s, kernel %(kernel)s; "
           "/tmp on `%(tmp_fs)s`. Load average (1, 5, 15 min) before each run is in the tables." % mach, "",
           "**Settings:** smtp-source `-d -s %d -m %d -l %d -f %s -t %s` (SMTP_RUNS=%d), idle client "
           "`bench/idle_sessions.py` (%d sessions, IDLE_RUNS=%d, stops opening below %d MiB MemAvailable); "
           "both MTAs on loopback ports (Postfix %d, ours %d)." % (
               SESSIONS, N_SMTP, LENGTH, B.SENDER, RCPT, SMTP_RUNS, N_IDLE, IDLE_RUNS, MIN_AVAIL_MIB,
               PORT["postfix"], PORT["ours"]), ""]
    gen += ["* " + d for d in descriptions]
    if settings:
        gen.append("* Postfix settings changed from the package defaults: " +
                   ", ".join("`%s = %s`" % kv for kv in settings.items()) +
                   ", no port-25 listener, `chroot = n` for every service.")
    gen.append("")
    gen += smtp_tables(rows) + idle_tables(rows)
    if notes:
        gen += ["### Not measured / problems", ""] + ["* " + n for n in notes] + [""]
    gen.append(END)
    block = "\n".join(gen)
    with open(B.RESULTS) as f:
        old = f.read()
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(B.RESULTS, "w") as f:
        f.write(new)


def main():
    if os.getuid() != 0:
        sys.exit("smtp.py must run as root (bench/smtp.sh uses sudo): it configures Postfix")
    B.ensure_user(B.BENCH_USER, "/var/lib/" + B.BENCH_USER)
    mach = B.machine()
    adapters = {"postfix": PostfixSMTP, "ours": OursSMTP}
    mtas, notes, descriptions, settings = [], [], [], None
    for name in B.MTAS:
        m = adapters[name]()
        if m.missing:
            notes.append("%s: not measured, %s" % (name, m.missing))
            continue
        m.configure()
        descriptions.append(m.describe())
        if name == "postfix":
            settings = m.settings
        mtas.append(m)
    rows = []
    try:
        for case in CASES:
            runs = SMTP_RUNS if case == "smtp" else IDLE_RUNS
            for run_no in range(1, runs + 1):
                for m in mtas:
                    try:
                        rows.append(measure_smtp(m, run_no) if case == "smtp" else measure_idle(m, run_no))
                    except Exception as e:
                        m.stop()
                        notes.append("%s %s run %d: %s" % (m.name, case, run_no, e))
                        log(notes[-1])
    finally:
        for m in mtas:
            m.stop()
            if hasattr(m, "unconfigure"):
                m.unconfigure()
    os.makedirs(os.path.dirname(RAW), exist_ok=True)
    with open(RAW, "a") as f:
        for r in rows:
            f.write(json.dumps({**r, "machine": mach}) + "\n")
    print("\n".join(smtp_tables(rows) + idle_tables(rows)))
    for n in notes:
        print("note:", n)
    write_results(rows, mach, notes, descriptions, settings)
    log("results written to %s" % B.RESULTS)


if __name__ == "__main__":
    main()
