#!/bin/bash
# systemctl in the throw-away root of first_forward_test.sh, which has no systemd (the test makes
# /run/systemd/system so that the maintainer scripts act as under systemd). The test puts it in
# place of /usr/bin/systemctl and the real one beside it as systemctl.real, which still does what
# needs no running systemd: `--root=DIR` calls (deb-systemd-helper's `preset` on a first
# install). Otherwise it answers what deb-systemd-invoke asks (is-enabled, is-active), starts
# qsanfwd as its unit would (ExecStart as User and Group with UMask, STATE_DIRECTORY and
# LOGS_DIRECTORY set) and rsyslogd with the walkthrough's configuration only, stops either by its
# PID, and appends each call to /run/systemctl.calls for the test to check. Anything else fails,
# so that a new call is noticed. A daemon's output goes to /run/UNIT.log.
set -euo pipefail
fail() { echo "stub systemctl: $*" >&2; exit 1; }
for arg in "$@"; do
  [[ "$arg" != --root=* ]] || exec /usr/bin/systemctl.real "$@"
done
words=()
for arg in "$@"; do
  case "$arg" in
    --system | --quiet | --) ;;
    -*) fail "unsupported option in: systemctl $*" ;;
    *) words+=("$arg") ;;
  esac
done
echo "${words[*]}" >>/run/systemctl.calls
action="${words[0]:-}"
units=("${words[@]:1}")

pid_file() { echo "/run/${1%.service}.stub-pid"; }
# A daemon the stub started is orphaned when the stub ends; until something reaps it, it stays a
# zombie (state Z), which kill -0 still finds.
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ "${stat##*) }" != Z* ]]
}
running() { [[ -f "$(pid_file "$1")" ]] && alive "$(<"$(pid_file "$1")")"; }

stop_unit() {
  local file pid
  file="$(pid_file "$1")"
  [[ -f "$file" ]] || return 0
  pid="$(<"$file")"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 300); do
    alive "$pid" || { rm -f "$file"; return 0; }
    sleep 0.1
  done
  fail "$1 (PID $pid) did not stop within 30 s"
}

# unit_key KEY: the value of KEY= in qsanfwd's unit, as installed by the package.
unit_key() { sed -n "s/^$1=//p" /lib/systemd/system/qsanfwd.service | head -n1; }

# wait_listening PORT: as systemd waits for rsyslog's readiness, wait for its TCP socket.
wait_listening() {
  local local_port
  local_port="$(printf '%04X' "$1")"
  for _ in $(seq 100); do
    # local address, remote address, state 0A (LISTEN)
    grep -qE "^ *[0-9]+: [0-9A-F]+:$local_port [0-9A-F:]+ 0A " /proc/net/tcp /proc/net/tcp6 &&
      return 0
    sleep 0.1
  done
  fail "rsyslogd is not listening on port $1 after 10 s: $(cat /run/rsyslog.log)"
}

start_unit() {
  case "${1%.service}" in
    qsanfwd)
      local exec_start user group umask_value
      exec_start="$(unit_key ExecStart)" user="$(unit_key User)" group="$(unit_key Group)"
      umask_value="$(unit_key UMask)"
      [[ -n "$exec_start" && -n "$user" && -n "$group" && -n "$umask_value" ]] ||
        fail "the unit lacks ExecStart, User, Group or UMask"
      # shellcheck disable=SC2086 # ExecStart is words, as systemd splits it
      (umask "$umask_value" &&
        exec env STATE_DIRECTORY=/var/lib/qsanfwd LOGS_DIRECTORY=/var/log/qsanfwd \
          setpriv --reuid="$user" --regid="$group" --init-groups $exec_start) \
        </dev/null >>/run/qsanfwd.log 2>&1 &
      echo $! >"$(pid_file "$1")"
      ;;
    rsyslog)
      /usr/sbin/rsyslogd -n -f /etc/rsyslog.d/qsan.conf -i /run/rsyslogd.stub.pid </dev/null \
        >>/run/rsyslog.log 2>&1 &
      echo $! >"$(pid_file "$1")"
      wait_listening "$(sed -n 's/.*imtcp.*port="\([0-9]*\)".*/\1/p' /etc/rsyslog.d/qsan.conf)"
      ;;
    *) fail "unsupported unit $1" ;;
  esac
}

case "$action" in
  daemon-reload) ;;
  is-enabled)
    if [[ -L "/etc/systemd/system/multi-user.target.wants/${units[0]}" ]]; then
      echo enabled
    else
      echo disabled
      exit 1
    fi
    ;;
  is-active) running "${units[0]}" ;;
  start) for unit in "${units[@]}"; do running "$unit" || start_unit "$unit"; done ;;
  restart) for unit in "${units[@]}"; do stop_unit "$unit" && start_unit "$unit"; done ;;
  # A pattern (qsanfwd@*.service) stops what the stub started under a matching name: nothing.
  stop) for unit in "${units[@]}"; do [[ "$unit" == *'*'* ]] || stop_unit "$unit"; done ;;
  *) fail "unsupported: systemctl $*" ;;
esac
