#!/usr/bin/env bash
# Builds the Debian package with CPack. In a new BUILD_DIR: an optimised tree (-O2 -g, as benchmarked,
# with _FORTIFY_SOURCE; CPack strips the binary), tests off. An existing tree (build/dev, say) is packaged as it is: the
# unit and the configuration land in /lib/systemd/system and /etc/qsanfwd whatever the tree's
# CMAKE_INSTALL_PREFIX (packaging/install-system-files.cmake).
#   packaging/build-deb.sh [BUILD_DIR [OUT_DIR]]   (default build/deb, OUT_DIR = BUILD_DIR);
#   prints the .deb's path
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/deb}"
out="${2:-$build}"
if [[ ! -f "$build/build.ninja" ]]; then
  # _FORTIFY_SOURCE: Debian's hardening (dpkg-buildflags), checked buffer sizes in libc calls.
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_CXX_FLAGS=-D_FORTIFY_SOURCE=2 -DQSANFWD_BUILD_TESTS=OFF >&2
fi
cmake --build "$build" --target qsanfwd -- -j"$(nproc)" >&2
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out" >&2)
ls -t "$out"/qsanfwd_*.deb | head -n1
