#!/usr/bin/env bash
# The default build of the app is fully static and contains no loader code; the hot build is
# checked the same way to show the checks can tell the difference.
# Arguments: the static binary, the hot binary.
set -euo pipefail
static_app="$1" hot_app="$2"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Symbols that only reload/ defines: its classes and its fault guard.
loader_symbols() {
  nm -C --defined-only "$1" | grep -E 'hotcc::(HotReloader|ModuleSlot|SharedLibrary|PrivateDir|ReaderRegistry|RunGuarded|ValidateSharedObject)' || true
}

# Runfiles are symlinks: -L describes the binary itself. ldd fails on a static binary.
file -L "$static_app" | grep -q 'statically linked' || fail "file does not say statically linked: $(file -L "$static_app")"
ldd_output="$(ldd "$static_app" 2>&1 || true)"
grep -q 'not a dynamic executable' <<<"$ldd_output" || fail "ldd: $ldd_output"
[[ -z "$(loader_symbols "$static_app")" ]] || fail "loader code in the static app: $(loader_symbols "$static_app" | head -n 3)"
# Captured first: `strings | grep -q` would fail under pipefail when grep stops reading early.
static_strings="$(strings "$static_app")"
grep -q 'unloaded and unmapped' <<<"$static_strings" && fail "the static app carries the loader's messages"

# The control: the hot build has all of these.
file -L "$hot_app" | grep -q 'dynamically linked' || fail "the hot app is not dynamically linked"
[[ -n "$(loader_symbols "$hot_app")" ]] || fail "the loader symbols are not found even in the hot app"

echo "static_app_test: $((failures == 0 ? 1 : 0)) passed, $failures failed"
[[ $failures -eq 0 ]]
