#!/usr/bin/env python3
"""What the benchmarks (bench.py, smtp.py, remote.py, lists.py) share.

  * settings from the environment: QM_BIN (our programs, default build/bin), DRIVER (compiled
    inject_driver), MTAS ("postfix ours"), WORKERS (4), TIMEOUT (600 s per run), STALL (60 s
    without progress after the injection has finished ends a run as failed), RESULTS
    (bench/RESULTS.md), BENCH_USER (the unprivileged user that injects and runs our MTA,
    default qmbench), N_MAILDIRS (1024) and N_DISCARD (8192) (the recipients the adapters
    set up for bench.py's fan-out cases);
  * the two MTAs' adapters: Postfix (the system's instance, reconfigured for the benchmark)
    and Ours (a private mail root in normal-user mode as BENCH_USER under /tmp/qmbench), each
    with configure/clear/start/stop/verify;
  * smtp-sink on loopback (Sink), the injection driver, the inotify Watch of maildirs and
    logs, /proc sampling of an MTA's process tree (RSS, CPU), the system counters (CPU busy,
    disk flushes), follow() (one run's wait for its end condition);
  * the report: machine facts, the blocks of RESULTS.md, the raw JSON lines.
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
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

N_MAILDIRS = int(os.environ.get("N_MAILDIRS", "1024"))
N_DISCARD = int(os.environ.get("N_DISCARD", "8192"))
WORKERS = int(os.environ.get("WORKERS", "4"))
MTAS = os.environ.get("MTAS", "postfix ours").split()
QM_BIN = os.path.abspath(os.environ.get("QM_BIN", os.path.join(REPO, "build", "bin")))
DRIVER = os.environ.get("DRIVER", os.path.join(REPO, "build", "bench", "inject_driver"))
TIMEOUT = float(os.environ.get("TIMEOUT", "600"))
STALL = float(os.environ.get("STALL", "60"))
RESULTS = os.environ.get("RESULTS", os.path.join(HERE, "RESULTS.md"))
BENCH_USER = os.environ.get("BENCH_USER", "qmbench")
SENDER = "src@source.test"
MESSAGE_FILE = "/tmp/qmbench-message.txt"


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


def sh(*argv, check=True, **kw):
    return subprocess.run(list(argv), check=check, text=True, capture_output=True, **kw)


def stamp(fmt="%Y-%m-%d %H:%M:%S UTC"):
    return datetime.datetime.now(datetime.timezone.utc).strftime(fmt)


def require_root(program, script):
    if os.getuid() != 0:
        sys.exit("%s must run as root (%s uses sudo): it configures Postfix" % (program, script))


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


def tree_pids(root_pids, table=None):
    """root_pids that are alive and all their descendants."""
    table = process_table() if table is None else table
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
    return seen


def tree_usage(root_pids):
    """(RSS sum, process count, CPU seconds) of root_pids and all their descendants.

    The CPU figure adds each live process's own time and that of its reaped children; a
    process that exited was reaped by a parent in the tree, so its time is in that parent's
    (and, transitively, in a live ancestor's) cutime/cstime: nothing is counted twice."""
    table = process_table()
    seen = tree_pids(root_pids, table)
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


def as_bench_user():
    """The prefix that runs a command as BENCH_USER when we are root (else as ourselves)."""
    return as_user_prefix(pwd.getpwnam(BENCH_USER)) if os.getuid() == 0 else []


def chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), uid, gid)


def stage_and_become(root, bin_dir, user):
    """A fresh folder root holding a copy of bin_dir's programs in root/bin-staged, all of it
    user's; run as root, the rest of the process then runs as user, the owner of a
    normal-user-mode mail root (bench/fanout_memory.py, bench/journal_recovery.py)."""
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    shutil.copytree(bin_dir, root + "/bin-staged")
    u = pwd.getpwnam(user)
    chown_tree(root, u.pw_uid, u.pw_gid)
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(u.pw_gid)
        os.setuid(u.pw_uid)


def queue_in_parallel(argv, env, body, envelope, count, writers):
    """Runs qmail-queue (argv) count times from writers threads, each time with body on
    stdin and envelope on fd 1 (a pipe holding it, as qmail-queue reads it); returns how
    many runs did not exit 0."""
    counter = iter(range(count))
    lock = threading.Lock()
    failures = [0]

    def writer():
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            rfd, wfd = os.pipe()
            os.write(wfd, envelope)
            os.close(wfd)
            r = subprocess.run(argv, input=body, env=env, stdout=rfd, stderr=subprocess.DEVNULL)
            os.close(rfd)
            if r.returncode != 0:
                with lock:
                    failures[0] += 1

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures[0]


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


