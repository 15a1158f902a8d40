#!/usr/bin/env python3
"""Side-by-side benchmark: our MTA and Postfix on the same machine, fed by the same driver.

Run through bench/run.sh (which installs Postfix, builds both the project and the driver and
makes sure this runs as root).  Cases (see bench/README.md):

  local     N messages (default 20,000) injected with sendmail by 4 workers to one maildir;
            done when N files are in the maildir's new/.
  maildirs  one message to 1,024 local recipients, each with its own maildir;
            done when 1,024 files are in the 1,024 new/ directories.
  discard   one message to 8,192 local recipients whose delivery instruction discards it;
            done when the MTA's log shows 8,192 successful deliveries.

Every run: stop the MTA, delete its queue and mailboxes, truncate its log, sync, idle 2 s, start
the MTA, idle 1 s, then start the driver (t0) and wait for the end condition (watched with
inotify, so the time is not rounded to a polling interval).  Meanwhile the MTA's processes
(the daemon and all its descendants; the injection processes are not counted for either MTA)
are sampled every 0.25 s for the peak RSS sum.  Afterwards the log is checked for deferrals and
failures and the queue must be empty.

Environment: N_MESSAGES (20000), N_MAILDIRS (1024), N_DISCARD (8192), RUNS (1, the local case),
RUNS_FANOUT (3, the one-message cases), CASES ("local maildirs discard"), RAW
(results/runs.jsonl), and those of bench/benchlib.py (the MTA adapters and the measuring this
shares with smtp.py, remote.py and lists.py): WORKERS, MTAS, QM_BIN, DRIVER, TIMEOUT, STALL,
RESULTS, BENCH_USER.
"""

import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as L  # noqa: E402

N_MESSAGES = int(os.environ.get("N_MESSAGES", "20000"))
RUNS = int(os.environ.get("RUNS", "1"))
# The two one-message cases take seconds: repeat them so the summary's median means something.
RUNS_FANOUT = int(os.environ.get("RUNS_FANOUT", "3"))
CASES = os.environ.get("CASES", "local maildirs discard").split()
RAW = os.environ.get("RAW", os.path.join(HERE, "results", "runs.jsonl"))

CASE_INFO = {
    "local": ("%d messages → 1 maildir" % N_MESSAGES, N_MESSAGES, "msg/s"),
    "maildirs": ("1 message → %d maildirs" % L.N_MAILDIRS, L.N_MAILDIRS, "deliveries/s"),
    "discard": ("1 message → %d discarding .qmail/aliases" % L.N_DISCARD, L.N_DISCARD, "deliveries/s"),
}
fmt = L.fmt


# ----------------------------------------------------------------------------- one run
def measure(mta, case, run_no):
    title, expected, unit = CASE_INFO[case]
    mta.stop()
    mta.clear(case)
    os.sync()
    time.sleep(2)
    mta.start()
    time.sleep(1)

    watch = L.Watch()
    kind, target, pattern = mta.end_condition(case)
    if kind == "files":
        for d in target:
            watch.add_maildir(d)
        current = lambda: watch.files
    else:
        watch.add_log(target, pattern)
        current = lambda: watch.matches

    n_inject = expected if case == "local" else 1
    workers = L.WORKERS if case == "local" else 1
    before = L.Counters(mta.root_pids)
    load1 = os.getloadavg()[0]  # others' work on a shared machine shows up here
    t0 = time.monotonic()
    driver, driver_out = L.start_driver(mta, n_inject, workers, mta.recipients(case),
                                        "/tmp/qmbench-driver.out")
    driver_fd = os.pidfd_open(driver.pid)  # wakes the loop when the injection finishes
    p = L.follow(mta.root_pids, watch, current, expected, t0,
                 done=L.pidfd_exited(driver_fd), wake_fd=driver_fd)
    t_end = time.monotonic()
    after = L.Counters(mta.root_pids)
    driver_rc, inject_cpu, driver_summary = L.finish_logged(driver, driver_out)
    t_driver = p.t_done if p.t_done is not None else time.monotonic()
    watch.close()
    os.close(driver_fd)
    check = mta.verify(case, expected)
    mta.stop()
    status = p.status
    if driver_rc != 0 and status == "ok":
        status = "injection failed (%s)" % driver_summary
    if status == "ok" and (check["log_deferred"] or check["log_failed"] or check["queue_left"]):
        status = "deliveries deferred/failed or queue not empty"
    elapsed = t_end - t0
    row = {
        "date": L.stamp(),
        "mta": mta.name, "case": case, "run": run_no, "items": expected, "done": p.count,
        "elapsed_s": round(elapsed, 3), "rate": round(p.count / elapsed, 1) if elapsed > 0 else None,
        "unit": unit, "inject_s": round(t_driver - t0, 3),
        "peak_rss_mib": round(p.peak_rss / 2**20, 1), "peak_procs": p.peak_procs,
        "inject_cpu_ms_per_item": round(1000 * inject_cpu / expected, 3),
        **L.usage_fields(before, after, expected),
        "load1_before": round(load1, 2), "status": status, **check,
    }
    L.log("%s %s run %d: %s" % (mta.name, case, run_no, json.dumps(row)))
    return row


