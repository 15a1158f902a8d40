#!/usr/bin/env bash
# Compile one generated aliases file with three tools, side by side: bench/newaliases.sh [N_ALIASES]
#   ours        build/bin/newaliases -f FILE -o FILE.cdb
#   fastforward Debian's fastforward 0.51 /usr/sbin/qmail-newaliases (hard-wired /etc/aliases:
#               it runs in a private mount namespace whose /etc is a scratch directory)
#   postalias   Postfix's postalias, hash: (Berkeley DB, Postfix's default) and cdb: (postfix-cdb)
# Each tool RUNS times (default 3; interleaved, input in the page cache, outputs removed and
# `sync` before each run), timed by /usr/bin/time -f '%e %M %U %S' (wall seconds, peak RSS of the
# process, user and system CPU seconds); the tables show the medians. Checks: our table is byte-identical to fastforward's
# (cmp) and holds N_ALIASES aliases; postalias's maps answer spot queries and hash: lists them all.
# Then rewrites the newaliases:begin/end block of bench/RESULTS.md (the rest is kept).
# Needs root (installs postfix, postfix-cdb and time if missing; mount namespace). Idempotent:
# everything it writes is under $WORK (default /tmp/qmbench-newaliases), recreated each run.
# Environment: N_ALIASES (1000000), RUNS (3), QM_BIN (our programs, default build/bin),
# SKIP_BUILD=1 (do not build build/bin/newaliases), QM_REV (git rev shown for ours), WORK, RESULTS,
# MAPS (postalias map types, "hash cdb").
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
repo=$PWD
N_ALIASES="${1:-${N_ALIASES:-1000000}}"
RUNS="${RUNS:-3}"
WORK="${WORK:-/tmp/qmbench-newaliases}"
RESULTS="${RESULTS:-$repo/bench/RESULTS.md}"
MAPS="${MAPS:-hash cdb}"

reexec_as_root "$0" N_ALIASES,RUNS,QM_BIN,SKIP_BUILD,QM_REV,WORK,RESULTS,MAPS "$@"

missing=()
command -v postalias >/dev/null || missing+=(postfix)
case " $MAPS " in *" cdb "*) postconf -m 2>/dev/null | grep -qx cdb || missing+=(postfix-cdb) ;; esac
[ -x /usr/bin/time ] || missing+=(time)
[ -x /usr/sbin/qmail-newaliases ] || missing+=(fastforward)
[ "${#missing[@]}" -eq 0 ] || install_packages "${missing[@]}"

[ -n "${QM_BIN:-}" ] || build_targets newaliases
QM_BIN="${QM_BIN:-$repo/build/bin}"
QM_REV="${QM_REV:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}"
ours_bin="$QM_BIN/newaliases"
[ -x "$ours_bin" ] || { echo "newaliases.sh: no $ours_bin (build it, or set QM_BIN)" >&2; exit 111; }

# $WORK/etc is fastforward's /etc (only the loader cache besides the aliases); $WORK/qmail is the
# qmail home of both fastforward (over /var/lib/qmail) and ours (QMAILHOME): the same control files.
rm -rf "$WORK"
mkdir -p "$WORK"/{etc,qmail/control,ours,hash,cdb,time}
cp /etc/ld.so.cache "$WORK/etc/"
echo bench.test >"$WORK/qmail/control/me"
echo bench.test >"$WORK/qmail/control/defaulthost"
echo example.test >"$WORK/qmail/control/defaultdomain"
echo plus.test >"$WORK/qmail/control/plusdomain"
input="$WORK/etc/aliases"
python3 bench/gen_aliases.py "$N_ALIASES" "$input"
for d in ours hash cdb; do ln "$input" "$WORK/$d/aliases"; done

tools=(fastforward ours)
for m in $MAPS; do tools+=("postalias-$m"); done

output_of() {
  case "$1" in
    fastforward) echo "$WORK/etc/aliases.cdb" ;;
    ours) echo "$WORK/ours/aliases.cdb" ;;
    postalias-hash) echo "$WORK/hash/aliases.db" ;;
    postalias-cdb) echo "$WORK/cdb/aliases.cdb" ;;
  esac
}

