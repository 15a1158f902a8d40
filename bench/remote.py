#!/usr/bin/env python3
"""Remote-delivery benchmark: qmail-send's in-process SMTP client against Postfix's smtp(8),
both relaying to Postfix's smtp-sink on loopback.  Issue 3, bench (b) and (c).

Run through bench/remote.sh (root; builds the programs and the injection driver).  Reuses
bench/benchlib.py (the Postfix configuration, our mail root in normal-user mode as the
unprivileged bench user, smtp-sink, the inotify log watch, the /proc sampling) and adds:

  * smtp-sink on 127.0.0.1:PORT_SINK (2725), started fresh for every run, outside both MTAs'
    process trees: `smtp-sink -u nobody -D DUMP 127.0.0.1:PORT 1000` (the dump file is parsed
    afterwards: transactions and recipients that really arrived, duplicates);
  * Postfix: `relayhost = [127.0.0.1]:PORT_SINK` (mail for sink.test is not local, so it goes
    through the default `smtp` transport to the sink); everything else as bench.py;
  * ours: `control/smtproutes` = `sink.test:[127.0.0.1]:PORT_SINK`, other remote controls at
    their defaults (concurrencyremote 20, like Postfix's default_destination_concurrency_limit).
  * MTAS may also name ours-rspawn (root mode's remote channel), ours-dkim (every message
    DKIM-signed through `control/dkimkeys`) and postfix-dkim (Postfix with Debian's opendkim
    as its milter signing every message: OpenDkimSigner); the sink's dump tells that each
    -dkim variant's messages arrived signed and the others' unsigned.

Cases:
  messages  (b) N_REMOTE (10,000) separate 2 KiB messages to bench@sink.test.  REMOTE_INJECT
            "drain" (default): injected first by WORKERS (4) parallel sendmail loops
            (bench/inject_driver) with the MTA stopped, then the MTA is started (t0) and the
            drain is timed; "live": injected with the MTA running, t0 = injection start (as
            bench.py's local case; then the injection side bounds both MTAs).
  rcpts     (c) one 2 KiB message to N_RCPTS (10,000) recipients r0@sink.test ... on one
            sendmail command line, injected with the MTA running; t0 = injection start.
Done when the MTA's log shows every recipient delivered (ours `delivery N: success`, Postfix
`status=sent`), watched with inotify.

Environment: N_REMOTE, N_RCPTS, REMOTE_RUNS (2), REMOTE_CASES ("messages rcpts"),
REMOTE_INJECT (drain), REMOTE_RAW (results/remote-runs.jsonl), and bench/benchlib.py's
WORKERS (4), MTAS, PORT_SINK (2725), QM_BIN, QM_REV, DRIVER, TIMEOUT, STALL, RESULTS,
BENCH_USER.
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as B  # noqa: E402

N_REMOTE = int(os.environ.get("N_REMOTE", "10000"))
N_RCPTS = int(os.environ.get("N_RCPTS", "10000"))
RUNS = int(os.environ.get("REMOTE_RUNS", "2"))
CASES = os.environ.get("REMOTE_CASES", "messages rcpts").split()
INJECT = os.environ.get("REMOTE_INJECT", "drain live").split()
PORT_SINK = B.PORT_SINK
RAW = os.environ.get("REMOTE_RAW", os.path.join(HERE, "results", "remote-runs.jsonl"))
SINK_DIR = B.SINK_DIR
DOMAIN = "sink.test"
log = B.log

CASE_INFO = {
    "messages": ("(b) %d messages → smtp-sink" % N_REMOTE, N_REMOTE),
    "rcpts": ("(c) 1 message × %d recipients → smtp-sink" % N_RCPTS, N_RCPTS),
}


def recipients(case):
    if case == "messages":
        return ["bench@" + DOMAIN]
    return ["r%d@%s" % (i, DOMAIN) for i in range(N_RCPTS)]


Sink = B.Sink  # lists.py uses it as remote.Sink


# ----------------------------------------------------------------------------- adapters
class PostfixRemote(B.Postfix):
    # The system's values before the first adapter changed them: with postfix and
    # postfix-dkim both configured, each restores these, not what the other had set.
    original = None

    def configure(self):
        super().configure()
        # Debian's "Local only" answer sets default_transport and relay_transport to error:
        # back to Postfix's own defaults (smtp, relay), restored afterwards.
        if PostfixRemote.original is None:
            PostfixRemote.original = {
                k: B.sh("postconf", "-h", k).stdout.strip()
                for k in ("relayhost", "default_transport", "relay_transport",
                          "non_smtpd_milters", "milter_default_action")}
        self.saved = dict(PostfixRemote.original)
        relay = "[127.0.0.1]:%d" % PORT_SINK
        new = {"relayhost": relay, "default_transport": "smtp", "relay_transport": "relay"}
        B.sh("postconf", "-e", *["%s=%s" % kv for kv in new.items()])
        self.settings.update(new)

    def unconfigure(self):
        B.sh("postconf", "-e", *["%s=%s" % kv for kv in self.saved.items()], check=False)

    def end_pattern(self):
        return self.LOG, r"status=sent"

    def warnings(self):
        with open(self.LOG, errors="replace") as f:
            # cleanup's "file system clock is N seconds ahead of local clock" and "resetting file
            # time stamps - this hurts performance" (clock skew on a VM) are no delivery problem.
            return [l for l in f if re.search(r"warning:|fatal:|panic:|error:", l)
                    and "file system clock is" not in l and "resetting file time stamps" not in l]


class OursRemote(B.Ours):
    ROOT = "/tmp/qmbench-remote"

    def describe(self):
        return super().describe() + "; `control/smtproutes` `%s:[127.0.0.1]:%d`, other controls at " \
            "their defaults (concurrencyremote 20)" % (DOMAIN, PORT_SINK)

    def clear(self, case):
        super().clear("remote")  # no maildir case: just the mail root and user bench
        path = self.home + "/control/smtproutes"
        with open(path, "w") as f:
            f.write("%s:[127.0.0.1]:%d\n" % (DOMAIN, PORT_SINK))
        os.chmod(path, 0o644)

    def end_pattern(self):
        return self.log_path, r"delivery \d+: success"

    def warnings(self):
        with open(self.log_path, errors="replace") as f:
            return [l for l in f if re.search(r"warning|alert|fatal|error|crash", l)]


class OursRemoteDkim(OursRemote):
    """Ours with `control/dkimkeys`: every message DKIM-signed (RSA-2048, made by
    dkim-keygen) for the sender's domain source.test before it goes out."""
    name = "ours-dkim"
    NEEDED = OursRemote.NEEDED + ["dkim-keygen", "dkim-sign"]

    def describe(self):
        return super().describe().replace("ours (", "ours-dkim (", 1) + \
            "; `control/dkimkeys` signing as source.test (RSA-2048)"

    def clear(self, case):
        super().clear(case)
        r = self.run_as([self.ROOT + "/bin-staged/dkim-keygen", "source.test", "b1"])
        if r.returncode != 0:
            raise RuntimeError("dkim-keygen failed: " + r.stderr)
        path = self.home + "/control/dkimkeys"
        with open(path, "w") as f:
            f.write("source.test:b1:dkim/source.test.b1.key\n")
        os.chmod(path, 0o644)