# ----------------------------------------------------------------------------- report
def table(rows):
    out = ["| MTA | case | result | elapsed | rate | injection done at | peak RSS sum (procs) | CPU ms / item: daemons, injection | CPU busy (all cores) | load1 before | disk flushes / item | check |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        check = "%d ok, %d deferred, %d failed, queue %s" % (
            r["log_ok"], r["log_deferred"], r["log_failed"], r["queue_left"])
        out.append("| %s | %s | %s | **%s s** | %s %s | %s s | %s MiB (%d) | %s, %s | %s %% | %s | %s | %s |" % (
            r["mta"], CASE_INFO[r["case"]][0], r["status"] if r["status"] != "ok" else "%d/%d" % (r["done"], r["items"]),
            fmt(r["elapsed_s"], 3), fmt(r["rate"], 0), r["unit"], fmt(r["inject_s"], 3),
            fmt(r["peak_rss_mib"]), r["peak_procs"], fmt(r.get("mta_cpu_ms_per_item"), 3),
            fmt(r.get("inject_cpu_ms_per_item"), 3), fmt(r["cpu_busy_pct"], 0),
            fmt(r.get("load1_before"), 2), fmt(r["disk_flushes_per_item"], 2), check))
    return "\n".join(out)


def summary(rows):
    """Median per (mta, case) and the comparison the issue asks for."""
    lines = ["| case | Postfix | ours | ours vs Postfix | aim |", "|---|---|---|---|---|"]
    for case in CASES:
        med = {}
        for m in ("postfix", "ours"):
            ok = [r["elapsed_s"] for r in rows if r["mta"] == m and r["case"] == case and r["status"] == "ok"]
            med[m] = statistics.median(ok) if ok else None
        title, items, unit = CASE_INFO[case]

        def cell(s):
            return "not measured" if s is None else "%.3f s (%.0f %s)" % (s, items / s, unit)
        if med["postfix"] and med["ours"]:
            ratio = med["postfix"] / med["ours"]
            vs = "%.2f× %s" % (ratio if ratio >= 1 else 1 / ratio, "faster" if ratio >= 1 else "slower")
        else:
            vs = "—"
        aim = "ahead of Postfix" + ("" if case == "local" else ", under 1 s")
        if med["ours"]:
            verdicts = []
            if med["postfix"]:
                verdicts.append("ahead" if med["ours"] < med["postfix"] else "behind")
            if case != "local":
                verdicts.append("under 1 s" if med["ours"] < 1.0 else "over 1 s")
            met = (med["postfix"] is not None and med["ours"] < med["postfix"]) and \
                (case == "local" or med["ours"] < 1.0)
            aim += ": **%s** (%s)" % ("met" if met else "not met", ", ".join(verdicts))
        lines.append("| %s | %s | %s | %s | %s |" % (title, cell(med["postfix"]), cell(med["ours"]), vs, aim))
    return "\n".join(lines)


BEGIN, END = "<!-- bench:begin (generated by bench/run.sh) -->", "<!-- bench:end -->"


def write_results(rows, mach, notes, descriptions, postfix_settings):
    settings = ("**Settings:** RUNS=%d (local), RUNS_FANOUT=%d (the one-message cases), WORKERS=%d, 2 KiB message, "
                "sender `%s`; the injection driver (`bench/inject_driver.cpp`) runs as the unprivileged user `%s` "
                "for both MTAs." % (RUNS, RUNS_FANOUT, L.WORKERS, L.SENDER, L.BENCH_USER))
    body = ["### Summary (median elapsed of the ok runs)", "", summary(rows), "",
            "### Every run", "", table(rows), ""]
    L.write_block(BEGIN, END, L.results_block(
        BEGIN, END, "## Latest run: %s" % L.stamp("%Y-%m-%d %H:%M UTC"), mach, "", settings,
        descriptions, postfix_settings, ", no SMTP listener, `chroot = n` for every service.",
        body, notes))


def main():
    L.require_root("bench.py", "bench/run.sh")
    for case in CASES:
        if case not in CASE_INFO:
            sys.exit("unknown case %s" % case)
    L.make_message()
    L.ensure_user(L.BENCH_USER, "/var/lib/" + L.BENCH_USER)
    mach = L.machine()
    mtas, notes, descriptions, postfix_settings = L.prepare({"postfix": L.Postfix, "ours": L.Ours})
    rows = []
    try:
        # Interleaved (case by case, MTA by MTA) so that both meet the disk in the same state;
        # each MTA is stopped after its run so it never competes with the other.
        for case in CASES:
            for run_no in range(1, (RUNS if case == "local" else RUNS_FANOUT) + 1):
                for m in mtas:
                    row = L.guarded(m, "%s %s run %d" % (m.name, case, run_no), notes,
                                    lambda: measure(m, case, run_no))
                    if row:
                        rows.append(row)
    finally:
        L.stop_all(mtas)
    L.report(RAW, rows, mach, notes, summary(rows) + "\n\n" + table(rows))
    write_results(rows, mach, notes, descriptions, postfix_settings)
    L.log("results written to %s" % L.RESULTS)


if __name__ == "__main__":
    main()
