#!/usr/bin/env bash
# The README's "First forward in five minutes", run as written with the .deb in a throw-away
# root (throwaway_root.sh: the host's file system under an overlay, in namespaces of its own).
# In its network 192.0.2.10:443 is qsan-sim (HTTPS, a backlog of log lines), so the README's
# lines need no change; stub_systemctl.sh stands in for
# systemd. Then the package's life: events
# reach rsyslog, installing enabled and started the service, an upgrade restarts it, removing
# stops it and keeps the state, purging removes the state and log directories, not the user.
#   first_forward_test.sh SOURCE_DIR BUILD_DIR DEB_DIR WORK_DIR   (as root; else it skips)
set -euo pipefail
# shellcheck source=tests/packaging/throwaway_root.sh
source "$(dirname "$0")/throwaway_root.sh"
enter_namespaces "$@"
shift
src="$1" build="$2" deb_dir="$3" work="$4"
for tool in ip sudo openssl /usr/sbin/rsyslogd; do
  command -v "$tool" >/dev/null || fail "$tool is missing (.ci/setup.sh installs it)"
done
debs=("$deb_dir"/qsanfwd_*.deb)
[[ -f "${debs[0]}" ]] || fail "no .deb in $deb_dir (package.deb_and_prefix_install builds it)"

walkthrough="$(awk '/^### First forward in five minutes/ { in_section = 1; next }
  in_section && /^##/ { exit }
  in_section && /^```sh$/ { in_code = 1; next }
  in_code && /^```$/ { in_code = 0; next }
  in_code' "$src/README.md")"
grep -qx 'sudo apt install ./build/deb/qsanfwd_\*.deb' <<<"$walkthrough" ||
  fail "README's walkthrough not found, or it no longer installs ./build/deb/qsanfwd_*.deb"

make_throwaway_root "$work"
ip addr add 192.0.2.10/32 dev lo
# As under systemd: the maintainer scripts enable, start, restart and stop through systemctl,
# and no policy-rc.d forbids it (the host may have one, as Debian's container images do).
mkdir -p "$root/run/systemd/system"
# Without systemd's package, deb-systemd-helper makes the links itself and needs no real one.
[[ ! -e "$root/usr/bin/systemctl" ]] || mv "$root/usr/bin/systemctl" "$root/usr/bin/systemctl.real"
install -m 0755 "$(dirname "$0")/stub_systemctl.sh" "$root/usr/bin/systemctl"
rm -f "$root/usr/sbin/policy-rc.d"
# No man-db index rebuild on install: seconds, and nothing here reads it.
rm -f "$root/var/lib/man-db/auto-update"
mkdir -p "$root/srv/qsanfwd/build/deb"
cp "${debs[@]}" "$root/srv/qsanfwd/build/deb/"
grep -v '^sudo tail -f' <<<"$walkthrough" >"$root/srv/qsanfwd/first-forward.sh"

sim_pid=""
cleanup() {
  in_root systemctl stop qsanfwd >/dev/null 2>&1 || true
  in_root systemctl stop rsyslog >/dev/null 2>&1 || true
  [[ -z "$sim_pid" ]] || kill "$sim_pid" 2>/dev/null || true
}
trap cleanup EXIT
show() { echo "--- $1"; cat "$root/$1" 2>/dev/null || true; }
diagnose() { show run/systemctl.calls; show run/qsanfwd.log; show run/rsyslog.log; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=qsan-sim \
  -keyout "$layers/sim.key" -out "$layers/sim.pem" 2>/dev/null
backlog=20
"$build/sim/qsan-sim" --listen 192.0.2.10 --port 443 --cert "$layers/sim.pem" \
  --key "$layers/sim.key" --backlog "$backlog" --password 'pass word' >"$layers/sim.log" 2>&1 &
sim_pid=$!
wait_for 10 grep -q https "$layers/sim.log" || fail "qsan-sim did not start: $(cat "$layers/sim.log")"

echo "== the README's walkthrough"
# The password is what the walkthrough's prompt reads.
in_root bash -euo pipefail -c 'cd /srv/qsanfwd && . ./first-forward.sh' <<<'pass word' ||
  { diagnose; fail "the README's walkthrough failed"; }
grep -qx 'start qsanfwd.service' "$root/run/systemctl.calls" ||
  { diagnose; fail "installing did not start the service"; }
[[ -L "$root/etc/systemd/system/multi-user.target.wants/qsanfwd.service" ]] ||
  fail "installing did not enable the service"
log="$root/var/log/qsan/array-01.log"
has_backlog() { [[ -f "$log" ]] && (($(wc -l <"$log") >= backlog)); }
wait_for 30 has_backlog ||
  { diagnose; fail "rsyslog has fewer than $backlog lines in /var/log/qsan/array-01.log after 30 s"; }
echo "rsyslog wrote $(wc -l <"$log") lines, the first: $(head -n1 "$log")"

echo "== upgrade, remove, purge"
: >"$root/run/systemctl.calls"
in_root dpkg -i "/srv/qsanfwd/build/deb/$(basename "${debs[0]}")" >/dev/null
grep -qx 'restart qsanfwd.service' "$root/run/systemctl.calls" ||
  { diagnose; fail "an upgrade did not restart the service"; }
in_root systemctl is-active qsanfwd || { diagnose; fail "qsanfwd does not run after the upgrade"; }
# dpkg, not apt: the same maintainer scripts, without apt's seconds of reading package lists.
in_root dpkg --remove qsanfwd >/dev/null
grep -qx 'stop qsanfwd.service qsanfwd@\*.service' "$root/run/systemctl.calls" ||
  { diagnose; fail "apt remove did not stop the service and its shards"; }
! in_root systemctl is-active qsanfwd || fail "qsanfwd still runs after apt remove"
[[ -f "$root/var/lib/qsanfwd/state.db" ]] || fail "apt remove deleted the state"
in_root dpkg --purge qsanfwd >/dev/null
for path in /var/lib/qsanfwd /var/log/qsanfwd /etc/qsanfwd/config.json \
  /etc/systemd/system/multi-user.target.wants/qsanfwd.service; do
  [[ ! -e "$root$path" && ! -L "$root$path" ]] || fail "apt purge left $path"
done
in_root getent passwd qsanfwd >/dev/null || fail "apt purge deleted the system user"
echo "first forward: ok"
