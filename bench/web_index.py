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
    """The messages of an mboxrd file one by one, '>From ' unquoted one level."""
    current = None
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From "):
                if current is not None:
                    yield finish(current)
                current = []
                continue
            if current is None:
                continue
            if re.match(rb"^>+From ", line):
                line = line[1:]
            current.append(line)
    if current is not None:
        yield finish(current)


def finish(lines):
    while lines and lines[-1] in (b"\n", b""):
        lines.pop()  # the blank line before the next From_
    return b"".join(lines)


def put(list_dir, n, message):
    d = os.path.join(list_dir, "archive", str(n // 100))
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "%02d" % (n % 100))
    with open(p, "wb") as f:
        f.write(message)
    os.chmod(p, 0o744)  # ezmlm-send's mark of a completely archived message


def set_num(list_dir, n):
    with open(os.path.join(list_dir, "num"), "w") as f:
        f.write("%d:0\n" % n)


def load_list(work, list_dir, mbox, n):
    """A new archived list in list_dir (made by our ezmlm-make, its .qmail files in work)
    holding the first n messages of mbox as ezmlm-send archives them: (bytes of mail
    archived, the next message of the mbox or None)."""
    shutil.rmtree(list_dir, ignore_errors=True)
    for name in os.listdir(work):
        if name.startswith(".qmail-l"):
            os.unlink(os.path.join(work, name))
    subprocess.run([os.path.join(BIN, "ezmlm-make"), list_dir, os.path.join(work, ".qmail-l"),
                    "l", "bench.example"], check=True)
    archive_bytes, count, last = 0, 0, None
    for message in mbox_messages(mbox):
        if count == n:
            last = message
            break
        count += 1
        put(list_dir, count, message)
        archive_bytes += len(message)
    assert count == n, (count, n)
    set_num(list_dir, n)
    return archive_bytes, last


def timed(argv, env=None):
    """Wall seconds and peak RSS (KiB) of argv, by GNU time."""
    start = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, capture_output=True, text=True,
                       env=env)
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], r.returncode, r.stderr))
    return wall, int(r.stderr.strip().splitlines()[-1])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    work = sys.argv[2] if len(sys.argv) > 2 else "/tmp/qm-web-bench"
    corpus = os.path.join(work, "corpus")
    mbox = os.path.join(corpus, "corpus.mbox")
    msgids = os.path.join(corpus, "msgids.txt")
    have = sum(1 for _ in open(msgids)) if os.path.exists(msgids) else 0
    if have != n + 1:  # the corpus of an earlier run is reused when it fits
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        subprocess.run([sys.executable, GEN, str(n + 1), corpus], check=True,
                       stdout=subprocess.DEVNULL)
    list_dir = os.path.join(work, "list")
    archive_bytes, last = load_list(work, list_dir, mbox, n)
    assert last is not None  # kept back: the one more post
    index = [os.path.join(BIN, "ezmlm-webindex"), "--quiet"]
    wall, rss = timed(index + ["--rebuild", list_dir])
    db = os.path.join(list_dir, "webarchive", "index.sqlite")
    size = sum(os.path.getsize(db + s) for s in ("", "-wal") if os.path.exists(db + s))
    # One more post, as the editor runs it after ezmlm-send.
    put(list_dir, n + 1, last)
    set_num(list_dir, n + 1)
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
