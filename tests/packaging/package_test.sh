#!/usr/bin/env bash
# The .deb builds (from BUILD_DIR, whatever its install prefix) and holds the binary, the unit,
# the config (as a conffile), the man page, README and changelog compressed, the copyright file
# in Debian's machine-readable format; its version is the changelog's; its binary runs; lintian
# (when installed) has nothing to say beyond the overrides. `cmake --install` with a prefix
# lays out the same files under the prefix, and the installed binary validates the installed
# config.
#   package_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
set -euo pipefail
src="$1" build="$2" work="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work/prefix" "$work/deb"
mkdir -p "$work"
# The tree ctest runs in is packaged as it is (built already): no second tree to build.
deb="$("$src/packaging/build-deb.sh" "$build" "$work/deb")"
[[ -f "$deb" ]] || fail "no .deb built"
listing="$(dpkg -c "$deb")"
for path in ./usr/bin/qsanfwd ./lib/systemd/system/qsanfwd.service \
  ./lib/systemd/system/qsanfwd@.service ./etc/qsanfwd/config.json \
  ./usr/share/man/man1/qsanfwd.1.gz ./usr/share/doc/qsanfwd/examples/file-archive.json \
  ./usr/share/doc/qsanfwd/copyright ./usr/share/doc/qsanfwd/changelog.Debian.gz \
  ./usr/share/doc/qsanfwd/README.md.gz; do
  grep -qF " $path" <<<"$listing" || fail "$deb lacks $path"$'\n'"$listing"
done
grep -qE '^-rw-r----- .* \./etc/qsanfwd/config.json$' <<<"$listing" ||
  fail "config.json is not mode 0640 in the package"
[[ "$(dpkg-deb -f "$deb" Package)" == qsanfwd ]] || fail "wrong package name"
changelog_version="$(sed -n '1s/^qsanfwd (\([^)]*\)).*/\1/p' "$src/packaging/debian/changelog")"
[[ "$(dpkg-deb -f "$deb" Version)" == "$changelog_version" ]] ||
  fail "the package's version $(dpkg-deb -f "$deb" Version) is not the changelog's $changelog_version"
control="$(mktemp -d)"
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control"
grep -qx /etc/qsanfwd/config.json "$control/conffiles" || fail "config.json is not a conffile"
dpkg-deb -x "$deb" "$control/files"
grep -qx 'LimitCORE=0' "$control/files/lib/systemd/system/qsanfwd.service" ||
  fail "the unit lets a core dump (holding passwords and tokens) be written"
# The template unit of a fleet's shards is the plain unit but for the lines that make it one.
shard_lines='^(#|Description=|EnvironmentFile=|ExecStart=|StateDirectory=)'
diff <(grep -Ev "$shard_lines" "$src/packaging/systemd/qsanfwd.service") \
  <(grep -Ev "$shard_lines" "$src/packaging/systemd/qsanfwd@.service") >&2 ||
  fail "qsanfwd@.service differs from qsanfwd.service beyond its shard lines"
for script in postinst prerm postrm; do
  [[ -x "$control/$script" ]] || fail "no executable $script"
  sh -n "$control/$script" || fail "$script does not parse"
done
(cd "$control/files" && ./usr/bin/qsanfwd --version) | grep -q '^qsanfwd ' ||
  fail "the packaged binary does not run"
grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' \
  "$control/files/usr/share/doc/qsanfwd/copyright" || fail "copyright is not machine-readable"
if command -v lintian >/dev/null; then
  # Warnings and errors fail; information tags are printed.
  lintian --display-info --fail-on error,warning "$deb" >&2 || fail "lintian"
else
  echo "note: lintian is not installed; the package was not checked against Debian policy"
fi
echo "deb: $deb ($(stat -c %s "$deb") bytes)"

prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for path in bin/qsanfwd lib/systemd/system/qsanfwd.service lib/systemd/system/qsanfwd@.service \
  etc/qsanfwd/config.json \
  share/man/man1/qsanfwd.1.gz share/doc/qsanfwd/README.md.gz; do
  [[ -e "$prefix/$path" ]] || fail "cmake --install put no $path under the prefix"
done
"$prefix/bin/qsanfwd" --version | grep -q '^qsanfwd ' || fail "installed binary has no --version"
printf 'secret\n' >"$prefix/etc/qsanfwd/array-01.password"
"$prefix/bin/qsanfwd" check-config -c "$prefix/etc/qsanfwd/config.json" >/dev/null ||
  fail "the installed default config does not validate"
man -l "$prefix/share/man/man1/qsanfwd.1.gz" >/dev/null 2>&1 ||
  zcat "$prefix/share/man/man1/qsanfwd.1.gz" | groff -man -Tutf8 -z 2>/dev/null ||
  echo "note: neither man nor groff is installed; man page not rendered"
echo "install: $prefix"
