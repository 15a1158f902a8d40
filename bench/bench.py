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
RUNS_FANOUT (3, the one-message cases), WORKERS (4),
CASES ("local maildirs discard"), MTAS ("postfix ours"), QM_BIN (our programs, default
build/bin), DRIVER (compiled inject_driver), TIMEOUT (600 s per run), STALL (60 s without
progress after the injection has finished ends a run as failed), RESULTS (bench/RESULTS.md),
BENCH_USER (unprivileged user that injects and runs our MTA, default qmbench).
"""

import ctypes
import datetime
import json
import os
import pwd
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

N_MESSAGES = int(os.environ.get("N_MESSAGES", "20000"))
N_MAILDIRS = int(os.environ.get("N_MAILDIRS", "1024"))
N_DISCARD = int(os.environ.get("N_DISCARD", "8192"))
RUNS = int(os.environ.get("RUNS", "1"))
# The two one-message cases take seconds: repeat them so the summary's median means something.
RUNS_FANOUT = int(os.environ.get("RUNS_FANOUT", "3"))
WORKERS = int(os.environ.get("WORKERS", "4"))
CASES = os.environ.get("CASES", "local maildirs discard").split()
MTAS = os.environ.get("MTAS", "postfix ours").split()
QM_BIN = os.path.abspath(os.environ.get("QM_BIN", os.path.join(REPO, "build", "bin")))
DRIVER = os.environ.get("DRIVER", os.path.join(REPO, "build", "bench", "inject_driver"))
TIMEOUT = float(os.environ.get("TIMEOUT", "600"))
STALL = float(os.environ.get("STALL", "60"))
RESULTS = os.environ.get("RESULTS", os.path.join(HERE, "RESULTS.md"))
RAW = os.environ.get("RAW", os.path.join(HERE, "results", "runs.jsonl"))
BENCH_USER = os.environ.get("BENCH_USER", "qmbench")
SENDER = "src@source.test"
MESSAGE_FILE = "/tmp/qmbench-message.txt"

CASE_INFO = {
    "local": ("%d messages → 1 maildir" % N_MESSAGES, N_MESSAGES, "msg/s"),
    "maildirs": ("1 message → %d maildirs" % N_MAILDIRS, N_MAILDIRS, "deliveries/s"),
    "discard": ("1 message → %d discarding .qmail/aliases" % N_DISCARD, N_DISCARD, "deliveries/s"),
}


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def sh(*argv, check=True, **kw):
    return subprocess.run(list(argv), check=check, text=True, capture_output=True, **kw)


# ----------------------------------------------------------------------------- inotify watch
libc = ctypes.CDLL("libc.so.6", use_errno=True)
IN_MODIFY, IN_MOVED_TO, IN_CREATE, IN_Q_OVERFLOW = 0x2, 0x80, 0x100, 0x4000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000


class Watch:
    """Counts files arriving in maildir new/ directories, or lines matching a pattern in a log.

    inotify instead of polling: a 20,000-entry directory costs milliseconds per listing, which
    would steal CPU from the MTA and round the 1,024/8,192 cases to the polling interval."""

    def __init__(self):
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.dirs = []
        self.files = 0
        self.overflow = False
        self.log_wd = None
        self.log_file = None
        self.log_rest = b""
        self.log_re = None
        self.matches = 0

    def _add(self, path, mask):
        wd = libc.inotify_add_watch(self.fd, path.encode(), mask)
        if wd < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch " + path)
        return wd

    def add_maildir(self, newdir):
        self._add(newdir, IN_CREATE | IN_MOVED_TO)
        self.dirs.append(newdir)

    def add_log(self, path, pattern):
        self.log_wd = self._add(path, IN_MODIFY)
        self.log_file = open(path, "rb")
        self.log_re = re.compile(pattern.encode())

    def _read_log(self):
        data = self.log_file.read()
        if not data:
            return
        data = self.log_rest + data
        lines = data.split(b"\n")
        self.log_rest = lines.pop()
        self.matches += sum(1 for line in lines if self.log_re.search(line))

    def pump(self, timeout, also=()):
        """Waits up to timeout for events (or for one of the extra fds, e.g. a pidfd)."""
        ready, _, _ = select.select([self.fd, *also], [], [], timeout)
        if self.fd in ready:
            try:
                buf = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                buf = b""
            off = 0
            log_touched = False
            while off + 16 <= len(buf):
                wd, mask, _cookie, length = struct.unpack_from("iIII", buf, off)
                off += 16 + length
                if mask & IN_Q_OVERFLOW:
                    self.overflow = True
                elif wd == self.log_wd:
                    log_touched = True
                elif mask & (IN_CREATE | IN_MOVED_TO):
                    self.files += 1
            if log_touched:
                self._read_log()
        if self.overflow and self.dirs:
            # Lost events: count for real (slow, but only after the kernel queue overflowed).
            self.files = sum(len(os.listdir(d)) for d in self.dirs)
        if self.log_file and self.overflow:
            self._read_log()

    def close(self):
        os.close(self.fd)
        if self.log_file:
            self.log_file.close()


# ----------------------------------------------------------------------------- /proc sampling
PAGE = os.sysconf("SC_PAGE_SIZE")


TICK = os.sysconf("SC_CLK_TCK")


def process_table():
    """pid -> (ppid, rss bytes, CPU seconds incl. reaped children) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            with open("/proc/%s/statm" % name) as f:
                rss = int(f.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # fields[0] is field 3 (state) of proc(5)
        cpu = sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
        table[int(name)] = (int(fields[1]), rss, cpu)
    return table


def tree_usage(root_pids):
    """(RSS sum, process count, CPU seconds) of root_pids and all their descendants.

    The CPU figure adds each live process's own time and that of its reaped children; a
    process that exited was reaped by a parent in the tree, so its time is in that parent's
    (and, transitively, in a live ancestor's) cutime/cstime: nothing is counted twice."""
    table = process_table()
    children = {}
    for pid, entry in table.items():
        children.setdefault(entry[0], []).append(pid)
    seen, todo = set(), [p for p in root_pids if p in table]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, []))
    return (sum(table[p][1] for p in seen), len(seen), sum(table[p][2] for p in seen))


