# shellcheck shell=bash
# Sourced by the bench/*.sh scripts, from the checkout's top directory: what they share to get
# root, Postfix and our programs in place before they run their Python half.

# The programs every MTA benchmark runs (a full script/build also compiles every test).
# shellcheck disable=SC2034 # used by the scripts that source this
mta_programs=(qmail-install qmail-queue qmail-inject sendmail qmail-start qmail-send qmail-local qmail-newu qmail-journald)

# Prefix for the commands that need root (empty when we are root); run.sh fills it with sudo
# so that the build stays the invoking user's.
as_root=()

# reexec_as_root SCRIPT VARS [ARG...]: unless we are root, runs SCRIPT again through sudo,
# keeping the environment variables in VARS (comma-separated).
reexec_as_root() {
  local script=$1 keep=$2
  shift 2
  [ "$(id -u)" -eq 0 ] && return 0
  command -v sudo >/dev/null || { echo "$(basename "$script"): needs root or sudo" >&2; exit 111; }
  exec sudo --preserve-env="$keep" "$script" "$@"
}

# install_packages PACKAGE...: installs them without questions; a Postfix that comes with them
# is "Local only" for bench.test and is not started here.
install_packages() {
  echo "postfix postfix/main_mailer_type select Local only" | "${as_root[@]}" debconf-set-selections
  echo "postfix postfix/mailname string bench.test" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# need_postfix PROGRAM: installs Postfix unless postconf and PROGRAM (one of its binaries the
# benchmark runs) are there.
need_postfix() {
  command -v postconf >/dev/null && [ -x "$1" ] || install_packages postfix
  # script/bootstrap installs Postfix with "No configuration" (the tests run private
  # instances), which leaves no main.cf for the benchmarks to edit: start from Debian's.
  [ -f /etc/postfix/main.cf ] || "${as_root[@]}" cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf
}

# build_targets TARGET...: builds them into build/ (configured like script/build) unless
# SKIP_BUILD=1.
build_targets() {
  [ "${SKIP_BUILD:-0}" = 1 ] && return 0
  if [ ! -f build/CMakeCache.txt ]; then
    local generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQM_WERROR=ON >/dev/null
  fi
  cmake --build build -j"$(nproc)" --target "$@"
}

# build_qmtp_sink: compiles bench/qmtp_sink.cpp into $QMTP_SINK (default
# build/bench/qmtp_sink) when it is missing or older than its source, and exports QMTP_SINK.
build_qmtp_sink() {
  export QMTP_SINK="${QMTP_SINK:-$PWD/build/bench/qmtp_sink}"
  mkdir -p "$(dirname "$QMTP_SINK")"
  if [ ! -x "$QMTP_SINK" ] || [ bench/qmtp_sink.cpp -nt "$QMTP_SINK" ]; then
    g++ -std=c++20 -O2 -Wall -Wextra -Werror -o "$QMTP_SINK" bench/qmtp_sink.cpp
  fi
  chmod 755 "$QMTP_SINK" # it runs as nobody
}

# build_driver: compiles the injection driver into $DRIVER (default build/bench/inject_driver)
# when it is missing or older than its source, and exports DRIVER.
build_driver() {
  export DRIVER="${DRIVER:-$PWD/build/bench/inject_driver}"
  mkdir -p "$(dirname "$DRIVER")"
  if [ ! -x "$DRIVER" ] || [ bench/inject_driver.cpp -nt "$DRIVER" ]; then
    g++ -std=c++20 -O2 -Wall -Wextra -o "$DRIVER" bench/inject_driver.cpp
  fi
  # The driver runs as the unprivileged bench user: it must be able to reach it.
  chmod 755 "$DRIVER"
}

# journaled_fs_begin / journaled_fs_end: an ext4 file system with a journal (mkfs.ext4's
# default, as on most mail hosts) on a loop device with direct I/O over a file on the same
# disk, holding both MTAs' queues and maildirs: Postfix's /var/spool/postfix and
# /home/bench bind-mounted from it, ours at OURS_ROOT on it. A flush of the loop device
# is an fsync of its file, so durability still reaches the disk and is counted there.
# (This VM's own ext4 has no journal: there a file creation waits for the metadata
# writes of earlier fsyncs, 50-200 us instead of 7; bench/RESULTS.md.)
JOURNALED_IMG=/var/tmp/qmbench-ext4.img
JOURNALED_MNT=/mnt/qmbench-ext4
journaled_fs_begin() {
  postfix stop >/dev/null 2>&1 || true
  journaled_fs_end
  truncate -s 16G "$JOURNALED_IMG"
  JOURNALED_DEV=$(losetup --direct-io=on --find --show "$JOURNALED_IMG")
  mkfs.ext4 -q -F "$JOURNALED_DEV"
  mkdir -p "$JOURNALED_MNT"
  mount "$JOURNALED_DEV" "$JOURNALED_MNT"
  local d
  for d in /var/spool/postfix /home/bench; do
    mkdir -p "$d" "$JOURNALED_MNT$d"
    cp -a "$d/." "$JOURNALED_MNT$d/"
    mount --bind "$JOURNALED_MNT$d" "$d"
  done
  export OURS_ROOT="$JOURNALED_MNT/qmbench"
  echo "bench: queues and maildirs on $JOURNALED_DEV (ext4 with a journal) at $JOURNALED_MNT" >&2
}
journaled_fs_end() {
  postfix stop >/dev/null 2>&1 || true
  local d
  for d in /home/bench /var/spool/postfix; do
    mountpoint -q "$d" && umount "$d"
  done
  if mountpoint -q "$JOURNALED_MNT"; then
    umount "$JOURNALED_MNT"
  fi
  local dev
  for dev in $(losetup -j "$JOURNALED_IMG" -O NAME -n 2>/dev/null); do
    losetup -d "$dev"
  done
  rm -f "$JOURNALED_IMG"
}
