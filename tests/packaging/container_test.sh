#!/usr/bin/env bash
# The Dockerfile's stages without a container engine (CI has no registry to pull debian:12-slim
# from): its RUN lines are steps of packaging/container/stage.sh, which this runs the same way.
# The build step installs this tree; the runtime steps and the COPY lines make the image's files
# in a throw-away root (throwaway_root.sh); the ENTRYPOINT and CMD then run as the image's USER
# with the root file system read-only, a tmpfs on /tmp and the VOLUMEs writable, as
# `docker run --read-only --tmpfs /tmp` does, until the HEALTHCHECK passes. Also: the build's
# packages are Debian 12's (CI installs them), the runtime's cover the .deb's Depends, the labels
# name the project's version and licence.
#   container_test.sh SOURCE_DIR BUILD_DIR DEB_DIR WORK_DIR   (as root; else it skips)
set -euo pipefail
# shellcheck source=tests/packaging/throwaway_root.sh
source "$(dirname "$0")/throwaway_root.sh"
enter_namespaces "$@"
shift
src="$1" build="$2" deb_dir="$3" work="$4"
dockerfile="$src/Dockerfile" stage="$src/packaging/container/stage.sh"
debs=("$deb_dir"/qsanfwd_*.deb)
[[ -f "${debs[0]}" ]] || fail "no .deb in $deb_dir (package.deb_and_prefix_install builds it)"

echo "== the Dockerfile"
grep '^RUN ' "$dockerfile" | grep -vE '^RUN stage\.sh [a-z-]+( |$)' &&
  fail "a RUN line above is not a step of stage.sh, so this test does not run it"
# The final stage, continuation lines joined: what follows the last FROM.
final="$(sed -e ':join' -e '/\\$/{N; s/\\\n */ /; b join}' "$dockerfile" |
  awk '/^FROM / { text = "" } { text = text $0 "\n" } END { printf "%s", text }')"
instruction() { sed -n "s/^$1 //p" <<<"$final"; }
[[ "$(instruction USER)" =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] ||
  fail "USER is not a numeric non-root uid:gid: $(instruction USER)"
version="$(sed -n 's/^project(qsanfwd VERSION \([0-9.]*\) .*/\1/p' "$src/CMakeLists.txt")"
for label in "title=\"qsanfwd\"" "version=\"$version\"" 'licenses="Apache-2.0"' 'description='; do
  grep -q "org\.opencontainers\.image\.$label" <<<"$final" || fail "no label org.opencontainers.image.$label"
done
[[ -f "$src/LICENSE" ]] || fail "no LICENSE file for the licence label"
grep -qE '^HEALTHCHECK .*CMD \["/usr/local/bin/qsanfwd-healthcheck"\]' <<<"$final" ||
  fail "no HEALTHCHECK running /usr/local/bin/qsanfwd-healthcheck"
json_words() { sed 's/^\[//; s/\]$//; s/"//g; s/, */ /g'; }
read -ra command <<<"$(instruction ENTRYPOINT | json_words) $(instruction CMD | json_words)"

echo "== packages"
setup_packages="$(sed -n '/^QSANFWD_PACKAGES=(/,/^)/p' "$src/.ci/setup.sh")"
for package in $(bash "$stage" packages build); do
  grep -qw -- "$package" <<<"$setup_packages" ||
    fail "build package $package is not in .ci/setup.sh's list: is it in Debian 12?"
done
runtime="$(bash "$stage" packages runtime)"
for package in $(dpkg-deb -f "${debs[0]}" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g'); do
  [[ "$package" == adduser ]] || grep -qx -- "$package" <<<"$runtime" ||
    fail "the binary needs $package (the .deb depends on it); stage.sh runtime-deps lacks it"
done

echo "== build stage: stage.sh build"
out="$work/out"
rm -rf "$out"
bash "$stage" build "$src" "$build" "$out" >/dev/null

echo "== runtime stage in a throw-away root"
make_throwaway_root "$work"
install -m 0755 "$stage" "$root/usr/local/bin/stage.sh"
# runtime-deps is apt-get: the host has the packages already (checked above).
in_root stage.sh runtime-setup
rm "$root/usr/local/bin/stage.sh"
while read -r from chown source target; do
  [[ "$from" == --from=build ]] || fail "unexpected COPY in the final stage: $from $chown $source $target"
  [[ "$chown" == --chown=* ]] || { target="$source" source="$chown" chown=""; }
  source="$out${source#/out}"
  install -D -m "$(stat -c %a "$source")" "$source" "$root$target"
  [[ -z "$chown" ]] || chown "${chown#--chown=}" "$root$target"
done < <(instruction COPY | grep -- '--from=build')
while read -r source target; do
  [[ "$source" == stage.sh || "$source" == packaging/container/stage.sh ]] && continue
  install -D -m 0755 "$src/$source" "$root$target"
done < <(instruction COPY | grep -v -- '--from=')

# What a user mounts: a configuration (here against qsan-sim) and the two volumes.
port=18443
"$build/sim/qsan-sim" --port "$port" --backlog 20 >"$layers/sim.log" 2>&1 &
sim_pid=$!
agent_pid=""
cleanup() {
  [[ -z "$agent_pid" ]] || kill "$agent_pid" 2>/dev/null || true
  kill "$sim_pid" 2>/dev/null || true
}
trap cleanup EXIT
wait_for 10 grep -q http "$layers/sim.log" || fail "qsan-sim did not start: $(cat "$layers/sim.log")"
cat >"$root/etc/qsanfwd/config.json" <<JSON
{ "http_api": { "listen": "0.0.0.0:9464" },
  "devices": [ { "name": "array-01", "url": "http://127.0.0.1:$port", "username": "admin",
                 "password": "password" } ],
  "sinks": [ { "name": "archive", "type": "file", "path": "/var/log/qsanfwd/events.jsonl" } ] }
JSON
user="$(instruction USER)"
for volume in $(instruction VOLUME | json_words); do
  mount -t tmpfs -o "mode=0700,uid=${user%:*},gid=${user#*:}" tmpfs "$root$volume"
done
# Docker mounts no /run; /tmp is the documented --tmpfs.
umount "$root/run"
mount -o remount,bind,ro "$root"

echo "== run: ${command[*]} as $user"
chroot "$root" setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups \
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/ \
  "${command[@]}" >"$layers/agent.log" 2>&1 &
agent_pid=$!
healthy() {
  in_root setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups \
    /usr/local/bin/qsanfwd-healthcheck
}
wait_for 20 healthy || { cat "$layers/agent.log"; fail "the HEALTHCHECK did not pass within 20 s"; }
events_arrived() { [[ -s "$root/var/log/qsanfwd/events.jsonl" ]]; }
wait_for 20 events_arrived || { cat "$layers/agent.log"; fail "no events in the volume's file sink"; }
kill -TERM "$agent_pid"
wait "$agent_pid" || { cat "$layers/agent.log"; fail "the agent did not end cleanly on SIGTERM"; }
agent_pid=""
echo "container: ok ($(wc -l <"$root/var/log/qsanfwd/events.jsonl") events, healthy, read-only root)"
