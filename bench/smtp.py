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
SMTP_RAW (results/smtp-runs.jsonl), and bench/benchlib.py's QM_BIN, QM_REV, TIMEOUT, STALL,
RESULTS, BENCH_USER.
"""

import json
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as B  # noqa: E402  (the adapters, inotify, /proc sampling, the report)

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


def memory_detail(root_pids):
    """RSS and PSS sums of the tree, and RSS/count per command name."""
    rss = pss = 0
    by_name = {}
    pids = B.tree_pids(root_pids)
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
        self.smtpd = subprocess.Popen(
            B.as_bench_user() + [smtpd, "--listen", "127.0.0.1:%d" % PORT["ours"],
                      "--max-connections", str(self.max_connections())],
            env={"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}, cwd=self.home,
            stdin=subprocess.DEVNULL, stdout=self.smtpd_log, stderr=self.smtpd_log,
            start_new_session=True)
        self.root_pids = [self.proc.pid, self.smtpd.pid]
        if not B.wait_listening(PORT["ours"]):
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
    before = B.Counters(mta.root_pids)
    load = os.getloadavg()
    t0 = time.monotonic()
    client, out = B.start_logged(B.as_bench_user() + cmd, "/tmp/qmbench-smtp-source.out")
    client_fd = os.pidfd_open(client.pid)
    p = B.follow(mta.root_pids, watch, lambda: watch.files, N_SMTP, t0,
                 done=B.pidfd_exited(client_fd), wake_fd=client_fd)
    t_end = time.monotonic()
    after = B.Counters(mta.root_pids)
    t_client = p.t_done
    if t_client is None:
        select.select([client_fd], [], [], 60)
        t_client = time.monotonic()
    client_rc, client_cpu, client_last = B.finish_logged(client, out)
    os.close(client_fd)
    watch.close()
    check = mta.verify("local", N_SMTP)
    time.sleep(1)
    files = sum(len(os.listdir(d)) for d in mta.newdirs)  # duplicates would show here
    mta.stop()
    check["maildir_files"] = files
    status = p.status
    if client_rc != 0 and status == "ok":
        status = "smtp-source exit %d: %s" % (client_rc, client_last or "?")
    if status == "ok" and (check["log_deferred"] or check["log_failed"] or check["queue_left"]
                           or files != N_SMTP or check.get("smtpd_warnings")):
        status = "check failed"
    elapsed = t_end - t0
    row = {
        "date": B.stamp(),
        "mta": mta.name, "case": "smtp", "run": run_no, "items": N_SMTP, "done": p.count,
        "sessions": SESSIONS, "length": LENGTH,
        # ours only: which durability path ran (control/journal)
        **({"durability": "journal" if mta.JOURNAL else "classic"} if hasattr(mta, "JOURNAL")
           else {}),
        "elapsed_s": round(elapsed, 3), "rate": round(p.count / elapsed, 1) if elapsed > 0 else None,
        "accepted_s": round(t_client - t0, 3),
        "peak_rss_mib": round(p.peak_rss / 2**20, 1), "peak_procs": p.peak_procs,
        "client_cpu_ms_per_msg": round(1000 * client_cpu / N_SMTP, 3),
        **B.usage_fields(before, after, N_SMTP, per="msg"),
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
        "date": B.stamp(),
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
fmt = B.fmt


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
    settings_line = (
        "**Settings:** smtp-source `-d -s %d -m %d -l %d -f %s -t %s` (SMTP_RUNS=%d), idle client "
        "`bench/idle_sessions.py` (%d sessions, IDLE_RUNS=%d, stops opening below %d MiB MemAvailable); "
        "both MTAs on loopback ports (Postfix %d, ours %d)." % (
            SESSIONS, N_SMTP, LENGTH, B.SENDER, RCPT, SMTP_RUNS, N_IDLE, IDLE_RUNS, MIN_AVAIL_MIB,
            PORT["postfix"], PORT["ours"]))
    B.write_block(BEGIN, END, B.results_block(
        BEGIN, END, "## SMTP receiving: latest run %s" % B.stamp("%Y-%m-%d %H:%M UTC"), mach,
        " Load average (1, 5, 15 min) before each run is in the tables.", settings_line,
        descriptions, settings, ", no port-25 listener, `chroot = n` for every service.",
        smtp_tables(rows) + idle_tables(rows), notes))


def main():
    B.require_root("smtp.py", "bench/smtp.sh")
    B.ensure_user(B.BENCH_USER, "/var/lib/" + B.BENCH_USER)
    mach = B.machine()
    mtas, notes, descriptions, settings = B.prepare({"postfix": PostfixSMTP, "ours": OursSMTP})
    rows = []
    try:
        for case in CASES:
            runs = SMTP_RUNS if case == "smtp" else IDLE_RUNS
            measure = measure_smtp if case == "smtp" else measure_idle
            for run_no in range(1, runs + 1):
                for m in mtas:
                    row = B.guarded(m, "%s %s run %d" % (m.name, case, run_no), notes,
                                    lambda: measure(m, run_no))
                    if row:
                        rows.append(row)
    finally:
        B.stop_all(mtas)
    B.report(RAW, rows, mach, notes, "\n".join(smtp_tables(rows) + idle_tables(rows)))
    write_results(rows, mach, notes, descriptions, settings)
    log("results written to %s" % B.RESULTS)


if __name__ == "__main__":
    main()
