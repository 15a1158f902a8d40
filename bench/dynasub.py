#!/usr/bin/env python3
"""dynasub's figure (issue 12): one post of a remote list reaching N_READERS (10,000) readers
on this host, (a) through a dynasub sublist (the remote list sends one copy; the sublist
fans it out here) against (b) the remote list sending to the N_READERS addresses itself.

Two mail roots of ours in normal-user mode as BENCH_USER under /tmp/qmbench-dynasub:
"remote.test" (joe-rl@remote.test, an ezmlm list) and "test.example" (the readers
r-0..r-N@test.example, each a .qmail-default that discards, and the dynasub home). Each
runs qmail-send and a qmail-smtpd daemon; remote.test reaches test.example through a
counting TCP relay in this script, which gives the bytes on the wire between the hosts.
Timed: from the post's injection at remote.test to the N_READERS-th local delivery at
test.example. RSS: peak of the sum over both hosts' qmail-send and qmail-smtpd trees.

  sudo bench/dynasub.py          (RUNS=2, N_READERS=10000; results: stdout and RAW)
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

N_READERS = int(os.environ.get("N_READERS", "10000"))
RUNS = int(os.environ.get("RUNS", "2"))
RAW = os.environ.get("RAW", os.path.join(B.HERE, "results", "dynasub-runs.jsonl"))
ROOT = "/tmp/qmbench-dynasub"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Relay:
    """A TCP relay from listen_port to target_port that counts the bytes both ways."""

    def __init__(self, target_port):
        self.target = target_port
        self.bytes = 0
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            c, _ = self.sock.accept()
            u = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    def pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.bytes += len(data)
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Host:
    def __init__(self, name, user, bin_dir):
        self.name = name
        self.user = user
        self.home = "%s/%s" % (ROOT, name)
        self.bin = bin_dir
        self.procs = []

    def env(self, extra=None):
        e = {"PATH": "/usr/bin:/bin", "QMAILHOME": self.home}
        e.update(extra or {})
        return e

    def run(self, argv, stdin=None, extra=None):
        r = subprocess.run(B.as_user_prefix(self.user) + argv, env=self.env(extra), text=True,
                           input=stdin, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s %s" % (argv, r.stdout, r.stderr))
        return r

    def install(self, assign_lines):
        os.makedirs(self.home)
        os.chown(self.home, self.user.pw_uid, self.user.pw_gid)
        self.run([self.bin + "/qmail-install", self.home])
        for name, value in (("me", self.name), ("locals", self.name), ("rcpthosts", self.name),
                            ("concurrencylocal", "20")):
            with open("%s/control/%s" % (self.home, name), "w") as f:
                f.write(value + "\n")
        with open(self.home + "/users/assign", "w") as f:
            f.write("\n".join(assign_lines) + "\n.\n")
        B.chown_tree(self.home, self.user.pw_uid, self.user.pw_gid)
        self.run([self.home + "/bin/qmail-newu"])

    def start(self, smtp_port):
        self.log = "%s/%s-send.log" % (ROOT, self.name)
        for argv, logf in (([self.home + "/bin/qmail-start", "./Maildir/"], self.log),
                           ([self.home + "/bin/qmail-smtpd", "--listen", "127.0.0.1:%d" % smtp_port],
                            "%s/%s-smtpd.log" % (ROOT, self.name))):
            out = open(logf, "ab")
            self.procs.append(subprocess.Popen(B.as_user_prefix(self.user) + argv, env=self.env(),
                                               cwd=self.home, stdin=subprocess.DEVNULL, stdout=out,
                                               stderr=out, start_new_session=True))
        time.sleep(0.5)

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, 15)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait()
        self.procs = []

    def successes(self):
        with open(self.log, errors="replace") as f:
            return len(re.findall(r"delivery \d+: success", f.read()))


def make_home(path, uid, gid, qmail_default=None):
    os.makedirs(path)
    if qmail_default is not None:
        with open(path + "/.qmail-default", "w") as f:
            f.write(qmail_default)
    B.chown_tree(path, uid, gid)


def wait(pred, seconds, what):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def one_run(case, user, bin_dir):
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    staged = ROOT + "/bin"
    shutil.copytree(bin_dir, staged)
    B.chown_tree(ROOT, user.pw_uid, user.pw_gid)
    uid, gid = user.pw_uid, user.pw_gid
    here, remote = Host("test.example", user, staged), Host("remote.test", user, staged)
    here_joe, remote_joe = ROOT + "/homes/here-joe", ROOT + "/homes/remote-joe"
    readers = ROOT + "/homes/readers"
    os.makedirs(ROOT + "/homes")
    make_home(here_joe, uid, gid)
    make_home(remote_joe, uid, gid)
    make_home(readers, uid, gid, "# discarded: a reader\n")
    B.chown_tree(ROOT + "/homes", uid, gid)
    here.install(["+joe-:joe:%d:%d:%s:-::" % (uid, gid, here_joe),
                  "+r-:readers:%d:%d:%s:-::" % (uid, gid, readers)])
    remote.install(["+joe-:joe:%d:%d:%s:-::" % (uid, gid, remote_joe)])
    here_port, remote_port = free_port(), free_port()
    relay = Relay(here_port)
    with open(remote.home + "/control/smtproutes", "w") as f:
        f.write("test.example:127.0.0.1:%d\n" % relay.port)
    with open(here.home + "/control/smtproutes", "w") as f:
        f.write("remote.test:127.0.0.1:%d\n" % remote_port)
    rl = remote_joe + "/rl"
    remote.run([staged + "/ezmlm-make", rl, remote_joe + "/.qmail-rl", "joe-rl", "remote.test"])
    addresses = "".join("r-%d@test.example\n" % i for i in range(N_READERS))
    here.start(here_port)
    remote.start(remote_port)
    try:
        if case == "sublist":
            home = here_joe + "/dynasub"
            here.run([staged + "/dynasub", "-d", home, "setup", "test.example", "joe-dynasub",
                      here_joe + "/.qmail-dynasub", staged, "86400"])
            here.run([staged + "/dynasub", "-d", home, "join", "joe-rl@remote.test",
                      "r-0@test.example", "ezmlm"])
            wait(lambda: " active " in here.run([staged + "/dynasub", "-d", home, "list"]).stdout,
                 60, "the sublist to become active")
            agent = here.run([staged + "/dynasub", "-d", home, "list"]).stdout.split()[0]
            sub_dir = home + "/agents/%s/list" % agent
            here.run([staged + "/ezmlm-sub", "-q", "-f", "-", sub_dir], stdin=addresses)
        else:
            remote.run([staged + "/ezmlm-sub", "-q", "-f", "-", rl], stdin=addresses)
        time.sleep(1)
        base = here.successes()
        bytes_before = relay.bytes
        peak_rss = 0
        message = ("From: dave@remote.test\nTo: joe-rl@remote.test\nSubject: one post\n\n" +
                   "a line of the post, about seventy bytes long, to make it two kibibytes.\n" * 29)
        t0 = time.time()
        remote.run([staged + "/qmail-inject", "-f", "dave@remote.test"], stdin=message)
        # Readers' deliveries (the sublist's own delivery counts one more in its case).
        want = base + N_READERS + (1 if case == "sublist" else 0)
        deadline = t0 + 600
        while here.successes() < want:
            rss = 0
            for h in (here, remote):
                rss += B.tree_usage([p.pid for p in h.procs])[0]
            peak_rss = max(peak_rss, rss)
            if time.time() > deadline:
                raise RuntimeError("only %d of %d deliveries" % (here.successes() - base, want - base))
            time.sleep(0.1)
        elapsed = time.time() - t0
        return {"date": B.stamp(), "case": case, "readers": N_READERS, "elapsed_s": round(elapsed, 3),
                "per_s": round(N_READERS / elapsed, 1), "wire_bytes": relay.bytes - bytes_before,
                "peak_rss_mib": round(peak_rss / 2**20, 1),
                "rev": B.sh("git", "-C", B.REPO, "rev-parse", "--short", "HEAD", check=False).stdout.strip()}
    finally:
        here.stop()
        remote.stop()


def main():
    if os.getuid() != 0:
        sys.exit("bench/dynasub.py: run as root (it runs both hosts as %s)" % B.BENCH_USER)
    user = B.ensure_user(B.BENCH_USER, "/var/lib/" + B.BENCH_USER)
    mach = B.machine()
    print(B.machine_line(mach))
    import json
    with open(RAW, "a") as raw:
        for _ in range(RUNS):
            for case in ("sublist", "direct"):
                r = one_run(case, user, B.QM_BIN)
                r["machine"] = mach
                print(json.dumps(r), flush=True)
                raw.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