def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields[:8]), idle


def disk_stat_path(path="/tmp"):
    """The block stat file of the disk (not the partition) under path: only disks count flushes."""
    dev = os.stat(path).st_dev
    real = os.path.realpath("/sys/dev/block/%d:%d" % (os.major(dev), os.minor(dev)))
    if os.path.exists(os.path.join(real, "partition")):
        real = os.path.dirname(real)
    stat = os.path.join(real, "stat")
    return stat if os.path.exists(stat) else None


DISK_STAT = disk_stat_path()


def disk_flushes():
    """Completed flush requests (field 16 of the block stat file), None where not reported."""
    try:
        with open(DISK_STAT) as f:
            fields = f.read().split()
        return int(fields[15]) if len(fields) >= 17 else None
    except (OSError, TypeError):
        return None


# ----------------------------------------------------------------------------- users, message
def ensure_user(name, home):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        sh("useradd", "--system", "--home-dir", home, "--create-home", "--shell", "/usr/sbin/nologin",
           "--user-group", name)
        return pwd.getpwnam(name)


def make_message():
    header = ("From: Bench Source <%s>\nTo: bench@bench.test\nSubject: benchmark message\n"
              "Date: Mon, 23 Nov 2026 18:00:00 +0000\nMessage-ID: <bench@source.test>\n\n") % SENDER
    body = ""
    line = 0
    while len(header) + len(body) < 2048:
        body += "line %04d of a benchmark message, padded to two kibibytes in total.........\n" % line
        line += 1
    text = (header + body)[:2047] + "\n"
    with open(MESSAGE_FILE, "w") as f:
        f.write(text)
    os.chmod(MESSAGE_FILE, 0o644)