def verify_run(queue_files, log_path, ok, deferred, failed):
    """A run's check: waits up to 10 s for the queue to empty (queue_files() counts what is
    left), then counts the log lines of successful, deferred and failed deliveries."""
    left = None
    for _ in range(100):
        left = queue_files()
        if left == 0:
            break
        time.sleep(0.1)
    with open(log_path, errors="replace") as f:
        text = f.read()
    return {"log_ok": len(re.findall(ok, text)), "log_deferred": len(re.findall(deferred, text)),
            "log_failed": len(re.findall(failed, text)), "queue_left": left}


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

    def queue_files(self):
        out = sh("postqueue", "-j", check=False).stdout
        return len([line for line in out.splitlines() if line.strip()])

    def verify(self, case, expected):
        return verify_run(self.queue_files, self.LOG, r"status=sent", r"status=deferred", r"status=bounced")


# ----------------------------------------------------------------------------- our MTA adapter
class Ours:
    # JOURNAL=1: control/journal 1, the messages made durable by qmail-journald's group
    # commit instead of a flush per queue file (qmail-journal(5)).
    JOURNAL = os.environ.get("JOURNAL") == "1"
    name = "ours"
    # OURS_ROOT: elsewhere than /tmp, e.g. on the journaled file system of BENCH_FS=journaled.
    ROOT = os.environ.get("OURS_ROOT", "/tmp/qmbench")
    NEEDED = ["qmail-install", "qmail-queue", "qmail-start", "qmail-send", "qmail-local",
              "qmail-newu"] + (["qmail-journald"] if JOURNAL else [])

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
        return "%s (qmplatform, git %s, programs from %s%s)" % (
            self.name, rev, QM_BIN, ", control/journal 1" if self.JOURNAL else "")

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
        if self.JOURNAL:
            with open(self.home + "/control/journal", "w") as f:
                f.write("1\n")
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
        return verify_run(self.queue_files, self.log_path, r"delivery \d+: success",
                          r"delivery \d+: deferral", r"delivery \d+: failure")


# ----------------------------------------------------------------------------- smtp-sink
SINK_DIR = "/tmp/qmbench-sink"
PORT_SINK = int(os.environ.get("PORT_SINK", "2725"))


PORT_QMTP_SINK = int(os.environ.get("PORT_QMTP_SINK", "2726"))


def wait_connectable(port, seconds=10):
    """True once 127.0.0.1:port takes a connection (for a server that does not greet)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def wait_listening(port, seconds=10):
    """True once something on 127.0.0.1:port sends a greeting (the session then ends)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(512)
                return True
        except OSError:
            time.sleep(0.05)
    return False


def fresh_sink_dir():
    """An empty SINK_DIR that the sinks, running as nobody, can write in."""
    shutil.rmtree(SINK_DIR, ignore_errors=True)
    os.makedirs(SINK_DIR, mode=0o755)
    nobody = pwd.getpwnam("nobody")
    os.chown(SINK_DIR, nobody.pw_uid, nobody.pw_gid)


class Sink:
    """Postfix's smtp-sink on 127.0.0.1:PORT_SINK, outside both MTAs' process trees; its dump
    file tells what really arrived."""

    def __init__(self):
        fresh_sink_dir()
        self.dump = SINK_DIR + "/dump"
        self.out = open(SINK_DIR + "/sink.out", "wb")
        self.proc = subprocess.Popen(
            ["smtp-sink", "-u", "nobody", "-D", self.dump, "127.0.0.1:%d" % PORT_SINK, "1000"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_listening(PORT_SINK):
            self.stop()
            raise RuntimeError("smtp-sink is not listening on %d" % PORT_SINK)

    def cpu(self):
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / TICK
        except OSError:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()

    def received(self):
        """(transactions, recipients, distinct recipients) in the dump."""
        trans = rcpts = 0
        distinct = set()
        try:
            with open(self.dump, "rb") as f:
                for line in f:
                    if line.startswith(b"X-Client-Addr:"):
                        trans += 1
                    elif line.startswith(b"X-Rcpt-Args:"):
                        rcpts += 1
                        distinct.add(line.split(b":", 1)[1].strip().lower())
        except OSError:
            pass
        return trans, rcpts, len(distinct)

    def signed(self):
        """How many messages in the dump carry a DKIM-Signature field (header lines only:
        smtp-sink writes each message after its X- lines)."""
        n = 0
        try:
            with open(self.dump, "rb") as f:
                for line in f:
                    if line.startswith(b"DKIM-Signature:"):
                        n += 1
        except OSError:
            pass
        return n


class QmtpSink(Sink):
    """bench/qmtp_sink.cpp (built by bench/common.sh's build_qmtp_sink into $QMTP_SINK) on
    127.0.0.1:PORT_QMTP_SINK: answers every recipient K and keeps only counts."""

    def __init__(self):
        fresh_sink_dir()
        self.count_file = SINK_DIR + "/qmtp.count"
        self.out = open(SINK_DIR + "/sink.out", "wb")
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
             os.environ["QMTP_SINK"], "127.0.0.1:%d" % PORT_QMTP_SINK, self.count_file],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT, start_new_session=True)
        if not wait_connectable(PORT_QMTP_SINK):
            self.stop()
            raise RuntimeError("qmtp_sink is not listening on %d" % PORT_QMTP_SINK)

    def received(self):
        """(packages, recipients, distinct recipients) as the sink counted them."""
        try:
            with open(self.count_file) as f:
                packages, rcpts, distinct = (int(x) for x in f.read().split())
            return packages, rcpts, distinct
        except (OSError, ValueError):
            return 0, 0, 0