# run TOOL TIMEFILE: one timed compilation; /usr/bin/time measures only the compiler itself.
run() {
  local timed=(/usr/bin/time -f '%e %M %U %S' -o "$2")
  case "$1" in
    fastforward)
      # shellcheck disable=SC2016 # expanded by the inner sh
      unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1/etc" /etc &&
        mount --bind "$1/qmail" /var/lib/qmail && shift && exec "$@"' sh "$WORK" \
        "${timed[@]}" /usr/sbin/qmail-newaliases ;;
    ours) QMAILHOME="$WORK/qmail" "${timed[@]}" "$ours_bin" -f "$input" -o "$(output_of ours)" ;;
    postalias-*) "${timed[@]}" postalias "${1#postalias-}:$WORK/${1#postalias-}/aliases" ;;
  esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
echo "newaliases.sh: $N_ALIASES aliases, $(stat -c %s "$input") bytes; load average $load_before" >&2
for r in $(seq "$RUNS"); do
  for t in "${tools[@]}"; do
    rm -f "$(output_of "$t")" "$WORK/etc/aliases.tmp"
    cat "$input" >/dev/null
    sync
    sleep 1
    run "$t" "$WORK/time/$t.$r" || { echo "newaliases.sh: $t failed (run $r)" >&2; exit 1; }
    sha=$(sha256sum <"$(output_of "$t")" | cut -c1-16)
    echo "$sha $(stat -c %s "$(output_of "$t")")" >>"$WORK/time/$t.$r"
    echo "run $r $t: $(tr '\n' ' ' <"$WORK/time/$t.$r")" >&2
  done
done

