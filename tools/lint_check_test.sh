#!/usr/bin/env bash
# tools/buildifier_check.sh and tools/clang_tidy_check.sh fail on what they are there to catch,
# on a temporary copy of this workspace (a git repository of its own, since both list their files
# with git), and pass on the copy as it is:
#   1-4. buildifier: a badly formatted BUILD file and an unused load (a lint warning) each fail,
#        naming the file; --fix repairs both;
#   5-6. clang-tidy: a finding in a reload/ source file and one in a reload/ header each fail,
#        naming the file and the check.
# clang-tidy reads a compile database written from this workspace's own (tools/compile_commands.sh
# writes it here first) and pointed at the copy: its sources and headers resolve in the copy, and
# external repositories and generated headers in this workspace's Bazel execution root, so the
# copy needs no Bazel server of its own. About 30 s.
#   tools/lint_check_test.sh     (tools/test.sh runs it)
set -euo pipefail
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/hotcc-lint-XXXXXX")"
trap 'rm -rf "$work"' EXIT
copy="$work/workspace"
output="$work/output"
passed=0

log() { echo "lint_check_test: $*" >&2; }
fail() {
  log "FAIL: $*"
  [[ -f "$output" ]] && tail -n 20 "$output" >&2
  echo "lint_check_test: $passed passed, 1 failed"
  exit 1
}
ok() {
  passed=$((passed + 1))
  log "ok: $*"
}
# Runs a check in the copy, its output (both streams) in $output; prints its exit status.
run_in_copy() { (cd "$copy" && "$@") >"$output" 2>&1 && echo 0 || echo $?; }
# expect_failure WHAT PATTERN... : the last run failed and its output matches every PATTERN.
expect_failure() {
  local what="$1" status="$2" pattern
  shift 2
  [[ "$status" -ne 0 ]] || fail "$what: the check passed"
  for pattern in "$@"; do
    grep -q -E -- "$pattern" "$output" || fail "$what: the output does not say '$pattern'"
  done
  ok "$what: fails (exit status $status) and says so: $*"
}

mkdir -p "$copy"
(cd "$source_root" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 cp --parents -t "$copy")
(cd "$copy" && git init -q && git add -A)

# --- buildifier ---
status="$(run_in_copy tools/buildifier_check.sh)"
[[ "$status" -eq 0 ]] || fail "buildifier_check.sh fails on the unchanged copy"
ok "buildifier_check.sh passes on the copy as it is"
cp "$copy/libs/view/BUILD.bazel" "$work/view.BUILD"
# 1. Formatting drift: a target squeezed onto one line, its srcs unsorted.
cat >>"$copy/libs/view/BUILD.bazel" <<'EOF'
filegroup(name="drift",srcs=["view.h","view.cc"])
EOF
status="$(run_in_copy tools/buildifier_check.sh)"
expect_failure "a badly formatted BUILD file" "$status" \
  'libs/view/BUILD.bazel is not formatted' 'tools/buildifier_check.sh --fix'
# 2. A lint warning in a file that is formatted: a load nothing uses.
cp "$work/view.BUILD" "$copy/libs/view/BUILD.bazel"
sed -i '1a load("//tools:hot_flags.bzl", "HOT_LTO_COPTS")' "$copy/libs/view/BUILD.bazel"
status="$(run_in_copy tools/buildifier_check.sh)"
expect_failure "an unused load" "$status" 'libs/view/BUILD.bazel:2: load: .*HOT_LTO_COPTS.* is unused'
# 3. Both at once, fixed by --fix; the check then passes.
cat >>"$copy/libs/view/BUILD.bazel" <<'EOF'
filegroup(name="drift",srcs=["view.h","view.cc"])
EOF
(cd "$copy" && tools/buildifier_check.sh --fix) >"$output" 2>&1 || fail "--fix left something"
grep -q 'HOT_LTO_COPTS' "$copy/libs/view/BUILD.bazel" && fail "--fix kept the unused load"
status="$(run_in_copy tools/buildifier_check.sh)"
[[ "$status" -eq 0 ]] || fail "the check fails after --fix"
ok "--fix formats the file and drops the unused load; the check then passes"
# 4. A file that does not parse.
echo 'filegroup(name = "unclosed"' >>"$copy/libs/view/BUILD.bazel"
status="$(run_in_copy tools/buildifier_check.sh)"
expect_failure "a BUILD file that does not parse" "$status" 'libs/view/BUILD.bazel:[0-9]+:[0-9]+'

# --- clang-tidy ---
started=$SECONDS
(cd "$source_root" && tools/compile_commands.sh) 2>/dev/null ||
  fail "tools/compile_commands.sh failed in $source_root"
execroot="$(cd "$source_root" && bazel info --config=hot execution_root 2>/dev/null)"
ln -s "$execroot/external" "$copy/external"
ln -s "$execroot/bazel-out" "$copy/bazel-out"
mkdir "$work/database"
python3 - "$source_root/compile_commands.json" "$work/database/compile_commands.json" \
  "$source_root" "$copy" <<'EOF'
import json, sys
source, target, root, copy = sys.argv[1:]
entries = json.load(open(source))
for entry in entries:
    entry["directory"] = copy
    entry["file"] = entry["file"].replace(root + "/", copy + "/", 1)
    entry["arguments"] = [a.replace(root + "/", copy + "/", 1) for a in entry["arguments"]]
json.dump(entries, open(target, "w"), indent=1)
EOF
tidy() { run_in_copy tools/clang_tidy_check.sh --compile_commands_dir="$work/database" "$@"; }
status="$(tidy reload/names.cc)"
[[ "$status" -eq 0 ]] || fail "clang_tidy_check.sh fails on the copy's unchanged reload/names.cc"
ok "clang_tidy_check.sh passes on the copy's reload/names.cc as it is"
# 5. A finding in a source file: a C-style cast (google-readability-casting).
cp "$copy/reload/names.cc" "$work/names.cc"
cat >>"$copy/reload/names.cc" <<'EOF'
namespace hotcc {
int LintProbe(double value) { return (int)value; }
}  // namespace hotcc
EOF
status="$(tidy reload/names.cc)"
expect_failure "a C-style cast in reload/names.cc" "$status" \
  'reload/names.cc:[0-9]+:[0-9]+: error: .*\[google-readability-casting' '1 finding\(s\) in 1 of 1 files'
# 6. A finding in a header that the file includes: a `long` (google-runtime-int).
cp "$work/names.cc" "$copy/reload/names.cc"
sed -i 's|^#endif  // HOTCC_RELOAD_NAMES_H_|inline long LintProbeInHeader() { return 0; }\n&|' \
  "$copy/reload/names.h"
grep -q LintProbeInHeader "$copy/reload/names.h" || fail "could not edit reload/names.h"
status="$(tidy reload/names.cc)"
expect_failure "a finding in reload/names.h" "$status" 'reload/names.h:[0-9]+:[0-9]+: error: .*\[google-runtime-int'
log "clang-tidy cases took $((SECONDS - started))s"

echo "lint_check_test: $passed passed, 0 failed"
