#!/usr/bin/env bash
# Installs everything hotcc needs on a fresh Debian 12 machine, offline but for Debian's package
# archive and the npm registry, and writes .bazelrc.deps, the machine-local rc file that points
# Bazel at the local copies of its external repositories.
#
# Idempotent and quiet when there is nothing to do: tools/dev.sh and tools/test.sh call it first.
#
#   tools/setup.sh                  sets up this workspace: writes ./.bazelrc.deps
#   tools/setup.sh --workspace=DIR  the same for a workspace that uses hotcc as an external
#                                   repository (README.md, "Using hotcc in your own workspace"):
#                                   writes DIR/.bazelrc.deps, for DIR's .bazelrc to try-import
# Every third-party input is pinned: Debian packages by exact version, source tarballs by sha256,
# ibazel and buildifier by tools/ibazel/ and tools/buildifier/package-lock.json (npm integrity
# hashes).
set -euo pipefail

workspace="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The workspace whose .bazelrc.deps is written: this one, or --workspace=DIR's.
target_workspace="$workspace"
cache="${HOTCC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hotcc}"

# Exact versions the build was verified with. A different candidate is an error, not a guess.
readonly BAZEL_PACKAGES=(
  bazel-bootstrap=4.2.3+ds-9   # Bazel 4.2.3, Debian's build; /usr/bin/bazel
  bazel-rules-java=4.0.0-2     # @rules_java: Bazel registers JDK toolchains even for C++
  bazel-platforms=0.0.2-2      # @platforms: abseil refers to @platforms//cpu:wasm32
  bazel-skylib=1.0.3-2         # @bazel_skylib: abseil and our bool_flag
)
# python3 runs tools/stateless_check; binutils (readelf, nm, c++filt) is what it reads ELF with.
readonly TOOL_PACKAGES=(binutils dpkg-dev file g++ libbenchmark-dev procps python3)
# tools/fuzz.sh: clang with libFuzzer and the sanitizer runtimes; llvm-14 for llvm-symbolizer,
# which puts file and line into the sanitizers' stack traces.
readonly FUZZ_PACKAGES=(
  clang-14=1:14.0.6-12
  libclang-rt-14-dev=1:14.0.6-12
  llvm-14=1:14.0.6-12
)
# clangd reads tools/compile_commands.sh's compile_commands.json (and its test runs it);
# tools/format_check.sh runs clang-format; tools/clang_tidy_check.sh runs clang-tidy on reload/.
readonly IDE_PACKAGES=(
  clangd-14=1:14.0.6-12
  clang-format-14=1:14.0.6-12
  clang-tidy-14=1:14.0.6-12
)
# tools/remote_cache_server.sh (and tools/remote_cache_test.sh, which starts it): nginx serves a
# directory over HTTP GET and WebDAV PUT (its core dav module), the protocol of Bazel's
# --remote_cache=http://... . Pinned to bookworm-security's build, which carries the fixes.
readonly CACHE_SERVER_PACKAGES=(nginx=1.22.1-9+deb12u11 nginx-common=1.22.1-9+deb12u11)
# gdb: README.md's "Debugging a module with gdb", which tools/gdb_test.sh runs.
readonly DEBUG_PACKAGES=(gdb=13.1-3)
readonly ABSEIL_SOURCE=abseil=20220623.1-1+deb12u2
readonly ABSEIL_ORIG=abseil_20220623.1.orig.tar.gz
readonly ABSEIL_ORIG_SHA256=abfe2897f3a30edaa74bc34365afe3c2a3cd012091a97dc7e008f7016adcd5fe
readonly GOOGLETEST_SOURCE=googletest=1.12.1-0.2
readonly GOOGLETEST_ORIG=googletest_1.12.1.orig.tar.gz
readonly GOOGLETEST_ORIG_SHA256=81964fe578e9bd7c94dfdb09c8e4d6e6759e19967e397dbea48d1c10e45d0df2
readonly IBAZEL_VERSION=0.28.0
# tools/buildifier_check.sh: BUILD, WORKSPACE and .bzl formatting and lint.
readonly BUILDIFIER_VERSION=8.2.1

say() { echo "hotcc setup: $*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_update_once() {
  if [[ $apt_updated -eq 0 ]]; then
    say "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed; is the package archive reachable?"
    apt_updated=1
  fi
}

# Installs each NAME or NAME=VERSION that is not installed at that version.
install_packages() {
  local missing=() spec name version installed
  for spec in "$@"; do
    name="${spec%%=*}"
    version="${spec#*=}"
    [[ "$spec" == *=* ]] || version=""
    installed="$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)"
    if [[ "$installed" != "install ok installed"* ]] ||
       [[ -n "$version" && "$installed" != "install ok installed $version" ]]; then
      missing+=("$spec")
    fi
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  apt_update_once
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed (a pinned version may no longer be served:" \
        "check 'apt-cache policy NAME' and update the pin in tools/setup.sh)"
}

# apt-get source needs deb-src entries. They are derived from the machine's own deb entries, so
# the archive is whichever one this machine is configured for; no host is named here.
ensure_deb_src() {
  if grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d; then
    return 0
  fi
  say "adding deb-src entries mirrored from the machine's deb entries"
  local sources_file
  for sources_file in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$sources_file" ]] || continue
    sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$sources_file" |
      as_root tee "/etc/apt/sources.list.d/hotcc-src-$(basename "$sources_file")" >/dev/null
  done
  if [[ -f /etc/apt/sources.list ]]; then
    sed -nE 's/^deb[[:space:]]/deb-src /p' /etc/apt/sources.list |
      as_root tee /etc/apt/sources.list.d/hotcc-src.list >/dev/null
  fi
  apt_updated=0
  apt_update_once
}

