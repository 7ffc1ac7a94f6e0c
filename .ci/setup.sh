# Shared set-up for the README's commands and CI: install what is missing, configure, build.
# Sourced, not run. Idempotent and incremental: a second run installs nothing and rebuilds only
# what changed.
set -euo pipefail

QSANFWD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian 12 packages the build, the tests, the benchmarks and the fuzz targets (clang with
# libFuzzer, whose runtime is in libclang-rt-14-dev) need; iproute2 and sudo serve the package
# tests' throw-away roots (tests/packaging), which run the README's `sudo` lines; tmux is the
# terminal `qsanfwd top`'s test draws in (tests/integration/top_test.cpp); chromium (with a font
# to draw text in) serves the status page's browser test (tests/integration).
QSANFWD_PACKAGES=(
  build-essential cmake ninja-build pkg-config lld
  libboost1.81-dev libssl-dev openssl nlohmann-json3-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev libzstd-dev libsystemd-dev librdkafka-dev
  libyaml-cpp-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  rsyslog rsyslog-gnutls procps iproute2 sudo tmux
  chromium fonts-dejavu-core
  clang libclang-rt-14-dev
)

qsanfwd_install_packages() {
  local missing=()
  for pkg in "${QSANFWD_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    echo "qsanfwd: installing ${missing[*]}" >&2
    if [[ $(id -u) -ne 0 ]]; then
      echo "qsanfwd: missing packages and not root; run as root or install them" >&2
      return 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# qsanfwd_build PRESET [TARGET...]
qsanfwd_build() {
  local preset="$1"
  shift
  cd "$QSANFWD_ROOT"
  if [[ ! -f "build/$preset/build.ninja" ]]; then
    cmake --preset "$preset" >/dev/null
  fi
  cmake --build --preset "$preset" "$@" -- -j"$(nproc)"
}
