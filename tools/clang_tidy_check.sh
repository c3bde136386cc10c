#!/usr/bin/env bash
# Fails, listing each finding once, if clang-tidy-14 finds anything that reload/.clang-tidy asks
# for in the loader: reload/*.cc and reload/testing/*.cc (not reload/testdata/, whose fixtures
# misbehave on purpose), and the reload/*.h they include. Every warning is an error.
#   tools/clang_tidy_check.sh             (tools/test.sh runs it after tools/buildifier_check.sh)
#   tools/clang_tidy_check.sh FILE...     only these files
#   --compile_commands_dir=DIR            reads DIR/compile_commands.json instead of writing the
#                                         workspace's with tools/compile_commands.sh first
#                                         (tools/lint_check_test.sh)
# Each file's flags (C++17, or C++20 for state_codec) come from the compile database, which
# tools/compile_commands.sh takes from Bazel; elf_file_fuzzer.cc, built only by tools/fuzz.sh, is
# checked with its neighbours' flags. Fix a finding in the code. One that is wrong where it
# stands takes `// NOLINT(check-name)` with the reason beside it; a check that is wrong for the
# whole loader is left out in reload/.clang-tidy, saying why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "clang-tidy: $*" >&2; }
command -v clang-tidy-14 >/dev/null || { say "clang-tidy-14 is not installed; run tools/setup.sh"; exit 1; }

database_dir=""
files=()
for arg in "$@"; do
  case "$arg" in
    --compile_commands_dir=*) database_dir="${arg#--compile_commands_dir=}" ;;
    -*) say "unknown option $arg"; exit 2 ;;
    *) files+=("$arg") ;;
  esac
done
# Left out: state_codec_test.cc. It reflects structs of an anonymous namespace (reflect.h reads
# field names from GCC's spelling, which differs for them), and clang, so clang-tidy, refuses to
# compile that: reflect.h's declared-only object, of a type without linkage, "is used but not
# defined". g++ builds it; reflect.h and state_codec.h are checked through state_codec.cc.
readonly NOT_CHECKED=(reload/state_codec_test.cc)
if [[ ${#files[@]} -eq 0 ]]; then
  mapfile -t files < <(git ls-files reload | grep -E '^reload/(testing/)?[^/]+\.cc$' |
    grep -v -x -F "${NOT_CHECKED[@]/#/-e}")
fi
if [[ -z "$database_dir" ]]; then
  tools/compile_commands.sh 2>/dev/null || { say "tools/compile_commands.sh failed"; exit 1; }
  database_dir=.
fi
[[ -f "$database_dir/compile_commands.json" ]] || {
  say "no compile_commands.json in $database_dir"
  exit 1
}

logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
# One clang-tidy per file, as many at once as there are cores; each writes its own log, named
# after the file, and leaves a .failed marker when it finds something (or cannot compile it).
export database_dir logs
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -I{} bash -c '
  log="$logs/$(tr / _ <<<"$1").log"
  clang-tidy-14 -p "$database_dir" --quiet --warnings-as-errors="*" "$1" >"$log" 2>&1 ||
    touch "$log.failed"
' _ {}

failed=0
for file in "${files[@]}"; do
  log="$logs/$(tr / _ <<<"$file").log"
  [[ -f "$log.failed" ]] || continue
  failed=$((failed + 1))
  # A finding in a header shows up under every file that includes it: each is listed once.
  # Without any finding (a compile error, a bad option), the whole log is what says why.
  if ! grep -q -E '^[^ ]+:[0-9]+:[0-9]+: error: .*\[[a-z0-9.,-]+\]$' "$log"; then
    say "$file: clang-tidy failed:"
    grep -v -E '^[0-9]+ (warnings?|errors?) generated\.$' "$log" | head -n 20 >&2
  fi
done
if [[ $failed -ne 0 ]]; then
  # Findings, with the source line and the caret, once each, by file and line; paths relative to
  # the workspace (a header may be named through Bazel's execution root).
  cat "$logs"/*.log | python3 -c '
import re, sys
findings, current = {}, None
for line in sys.stdin:
    match = re.match(r"^(\S+):(\d+):(\d+): (error|warning): .*\[[a-z0-9.,-]+\]$", line)
    if match:
        path = re.sub(r"^.*?/((?:reload|app|libs|tools)/)", r"\1", match.group(1))
        key = (path, int(match.group(2)), int(match.group(3)), line.split(": ", 1)[1])
        current = findings.setdefault(key, [])
        continue
    if current is not None and not re.match(r"^\d+ (warnings?|errors?) generated\.$", line):
        if re.match(r"^\S+:\d+:\d+: ", line):
            current = None  # A note of another place, or an error without a check name.
        elif len(current) < 3:
            current.append(line.rstrip("\n"))
for (path, row, column, text), context in sorted(findings.items()):
    print(f"{path}:{row}:{column}: {text.rstrip()}", file=sys.stderr)
    for extra in context:
        print(extra, file=sys.stderr)
print(len(findings), file=sys.stdout)
' >"$logs/count"
  say "$(cat "$logs/count") finding(s) in $failed of ${#files[@]} files ($((SECONDS - started))s);" \
    "fix them in the code (a NOLINT(check) needs its reason beside it), then run" \
    "tools/clang_tidy_check.sh [FILE...] again"
  exit 1
fi
say "${#files[@]} files of reload/ clean under reload/.clang-tidy ($((SECONDS - started))s)"