# ----------------------------------------------------------------------------- one run
def start_logged(argv, out_path, env=None):
    """Starts argv (from /tmp) with stdout and stderr into out_path: (process, output file)."""
    out = open(out_path, "w+")
    proc = subprocess.Popen(argv, env=env, cwd="/tmp", stdout=out, stderr=subprocess.STDOUT)
    return proc, out


def finish_logged(proc, out):
    """Reaps a start_logged process: (exit code, CPU seconds, last output line).

    wait4 rather than Popen.wait: the rusage is the CPU of the process and all it ran (for the
    driver: sendmail and whatever that runs, postdrop or qmail-inject and qmail-queue)."""
    _, wstatus, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(wstatus)
    out.seek(0)
    text = out.read().strip()
    out.close()
    return proc.returncode, usage.ru_utime + usage.ru_stime, (text.splitlines() or [""])[-1]


def start_driver(mta, n, workers, rcpts, out_path):
    """The injection driver, as BENCH_USER: n sendmail runs (workers in parallel) of
    MESSAGE_FILE to rcpts through the MTA's own sendmail."""
    cmd = [DRIVER, "-n", str(n), "-j", str(workers), "-m", MESSAGE_FILE, "--"]
    cmd += mta.inject_command() + rcpts
    return start_logged(as_bench_user() + cmd, out_path, env=mta.driver_env())


class Counters:
    """The system's CPU and disk flush counters at one moment, and the CPU of the MTA's
    process tree (none when root_pids is None: a tree started afterwards is all this run's)."""

    def __init__(self, root_pids=None):
        self.mta_cpu = tree_usage(root_pids)[2] if root_pids is not None else 0.0
        self.flushes = disk_flushes()
        self.cpu_total, self.cpu_idle = cpu_times()


def usage_fields(before, after, items, per="item"):
    """A run's row fields from the counters before and after it: the MTA's CPU and the disk
    flushes per item, and how busy all cores were."""
    busy = after.cpu_total - before.cpu_total
    return {
        "mta_cpu_ms_per_" + per: round(1000 * (after.mta_cpu - before.mta_cpu) / items, 3),
        "cpu_busy_pct": round(100.0 * (busy - (after.cpu_idle - before.cpu_idle)) / busy, 1) if busy else None,
        "disk_flushes_per_" + per: round((after.flushes - before.flushes) / items, 3)
        if before.flushes is not None and after.flushes is not None else None,
    }


class Progress:
    """What follow() saw: status ("ok" or why not), count reached, when the injecting side
    finished (t_done) and the first item arrived (t_first), the tree's peak RSS sum and
    process count."""

    def __init__(self, t_done=None):
        self.status, self.count = "ok", 0
        self.t_done, self.t_first = t_done, None
        self.peak_rss = self.peak_procs = 0