class OpenDkimSigner:
    """Debian's opendkim daemon in signing mode, the milter of the Postfix adapters' -dkim
    variants: every message Postfix takes in is signed as DOMAIN (its SigningTable signs any
    sender with the one key: a list signs as the list whatever the From), relaxed/relaxed
    rsa-sha256 with the From oversigned like ours (and Debian's opendkim.conf), with an
    RSA-2048 key made by our dkim-keygen (as ours-dkim's).  It runs as the opendkim user, in
    the foreground, with a unix socket that Postfix's cleanup reaches (non_smtpd_milters: the
    benchmarks inject with sendmail); milter_default_action = tempfail, so a broken milter
    defers the mail instead of letting it out unsigned."""
    # Not under /tmp: OpenDKIM refuses a key below a directory that others may write (its
    # RequireSafeKeys, on as in Debian's configuration).
    WORK = "/run/qmbench-opendkim"
    SELECTOR = "b1"

    def __init__(self, domain):
        self.domain = domain
        self.proc = None
        self.missing = None
        if not os.access("/usr/sbin/opendkim", os.X_OK):
            self.missing = "opendkim is not installed (script/bootstrap installs it)"
        elif not os.access(os.path.join(B.QM_BIN, "dkim-keygen"), os.X_OK):
            self.missing = "dkim-keygen is not built"
        self.socket = self.WORK + "/run/opendkim.sock"

    def configure(self):
        """The key, the tables and opendkim.conf, made afresh."""
        shutil.rmtree(self.WORK, ignore_errors=True)
        os.makedirs(self.WORK + "/control", mode=0o755)
        os.makedirs(self.WORK + "/run", mode=0o755)
        pw = B.ensure_user("opendkim", "/run/opendkim")
        os.chown(self.WORK + "/run", pw.pw_uid, pw.pw_gid)
        r = subprocess.run([os.path.join(B.QM_BIN, "dkim-keygen"), self.domain, self.SELECTOR],
                           env={"PATH": "/usr/bin:/bin", "QMAILHOME": self.WORK}, text=True,
                           capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("dkim-keygen failed: " + r.stderr)
        key = "%s/control/dkim/%s.%s.key" % (self.WORK, self.domain, self.SELECTOR)
        os.chown(key, pw.pw_uid, pw.pw_gid)  # as root dkim-keygen gave it to qmailr
        with open(self.WORK + "/key.table", "w") as f:
            f.write("k %s:%s:%s\n" % (self.domain, self.SELECTOR, key))
        with open(self.WORK + "/signing.table", "w") as f:
            f.write("* k\n")
        with open(self.WORK + "/opendkim.conf", "w") as f:
            f.write("Mode s\nSocket local:%s\nUserID opendkim\nUMask 000\n"
                    "KeyTable %s/key.table\nSigningTable refile:%s/signing.table\n"
                    "Canonicalization relaxed/relaxed\nSignatureAlgorithm rsa-sha256\n"
                    "OversignHeaders From\nSyslog no\n" % (self.socket, self.WORK, self.WORK))

    def settings(self):
        return {"non_smtpd_milters": "unix:" + self.socket, "milter_default_action": "tempfail"}

    def describe(self):
        return "OpenDKIM %s (Debian's opendkim) as Postfix's milter (`non_smtpd_milters`, " \
            "`milter_default_action = tempfail`), signing every message as %s (RSA-2048 made by " \
            "dkim-keygen, relaxed/relaxed)" % (
                B.sh("/usr/sbin/opendkim", "-V", check=False).stdout.split("\n")[0].split()[-1],
                self.domain)

    def start(self):
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.log = open(self.WORK + "/opendkim.log", "ab")
        self.proc = subprocess.Popen(["/usr/sbin/opendkim", "-f", "-x", self.WORK + "/opendkim.conf"],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        # Ready once the socket takes a connection (the file exists from bind(), before
        # listen()).
        for _ in range(200):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(self.socket)
                    return self.proc.pid
                except OSError:
                    pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("opendkim did not start: " + open(self.WORK + "/opendkim.log").read()[-500:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None


class PostfixRemoteDkim(PostfixRemote):
    """Postfix as above with OpenDKIM signing every message as source.test (OpenDkimSigner):
    the side-by-side figure for ours-dkim.  opendkim's process counts in the MTA's RSS and
    CPU."""
    name = "postfix-dkim"
    SIGN_AS = "source.test"

    def __init__(self):
        super().__init__()
        self.signer = OpenDkimSigner(self.SIGN_AS)
        self.missing = self.missing or self.signer.missing

    def describe(self):
        return super().describe() + "; " + self.signer.describe()

    def configure(self):
        super().configure()
        self.signer.configure()
        self.settings = dict(self.settings, **self.signer.settings())

    def start(self):
        # The milter settings only while this adapter runs: plain postfix shares the
        # system's main.cf.
        B.sh("postconf", "-e", *["%s=%s" % kv for kv in self.signer.settings().items()])
        pid = self.signer.start()
        super().start()
        self.root_pids = self.root_pids + [pid]

    def stop(self):
        super().stop()
        self.signer.stop()
        B.sh("postconf", "-e", *["%s=%s" % (k, self.saved[k]) for k in self.signer.settings()],
             check=False)


class OursRspawn(OursRemote):
    """Ours with root mode's remote channel: qmail-send hands each attempt to qmail-rspawn,
    which runs one qmail-remote per attempt.  Root mode proper would also move local delivery
    to qmail-lspawn and the queue to the role users; only the remote channel matters here, so
    qmail-send runs as the bench user with a qmail-rspawn of the same user on a socket pair,
    as qmail-start connects them (qmail-rspawn refuses root, never the bench user)."""
    name = "ours-rspawn"
    NEEDED = OursRemote.NEEDED + ["qmail-rspawn", "qmail-remote"]

    def describe(self):
        return super().describe().replace("ours (", "ours-rspawn (", 1) + \
            "; remote deliveries through qmail-rspawn and qmail-remote (root mode's channel)"

    def start(self):
        prefix = B.as_user_prefix(self.user) if os.getuid() == 0 else []
        self.log_handle = open(self.log_path, "ab")
        # socketpair, qmail-rspawn on one end (fd 0 and 1), qmail-send --rspawn-fd on the other.
        launcher = (
            "import os,socket,subprocess,sys\n"
            "a,b=socket.socketpair()\n"
            "subprocess.Popen([sys.argv[1]+'/qmail-rspawn'],stdin=b.fileno(),stdout=b.fileno(),"
            "close_fds=True)\n"
            "b.close(); fd=a.detach(); os.set_inheritable(fd, True)\n"
            "os.execv(sys.argv[1]+'/qmail-send',['qmail-send','--rspawn-fd',str(fd),'./Maildir/'])\n")
        self.proc = subprocess.Popen(
            prefix + ["python3", "-c", launcher, self.home + "/bin"],
            env={"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}, cwd=self.home,
            stdin=subprocess.DEVNULL, stdout=self.log_handle, stderr=self.log_handle,
            start_new_session=True)
        self.root_pids = [self.proc.pid]
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise RuntimeError("qmail-send exited at once: " + open(self.log_path).read()[-2000:])


# ----------------------------------------------------------------------------- one run
def run_driver(mta, n, workers, rcpts):
    return B.start_driver(mta, n, workers, rcpts, "/tmp/qmbench-remote-driver.out")


def measure(mta, case, mode, run_no):
    title, expected = CASE_INFO[case]
    mta.stop()
    mta.clear(case)
    os.sync()
    time.sleep(2)
    sink = Sink()
    inject_cpu = 0.0
    inject_s = None
    status = "ok"
    driver_rc, driver_summary = 0, ""
    driver = None
    if mode == "drain":
        # Everything into the queue first, with the MTA stopped (Postfix: maildrop/, ours: todo/).
        ti = time.monotonic()
        proc, out = run_driver(mta, expected, B.WORKERS, recipients(case))
        driver_rc, inject_cpu, driver_summary = B.finish_logged(proc, out)
        inject_s = time.monotonic() - ti
        if driver_rc != 0:
            status = "injection failed (%s)" % driver_summary
        os.sync()
        time.sleep(2)
    watch = B.Watch()
    path, pattern = mta.end_pattern()
    watch.add_log(path, pattern)
    load = os.getloadavg()
    sink_cpu0 = sink.cpu()
    if mode == "drain":
        before = B.Counters()  # the tree is new: all its CPU belongs to this run
        t0 = time.monotonic()
        mta.start()
        t_started = time.monotonic() - t0
    else:
        mta.start()
        time.sleep(1)
        t_started = None
        before = B.Counters(mta.root_pids)
        t0 = time.monotonic()
        proc, out = run_driver(mta, 1 if case == "rcpts" else expected,
                               1 if case == "rcpts" else B.WORKERS, recipients(case))
        driver = (proc, out, os.pidfd_open(proc.pid))
    p = B.Progress()
    if status == "ok":
        p = B.follow(mta.root_pids, watch, lambda: watch.matches, expected, t0,
                     done=B.pidfd_exited(driver[2]) if driver else None,
                     wake_fd=driver[2] if driver else None)
    status = p.status if status == "ok" else status
    t_end = time.monotonic()
    after = B.Counters(mta.root_pids)
    sink_cpu1 = sink.cpu()
    if driver:
        driver_rc, inject_cpu, driver_summary = B.finish_logged(driver[0], driver[1])
        os.close(driver[2])
        inject_s = (p.t_done or time.monotonic()) - t0
        if driver_rc != 0 and status == "ok":
            status = "injection failed (%s)" % driver_summary
    watch.close()
    check = mta.verify("remote", expected)
    time.sleep(1)  # late duplicates would still reach the sink
    mta.stop()
    warnings = mta.warnings()
    sink.stop()
    trans, sink_rcpts, distinct = sink.received()
    signed = sink.signed()
    expect_distinct = 1 if case == "messages" else N_RCPTS
    if status == "ok" and (check["log_deferred"] or check["log_failed"] or check["queue_left"]
                           or check["log_ok"] != expected):
        status = "check failed (MTA log/queue)"
    if status == "ok" and (sink_rcpts != expected or distinct != expect_distinct
                           or (case == "messages" and trans != expected)):
        status = "check failed (sink got %d transactions, %d recipients, %d distinct)" % (trans, sink_rcpts, distinct)
    if status == "ok" and signed != (trans if mta.name.endswith("-dkim") else 0):
        status = "check failed (%d of %d transactions at the sink signed)" % (signed, trans)
    if status == "ok" and warnings:
        status = "%d warnings in the MTA's log: %s" % (len(warnings), warnings[0].strip()[:200])
    elapsed = t_end - t0
    row = {
        "date": B.stamp(),
        "mta": mta.name, "case": case, "run": run_no, "mode": mode, "items": expected, "done": p.count,
        "elapsed_s": round(elapsed, 3), "rate": round(p.count / elapsed, 1) if elapsed > 0 else None,
        "start_s": round(t_started, 3) if t_started is not None else None,
        "first_s": round(p.t_first - t0, 3) if p.t_first else None,
        "inject_s": round(inject_s, 3) if inject_s is not None else None,
        "peak_rss_mib": round(p.peak_rss / 2**20, 1), "peak_procs": p.peak_procs,
        "inject_cpu_ms_per_item": round(1000 * inject_cpu / expected, 3),
        "sink_cpu_ms_per_item": round(1000 * (sink_cpu1 - sink_cpu0) / expected, 3)
        if sink_cpu0 is not None and sink_cpu1 is not None else None,
        **B.usage_fields(before, after, expected),
        "load_before": [round(x, 2) for x in load], "status": status,
        "sink_transactions": trans, "sink_rcpts": sink_rcpts, "sink_distinct": distinct,
        "sink_signed": signed, "log_warnings": len(warnings), "log_warning_lines": [w.strip() for w in warnings[:5]], "driver": driver_summary, **check,
    }
    log("%s %s run %d: %s" % (mta.name, case, run_no, json.dumps(row)))
    return row


def plan():
    """(case, injection mode) pairs in run order; (c) is one injection, always live."""
    return [(c, m) for c in CASES for m in (INJECT if c == "messages" else ["live"])]


# ----------------------------------------------------------------------------- report
fmt = B.fmt


def tables(rows):
    out = ["| case | Postfix | ours | ours ÷ Postfix (aim ≥ 1.5×) | ours' peak RSS sum (aim ≤ 16 MiB) "
           "| ours through qmail-rspawn (root mode's channel) |",
           "|---|---|---|---|---|---|"]
    for case, mode in plan():
        title, items = CASE_INFO[case]
        if case == "messages":
            title += ", injected " + ("first, MTA stopped; drain timed" if mode == "drain"
                                      else "by %d parallel sendmail loops, MTA running" % B.WORKERS)
        med = {}
        ok = {}
        for m in ("postfix", "ours", "ours-rspawn"):
            ok[m] = [r for r in rows if r["mta"] == m and r["case"] == case and r["mode"] == mode
                     and r["status"] == "ok"]
            med[m] = statistics.median(r["elapsed_s"] for r in ok[m]) if ok[m] else None

        def cell(m):
            if med[m] is None:
                return "not measured"
            return "%.2f s, **%.0f deliveries/s**; RSS %.1f MiB; CPU %.3f ms/delivery" % (
                med[m], items / med[m], statistics.median(r["peak_rss_mib"] for r in ok[m]),
                statistics.median(r["mta_cpu_ms_per_item"] for r in ok[m]))
        ratio = "—"
        if med["postfix"] and med["ours"]:
            x = med["postfix"] / med["ours"]
            ratio = "%.2f×: **%s**" % (x, "met" if x >= 1.5 else "not met")
        rss = "—"
        if ok["ours"]:
            peak = max(r["peak_rss_mib"] for r in ok["ours"])
            rss = "%.1f MiB (max of runs): **%s**" % (peak, "met" if peak <= 16 else "not met")
        out.append("| %s | %s | %s | %s | %s | %s |" % (title, cell("postfix"), cell("ours"), ratio,
                                                    rss, cell("ours-rspawn")))
    if any(r["mta"] in ("postfix-dkim", "ours-dkim") for r in rows):
        out += ["", "Every message DKIM-signed (RSA-2048): Postfix with OpenDKIM as its milter "
                "against ours with `control/dkimkeys`:", "",
                "| case | Postfix + OpenDKIM (postfix-dkim) | ours-dkim | ours-dkim ÷ postfix-dkim |",
                "|---|---|---|---|"]
        for case, mode in plan():
            cells, med = [], {}
            for m in ("postfix-dkim", "ours-dkim"):
                ok = [r for r in rows if r["mta"] == m and r["case"] == case and r["mode"] == mode
                      and r["status"] == "ok"]
                med[m] = statistics.median(r["elapsed_s"] for r in ok) if ok else None
                cells.append("not measured" if not ok else
                             "%.2f s, **%.0f deliveries/s**; RSS %.1f MiB; CPU %.3f ms/delivery" % (
                                 med[m], CASE_INFO[case][1] / med[m],
                                 statistics.median(r["peak_rss_mib"] for r in ok),
                                 statistics.median(r["mta_cpu_ms_per_item"] for r in ok)))
            ratio = "%.2f×" % (med["postfix-dkim"] / med["ours-dkim"]) \
                if med["postfix-dkim"] and med["ours-dkim"] else "—"
            out.append("| %s, %s | %s | %s | %s |" % (CASE_INFO[case][0], mode, cells[0], cells[1],
                                                      ratio))
    out += ["", "Medians of the ok runs. Every run:", "",
            "| MTA | case | injection | result | elapsed | rate | MTA up at | first delivery at | injection done at | peak RSS sum (procs) | CPU ms / delivery: MTA, injection, smtp-sink | CPU busy (all cores) | load before | disk flushes / delivery | check: log ok/deferred/failed, queue, sink transactions/rcpts/distinct |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | %s | %s | %s | **%s s** | %s /s | %s | %s s | %s | %s MiB (%d) | %s, %s, %s | %s %% | %s | %s | %d/%d/%d, %s, %d/%d/%d |" % (
            r["mta"], CASE_INFO[r["case"]][0].split(")")[0] + ")", r["mode"],
            r["status"] if r["status"] != "ok" else "%d/%d" % (r["done"], r["items"]),
            fmt(r["elapsed_s"], 2), fmt(r["rate"], 0),
            (fmt(r["start_s"], 2) + " s") if r["start_s"] is not None else "before t0",
            fmt(r["first_s"], 2), (fmt(r["inject_s"], 2) + " s") if r["mode"] == "live" else
            "before t0 (took %s s)" % fmt(r["inject_s"], 1),
            fmt(r["peak_rss_mib"]), r["peak_procs"], fmt(r["mta_cpu_ms_per_item"], 3),
            fmt(r["inject_cpu_ms_per_item"], 3), fmt(r["sink_cpu_ms_per_item"], 3),
            fmt(r["cpu_busy_pct"], 0), " ".join("%.2f" % x for x in r["load_before"]),
            fmt(r["disk_flushes_per_item"], 2), r["log_ok"], r["log_deferred"], r["log_failed"],
            r["queue_left"], r["sink_transactions"], r["sink_rcpts"], r["sink_distinct"]))
    return out + [""]


BEGIN, END = "<!-- remote:begin (generated by bench/remote.sh) -->", "<!-- remote:end -->"


def write_results(rows, mach, notes, descriptions, settings):
    settings_line = (
        "**Settings:** REMOTE_RUNS=%d, 2 KiB message from `%s`; (b) REMOTE_INJECT=`%s`, WORKERS=%d parallel "
        "sendmail loops (`bench/inject_driver`, as `%s`): *drain* = all injected with the MTA stopped "
        "(Postfix: into `maildrop/`, ours: into `todo/`), then the MTA started at t0 and the drain timed; "
        "*live* = injected with the MTA running, t0 = injection start; (c) one sendmail command line with %d recipients, "
        "the MTA running, t0 = injection start. Sink: `smtp-sink -u nobody -D %s/dump 127.0.0.1:%d 1000`, "
        "restarted for every run, not counted in either MTA's RSS or CPU. RSS = sum over the MTA's "
        "daemon and all its descendants every 0.25 s (injection processes not counted)." % (
            RUNS, B.SENDER, " ".join(INJECT), B.WORKERS, B.BENCH_USER, N_RCPTS, SINK_DIR, PORT_SINK))
    B.write_block(BEGIN, END, B.results_block(
        BEGIN, END, "## Remote delivery to smtp-sink: latest run %s" % B.stamp("%Y-%m-%d %H:%M UTC"),
        mach, " Load average (1, 5, 15 min) before each run is in the table.", settings_line,
        descriptions, settings,
        ", no SMTP listener, `chroot = n` for every service; its remote delivery settings "
        "are the defaults (`default_destination_concurrency_limit = 20`, "
        "`initial_destination_concurrency = 5`, `default_destination_recipient_limit = 50`, "
        "connection cache on demand).", tables(rows), notes))


def main():
    B.require_root("remote.py", "bench/remote.sh")
    if not shutil.which("smtp-sink"):
        sys.exit("remote.py: smtp-sink (package postfix) is missing")
    B.make_message()
    B.ensure_user(B.BENCH_USER, "/var/lib/" + B.BENCH_USER)
    mach = B.machine()
    mtas, notes, descriptions, settings = B.prepare(
        {"postfix": PostfixRemote, "ours": OursRemote, "ours-rspawn": OursRspawn,
         "ours-dkim": OursRemoteDkim, "postfix-dkim": PostfixRemoteDkim})
    rows = []
    try:
        for case, mode in plan():
            for run_no in range(1, RUNS + 1):
                for m in mtas:
                    row = B.guarded(m, "%s %s (%s) run %d" % (m.name, case, mode, run_no), notes,
                                    lambda: measure(m, case, mode, run_no))
                    if row:
                        rows.append(row)
    finally:
        B.stop_all(mtas)
    B.report(RAW, rows, mach, notes, "\n".join(tables(rows)))
    write_results(rows, mach, notes, descriptions, settings)
    log("results written to %s" % B.RESULTS)


if __name__ == "__main__":
    main()