# Fetches a Debian source package, checks its upstream tarball, and prints the unpacked tree.
fetch_source() {
  local spec="$1" orig="$2" sha="$3" dir="$cache/src/${1%%=*}"
  if [[ ! -f "$dir/.verified" ]]; then
    ensure_deb_src
    rm -rf "$dir" && mkdir -p "$dir"
    say "apt-get source $spec"
    (cd "$dir" && apt-get source -qq "$spec" >/dev/null 2>&1) ||
      die "apt-get source $spec failed"
    echo "$sha  $dir/$orig" | sha256sum --check --quiet ||
      die "$orig does not match its pinned sha256 $sha"
    touch "$dir/.verified"
  fi
  find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n 1
}

# install_npm_binary NAME VERSION VERSION_ARG BINARY: unless `NAME VERSION_ARG` already prints
# VERSION, installs the npm package pinned in tools/NAME/package-lock.json and copies the static
# binary it bundles (BINARY, a path under node_modules) to a directory on PATH as NAME.
install_npm_binary() {
  local name="$1" version="$2" version_arg="$3" binary_in_package="$4" installed
  installed="$(command -v "$name" >/dev/null && "$name" "$version_arg" 2>&1 | head -n 1 || true)"
  [[ "$installed" == *"$version"* ]] && return 0
  say "installing $name $version from tools/$name/package-lock.json"
  (cd "$workspace/tools/$name" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) ||
    die "npm ci in tools/$name failed"
  local binary="$workspace/tools/$name/node_modules/$binary_in_package"
  [[ -x "$binary" ]] || die "the $name package has no $binary"
  local bindir=/usr/local/bin
  [[ -w "$bindir" ]] || { bindir="$HOME/.local/bin"; mkdir -p "$bindir"; }
  install -m 0755 "$binary" "$bindir/$name"
  [[ "$(command -v "$name")" == "$bindir/$name" ]] ||
    say "warning: $bindir is not first on PATH for $name"
  installed="$("$bindir/$name" "$version_arg" 2>&1 | head -n 1 || true)"
  [[ "$installed" == *"$version"* ]] ||
    die "$bindir/$name says '$installed', not version $version: update the pin in tools/setup.sh"
}

write_bazelrc_deps() {
  local abseil="$1" googletest="$2" rc="$target_workspace/.bazelrc.deps" tmp
  tmp="$(mktemp "$rc.XXXXXX")"
  cat >"$tmp" <<EOF
# Written by tools/setup.sh for this machine; not committed. Each external repository that
# WORKSPACE (or Bazel's own WORKSPACE suffix) would download is served from a local copy.
common --override_repository=com_google_absl=$abseil
common --override_repository=com_google_googletest=$googletest
common --override_repository=bazel_skylib=/usr/share/bazel/tools/skylib
common --override_repository=platforms=/usr/share/bazel/tools/platforms
common --override_repository=rules_java=/usr/share/bazel/rules/java
common --override_repository=rules_cc=$workspace/tools/offline/rules_cc
common --override_repository=remote_coverage_tools=$workspace/tools/offline/remote_coverage_tools
common --override_repository=com_googlesource_code_re2=$workspace/tools/offline/com_googlesource_code_re2
# Action outputs shared by every checkout on this machine (a clone, the end-to-end test's copy).
build --disk_cache=$cache/disk-cache
EOF
  if cmp -s "$tmp" "$rc"; then rm -f "$tmp"; else mv "$tmp" "$rc"; say "wrote ${rc#"$workspace/"}"; fi
}

main() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --workspace=*)
        target_workspace="$(cd "${arg#--workspace=}" 2>/dev/null && pwd)" ||
          die "no such directory: ${arg#--workspace=}"
        [[ -f "$target_workspace/WORKSPACE" || -f "$target_workspace/WORKSPACE.bazel" ]] ||
          die "$target_workspace has no WORKSPACE file"
        ;;
      *) die "unknown argument: $arg (usage: tools/setup.sh [--workspace=DIR])" ;;
    esac
  done
  [[ "$(uname -m)" == x86_64 ]] || die "hotcc is set up for x86-64 Linux; this is $(uname -m)"
  install_packages "${BAZEL_PACKAGES[@]}" "${TOOL_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}" \
    "${IDE_PACKAGES[@]}" "${CACHE_SERVER_PACKAGES[@]}" "${DEBUG_PACKAGES[@]}"
  # A machine may already have Node.js from elsewhere, with npm bundled: Debian's npm would
  # conflict with it, so it is installed only where there is no npm at all.
  command -v npm >/dev/null 2>&1 || install_packages nodejs npm
  local abseil googletest
  abseil="$(fetch_source "$ABSEIL_SOURCE" "$ABSEIL_ORIG" "$ABSEIL_ORIG_SHA256")"
  googletest="$(fetch_source "$GOOGLETEST_SOURCE" "$GOOGLETEST_ORIG" "$GOOGLETEST_ORIG_SHA256")"
  install_npm_binary ibazel "$IBAZEL_VERSION" version @bazel/ibazel/bin/linux_amd64/ibazel
  install_npm_binary buildifier "$BUILDIFIER_VERSION" --version \
    @bazel/buildifier/buildifier-linux_amd64
  write_bazelrc_deps "$abseil" "$googletest"
}

main "$@"