def follow(root_pids, watch, current, expected, t0, done=None, wake_fd=None, need_done=False):
    """Waits until current() (a count from watch) reaches expected, sampling the process tree
    of root_pids every 0.25 s.

    done() tells whether the injecting side has finished (None: it had before t0); wake_fd
    (a pidfd) wakes the wait when it does. With need_done the run also waits for it. A run
    ends as failed after TIMEOUT from t0, or STALL without progress once the injection is
    done."""
    p = Progress(t0 if done is None else None)
    next_sample = t0
    last_progress, last_count = t0, -1
    while True:
        now = time.monotonic()
        if now >= next_sample:
            rss, procs, _ = tree_usage(root_pids)
            p.peak_rss, p.peak_procs = max(p.peak_rss, rss), max(p.peak_procs, procs)
            next_sample = now + 0.25
        also = (wake_fd,) if wake_fd is not None and p.t_done is None else ()
        watch.pump(max(0.0, min(0.25, next_sample - time.monotonic())), also)
        p.count = current()
        now = time.monotonic()
        if p.t_done is None and done():
            p.t_done = now
        if p.count and p.t_first is None:
            p.t_first = now
        if p.count >= expected and (p.t_done is not None or not need_done):
            break
        if p.count != last_count:
            last_count, last_progress = p.count, now
        if now - t0 > TIMEOUT:
            p.status = "timeout after %.0f s at %d/%d" % (TIMEOUT, p.count, expected)
            break
        if p.t_done is not None and now - max(last_progress, p.t_done) > STALL:
            p.status = "stalled for %.0f s at %d/%d" % (STALL, p.count, expected)
            break
    return p


def pidfd_exited(fd):
    """For follow(): a pidfd turns readable at exit (poll() would reap the process and lose
    its rusage)."""
    return lambda: bool(select.select([fd], [], [], 0)[0])


def prepare(adapters):
    """The adapters of MTAS, configured: (mtas, notes, descriptions, Postfix's settings)."""
    mtas, notes, descriptions, settings = [], [], [], None
    for name in MTAS:
        m = adapters[name]()
        if m.missing:
            notes.append("%s: not measured, %s" % (name, m.missing))
            log(notes[-1])
            continue
        m.configure()
        descriptions.append(m.describe())
        if name == "postfix" or (name.startswith("postfix") and settings is None):
            settings = m.settings
        mtas.append(m)
    return mtas, notes, descriptions, settings


def guarded(mta, label, notes, run):
    """run()'s row, or None with the failure in notes: a broken MTA must not hide the other's
    figures."""
    try:
        return run()
    except Exception as e:  # noqa: BLE001 - recorded, the other runs go on
        mta.stop()
        notes.append("%s: %s" % (label, e))
        log(notes[-1])
        return None


def stop_all(mtas):
    for m in mtas:
        m.stop()
        if hasattr(m, "unconfigure"):
            m.unconfigure()


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


def machine_line(mach, tail=""):
    return ("**Machine:** %(host)s, %(cpus)d CPUs (%(cpu_model)s), %(ram_gib)s GiB RAM, %(os)s, "
            "kernel %(kernel)s; /tmp on `%(tmp_fs)s`." % mach) + tail


def fmt(v, nd=1):
    return "—" if v is None else ("%.*f" % (nd, v))


def settings_text(settings):
    return ", ".join("`%s = %s`" % kv for kv in settings.items())


def results_block(begin, end, title, mach, machine_tail, settings, descriptions, postfix_settings,
                  postfix_tail, body, notes):
    """A generated block of RESULTS.md: title, machine, settings, one line per MTA, the body
    (a list of lines) and the problems."""
    gen = [begin, "", title, "", machine_line(mach, machine_tail), "", settings, ""]
    gen += ["* " + d for d in descriptions]
    if postfix_settings:
        gen.append("* Postfix settings changed from the package defaults: " +
                   settings_text(postfix_settings) + postfix_tail)
    gen.append("")
    gen += body
    if notes:
        gen += notes_lines(notes)
    gen.append(end)
    return "\n".join(gen)


def notes_lines(notes):
    return ["### Not measured / problems", ""] + ["* " + n for n in notes] + [""]


def write_block(begin, end, block):
    """Puts block in place of the one between the begin and end markers of RESULTS (at the
    end when there is none); the rest of the file stays as it is."""
    try:
        with open(RESULTS) as f:
            old = f.read()
    except OSError:
        old = "# Benchmark results\n\nSee README.md for the method.\n\n"
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    with open(RESULTS, "w") as f:
        f.write(new)


def report(raw_path, rows, mach, notes, text):
    """The end of a benchmark: the raw lines appended, the tables and the notes printed."""
    append_raw(raw_path, rows, mach)
    print(text)
    for n in notes:
        print("note:", n)


def append_raw(path, rows, mach):
    """Every run as one JSON line, with the machine it ran on."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        for r in rows:
            f.write(json.dumps({**r, "machine": mach}) + "\n")