# Checks on the last run's outputs.
same="differ"
cmp -s "$(output_of fastforward)" "$(output_of ours)" && same="byte-identical"
count_cdb() { # records of a cdb file
  python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
end = min(struct.unpack_from("<256I", d)[0::2])
pos, n = 2048, 0
while pos < end:
    k, v = struct.unpack_from("<II", d, pos)
    pos += 8 + k + v
    n += 1
print(n)' "$1"
}
checks="fastforward: $(count_cdb "$(output_of fastforward)") aliases; ours: $(count_cdb "$(output_of ours)") aliases, $same"
last=$((N_ALIASES - 3)) # the generator's last alias
expect_last=$(python3 -c 'import sys; sys.path.insert(0, "bench"); import gen_aliases as g
print(" ".join(g.alias(int(sys.argv[1])).split(": ", 1)[1].split()))' "$last")
for m in $MAPS; do
  map="$m:$WORK/$m/aliases"
  got=$(postalias -q "alias$(printf %07d "$last")" "$map")
  spot="ok"
  [ "$got" = "$expect_last" ] || spot="WRONG ($got)"
  [ "$(postalias -q postmaster "$map")" = root ] || spot="WRONG (postmaster)"
  if [ "$m" = hash ]; then
    # -s also lists Postfix's bookkeeping keys "@", YP_LAST_MODIFIED and YP_MASTER_NAME.
    n=$(postalias -s "$map" | grep -cv '^\(@\|YP_LAST_MODIFIED\|YP_MASTER_NAME\):')
    checks="$checks; postalias hash: $n aliases, spot queries $spot"
  else
    checks="$checks; postalias $m: spot queries $spot (no listing: cdb: has no sequence operation)"
  fi
done
echo "newaliases.sh: $checks" >&2

export WORK RUNS N_ALIASES RESULTS started load_before checks QM_BIN QM_REV input
export TOOLS="${tools[*]}"
FF_VERSION=$(dpkg-query -W -f '${Version}' fastforward)
PF_VERSION=$(postconf -h mail_version)
export FF_VERSION PF_VERSION
python3 - <<'EOF'
import os, platform, re, statistics, subprocess

env = os.environ
work, runs = env["WORK"], int(env["RUNS"])
label = {
    "fastforward": "Debian fastforward %s `qmail-newaliases`" % env["FF_VERSION"],
    "ours": "ours `newaliases` (git %s)" % env["QM_REV"],
    "postalias-hash": "Postfix %s `postalias hash:`" % env["PF_VERSION"],
    "postalias-cdb": "Postfix %s `postalias cdb:`" % env["PF_VERSION"],
}
rows, every = [], []
for t in env["TOOLS"].split():
    secs, rss, cpu, outs = [], [], [], set()
    for r in range(1, runs + 1):
        lines = open("%s/time/%s.%d" % (work, t, r)).read().split("\n")
        s, m, u, k = lines[0].split()
        sha, size = lines[1].split()
        secs.append(float(s))
        rss.append(int(m))
        cpu.append(float(u) + float(k))
        outs.add((sha, int(size)))
        every.append("| %s | %d | %.2f s | %.2f s (%s + %s) | %.1f MiB | %s bytes, sha256 %s… |"
                     % (label[t], r, float(s), float(u) + float(k), u, k, int(m) / 1024,
                        format(int(size), ","), sha))
    rows.append((t, statistics.median(secs), statistics.median(rss), min(secs), max(secs),
                 statistics.median(cpu)))
fastest = min(rows, key=lambda x: x[1])
ours = next(x for x in rows if x[0] == "ours")
summary = []
for t, s, m, lo, hi, c in rows:
    rel = "—" if t == "ours" or not ours[1] else "%.2f× ours" % (s / ours[1])
    summary.append("| %s | **%.2f s** (%.2f–%.2f) | %.2f s | %.1f MiB | %s |"
                   % (label[t], s, lo, hi, c, m / 1024, rel))

def first(cmd, pat):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
        mm = re.search(pat, out, re.M)
        return mm.group(1).strip() if mm else "?"
    except OSError:
        return "?"

cpu = first(["cat", "/proc/cpuinfo"], r"^model name\s*:\s*(.*)$")
mem = int(first(["cat", "/proc/meminfo"], r"^MemTotal:\s*(\d+)")) / 1024 / 1024
osname = first(["cat", "/etc/os-release"], r'^PRETTY_NAME="?([^"\n]*)')
fs = first(["findmnt", "-n", "-o", "SOURCE,FSTYPE", "-T", work], r"(.*)")
size = os.path.getsize(env["input"])
lines = sum(1 for _ in open(env["input"], "rb"))
block = """<!-- newaliases:begin (generated by bench/newaliases.sh) -->

## newaliases: latest run %(started)s

**Machine:** %(host)s, %(nproc)d CPUs (%(cpu)s), %(mem).1f GiB RAM, %(os)s, kernel %(kernel)s; work files on `%(fs)s`. Load average just before the run: %(load)s (shared machine).

**Input:** `bench/gen_aliases.py %(nraw)d`: %(n)s aliases, %(lines)s lines, %(size)s bytes (80 %% one address, 10 %% three, 8 %% five over continuation lines, 2 %% unqualified; comments, blank lines). %(runs)d runs of each tool, interleaved, from a warm page cache, outputs removed and `sync` before each run; `/usr/bin/time -f '%%e %%M %%U %%S'` (wall, peak RSS, user + system CPU). Ours: `%(qmbin)s/newaliases`.

**Checks:** %(checks)s.

| tool | seconds (median; min–max) | CPU user+sys (median) | peak RSS (median) | seconds vs ours |
|---|---|---|---|---|
%(summary)s

Fastest (median seconds): %(fastest)s.

<details><summary>Every run</summary>

| tool | run | seconds | CPU (user + sys) | peak RSS | output |
|---|---|---|---|---|---|
%(every)s

</details>

<!-- newaliases:end -->""" % {
    "started": env["started"], "host": platform.node(), "nproc": os.cpu_count(), "cpu": cpu,
    "mem": mem, "os": osname, "kernel": platform.release(), "fs": fs, "load": env["load_before"],
    "nraw": int(env["N_ALIASES"]), "n": format(int(env["N_ALIASES"]), ","), "lines": format(lines, ","), "size": format(size, ","),
    "runs": runs, "qmbin": env["QM_BIN"], "checks": env["checks"], "summary": "\n".join(summary),
    "fastest": label[fastest[0]], "every": "\n".join(every),
}
print(block)
path = env["RESULTS"]
text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
pat = re.compile(r"<!-- newaliases:begin.*?<!-- newaliases:end -->", re.S)
text = pat.sub(lambda _: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(text)
EOF
