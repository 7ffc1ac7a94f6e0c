#!/bin/bash
# The steps of the Dockerfile's two stages, one command each, so that the image build and the
# package test (tests/packaging/container_test.sh, which cannot build the image: CI has no
# registry to pull debian:12-slim from) run the same commands.
#   stage.sh build-deps                      apt-get the build's Debian packages
#   stage.sh build SOURCE BUILD_DIR DESTDIR  configure (a new BUILD_DIR only), build, install
#   stage.sh runtime-deps                    apt-get the binary's shared libraries
#   stage.sh runtime-setup                   the user (uid 10001) and its state and log dirs
#   stage.sh packages build|runtime          print a list (for the test)
set -euo pipefail

build_packages=(build-essential cmake ninja-build pkg-config libboost1.81-dev libssl-dev
  nlohmann-json3-dev libsqlite3-dev libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev libzstd-dev
  libsystemd-dev librdkafka-dev libyaml-cpp-dev)
# What dpkg-shlibdeps finds the binary needs (the test compares with the .deb's Depends), and
# the CA certificates for arrays and sinks with public certificates.
runtime_packages=(ca-certificates libc6 libgcc-s1 libstdc++6 libssl3 libsqlite3-0
  libspdlog1.10-fmt9 libfmt9 zlib1g libzstd1 libsystemd0 librdkafka1 libyaml-cpp0.7)

apt_install() {
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
  rm -rf /var/lib/apt/lists/*
}

case "${1:-}" in
  build-deps) apt_install "${build_packages[@]}" ;;
  build)
    src="$2" build="$3" destdir="$4"
    if [[ ! -f "$build/build.ninja" ]]; then
      cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_INSTALL_PREFIX=/usr -DQSANFWD_BUILD_TESTS=OFF
    fi
    cmake --build "$build" --target qsanfwd
    # /usr whatever the tree's prefix, as for the .deb: the unit and config go to Debian's places.
    DESTDIR="$destdir" cmake --install "$build" --prefix /usr --strip
    ;;
  runtime-deps) apt_install "${runtime_packages[@]}" ;;
  runtime-setup)
    # A fixed uid and gid, so that a mounted volume or configuration can be given to them
    # beforehand; above the system range (which ends at 999), as is usual for images.
    groupadd --gid 10001 qsanfwd
    useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/qsanfwd \
      --shell /usr/sbin/nologin qsanfwd
    install -d -o 10001 -g 10001 -m 0700 /var/lib/qsanfwd
    install -d -o 10001 -g 10001 -m 0750 /var/log/qsanfwd
    ;;
  packages)
    case "${2:-}" in
      build) printf '%s\n' "${build_packages[@]}" ;;
      runtime) printf '%s\n' "${runtime_packages[@]}" ;;
      *) echo "stage.sh packages build|runtime" >&2; exit 2 ;;
    esac
    ;;
  *) sed -n '5,9s/^# //p' "$0" >&2; exit 2 ;;
esac
