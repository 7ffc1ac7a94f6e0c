# shellcheck shell=bash
# Sourced by the package tests that install into a throw-away root. Call them as root through
# enter_namespaces "$@" first: that runs the script again, with --inside, in mount and network
# namespaces of its own (only loopback, up), which vanish when the script ends, with every mount
# in them. make_throwaway_root DIR then mounts the host's file system at DIR/root under an
# overlay whose writes land in a tmpfs (DIR/layers): the package's and the tests' changes never
# reach the host, and the host's packages (dpkg, apt, sudo, rsyslog) are there to use.

fail() { echo "FAIL: $*" >&2; exit 1; }

# enter_namespaces ARGS...: returns inside the namespaces (the caller shifts --inside away).
enter_namespaces() {
  [[ "${1:-}" == --inside ]] && return 0
  if [[ $(id -u) != 0 ]]; then
    echo "SKIP: needs root (namespaces, mounts, chroot)"
    exit 77
  fi
  exec unshare --mount --net --propagation private -- bash "$0" --inside "$@"
}

# make_throwaway_root DIR: sets root=DIR/root and layers=DIR/layers (a tmpfs for scratch files).
# shellcheck disable=SC2034 # root and layers are for the scripts that source this
make_throwaway_root() {
  command -v ip >/dev/null || fail "ip is missing (iproute2; .ci/setup.sh installs it)"
  ip link set lo up
  layers="$1/layers" root="$1/root"
  mkdir -p "$layers" "$root"
  mount -t tmpfs tmpfs "$layers"
  mkdir "$layers/upper" "$layers/work"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" "$root"
  mount -t proc proc "$root/proc"
  # Only the device nodes programs need, not the host's /dev (rsyslog would bind /dev/log).
  mount -t tmpfs -o mode=0755 tmpfs "$root/dev"
  local node
  for node in null zero full random urandom tty; do
    touch "$root/dev/$node"
    mount --bind "/dev/$node" "$root/dev/$node"
  done
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  # apt logs the maintainer scripts' output through a pseudo-terminal.
  mkdir "$root/dev/pts"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=0755 tmpfs "$root/run"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
}

in_root() { chroot "$root" "$@"; }

# wait_for SECONDS COMMAND...: until COMMAND succeeds, polling every 0.1 s; false at the deadline.
wait_for() {
  local tries=$(($1 * 10))
  shift
  for _ in $(seq "$tries"); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}
