#!/usr/bin/env bash
# Builds the Debian package: an optimised tree (-O2, as tested; stripped by CPack) configured for /usr (so the configuration lands in
# /etc/qsanfwd and the unit in /lib/systemd/system), then CPack.
#   packaging/build-deb.sh [BUILD_DIR]   (default build/deb); prints the .deb's path
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/deb}"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DQSANFWD_BUILD_TESTS=OFF >&2
fi
cmake --build "$build" --target qsanfwd -- -j"$(nproc)" >&2
(cd "$build" && cpack -G DEB >&2)
ls -t "$build"/qsanfwd_*.deb | head -n1
