#!/usr/bin/env python3
"""The web index's figures (issue 17): indexing a list archive with ezmlm-webindex.

usage: bench/web_index.py N [WORKDIR]

Makes N messages with ../shared/tools/gen-archive-corpus.py (deterministic: threads,
quoting, patches, HTML alternatives, attachments, RFC 2047 names), loads them into an
archived list made by our ezmlm-make as ezmlm-send would have archived them
(archive/<n/100>/<n%100, two digits>, mode 0744, num), then times
`ezmlm-webindex --rebuild` over the whole archive (messages/s, peak RSS, database size)
and one incremental run for one more post. Programs from build/bin (QM_BIN to override).
"""
import os, re, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BIN = os.environ.get("QM_BIN", os.path.join(TOP, "build", "bin"))
GEN = os.path.join(TOP, "..", "shared", "tools", "gen-archive-corpus.py")


def mbox_messages(path):
    """The messages of an mboxrd file, '>From ' unquoted one level."""
    with open(path, "rb") as f:
        data = f.read()
    out, current = [], None
    for line in data.split(b"\n"):
        if line.startswith(b"From "):
            if current is not None:
                out.append(current)
            current = []
            continue
        if current is None:
            continue
        if re.match(rb"^>+From ", line):
            line = line[1:]
        current.append(line)
    if current is not None:
        out.append(current)
    msgs = []
    for lines in out:
        while lines and lines[-1] == b"":
            lines.pop()  # the blank line before the next From_
        msgs.append(b"\n".join(lines) + b"\n")
    return msgs


def load(list_dir, msgs, first=1):
    for i, m in enumerate(msgs):
        n = first + i
        d = os.path.join(list_dir, "archive", str(n // 100))
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, "%02d" % (n % 100))
        with open(p, "wb") as f:
            f.write(m)
        os.chmod(p, 0o744)  # ezmlm-send's mark of a completely archived message
    with open(os.path.join(list_dir, "num"), "w") as f:
        f.write("%d:0\n" % (first + len(msgs) - 1))


def timed(argv):
    """Wall seconds and peak RSS (KiB) of argv, by GNU time."""
    start = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, capture_output=True, text=True)
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], r.returncode, r.stderr))
    return wall, int(r.stderr.strip().splitlines()[-1])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/qm-web-bench"
    corpus = os.path.join(work, "corpus")
    mbox = os.path.join(corpus, "corpus.mbox")
    msgs = mbox_messages(mbox) if os.path.exists(mbox) else []
    if len(msgs) != n + 1:  # the corpus of an earlier run is reused when it fits
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        subprocess.run([sys.executable, GEN, str(n + 1), corpus], check=True,
                       stdout=subprocess.DEVNULL)
        msgs = mbox_messages(mbox)
    assert len(msgs) == n + 1, (len(msgs), n + 1)
    list_dir = os.path.join(work, "list")
    shutil.rmtree(list_dir, ignore_errors=True)
    if os.path.exists(os.path.join(work, ".qmail-l")):
        for name in os.listdir(work):
            if name.startswith(".qmail-l"):
                os.unlink(os.path.join(work, name))
    subprocess.run([os.path.join(BIN, "ezmlm-make"), list_dir, os.path.join(work, ".qmail-l"),
                    "l", "bench.example"], check=True)
    load(list_dir, msgs[:n])
    archive_bytes = sum(len(m) for m in msgs[:n])
    index = [os.path.join(BIN, "ezmlm-webindex"), "--quiet"]
    wall, rss = timed(index + ["--rebuild", list_dir])
    db = os.path.join(list_dir, "webarchive", "index.sqlite")
    size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
    # One more post, as the editor runs it after ezmlm-send.
    load(list_dir, msgs[n:], first=n + 1)
    one, one_rss = timed(index + [list_dir])
    again, _ = timed(index + [list_dir])  # nothing new: the cost of the hook alone
    print("messages            %d (%.1f MiB of mail)" % (n, archive_bytes / 2**20))
    print("full index          %.2f s, %.0f messages/s, peak RSS %.1f MiB"
          % (wall, n / wall, rss / 1024))
    print("database            %.1f MiB (%.2f x the mail)" % (size / 2**20, size / archive_bytes))
    print("one more post       %.1f ms, peak RSS %.1f MiB" % (one * 1000, one_rss / 1024))
    print("nothing new         %.1f ms" % (again * 1000))


if __name__ == "__main__":
    main()