def as_user_prefix(user):
    return ["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid, "--clear-groups", "--"]


def chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


def make_maildir(path, uid, gid):
    for sub in ("", "/new", "/cur", "/tmp"):
        os.makedirs(path + sub, mode=0o700, exist_ok=True)
        os.chown(path + sub, uid, gid)
    return path + "/new"


def wait_gone(pid, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not os.path.exists("/proc/%d" % pid):
            return True
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


# ----------------------------------------------------------------------------- Postfix adapter
class Postfix:
    name = "postfix"
    LOG = "/var/log/postfix-bench.log"
    SPOOL = "/var/spool/postfix"
    VBASE = "/var/spool/vbench"

    def __init__(self):
        self.missing = None if shutil.which("postconf") else "postfix is not installed"
        self.root_pids = []

    def describe(self):
        return "Postfix %s (Debian package, defaults except the settings listed below)" % \
            sh("postconf", "-h", "mail_version").stdout.strip()

    def configure(self):
        self.user = ensure_user("bench", "/home/bench")
        os.chmod(self.user.pw_dir, 0o755)
        for f in ("main.cf", "master.cf"):
            orig = "/etc/postfix/%s.bench-orig" % f
            if not os.path.exists(orig):
                shutil.copy2("/etc/postfix/" + f, orig)
        with open("/etc/postfix/bench-aliases", "w") as f:
            f.write("postmaster: root\n")
            f.write("".join("d%d: /dev/null\n" % i for i in range(N_DISCARD)))
        sh("postalias", "hash:/etc/postfix/bench-aliases")
        with open("/etc/postfix/bench-vmailbox", "w") as f:
            f.write("".join("u%d@vbench.test u%d/Maildir/\n" % (i, i) for i in range(N_MAILDIRS)))
        sh("postmap", "hash:/etc/postfix/bench-vmailbox")
        settings = {
            "myhostname": "bench.test",
            "mydomain": "bench.test",
            "myorigin": "bench.test",
            "mydestination": "bench.test, localhost",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "home_mailbox": "Maildir/",
            "mailbox_command": "",
            "mailbox_transport": "",
            "relayhost": "",
            "alias_maps": "hash:/etc/postfix/bench-aliases",
            "alias_database": "hash:/etc/postfix/bench-aliases",
            "virtual_mailbox_domains": "vbench.test",
            "virtual_mailbox_maps": "hash:/etc/postfix/bench-vmailbox",
            "virtual_mailbox_base": self.VBASE,
            "virtual_uid_maps": "static:%d" % self.user.pw_uid,
            "virtual_gid_maps": "static:%d" % self.user.pw_gid,
            "maillog_file": self.LOG,
        }
        self.settings = settings
        sh("postconf", "-e", *["%s=%s" % kv for kv in settings.items()])
        # Only sendmail injection is measured: no SMTP listener, and no chroot (Debian's default
        # chroot needs copies of /etc files the init script makes; the anchors ran without it).
        sh("postconf", "-M#", "smtp/inet", check=False)
        sh("postconf", "-F", "*/*/chroot = n")
        self.sendmail = sh("postconf", "-h", "sendmail_path").stdout.strip()

    def master_pid(self):
        try:
            with open(self.SPOOL + "/pid/master.pid") as f:
                pid = int(f.read().split()[0])
            return pid if os.path.exists("/proc/%d" % pid) else None
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        pid = self.master_pid()
        if pid:
            sh("postfix", "stop", check=False)
            wait_gone(pid, 20)

    def clear(self, case):
        u = self.user
        for sub in ("maildrop", "incoming", "active", "deferred", "defer", "bounce", "hold",
                    "corrupt", "flush", "trace", "saved"):
            d = os.path.join(self.SPOOL, sub)
            if os.path.isdir(d):
                for root, _dirs, files in os.walk(d):
                    for n in files:
                        os.unlink(os.path.join(root, n))
        shutil.rmtree(u.pw_dir + "/Maildir", ignore_errors=True)
        shutil.rmtree(self.VBASE, ignore_errors=True)
        self.newdirs = []
        if case == "local":
            self.newdirs = [make_maildir(u.pw_dir + "/Maildir", u.pw_uid, u.pw_gid)]
        elif case == "maildirs":
            os.makedirs(self.VBASE, mode=0o755)
            os.chown(self.VBASE, u.pw_uid, u.pw_gid)
            for i in range(N_MAILDIRS):
                os.makedirs("%s/u%d" % (self.VBASE, i), mode=0o700)
                os.chown("%s/u%d" % (self.VBASE, i), u.pw_uid, u.pw_gid)
                self.newdirs.append(make_maildir("%s/u%d/Maildir" % (self.VBASE, i), u.pw_uid, u.pw_gid))
        open(self.LOG, "w").close()

    def start(self):
        sh("postfix", "start")
        for _ in range(100):
            pid = self.master_pid()
            if pid:
                self.root_pids = [pid]
                return
            time.sleep(0.05)
        raise RuntimeError("postfix master did not start")

    def recipients(self, case):
        if case == "local":
            return ["bench@bench.test"]
        if case == "maildirs":
            return ["u%d@vbench.test" % i for i in range(N_MAILDIRS)]
        return ["d%d@bench.test" % i for i in range(N_DISCARD)]

    def inject_command(self):
        return [self.sendmail, "-f", SENDER]

    def driver_env(self):
        return {"PATH": "/usr/sbin:/usr/bin:/bin"}

    def end_condition(self, case):
        if case == "discard":
            return ("log", self.LOG, r"status=sent")
        return ("files", self.newdirs, None)

    def verify(self, case, expected):
        left = None
        for _ in range(100):
            out = sh("postqueue", "-j", check=False).stdout
            left = len([line for line in out.splitlines() if line.strip()])
            if left == 0:
                break
            time.sleep(0.1)
        with open(self.LOG, errors="replace") as f:
            text = f.read()
        return {"log_ok": len(re.findall(r"status=sent", text)),
                "log_deferred": len(re.findall(r"status=deferred", text)),
                "log_failed": len(re.findall(r"status=bounced", text)),
                "queue_left": left}


# ----------------------------------------------------------------------------- our MTA adapter
class Ours:
    name = "ours"
    ROOT = "/tmp/qmbench"
    NEEDED = ["qmail-install", "qmail-queue", "qmail-start", "qmail-send", "qmail-local", "qmail-newu"]

    def __init__(self):
        self.root_pids = []
        self.proc = None
        missing = [p for p in self.NEEDED if not os.access(os.path.join(QM_BIN, p), os.X_OK)]
        self.injector = None
        for p in ("sendmail", "qmail-inject"):
            if os.access(os.path.join(QM_BIN, p), os.X_OK):
                self.injector = p
                break
        if self.injector is None:
            missing.append("sendmail/qmail-inject")
        self.missing = ("not built in %s: %s" % (QM_BIN, ", ".join(missing))) if missing else None

    def describe(self):
        # QM_REV names the commit QM_BIN was built from when it is not this checkout's HEAD.
        rev = os.environ.get("QM_REV") or \
            sh("git", "-C", REPO, "rev-parse", "--short", "HEAD", check=False).stdout.strip()
        return "ours (qmplatform, git %s, programs from %s)" % (rev, QM_BIN)

    def configure(self):
        self.user = ensure_user(BENCH_USER, "/var/lib/" + BENCH_USER) if os.getuid() == 0 \
            else pwd.getpwuid(os.getuid())

    def run_as(self, argv, **kw):
        prefix = as_user_prefix(self.user) if os.getuid() == 0 else []
        env = {"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}
        return subprocess.run(prefix + argv, env=env, text=True, capture_output=True, **kw)

    def stop(self):
        if self.proc is None:
            return
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            log("ours: qmail-send did not exit after TERM within 20 s, killing its group")
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc = None
        self.log_handle.close()

    def clear(self, case):
        u = self.user
        shutil.rmtree(self.ROOT, ignore_errors=True)
        os.makedirs(self.ROOT, mode=0o755)
        # Our programs must be reachable by the unprivileged user wherever the checkout lives.
        shutil.copytree(QM_BIN, self.ROOT + "/bin-staged", symlinks=False)
        self.home = self.ROOT + "/root"
        os.makedirs(self.home, mode=0o755)
        os.makedirs(self.ROOT + "/homes", mode=0o755)
        chown_tree(self.ROOT, u.pw_uid, u.pw_gid)
        r = self.run_as([self.ROOT + "/bin-staged/qmail-install", self.home])
        if r.returncode != 0:
            raise RuntimeError("qmail-install failed: " + r.stderr)
        with open(self.home + "/control/me", "w") as f:
            f.write("bench.test\n")
        with open(self.home + "/control/locals", "w") as f:
            f.write("bench.test\n")
        assign = []
        self.newdirs = []

        def home_for(name):
            h = "%s/homes/%s" % (self.ROOT, name)
            os.makedirs(h, mode=0o755)
            return h

        h = home_for("bench")
        assign.append("=bench:bench:%d:%d:%s:::" % (u.pw_uid, u.pw_gid, h))
        if case == "local":
            self.newdirs.append(make_maildir(h + "/Maildir", u.pw_uid, u.pw_gid))
        if case == "maildirs":
            for i in range(N_MAILDIRS):
                h = home_for("u%d" % i)
                assign.append("=u%d:u%d:%d:%d:%s:::" % (i, i, u.pw_uid, u.pw_gid, h))
                self.newdirs.append(make_maildir(h + "/Maildir", u.pw_uid, u.pw_gid))
        if case == "discard":
            # d-N: wildcard entry; ext = N, so qmail-local falls back to .qmail-default,
            # whose only line is a comment: the message is accepted and discarded.
            h = home_for("discard")
            assign.append("+d-:discard:%d:%d:%s:-::" % (u.pw_uid, u.pw_gid, h))
            with open(h + "/.qmail-default", "w") as f:
                f.write("# discard\n")
            os.chmod(h + "/.qmail-default", 0o644)
        with open(self.home + "/users/assign", "w") as f:
            f.write("\n".join(assign) + "\n.\n")
        chown_tree(self.ROOT, u.pw_uid, u.pw_gid)
        r = self.run_as([self.home + "/bin/qmail-newu"])
        if r.returncode != 0:
            raise RuntimeError("qmail-newu failed: " + r.stderr)
        self.log_path = self.ROOT + "/send.log"
        open(self.log_path, "w").close()
        os.chown(self.log_path, u.pw_uid, u.pw_gid)

    def start(self):
        prefix = as_user_prefix(self.user) if os.getuid() == 0 else []
        self.log_handle = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            prefix + [self.home + "/bin/qmail-start", "./Maildir/"],
            env={"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}, cwd=self.home,
            stdin=subprocess.DEVNULL, stdout=self.log_handle, stderr=self.log_handle,
            start_new_session=True)
        self.root_pids = [self.proc.pid]
        time.sleep(0.2)
        if self.proc.poll() is not None:
            raise RuntimeError("qmail-start exited at once: " + open(self.log_path).read()[-2000:])

    def recipients(self, case):
        if case == "local":
            return ["bench@bench.test"]
        if case == "maildirs":
            return ["u%d@bench.test" % i for i in range(N_MAILDIRS)]
        return ["d-%d@bench.test" % i for i in range(N_DISCARD)]

    def inject_command(self):
        if self.injector == "sendmail":
            return [self.home + "/bin/sendmail", "-f", SENDER]
        return [self.home + "/bin/qmail-inject", "-a", "-f" + SENDER]

    def driver_env(self):
        return {"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}

    def end_condition(self, case):
        if case == "discard":
            return ("log", self.log_path, r"delivery \d+: success")
        return ("files", self.newdirs, None)

    def queue_files(self):
        n = 0
        for sub in ("mess", "todo", "intd", "local", "remote", "info"):
            for _root, _dirs, files in os.walk(os.path.join(self.home, "queue", sub)):
                n += len(files)
        return n

    def verify(self, case, expected):
        left = None
        for _ in range(100):
            left = self.queue_files()
            if left == 0:
                break
            time.sleep(0.1)
        with open(self.log_path, errors="replace") as f:
            text = f.read()
        return {"log_ok": len(re.findall(r"delivery \d+: success", text)),
                "log_deferred": len(re.findall(r"delivery \d+: deferral", text)),
                "log_failed": len(re.findall(r"delivery \d+: failure", text)),
                "queue_left": left}


# ----------------------------------------------------------------------------- one run
def measure(mta, case, run_no):
    title, expected, unit = CASE_INFO[case]
    mta.stop()
    mta.clear(case)
    os.sync()
    time.sleep(2)
    mta.start()
    time.sleep(1)

    watch = Watch()
    kind, target, pattern = mta.end_condition(case)
    if kind == "files":
        for d in target:
            watch.add_maildir(d)
        current = lambda: watch.files
    else:
        watch.add_log(target, pattern)
        current = lambda: watch.matches

    n_inject = expected if case == "local" else 1
    workers = WORKERS if case == "local" else 1
    cmd = [DRIVER, "-n", str(n_inject), "-j", str(workers), "-m", MESSAGE_FILE, "--"]
    cmd += mta.inject_command() + mta.recipients(case)
    prefix = as_user_prefix(pwd.getpwnam(BENCH_USER)) if os.getuid() == 0 else []
    _, _, mta_cpu0 = tree_usage(mta.root_pids)
    load1 = os.getloadavg()[0]  # others' work on a shared machine shows up here
    flush0, (cpu_total0, cpu_idle0) = disk_flushes(), cpu_times()
    t0 = time.monotonic()
    driver_out = open("/tmp/qmbench-driver.out", "w+")
    driver = subprocess.Popen(prefix + cmd, env=mta.driver_env(), cwd="/tmp",
                              stdout=driver_out, stderr=subprocess.STDOUT)
    driver_fd = os.pidfd_open(driver.pid)  # wakes the loop when the injection finishes
    t_driver = None
    peak_rss, peak_procs = 0, 0
    next_sample = t0
    last_progress, last_count = t0, -1
    status = "ok"
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss, procs, _ = tree_usage(mta.root_pids)
            peak_rss, peak_procs = max(peak_rss, rss), max(peak_procs, procs)
            next_sample = now + 0.25
        watch.pump(max(0.0, min(0.25, next_sample - time.monotonic())),
                   () if t_driver is not None else (driver_fd,))
        count = current()
        now = time.monotonic()
        # The pidfd turns readable at exit; poll() would reap the driver and lose its rusage.
        if t_driver is None and select.select([driver_fd], [], [], 0)[0]:
            t_driver = now
        if count >= expected:
            break
        if count != last_count:
            last_count, last_progress = count, now
        if now - t0 > TIMEOUT:
            status = "timeout after %.0f s" % TIMEOUT
            break
        if t_driver is not None and now - max(last_progress, t_driver) > STALL:
            status = "stalled for %.0f s" % STALL
            break
    t_end = time.monotonic()
    cpu_total1, cpu_idle1 = cpu_times()
    flush1 = disk_flushes()
    _, _, mta_cpu1 = tree_usage(mta.root_pids)
    # wait4 rather than Popen.wait: the rusage is the CPU of the whole injection side (driver,
    # sendmail and whatever it runs: postdrop, qmail-inject, qmail-queue).
    _, wstatus, usage = os.wait4(driver.pid, 0)
    driver.returncode = os.waitstatus_to_exitcode(wstatus)
    inject_cpu = usage.ru_utime + usage.ru_stime
    driver_out.seek(0)
    err = driver_out.read()
    driver_out.close()
    if t_driver is None:
        t_driver = time.monotonic()
    watch.close()
    os.close(driver_fd)
    check = mta.verify(case, expected)
    mta.stop()
    if driver.returncode != 0:
        status = "injection failed (%s)" % (err.strip().splitlines() or ["?"])[-1] if status == "ok" else status
    driver_summary = (err.strip().splitlines() or [""])[-1]
    if status == "ok" and (check["log_deferred"] or check["log_failed"] or check["queue_left"]):
        status = "deliveries deferred/failed or queue not empty"
    elapsed = t_end - t0
    busy = cpu_total1 - cpu_total0
    row = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "mta": mta.name, "case": case, "run": run_no, "items": expected, "done": count,
        "elapsed_s": round(elapsed, 3), "rate": round(count / elapsed, 1) if elapsed > 0 else None,
        "unit": unit, "inject_s": round(t_driver - t0, 3),
        "peak_rss_mib": round(peak_rss / 2**20, 1), "peak_procs": peak_procs,
        "mta_cpu_ms_per_item": round(1000 * (mta_cpu1 - mta_cpu0) / expected, 3),
        "inject_cpu_ms_per_item": round(1000 * inject_cpu / expected, 3),
        "cpu_busy_pct": round(100.0 * (busy - (cpu_idle1 - cpu_idle0)) / busy, 1) if busy else None,
        "disk_flushes_per_item": round((flush1 - flush0) / expected, 3) if flush0 is not None and flush1 is not None else None,
        "load1_before": round(load1, 2), "status": status, **check,
    }
    log("%s %s run %d: %s" % (mta.name, case, run_no, json.dumps(row)))
    return row


# ----------------------------------------------------------------------------- report
def machine():
    def first(path, key):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return line.split(":", 1)[1].strip()
        except OSError:
            return "?"
        return "?"
    fs = " ".join(sh("findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", "/tmp", check=False).stdout.split())
    mem_kib = int(first("/proc/meminfo", "MemTotal").split()[0])
    return {
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "cpu_model": first("/proc/cpuinfo", "model name"),
        "ram_gib": round(mem_kib / 2**20, 1),
        "kernel": os.uname().release,
        "os": sh("sh", "-c", ". /etc/os-release; echo \"$PRETTY_NAME\"", check=False).stdout.strip(),
        "tmp_fs": fs,
    }


def fmt(v, nd=1):
    return "—" if v is None else ("%.*f" % (nd, v))


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
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    gen = [BEGIN, "", "## Latest run: %s" % stamp, "",
           "**Machine:** %(host)s, %(cpus)d CPUs (%(cpu_model)s), %(ram_gib)s GiB RAM, %(os)s, kernel %(kernel)s; "
           "/tmp on `%(tmp_fs)s`." % mach, "",
           "**Settings:** RUNS=%d (local), RUNS_FANOUT=%d (the one-message cases), WORKERS=%d, 2 KiB message, "
           "sender `%s`; the injection driver (`bench/inject_driver.cpp`) runs as the unprivileged user `%s` "
           "for both MTAs." % (RUNS, RUNS_FANOUT, WORKERS, SENDER, BENCH_USER), ""]
    for d in descriptions:
        gen.append("* " + d)
    if postfix_settings:
        gen.append("* Postfix settings changed from the package defaults: " +
                   ", ".join("`%s = %s`" % kv for kv in postfix_settings.items()) +
                   ", no SMTP listener, `chroot = n` for every service.")
    gen += ["", "### Summary (median elapsed of the ok runs)", "", summary(rows), "",
            "### Every run", "", table(rows), ""]
    if notes:
        gen += ["### Not measured / problems", ""] + ["* " + n for n in notes] + [""]
    gen.append(END)
    block = "\n".join(gen)
    try:
        with open(RESULTS) as f:
            old = f.read()
    except OSError:
        old = "# Benchmark results\n\nSee README.md for the method. The block below is rewritten by `bench/run.sh`.\n\n"
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(RESULTS, "w") as f:
        f.write(new)


def main():
    if os.getuid() != 0:
        sys.exit("bench.py must run as root (bench/run.sh uses sudo): it configures Postfix")
    for case in CASES:
        if case not in CASE_INFO:
            sys.exit("unknown case %s" % case)
    make_message()
    ensure_user(BENCH_USER, "/var/lib/" + BENCH_USER)
    mach = machine()
    adapters = {"postfix": Postfix, "ours": Ours}
    mtas, notes, descriptions = [], [], []
    postfix_settings = None
    for name in MTAS:
        m = adapters[name]()
        if m.missing:
            notes.append("%s: not measured, %s" % (name, m.missing))
            log(notes[-1])
            continue
        m.configure()
        descriptions.append(m.describe())
        if name == "postfix":
            postfix_settings = m.settings
        mtas.append(m)
    rows = []
    try:
        # Interleaved (case by case, MTA by MTA) so that both meet the disk in the same state;
        # each MTA is stopped after its run so it never competes with the other.
        for case in CASES:
            for run_no in range(1, (RUNS if case == "local" else RUNS_FANOUT) + 1):
                for m in mtas:
                    try:
                        rows.append(measure(m, case, run_no))
                    except Exception as e:  # a broken MTA must not hide the other's figures
                        m.stop()
                        notes.append("%s %s run %d: %s" % (m.name, case, run_no, e))
                        log(notes[-1])
    finally:
        for m in mtas:
            m.stop()
    os.makedirs(os.path.dirname(RAW), exist_ok=True)
    with open(RAW, "a") as f:
        for r in rows:
            f.write(json.dumps({**r, "machine": mach}) + "\n")
    print(summary(rows))
    print()
    print(table(rows))
    for n in notes:
        print("note:", n)
    write_results(rows, mach, notes, descriptions, postfix_settings)
    log("results written to %s" % RESULTS)


if __name__ == "__main__":
    main()
